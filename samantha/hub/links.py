"""Reading what users paste: file links for downloading, repo links for listing.

Pure functions over text. They never touch the network, so the UI can check a
field as the user types and tests can cover every accepted form.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote, urlsplit

from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id

from samantha.hub.errors import HubError
from samantha.hub.names import PUBLIC_SITE, quant_name, resolve_url, split_part, split_part_path

DEFAULT_ENDPOINT: Final = PUBLIC_SITE
HUB_HOSTS: Final = frozenset({"huggingface.co", "www.huggingface.co", "hf.co"})
COMMENT_PREFIX: Final = "---"

# Offered on first run: a capable small instruct model (about 1 GB, Apache 2.0, not gated).
# Lines starting with --- are ignored, so the alternatives are there to switch on by hand.
DEFAULT_FIRST_RUN_LINKS: Final = (
    "https://huggingface.co/bartowski/Qwen2.5-1.5B-Instruct-GGUF/resolve/main/"
    "Qwen2.5-1.5B-Instruct-Q4_K_M.gguf?download=true\n"
    "--- Smaller alternatives: remove the leading --- to use one instead.\n"
    "--- https://huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF/resolve/main/"
    "Llama-3.2-1B-Instruct-Q4_K_M.gguf?download=true\n"
    "--- https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/"
    "qwen2.5-0.5b-instruct-q4_k_m.gguf?download=true\n"
)

_SHORT_FILE: Final = re.compile(r"^(?P<repo>[^\s:@/]+(?:/[^\s:@/]+)?)(?:@(?P<rev>[^\s:]+))?:(?P<file>\S+)$")
_REPO_ONLY: Final = re.compile(r"^[\w.-]+/[\w.-]+/?$")
_NON_MODEL_KINDS: Final = frozenset({"datasets", "spaces", "buckets"})


def hub_endpoint(endpoint: str | None = None) -> str:
    """The hub base URL to talk to: the argument, else HF_ENDPOINT read now (not at import), else huggingface.co."""
    chosen = endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT
    return chosen.rstrip("/")


@dataclass(frozen=True)
class ModelLink:
    """One GGUF file on the hub, as the user asked for it."""

    repo: str
    revision: str
    filename: str  # path inside the repo, may include folders
    text: str  # the line as the user typed it

    @property
    def name(self) -> str:
        """The file's own name, without folders."""
        return self.filename.rsplit("/", 1)[-1]

    @property
    def key(self) -> str:
        """A stable identity for "was this link downloaded before"."""
        return f"{self.repo}@{self.revision}:{self.filename}"

    @property
    def url(self) -> str:
        """The canonical huggingface.co download link."""
        return resolve_url(self.repo, self.revision, self.filename)

    @property
    def quant(self) -> str | None:
        return quant_name(self.filename)

    @property
    def split(self) -> tuple[int, int] | None:
        """(part, parts) when the file is one part of a split model."""
        return split_part(self.filename)

    def part(self, index: int) -> ModelLink:
        """The link to another part of the same split model."""
        return ModelLink(self.repo, self.revision, split_part_path(self.filename, index), self.text)


@dataclass(frozen=True)
class RepoRef:
    """A repository (and optionally a revision and folder) to list."""

    repo: str
    revision: str = "main"
    folder: str = ""


def _hosts(endpoint: str | None) -> frozenset[str]:
    """Hosts whose links we accept: the public hub plus the configured endpoint (a mirror, or a test server)."""
    extra = urlsplit(hub_endpoint(endpoint)).netloc.lower()
    return HUB_HOSTS | {extra} if extra else HUB_HOSTS


def _check_repo(repo: str, shown: str) -> str:
    try:
        validate_repo_id(repo)
    except HFValidationError as error:
        raise HubError(f"{shown!r} does not name a model repository ({error})", kind="bad_link") from None
    return repo


def _url_segments(text: str, endpoint: str | None) -> list[str] | None:
    """The path segments of a hub URL, or None when `text` is not a URL at all."""
    candidate = text
    if not re.match(r"^[a-z][a-z0-9+.-]*://", candidate, re.IGNORECASE):
        host = candidate.split("/", 1)[0].lower()
        if host not in _hosts(endpoint):
            return None
        candidate = "https://" + candidate
    parts = urlsplit(candidate)
    if parts.scheme.lower() not in ("http", "https"):
        raise HubError(f"{text!r} is not a web link (http or https)", kind="bad_link")
    if parts.netloc.lower() not in _hosts(endpoint):
        raise HubError(
            f"{text!r} is not a Hugging Face link: it points to {parts.netloc}, "
            "expected https://huggingface.co/<owner>/<model>/...",
            kind="bad_link",
        )
    segments = [segment for segment in parts.path.split("/") if segment]
    if segments and segments[0] in _NON_MODEL_KINDS:
        raise HubError(f"{text!r} points into the hub's {segments[0]}, not to a model repository", kind="bad_link")
    return segments


def _find_marker(segments: list[str], markers: tuple[str, ...]) -> int | None:
    """Index of `resolve`/`blob`/`tree` right after a one- or two-part repo id."""
    for index in (2, 1):
        if len(segments) > index and segments[index] in markers:
            return index
    return None


def looks_like_hub_file(text: str, *, endpoint: str | None = None) -> bool:
    """Whether text without a scheme is written as a hub file: `hf.co/...`, `huggingface.co/...` or `<repo>:<file>`.

    Only the form is checked (parse_link says what is wrong with the rest), so a chain entry is called a
    hub link or a path by how it is written, not by what exists on this disk.
    """
    cleaned = text.strip()
    return cleaned.split("/", 1)[0].lower() in _hosts(endpoint) or _SHORT_FILE.match(cleaned) is not None


def parse_link(line: str, *, endpoint: str | None = None) -> ModelLink:
    """Read one download link: the /resolve/ or /blob/ URL, or `<owner>/<model>[@rev]:<file>.gguf`."""
    text = line.strip()
    segments = _url_segments(text, endpoint)
    if segments is None:
        match = _SHORT_FILE.match(text)
        if match is None and _REPO_ONLY.match(text):
            raise HubError(
                f"{text!r} names a repository, not a file. List the repo's GGUF files and paste the link of one, "
                "or write <owner>/<model>:<file>.gguf",
                kind="bad_link",
            )
        if match is None:
            raise HubError(
                f"{text!r} is not a Hugging Face link. Paste a file link like "
                "https://huggingface.co/<owner>/<model>/resolve/main/<file>.gguf, or write <owner>/<model>:<file>.gguf",
                kind="bad_link",
            )
        repo, revision, filename = match.group("repo"), unquote(match.group("rev") or "main"), match.group("file")
    else:
        marker = _find_marker(segments, ("resolve", "blob"))
        if marker is None:
            raise HubError(
                f"{text!r} is a repository page, not a file. List the repo's GGUF files and paste the link of one.",
                kind="bad_link",
            )
        if len(segments) < marker + 3:
            raise HubError(f"{text!r} names no file after the revision", kind="bad_link")
        repo = "/".join(segments[:marker])
        revision = unquote(segments[marker + 1])
        filename = "/".join(unquote(segment) for segment in segments[marker + 2 :])
    _check_repo(repo, text)
    if not filename.lower().endswith(".gguf"):
        raise HubError(
            f"{text!r} is not a GGUF file ({filename.rsplit('/', 1)[-1]}). Samantha runs .gguf models only: "
            "list the repo's GGUF files and pick one.",
            kind="bad_link",
        )
    if ".." in filename.split("/"):
        raise HubError(f"{text!r} has '..' in its file path", kind="bad_link")
    return ModelLink(repo=repo, revision=revision, filename=filename, text=text)


def parse_links(text: str, *, endpoint: str | None = None) -> list[ModelLink]:
    """Every link in a multi-line field, in order and without repeats.

    Blank lines and lines starting with `---` are skipped. All bad lines are
    reported together, each with its line number, so the user fixes them in one go.
    """
    links: list[ModelLink] = []
    seen: set[str] = set()
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(COMMENT_PREFIX):
            continue
        try:
            link = parse_link(line, endpoint=endpoint)
        except HubError as error:
            problems.append(f"Line {number}: {error.message}")
            continue
        if link.key not in seen:
            seen.add(link.key)
            links.append(link)
    if problems:
        raise HubError("\n".join(problems), kind="bad_link")
    return links


def parse_repo_link(text: str, *, endpoint: str | None = None) -> RepoRef:
    """Read a repo to list: `<owner>/<model>`, its hub page, its /tree/<rev>[/<folder>] page, or a file link."""
    cleaned = text.strip()
    if not cleaned:
        raise HubError("No repository given. Paste a link like https://huggingface.co/<owner>/<model>", kind="bad_link")
    segments = _url_segments(cleaned, endpoint)
    if segments is None:
        short = _SHORT_FILE.match(cleaned)
        repo = short.group("repo") if short else cleaned.strip("/")
        revision = (short.group("rev") if short else None) or "main"
        return RepoRef(_check_repo(repo, cleaned), revision)
    marker = _find_marker(segments, ("tree", "resolve", "blob"))
    if marker is None:
        if not 1 <= len(segments) <= 2:
            raise HubError(f"{cleaned!r} is not a model repository page", kind="bad_link")
        return RepoRef(_check_repo("/".join(segments), cleaned))
    repo = _check_repo("/".join(segments[:marker]), cleaned)
    revision = unquote(segments[marker + 1]) if len(segments) > marker + 1 else "main"
    folder = ""
    if segments[marker] == "tree":
        folder = "/".join(unquote(segment) for segment in segments[marker + 2 :])
    return RepoRef(repo, revision, folder)
