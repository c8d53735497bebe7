"""What a chain entry names: a model file on disk, a GGUF file on the Hugging Face hub, or a model on a server.

Every part that must tell these apart (the model list, the link field, the command line, the router,
the downloader, history) asks `parse_model_ref` instead of testing the string itself: the old tests
disagreed (`"://" in ref` called `ftp://x` a remote model, the router called it a local file), and a
Windows path such as `C:\\models\\a.gguf` looked like the hub's short form `<repo>:<file>`. Parsing is
pure text work: it never looks at the disk or the network, so the same entry is the same kind everywhere
(a local file named like `<repo>:<file>` is written `./<repo>:<file>`).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum
from pathlib import PurePath, PureWindowsPath
from typing import Final

from samantha.backends.openai_refs import EXAMPLE as REMOTE_EXAMPLE
from samantha.backends.openai_refs import RemoteRef, RemoteRefError, server_url
from samantha.backends.routes import FILE_ROUTE, ROUTES, remote_apis
from samantha.errors import SamanthaError
from samantha.hub.errors import HubError
from samantha.hub.links import ModelLink, looks_like_hub_file, parse_link

# API styles of remote entries (`<api>+http://...`) that this app has a backend for.
REMOTE_APIS: Final = remote_apis(ROUTES)

FORMS: Final = (
    "A model entry is a model file (a.gguf, models/a.gguf, /models/a.gguf, C:\\models\\a.gguf, "
    "./name:with-colon.gguf), "
    "a Hugging Face link (https://huggingface.co/<owner>/<model>/resolve/main/<file>.gguf, "
    "or <owner>/<model>:<file>.gguf), or a model on a server (" + REMOTE_EXAMPLE + ")"
)

_SCHEME: Final = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*)://", re.IGNORECASE)
# `C:\...`, `C:/...`, `C:name` and `\\server\share\...`: Windows paths, never hub links or URLs.
_WINDOWS_PATH: Final = re.compile(r"^(?:[a-z]:|\\\\)", re.IGNORECASE)
# `./a:b.gguf`, `../a.gguf`, `~/a.gguf`, `/a.gguf`: written as paths (no hub repo starts so), whatever follows.
_PATH_START: Final = re.compile(r"^(?:\.{1,2}[\\/]|~|/)")


class RefKind(str, Enum):
    FILE = FILE_ROUTE
    HUB = "hub"
    REMOTE = "remote"


class ModelRefError(SamanthaError, ValueError):
    """A chain entry that names no model Samantha can run; the message says what is wrong and shows a good one.

    `kind` is what the entry is written as (a `x+http://` entry is meant as a remote model), None when unclear.
    """

    def __init__(self, message: str, kind: RefKind | None = None) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class ModelRef:
    """One parsed chain entry. Only the parts of its kind are set; `text` is the entry as written (stripped)."""

    text: str
    kind: RefKind
    path: str = ""  # FILE: as written, absolute or relative to the model folder
    link: ModelLink | None = None  # HUB: repo, revision and file
    remote: RemoteRef | None = None  # REMOTE: server URL and model name
    api: str = ""  # REMOTE: the API the server speaks ("openai")

    @property
    def route(self) -> str:
        """The key a router looks backends up by: "file", "hub", or the remote API style."""
        return self.api if self.kind is RefKind.REMOTE else self.kind.value

    @property
    def is_file(self) -> bool:
        return self.kind is RefKind.FILE

    @property
    def name(self) -> str:
        """What to call the entry on screen: the file's name, or the remote model's name."""
        if self.link is not None:
            return self.link.name
        if self.remote is not None and self.remote.model:
            return self.remote.model
        if self.kind is RefKind.FILE and _WINDOWS_PATH.match(self.text):
            return PureWindowsPath(self.text).name
        return PurePath(self.text).name


def parse_model_ref(text: str, *, endpoint: str | None = None,
                    apis: Collection[str] | None = REMOTE_APIS) -> ModelRef:
    """Decide what `text` names; ModelRefError says what is wrong with a malformed entry.

    `endpoint` is the hub to accept links of (default: HF_ENDPOINT, else huggingface.co); `apis` the
    remote API styles that have a backend (None: any, for display).
    """
    entry = text.strip()
    if not entry:
        raise ModelRefError(f"empty model entry. {FORMS}")
    if _WINDOWS_PATH.match(entry) or _PATH_START.match(entry):
        return ModelRef(entry, RefKind.FILE, path=entry)
    scheme_match = _SCHEME.match(entry)
    if scheme_match is not None:
        scheme = scheme_match.group("scheme").lower()
        if "+" in scheme:
            return _remote(entry, scheme, apis)
        if scheme not in ("http", "https"):
            raise ModelRefError(f"{entry!r}: Samantha does not read {scheme}:// entries. {FORMS}")
        return _hub(entry, endpoint, remote_hint=True)
    if looks_like_hub_file(entry, endpoint=endpoint):
        return _hub(entry, endpoint, remote_hint=False)
    return ModelRef(entry, RefKind.FILE, path=entry)


def kind_of(text: str, *, endpoint: str | None = None) -> RefKind | None:
    """The kind of a chain entry, or None when it is malformed (for filters that report errors elsewhere)."""
    try:
        return parse_model_ref(text, endpoint=endpoint).kind
    except ModelRefError:
        return None


def display_name(text: str) -> str:
    """The on-screen name of any entry, malformed ones included (they are named in their error messages)."""
    try:
        return parse_model_ref(text, apis=None).name
    except ModelRefError:
        return PurePath(text.strip().split("?", 1)[0]).name


def _remote(entry: str, scheme: str, apis: Collection[str] | None) -> ModelRef:
    api, _, transport = scheme.partition("+")
    if transport not in ("http", "https"):
        raise ModelRefError(f"{entry}: a remote model is {api}+http://HOST:PORT/v1#MODEL (or {api}+https://…); "
                            f"other protocols are not supported, e.g. {REMOTE_EXAMPLE}", RefKind.REMOTE)
    if apis is not None and api not in apis:
        raise ModelRefError(f"{entry}: no backend speaks {api!r} (known: {', '.join(sorted(apis))}); "
                            f"a remote model is written like {REMOTE_EXAMPLE}", RefKind.REMOTE)
    address, _, model = entry[len(api) + 1:].partition("#")
    try:
        base = server_url(address)
    except RemoteRefError as exc:  # its message never repeats a key written into the address
        raise ModelRefError(str(exc), RefKind.REMOTE) from None
    return ModelRef(entry, RefKind.REMOTE, remote=RemoteRef(base, model.strip()), api=api)


def _hub(entry: str, endpoint: str | None, *, remote_hint: bool) -> ModelRef:
    try:
        link = parse_link(entry, endpoint=endpoint)
    except HubError as exc:
        hint = f" (a model on a server is written {REMOTE_EXAMPLE})" if remote_hint else ""
        raise ModelRefError(f"{exc.message}{hint}", RefKind.HUB) from None
    return ModelRef(entry, RefKind.HUB, link=link)
