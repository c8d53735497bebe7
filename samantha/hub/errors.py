"""The one error type the hub module raises, and the translation of library errors into it.

huggingface_hub and httpx2 raise many exception types whose messages talk about
`repo_type`, request ids and curl commands. The UI needs one type with a
sentence a user can act on, plus a `kind` it can branch on.
"""

from __future__ import annotations

import errno
from typing import Final

import httpx2
from huggingface_hub.errors import (
    FileMetadataError,
    GatedRepoError,
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from samantha.errors import SamanthaError
from samantha.hub.names import PUBLIC_SITE

TOKEN_HINT: Final = (
    "give Samantha a Hugging Face access token (the HF_TOKEN environment variable, or the token setting)"
)


class HubError(SamanthaError):
    """Something went wrong talking to the hub or saving a model; `str(error)` is meant for the user.

    `kind` is one of: "bad_link", "not_found", "gated", "network", "stalled",
    "disk_space", "disk_full", "not_gguf", "checksum", "in_use", "folder", "http", "name_taken".
    """

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


class DownloadCancelled(SamanthaError):
    """The caller set the cancel event; the partial download stays on disk so a retry resumes it."""


def human_size(n_bytes: float) -> str:
    """Sizes the way people read them on the hub's pages (decimal units)."""
    size = float(n_bytes)
    for unit in ("B", "kB", "MB", "GB"):
        if abs(size) < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"  # unreachable, keeps type checkers calm


def _status(error: HfHubHTTPError) -> int | None:
    response = getattr(error, "response", None)
    return getattr(response, "status_code", None)


def _access_message(repo: str, status: int | None, token_given: bool) -> str:
    page = f"{PUBLIC_SITE}/{repo}"
    if token_given and status == 403:
        return (
            f"Your token does not give access to {repo} (the hub answered 403). Open {page} while logged in, "
            "accept the model's terms (or wait until its authors approve your request), then try again."
        )
    return (
        f"{repo} is gated or private (the hub answered {status or 'with an access error'}). Open {page} while "
        f"logged in, accept the model's terms, then {TOKEN_HINT}, and try again."
    )


def translate(
    error: BaseException,
    *,
    repo: str,
    revision: str = "main",
    filename: str | None = None,
    endpoint: str,
    token_given: bool = False,
    timeout: float | None = None,
) -> HubError:
    """Turn an exception from huggingface_hub, httpx2 or the OS into a HubError that says what to do."""
    if isinstance(error, HubError):
        return error
    what = filename or repo
    if isinstance(error, GatedRepoError):
        return HubError(_access_message(repo, _status(error), token_given), kind="gated")
    if isinstance(error, RepositoryNotFoundError):
        status = _status(error)
        if status in (401, 403):
            return HubError(
                f"{repo} was not found, or it is private or gated (the hub answered {status}). Check the link; "
                f"if the model is gated, open {PUBLIC_SITE}/{repo}, accept its terms and {TOKEN_HINT}.",
                kind="not_found" if status == 401 and not token_given else "gated",
            )
        return HubError(
            f"The model repository {repo} was not found on the hub (404). Check the link: "
            "it must name an existing owner/model.",
            kind="not_found",
        )
    if isinstance(error, RevisionNotFoundError):
        return HubError(
            f"{repo} has no branch, tag or commit named {revision!r}. Check the link (most links use 'main').",
            kind="not_found",
        )
    if isinstance(error, RemoteEntryNotFoundError):
        return HubError(
            f"{what} is not in {repo} (revision {revision}). Check the link, or list the repo's GGUF files "
            "and pick one from there.",
            kind="not_found",
        )
    if isinstance(error, HfHubHTTPError):
        status = _status(error)
        if status == 401:
            return HubError(
                f"The hub rejected the access token (401) for {repo}. Check the token in HF_TOKEN or the token "
                "setting, or remove it to download public models.",
                kind="gated",
            )
        if status == 403:
            return HubError(_access_message(repo, status, token_given), kind="gated")
        if status == 404:
            return HubError(f"{what} was not found on the hub (404). Check the link.", kind="not_found")
        return HubError(
            f"The hub answered {status} while fetching {what}. It may be busy: try again in a few minutes.",
            kind="http",
        )
    if isinstance(error, OfflineModeIsEnabled):
        return HubError(
            "Downloads are switched off because HF_HUB_OFFLINE is set. Unset it to download models.",
            kind="network",
        )
    if isinstance(error, FileMetadataError):
        return HubError(
            f"{endpoint} did not answer like a Hugging Face hub for {what}. Check HF_ENDPOINT and any proxy "
            "between this computer and the hub.",
            kind="network",
        )
    if isinstance(error, httpx2.TimeoutException) and not isinstance(error, httpx2.ConnectTimeout):
        seconds = f" for {timeout:g} seconds" if timeout is not None else ""
        return HubError(
            f"The transfer of {what} stalled: no data arrived{seconds}. Check the connection and try again; "
            "the download resumes where it stopped.",
            kind="stalled",
        )
    if isinstance(error, (httpx2.ReadError, httpx2.WriteError, httpx2.RemoteProtocolError)):
        return HubError(
            f"The connection to {endpoint} broke while fetching {what} ({error}). Try again; the download "
            "resumes where it stopped.",
            kind="network",
        )
    if isinstance(error, (httpx2.TransportError, ConnectionError)):
        return HubError(
            f"Cannot reach {endpoint} ({error.__class__.__name__}: {error}). Check the network connection "
            "or proxy settings. Models already on disk keep working offline.",
            kind="network",
        )
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return HubError(
            f"The disk filled up while saving {what}. Free some space (or pick a model folder on another "
            "disk) and try again; the download resumes where it stopped.",
            kind="disk_full",
        )
    return HubError(f"Could not fetch {what} from {repo}: {error}", kind="http")
