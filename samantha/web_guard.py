"""Who may talk to the web app: this computer's own page, not other web sites.

A web page on any site can send requests to http://127.0.0.1:7860 from the
user's browser, and with DNS rebinding (a name that first points to the site,
then to 127.0.0.1) it can even read the answers. `WebGuard` is an ASGI middleware
that stops both before any route runs:

- the Host header must name this computer (localhost, 127.0.0.0/8, [::1]) or the
  address Samantha was started on, so a rebinding name is refused;
- a request that can change something (any method but GET/HEAD/OPTIONS, and every
  upload) must come from Samantha's own page: a foreign or "null" Origin, or a
  browser's Sec-Fetch-Site "cross-site", is refused;
- wrong passwords at /login are limited per client, so a password cannot be guessed
  by trying many.

Programs such as gradio_client send no Origin and are let through (they are not a
browser a web site can steer). Each app owns its guard and limiter; nothing is global.
"""

from __future__ import annotations

import ipaddress
import math
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UPLOAD_PATH_PART = "/upload"
LOGIN_PATHS = frozenset({"/login", "/login/"})
WILDCARD_ADDRESSES = frozenset({"", "0.0.0.0", "::", "[::]"})
# Wrong passwords a client may try before it has to wait; then the wait doubles with each one.
FREE_LOGIN_FAILURES = 5
MAX_LOGIN_WAIT_SECONDS = 15 * 60.0


def is_loopback(host: str) -> bool:
    """True for names and addresses only this computer can reach (localhost, 127.0.0.0/8, ::1)."""
    name = host.strip().lower().rstrip(".")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(netloc: str) -> str:
    """The host part of "host:port" / "[v6]:port", lower-case, without brackets or a trailing dot."""
    text = netloc.strip().lower()
    if text.startswith("["):
        return text[1:text.find("]")] if "]" in text else text[1:]
    if text.count(":") == 1:
        text = text.split(":", 1)[0]
    return text.rstrip(".")


def this_computer_names() -> set[str]:
    """The names and addresses other computers may use for this one (for a wildcard --host)."""
    names = {socket.gethostname().lower(), socket.getfqdn().lower()}
    try:
        import psutil

        for addresses in psutil.net_if_addrs().values():
            for address in addresses:
                if address.family in (socket.AF_INET, socket.AF_INET6):
                    names.add(address.address.split("%", 1)[0].lower())
    except (ImportError, OSError):
        pass
    return {name for name in names if name}


def allowed_hosts(server_name: str) -> frozenset[str]:
    """Host names a request may use besides loopback: the --host given, or every address of this
    computer when listening on all of them (0.0.0.0 / ::)."""
    if server_name.strip().lower() in WILDCARD_ADDRESSES:
        return frozenset(this_computer_names())
    return frozenset({host_name(server_name)})


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0


class LoginLimiter:
    """Counts wrong passwords per client address: after a few, each next try must wait twice as long."""

    def __init__(self, free: int = FREE_LOGIN_FAILURES, clock: Callable[[], float] = time.monotonic) -> None:
        self._free = free
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, _Failures] = {}

    def wait_seconds(self, client: str) -> float:
        """How long `client` must still wait before its next try (0: it may try now)."""
        with self._lock:
            record = self._failures.get(client)
            if record is None or record.count < self._free:
                return 0.0
            wait = min(2.0 ** (record.count - self._free), MAX_LOGIN_WAIT_SECONDS)
            return max(0.0, record.last + wait - self._clock())

    def failed(self, client: str) -> None:
        with self._lock:
            record = self._failures.setdefault(client, _Failures())
            record.count += 1
            record.last = self._clock()

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)


class WebGuard:
    """ASGI middleware refusing foreign Host names, cross-site changes and password guessing (see module)."""

    def __init__(self, app: ASGIApp, *, hosts: Iterable[str] = (), limiter: LoginLimiter | None = None) -> None:
        self.app = app
        self.hosts = frozenset(host_name(host) for host in hosts)
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope.get("headers", [])}
        problem = self.refusal(scope, headers)
        if problem is not None:
            await _refuse(scope, send, 403, problem)
            return
        if self.limiter is not None and scope["type"] == "http" and scope.get("path") in LOGIN_PATHS \
                and scope.get("method") == "POST":
            await self._login(scope, receive, send, self.limiter)
            return
        await self.app(scope, receive, send)

    def host_allowed(self, host: str) -> bool:
        name = host_name(host)
        return bool(name) and (is_loopback(name) or name in self.hosts)

    def refusal(self, scope: Scope, headers: dict[str, str]) -> str | None:
        """Why this request is refused, in words; None when it may go on."""
        host = headers.get("host", "")
        if not self.host_allowed(host):
            return (f"Samantha refused this request: it was addressed to {host or 'no host name'!r}, which is not "
                    "this computer. A web page on another site may be trying to reach Samantha (DNS rebinding). "
                    "Open Samantha at http://127.0.0.1 with its port instead.")
        changes = scope["type"] == "websocket" or scope.get("method", "GET") not in SAFE_METHODS \
            or UPLOAD_PATH_PART in scope.get("path", "")
        if not changes:
            return None
        origin = headers.get("origin")
        if origin is not None and not _same_origin(origin, host, scope):
            return (f"Samantha refused a request sent by another web page ({origin}): only Samantha's own page "
                    "may run or change things. Use Samantha from its own tab.")
        if headers.get("sec-fetch-site") == "cross-site":
            return ("Samantha refused a request another web site's page sent: only Samantha's own page may run "
                    "or change things. Use Samantha from its own tab.")
        return None

    async def _login(self, scope: Scope, receive: Receive, send: Send, limiter: LoginLimiter) -> None:
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = limiter.wait_seconds(client)
        if wait > 0:
            seconds = math.ceil(wait)
            await _refuse(scope, send, 429, f"Too many wrong passwords from this computer: wait {seconds} s, then "
                                            "try again with the password Samantha was started with.",
                          [(b"retry-after", str(seconds).encode())])
            return

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = int(message["status"])
                if status == 200:
                    limiter.succeeded(client)
                elif 400 <= status < 500:
                    limiter.failed(client)
            await send(message)

        await self.app(scope, receive, watch)


def _same_origin(origin: str, host: str, scope: Scope) -> bool:
    """Whether a browser's Origin is the address this request was sent to (scheme, host and port)."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False  # "null" (sandboxed frames, files) and anything odd
    default = "443" if parts.scheme == "https" else "80"
    return _with_port(parts.netloc, default) == _with_port(host, "443" if scope.get("scheme") == "https" else "80")


def _with_port(netloc: str, default: str) -> str:
    text = netloc.strip().lower()
    has_port = text.rsplit("]", 1)[-1].count(":") == 1 if text.startswith("[") else text.count(":") == 1
    return text if has_port else f"{text}:{default}"


async def _refuse(scope: Scope, send: Send, status: int, text: str,
                  extra: list[tuple[bytes, bytes]] | None = None) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": text[:120]})
        return
    body = (text + "\n").encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *(extra or [])]})
    await send({"type": "http.response.body", "body": body})
