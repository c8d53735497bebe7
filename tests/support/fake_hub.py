"""A stand-in for the Hugging Face hub on 127.0.0.1, for running the real download code offline.

It answers the URLs huggingface_hub calls:

- HEAD/GET `/<repo>/resolve/<rev>/<path>` with `X-Repo-Commit`, `ETag`, and for
  LFS files `X-Linked-Etag` (the sha256) and `X-Linked-Size`; Range requests;
  optionally a 302 to a "CDN" on another origin (`localhost`), as the real hub does
- GET `/api/models/<repo>/tree/<rev>[/<path>]?recursive=...` with Link-header pages
- GET `/api/models/<repo>/revision/<rev>` and `/api/models/<repo>`

and has switches to misbehave: ignore Range, cut a transfer after N bytes, stall
mid-transfer, answer 401/403/404 for a repo, require a token, or advertise a
wrong checksum. Every request is logged (method, path, Range, Authorization).
"""

from __future__ import annotations

import hashlib
import json
import random
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest

ERROR_MESSAGES = {
    401: "Access to model {repo} is restricted. You must have access to it and be authenticated to access it. "
    "Please log in.",
    403: "Access to model {repo} is restricted and you are not in the authorized list. "
    "Visit https://huggingface.co/{repo} to ask for access.",
    404: "Repository not found",
}


def gguf_bytes(size: int, seed: int = 0) -> bytes:
    """Deterministic bytes that start like a GGUF file; the download code only checks the magic."""
    if size < 4:
        raise ValueError("a GGUF file needs at least the 4-byte magic")
    return b"GGUF" + random.Random(seed).randbytes(size - 4)


@dataclass(frozen=True)
class HubFile:
    """One file in a fake repo."""

    data: bytes
    lfs: bool = True  # LFS files carry their sha256 as X-Linked-Etag, like every real GGUF on the hub

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def git_oid(self) -> str:
        return hashlib.sha1(b"blob %d\0" % len(self.data) + self.data).hexdigest()


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str  # percent-decoded, without the query
    query: str
    range: str | None
    authorization: str | None
    host: str


@dataclass
class _Misbehaviour:
    """Counters for the transfer switches; `times=None` means every time."""

    after: int = 0
    times: int | None = 0
    seconds: float = 0.0

    def take(self) -> bool:
        if self.times is None:
            return True
        if self.times > 0:
            self.times -= 1
            return True
        return False


@dataclass
class _Repo:
    files: dict[str, HubFile] = field(default_factory=dict)
    commit: str = ""


class FakeHub:
    """The hub stand-in; start() it, point HF_ENDPOINT at `endpoint`, and stop() it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._repos: dict[str, _Repo] = {}
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.requests: list[LoggedRequest] = []
        self.range_support = True
        self.redirect_lfs = False
        self.page_size = 1000
        self.chunk_size = 8 * 1024
        self._cut = _Misbehaviour()
        self._stall = _Misbehaviour()
        self.head_delay = 0.0  # seconds every HEAD request waits before its answer (a hub that hangs)
        self._failures: dict[str, tuple[int, str | None]] = {}
        self._tokens: dict[str, str] = {}
        self._bad_checksums: set[tuple[str, str]] = set()

    # ----- set-up -------------------------------------------------------------------------------------------

    def add_file(self, repo: str, path: str, data: bytes | Path, *, lfs: bool = True) -> HubFile:
        """Serve `data` (bytes, or a file on disk) as `path` in `repo`."""
        content = data.read_bytes() if isinstance(data, Path) else data
        hub_file = HubFile(content, lfs=lfs)
        with self._lock:
            entry = self._repos.setdefault(repo, _Repo())
            entry.files[path] = hub_file
            entry.commit = hashlib.sha1(
                repr(sorted((p, f.git_oid) for p, f in entry.files.items())).encode()
            ).hexdigest()
        return hub_file

    def commit(self, repo: str) -> str:
        with self._lock:
            return self._repos[repo].commit

    def cut(self, after: int, times: int | None = 1) -> None:
        """Close the connection after `after` body bytes, for the next `times` file transfers (None: always)."""
        with self._lock:
            self._cut = _Misbehaviour(after=after, times=times)

    def stall(self, after: int, seconds: float, times: int | None = 1) -> None:
        """Go silent for `seconds` after `after` body bytes, for the next `times` file transfers (None: always)."""
        with self._lock:
            self._stall = _Misbehaviour(after=after, times=times, seconds=seconds)

    def fail(self, repo: str, status: int, error_code: str | None = None) -> None:
        """Answer every request about `repo` with `status` (404 RepoNotFound, 401/403 GatedRepo by default)."""
        code = error_code or ("RepoNotFound" if status == 404 else "GatedRepo" if status in (401, 403) else None)
        with self._lock:
            self._failures[repo] = (status, code)

    def require_token(self, repo: str, token: str) -> None:
        """Make `repo` gated: without `Authorization: Bearer <token>` it answers 401 GatedRepo."""
        with self._lock:
            self._tokens[repo] = token

    def corrupt_checksum(self, repo: str, path: str) -> None:
        """Advertise a sha256 for `path` that its bytes do not have."""
        with self._lock:
            self._bad_checksums.add((repo, path))

    def clear_misbehaviour(self) -> None:
        with self._lock:
            self._cut = _Misbehaviour()
            self._stall = _Misbehaviour()
            self.head_delay = 0.0
            self._failures.clear()
            self.range_support = True

    # ----- queries for assertions ---------------------------------------------------------------------------

    def file_requests(self, path: str, method: str = "GET") -> list[LoggedRequest]:
        """Logged requests of `method` that fetched the file `path` (through /resolve/ or the CDN)."""
        with self._lock:
            logged = list(self.requests)
        return [r for r in logged if r.method == method and r.path.endswith("/" + path) and "/api/" not in r.path]

    # ----- lifecycle ----------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fake hub is not running")
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeHub:
        handler = type("FakeHubHandler", (_Handler,), {"hub": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-hub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ----- used by the handler ------------------------------------------------------------------------------

    def _log(self, request: LoggedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _lookup(self, repo: str) -> _Repo | None:
        with self._lock:
            return self._repos.get(repo)

    def _failure(self, repo: str, authorization: str | None) -> tuple[int, str | None] | None:
        with self._lock:
            if repo in self._failures:
                return self._failures[repo]
            token = self._tokens.get(repo)
        if token is not None and authorization != f"Bearer {token}":
            return (401, "GatedRepo")
        return None

    def _advertised_sha(self, repo: str, path: str, hub_file: HubFile) -> str:
        with self._lock:
            bad = (repo, path) in self._bad_checksums
        return hashlib.sha256(hub_file.data + b"tampered").hexdigest() if bad else hub_file.sha256

    def _take_misbehaviour(self) -> tuple[int | None, tuple[int, float] | None]:
        with self._lock:
            cut = self._cut.after if self._cut.take() else None
            stall = (self._stall.after, self._stall.seconds) if self._stall.take() else None
        return cut, stall


def _split_repo(segments: list[str], markers: tuple[str, ...]) -> tuple[str, int] | None:
    for index in (2, 1):
        if len(segments) > index and segments[index] in markers:
            return "/".join(segments[:index]), index
    return None


class _Handler(BaseHTTPRequestHandler):
    hub: FakeHub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return

    # ----- plumbing -----------------------------------------------------------------------------------------

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _json(self, payload: object, headers: dict[str, str] | None = None) -> None:
        self._send(200, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})})

    def _error(self, status: int, code: str | None, repo: str, message: str | None = None) -> None:
        text = message or ERROR_MESSAGES.get(status, "error").format(repo=repo)
        headers = {"Content-Type": "application/json", "X-Error-Message": text}
        if code:
            headers["X-Error-Code"] = code
        self._send(status, json.dumps({"error": text}).encode(), headers)

    def _route(self) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        self.hub._log(
            LoggedRequest(
                method=self.command,
                path=path,
                query=parts.query,
                range=self.headers.get("Range"),
                authorization=self.headers.get("Authorization"),
                host=self.headers.get("Host", ""),
            )
        )
        segments = [unquote(s) for s in parts.path.split("/") if s]
        if segments[:1] == ["cdn"]:
            self._cdn(segments[1:])
        elif segments[:2] == ["api", "models"]:
            self._api(segments[2:], parse_qs(parts.query))
        else:
            self._resolve(segments)

    def do_HEAD(self) -> None:
        if self.hub.head_delay:
            self.hub._stop.wait(self.hub.head_delay)
        self._route()

    def do_GET(self) -> None:
        self._route()

    # ----- /<repo>/resolve/<rev>/<path> and the CDN ---------------------------------------------------------

    def _resolve(self, segments: list[str]) -> None:
        found = _split_repo(segments, ("resolve",))
        if found is None or len(segments) < found[1] + 3:
            self._error(404, None, "", "Not found")
            return
        repo, index = found
        revision, path = segments[index + 1], "/".join(segments[index + 2 :])
        entry = self._checked_repo(repo, revision)
        if entry is None:
            return
        hub_file = entry.files.get(path)
        if hub_file is None:
            self._error(404, "EntryNotFound", repo, f"{path} does not exist in {repo}")
            return
        headers = {"X-Repo-Commit": entry.commit}
        if hub_file.lfs:
            sha = self.hub._advertised_sha(repo, path, hub_file)
            headers.update({"ETag": f'"{sha}"', "X-Linked-Etag": f'"{sha}"', "X-Linked-Size": str(len(hub_file.data))})
            if self.hub.redirect_lfs:
                headers["Location"] = f"http://localhost:{self.hub.port}/cdn/{quote(repo)}/{quote(path)}"
                self._send(302, b"", headers)
                return
        else:
            headers["ETag"] = f'"{hub_file.git_oid}"'
        self._body(hub_file.data, headers)

    def _cdn(self, segments: list[str]) -> None:
        found = None
        for index in (2, 1):
            repo = "/".join(segments[:index])
            entry = self.hub._lookup(repo)
            if entry is not None and "/".join(segments[index:]) in entry.files:
                found = entry.files["/".join(segments[index:])]
                break
        if found is None:
            self._error(404, None, "", "Not found")
            return
        self._body(found.data, {"ETag": f'"{found.sha256}"'})

    def _checked_repo(self, repo: str, revision: str) -> _Repo | None:
        failure = self.hub._failure(repo, self.headers.get("Authorization"))
        if failure is not None:
            self._error(failure[0], failure[1], repo)
            return None
        entry = self.hub._lookup(repo)
        if entry is None:
            self._error(404, "RepoNotFound", repo)
            return None
        if revision not in ("main", entry.commit):
            self._error(404, "RevisionNotFound", repo, f"Invalid rev id: {revision}")
            return None
        return entry

    def _body(self, data: bytes, headers: dict[str, str]) -> None:
        """Send a file body, honouring Range and the cut/stall switches."""
        status = 200
        headers = {"Content-Type": "application/octet-stream", **headers}
        range_header = self.headers.get("Range")
        if self.hub.range_support:
            headers["Accept-Ranges"] = "bytes"
            if range_header and range_header.startswith("bytes="):
                first, _, last = range_header[len("bytes=") :].partition("-")
                start = int(first or 0)
                end = min(int(last), len(data) - 1) if last else len(data) - 1
                if start >= len(data):
                    self._send(416, b"", {"Content-Range": f"bytes */{len(data)}"})
                    return
                headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
                data = data[start : end + 1]
                status = 206
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command == "HEAD":
            return
        cut, stall = self.hub._take_misbehaviour()
        sent = 0
        try:
            while sent < len(data):
                if stall is not None and sent >= stall[0]:
                    self.wfile.flush()
                    if self.hub._stop.wait(stall[1]):
                        return
                    stall = None
                    continue
                if cut is not None and sent >= cut:
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                boundary = min(
                    len(data),
                    sent + self.hub.chunk_size,
                    cut if cut is not None else len(data),
                    stall[0] if stall is not None else len(data),
                )
                self.wfile.write(data[sent:boundary])
                sent = boundary
            self.wfile.flush()
        except OSError:  # the client went away (cancel, timeout): nothing more to send
            self.close_connection = True

    # ----- /api/models/... ----------------------------------------------------------------------------------

    def _api(self, segments: list[str], query: dict[str, list[str]]) -> None:
        tree = _split_repo(segments, ("tree",))
        revision_route = _split_repo(segments, ("revision",))
        if tree is not None and len(segments) > tree[1] + 1:
            repo, index = tree
            self._tree(repo, segments[index + 1], "/".join(segments[index + 2 :]), query)
        elif revision_route is not None and len(segments) > revision_route[1] + 1:
            repo, index = revision_route
            self._model_info(repo, segments[index + 1])
        elif 1 <= len(segments) <= 2:
            self._model_info("/".join(segments), "main")
        else:
            self._error(404, None, "", "Not found")

    def _entry(self, repo: str, path: str, hub_file: HubFile) -> dict[str, object]:
        entry: dict[str, object] = {"type": "file", "oid": hub_file.git_oid, "size": len(hub_file.data), "path": path}
        if hub_file.lfs:
            sha = self.hub._advertised_sha(repo, path, hub_file)
            entry["lfs"] = {"oid": sha, "size": len(hub_file.data), "pointerSize": 134}
        return entry

    def _tree(self, repo: str, revision: str, folder: str, query: dict[str, list[str]]) -> None:
        entry = self._checked_repo(repo, revision)
        if entry is None:
            return
        recursive = query.get("recursive", ["false"])[0].lower() in ("true", "1")
        prefix = f"{folder}/" if folder else ""
        files = sorted(path for path in entry.files if path.startswith(prefix))
        if folder and not files:
            self._error(404, "EntryNotFound", repo, f"{folder} does not exist on {revision}")
            return
        folders: set[str] = set()
        listed: list[dict[str, object]] = []
        for path in files:
            rest = path[len(prefix) :].split("/")
            for depth in range(1, len(rest)):
                folders.add(prefix + "/".join(rest[:depth]))
            if recursive or len(rest) == 1:
                listed.append(self._entry(repo, path, entry.files[path]))
        visible = [f for f in folders if recursive or "/" not in f[len(prefix) :]]
        listed += [
            {"type": "directory", "oid": hashlib.sha1(f.encode()).hexdigest(), "size": 0, "path": f} for f in visible
        ]
        listed.sort(key=lambda item: str(item["path"]))
        cursor = int(query.get("cursor", ["0"])[0])
        page = listed[cursor : cursor + self.hub.page_size]
        headers: dict[str, str] = {}
        if cursor + self.hub.page_size < len(listed):
            base = f"{self.hub.endpoint}/api/models/{repo}/tree/{quote(revision, safe='')}"
            if folder:
                base += "/" + quote(folder, safe="")
            next_url = f"{base}?recursive={str(recursive).lower()}&expand=false&cursor={cursor + self.hub.page_size}"
            headers["Link"] = f'<{next_url}>; rel="next"'
        self._json(page, headers)

    def _model_info(self, repo: str, revision: str) -> None:
        entry = self._checked_repo(repo, revision)
        if entry is None:
            return
        self._json(
            {
                "_id": hashlib.sha1(repo.encode()).hexdigest()[:24],
                "id": repo,
                "modelId": repo,
                "sha": entry.commit,
                "private": False,
                "gated": repo in self.hub._tokens and "manual",
                "disabled": False,
                "tags": ["gguf"],
                "siblings": [{"rfilename": path, "size": len(f.data)} for path, f in sorted(entry.files.items())],
            }
        )


@pytest.fixture
def fake_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """A running FakeHub with HF_ENDPOINT pointing at it, a private HF_HOME and no token from the environment.

    huggingface_hub reads HF_HOME and friends when it is imported, which is before
    any fixture runs, so its already-computed paths are pointed at the temporary
    home too: the user's real cache and saved token are never touched or sent.
    HF_ENDPOINT is deliberately only set in the environment, because the code
    under test must read it at call time.
    """
    import huggingface_hub.constants as hub_constants

    hub = FakeHub().start()
    home = tmp_path / "hf-home"
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("HF_HOME", str(home))
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (
        ("HF_HOME", str(home)),
        ("HF_HUB_CACHE", str(home / "hub")),
        ("HF_TOKEN_PATH", str(home / "token")),
        ("HF_STORED_TOKENS_PATH", str(home / "stored_tokens")),
        ("AGENT_HARNESSES_PATH", str(home / ".agent_harnesses.json")),
        ("HF_HUB_DISABLE_TELEMETRY", True),
    ):
        monkeypatch.setattr(hub_constants, name, value, raising=False)
    try:
        yield hub
    finally:
        hub.stop()
