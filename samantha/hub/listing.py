"""Listing the GGUF files of a hub repository, with sizes, quant names and ready-to-paste links.

The tree is read from the hub's `/api/models/<repo>/tree/<rev>/<folder>?recursive=true`
endpoint (the one `HfApi.list_repo_tree` calls), parsed with huggingface_hub's own
`RepoFile`. The request itself is made here with huggingface_hub's client and
error mapping rather than through `list_repo_tree`, because that method has no
timeout (a silent server hangs the UI) and retries a refused connection for about
20 seconds before saying the network is down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote

import httpx2
from huggingface_hub import get_session, hf_raise_for_status
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled
from huggingface_hub.hf_api import RepoFile as HubRepoFile
from huggingface_hub.utils import build_hf_headers

from samantha.hub.errors import HubError, human_size, translate
from samantha.hub.links import hub_endpoint, parse_repo_link
from samantha.hub.names import quant_name, resolve_url, split_part

MAX_PAGES: Final = 100  # the hub returns up to 1000 entries per page


@dataclass(frozen=True)
class RepoFile:
    """One model in a repo: a single .gguf file, or all parts of a split one (shown as its first part)."""

    repo: str
    revision: str
    path: str  # the file (or first part) inside the repo
    size: int  # bytes; for split models the sum of all parts
    quant: str | None
    link: str  # the resolve link of `path`, ready to paste into the download field
    parts: int = 1
    part_paths: tuple[str, ...] = field(default=())
    sha256: str | None = None

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def label(self) -> str:
        """A one-line description for a picker: quant, path, size and parts."""
        quant = self.quant or "?"
        parts = f", {self.parts} parts" if self.parts > 1 else ""
        return f"{quant:<8} {self.path}  ({human_size(self.size)}{parts})"


def _tree_url(endpoint: str, repo: str, revision: str, folder: str) -> str:
    encoded_folder = "/" + quote(folder, safe="") if folder else ""
    return f"{endpoint}/api/models/{repo}/tree/{quote(revision, safe='')}{encoded_folder}"


def _fetch_tree(url: str, *, token: str | None, timeout: float) -> list[dict[str, Any]]:
    """Every entry of a recursive tree listing, following the hub's Link-header pagination."""
    headers = build_hf_headers(token=token)
    session = get_session()
    entries: list[dict[str, Any]] = []
    next_url: str | None = url
    params: dict[str, str] | None = {"recursive": "true", "expand": "false"}
    for _ in range(MAX_PAGES):
        if next_url is None:
            break
        response = session.get(next_url, params=params, headers=headers, timeout=httpx2.Timeout(timeout))
        hf_raise_for_status(response)
        page = response.json()
        if not isinstance(page, list):
            raise HubError(f"The hub's file list for {url} was not a list; is HF_ENDPOINT a hub?", kind="http")
        entries.extend(entry for entry in page if isinstance(entry, dict))
        next_url = response.links.get("next", {}).get("url")
        params = None  # the next-page link already carries the query
    return entries


def _group(repo: str, revision: str, files: list[HubRepoFile]) -> list[RepoFile]:
    """One RepoFile per model: single files as they are, split parts folded into their first part."""
    singles: list[RepoFile] = []
    splits: dict[str, list[tuple[int, int, HubRepoFile]]] = {}
    for file in files:
        split = split_part(file.path)
        if split is None:
            sha = file.lfs.sha256 if file.lfs is not None else None
            link = resolve_url(repo, revision, file.path)
            singles.append(RepoFile(repo, revision, file.path, file.size, quant_name(file.path), link, sha256=sha))
            continue
        index, count = split
        stem = file.path[: -len(f"-{index:05d}-of-{count:05d}.gguf")]
        splits.setdefault(f"{stem}|{count}", []).append((index, count, file))
    for members in splits.values():
        members.sort(key=lambda member: member[0])
        first = members[0][2]
        count = members[0][1]
        singles.append(
            RepoFile(
                repo,
                revision,
                first.path,
                sum(member[2].size for member in members),
                quant_name(first.path),
                resolve_url(repo, revision, first.path),
                parts=count,
                part_paths=tuple(member[2].path for member in members),
            )
        )
    return sorted(singles, key=lambda item: item.path.lower())


def list_repo_gguf(
    repo_link: str, token: str | None = None, *, timeout: float = 30.0, endpoint: str | None = None
) -> list[RepoFile]:
    """Every .gguf model in a repo (subfolders included), sorted by path.

    `repo_link` may be `<owner>/<model>`, its hub page, its /tree/<rev>[/<folder>]
    page, or a file link (its repo is listed). Raises HubError with a message for
    the user: not found, gated or private, no network, or a silent server.
    """
    ref = parse_repo_link(repo_link, endpoint=endpoint)
    base = hub_endpoint(endpoint)
    url = _tree_url(base, ref.repo, ref.revision, ref.folder)
    try:
        entries = _fetch_tree(url, token=token or None, timeout=timeout)
    except (HfHubHTTPError, httpx2.TransportError, OfflineModeIsEnabled, ValueError) as error:
        if isinstance(error, ValueError) and not isinstance(error, HfHubHTTPError):
            raise HubError(f"{base} sent a file list that is not JSON; is HF_ENDPOINT a hub?", kind="http") from error
        raise translate(
            error,
            repo=ref.repo,
            revision=ref.revision,
            filename=ref.folder or None,
            endpoint=base,
            token_given=bool(token),
            timeout=timeout,
        ) from error
    files: list[HubRepoFile] = []
    for entry in entries:
        if entry.get("type") != "file" or not str(entry.get("path", "")).lower().endswith(".gguf"):
            continue
        try:
            files.append(HubRepoFile(**entry))
        except (KeyError, TypeError):
            continue  # an entry without path, size or oid cannot be offered for download
    return _group(ref.repo, ref.revision, files)


def links_text(files: list[RepoFile]) -> str:
    """The links of a listing, one per line: what the user pastes into the download field or saves as TXT."""
    return "".join(f"{file.link}\n" for file in files)
