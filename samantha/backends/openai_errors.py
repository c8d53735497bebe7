"""What can go wrong talking to an OpenAI-compatible server, each with a message that says what to do."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import httpx

from samantha.backends.base import BackendError


class RemoteError(BackendError):
    """A remote server could not be used; `fatal` makes the chain skip the model for the rest of the run."""

    fatal = True


class ServerUnreachable(RemoteError):
    """Nothing answers at the address (connection refused, unknown host, timeout)."""


class WrongURL(RemoteError):
    """Something answers, but not an OpenAI-compatible API at this path."""


class NotAuthorized(RemoteError):
    """401/403: no API key, or the wrong one."""


class ModelUnknown(RemoteError):
    """The server does not serve the model the entry names."""


class RequestRefused(RemoteError):
    """The server refused the request (400, 422, 5xx); the message quotes its reason."""

    fatal = False


def server_message(response: httpx.Response) -> str:
    """The reason a server gives in an error body (OpenAI's {"error": {"message"}}, FastAPI's {"detail"})."""
    try:
        body: Any = json.loads(response.read() or b"null")
    except (ValueError, httpx.HTTPError):
        try:
            text = response.text
        except httpx.HTTPError:
            return ""
        if "<" in text and ">" in text:  # an HTML error page: its words, not its markup
            text = html.unescape(re.sub(r"(?is)<(script|style)\b.*?</\1>|<[^>]+>", " ", text))
        return " ".join(text.split())[:300]
    if isinstance(body, dict):
        error = body.get("error", body.get("detail", body.get("message")))
        if isinstance(error, dict):
            error = error.get("message", error)
        if error is not None:
            return (error if isinstance(error, str) else json.dumps(error))[:300]
    return json.dumps(body)[:300] if body is not None else ""


def unreachable(base_url: str, exc: Exception) -> ServerUnreachable:
    reason = "connection refused" if isinstance(exc, httpx.ConnectError) else type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        reason = "no answer in time"
    return ServerUnreachable(
        f"cannot reach the server at {base_url} ({reason}): start it (e.g. `llama-server -m model.gguf --port 8080`) "
        "or check the host and port"
    )


def for_status(response: httpx.Response, base_url: str, path: str, model: str = "") -> RemoteError:
    """The error for a non-2xx answer to `path` (e.g. "/models")."""
    status = response.status_code
    reason = server_message(response)
    said = f": {reason}" if reason else ""
    if status in (401, 403):
        return NotAuthorized(
            f"the server at {base_url} refused the API key ({status}{said}): type the right key in the Remote "
            "servers tab, or set SAMANTHA_API_KEY (or OPENAI_API_KEY) before starting Samantha"
        )
    lowered = reason.lower()
    if model and ("model" in lowered and any(w in lowered for w in ("not found", "does not exist", "unknown", "no such"))):
        return ModelUnknown(f"the server at {base_url} does not serve the model {model!r}{said}; use List models to see its names")
    if 300 <= status < 400:
        target = response.headers.get("location", "")
        where = f" to {target}" if target else ""
        return WrongURL(
            f"{base_url}{path} sends requests elsewhere ({status}{where}): use the address it points to "
            "(for example https:// instead of http://), or check that a login page is not in the way"
        )
    if status in (404, 405):
        return WrongURL(
            f"{base_url}{path} answered {status}: this address has no OpenAI-compatible API. Check the path; it "
            "usually ends in /v1 (e.g. http://127.0.0.1:8080/v1)"
        )
    return RequestRefused(f"the server at {base_url} refused the request ({status}{said})")
