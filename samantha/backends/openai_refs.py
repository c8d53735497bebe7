"""Chain entries that name a model on an OpenAI-compatible server: `openai+http://host:port/v1#model`.

Pure string handling: the server address a form or an entry names, checked and tidied. Which kind
of entry a text is (file, hub link, remote model) is decided in samantha.model_ref alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from samantha.errors import SamanthaError

API = "openai"  # the API style named before the + of an entry
PREFIX = API + "+"
EXAMPLE = "openai+http://127.0.0.1:8080/v1#model-name"


class RemoteRefError(SamanthaError, ValueError):
    """A remote chain entry or server address that cannot be used; the message shows the right form."""


def server_url(text: str) -> str:
    """The server's API base as typed in a form (`http://host:8080/v1`, or with `openai+`), checked and tidied.

    No `/v1` is added: vLLM and llama.cpp serve under `/v1`, but some proxies use other paths.
    """
    url = text.strip()
    if url.lower().startswith(PREFIX):
        url = url[len(PREFIX):]
    url = url.split("#", 1)[0].rstrip("/")
    if not url:
        raise RemoteRefError(f"no server address: type one such as http://127.0.0.1:8080/v1 (entry form: {EXAMPLE})")
    try:
        parts = urlsplit(url)
        parts.hostname  # noqa: B018 - raises ValueError on a broken [IPv6] address
    except ValueError as exc:
        raise RemoteRefError(f"{text.strip()!r} is not a server address ({exc}): type one such as "
                             "http://127.0.0.1:8080/v1") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise RemoteRefError(
            f"{text.strip()!r} is not a server address: type one such as http://127.0.0.1:8080/v1 "
            "(http:// or https://, the host, the port, and the API path)"
        )
    if parts.query:
        raise RemoteRefError(f"the server address {url!r} must not have a ?query part")
    if parts.username is not None or parts.password is not None:
        # A key in the address would be saved with the chain, in session files and in every message.
        raise RemoteRefError(
            "the server address must not hold a user name or key (user:key@host): give the key in the API key "
            "field or an environment variable instead"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise RemoteRefError(f"the port in {url!r} is not a number from 1 to 65535") from None
    return f"{parts.scheme.lower()}://{parts.netloc}{parts.path}"


@dataclass(frozen=True)
class RemoteRef:
    """One remote chain entry: the API base (e.g. `http://127.0.0.1:8080/v1`) and the model's name there."""

    base_url: str
    model: str  # "" = the only model the server serves

    @property
    def text(self) -> str:
        return make_ref(self.base_url, self.model)


def make_ref(base_url: str, model: str) -> str:
    """The chain entry for `model` on the server at `base_url`."""
    base = server_url(base_url)
    return f"{PREFIX}{base}#{model}" if model else f"{PREFIX}{base}"


def parse_ref(ref: str) -> RemoteRef:
    """Split a remote entry into server and model; RemoteRefError says what the entry should look like.

    The entry is read by samantha.model_ref, which decides what every kind of chain entry is.
    """
    from samantha.model_ref import ModelRefError, parse_model_ref  # it builds on this module

    try:
        parsed = parse_model_ref(ref, apis={API})
    except ModelRefError as exc:
        raise RemoteRefError(str(exc)) from None
    if parsed.remote is None:
        raise RemoteRefError(f"{ref.strip()!r} is not a remote model: write it as {EXAMPLE}")
    return parsed.remote
