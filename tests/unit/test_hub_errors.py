"""Library and OS errors become one HubError whose message says what to do."""

from __future__ import annotations

import errno

import httpx2
import pytest
from huggingface_hub.errors import OfflineModeIsEnabled
from huggingface_hub.utils import hf_raise_for_status

from samantha.hub.errors import HubError, translate

ENDPOINT = "https://huggingface.co"
URL = f"{ENDPOINT}/owner/model/resolve/main/m.gguf"


def hub_error(status: int, headers: dict[str, str] | None = None) -> Exception:
    """The exception huggingface_hub raises for a hub answer with this status and headers."""
    response = httpx2.Response(status, headers=headers or {}, request=httpx2.Request("GET", URL))
    with pytest.raises(Exception) as caught:
        hf_raise_for_status(response)
    return caught.value


def explain(error: BaseException, token_given: bool = False) -> HubError:
    return translate(
        error, repo="owner/model", filename="m.gguf", endpoint=ENDPOINT, token_given=token_given, timeout=30.0
    )


def test_revision_not_found() -> None:
    result = explain(hub_error(404, {"X-Error-Code": "RevisionNotFound"}))
    assert result.kind == "not_found" and "'main'" in result.message


def test_repo_not_found_without_token_mentions_private_and_gated() -> None:
    result = explain(hub_error(401, {"X-Error-Code": "RepoNotFound"}))
    assert result.kind == "not_found"
    assert "Check the link" in result.message and "HF_TOKEN" in result.message


def test_token_without_access_says_to_accept_terms() -> None:
    result = explain(hub_error(403, {"X-Error-Code": "GatedRepo"}), token_given=True)
    assert result.kind == "gated"
    assert "does not give access" in result.message and "accept" in result.message


def test_rejected_token() -> None:
    error = hub_error(401, {"X-Error-Message": "Invalid credentials in Authorization header"})
    result = explain(error)
    assert result.kind == "gated" and "rejected the access token" in result.message


def test_server_trouble() -> None:
    result = explain(hub_error(503))
    assert result.kind == "http" and "503" in result.message and "try again" in result.message


def test_offline_mode() -> None:
    assert "HF_HUB_OFFLINE" in explain(OfflineModeIsEnabled("offline")).message


def test_disk_full() -> None:
    result = explain(OSError(errno.ENOSPC, "No space left on device"))
    assert result.kind == "disk_full" and "Free some space" in result.message


def test_read_timeout_is_a_stall_and_connect_error_is_the_network() -> None:
    assert explain(httpx2.ReadTimeout("slow")).kind == "stalled"
    assert explain(httpx2.ConnectError("refused")).kind == "network"
    assert explain(httpx2.ConnectTimeout("no route")).kind == "network"
    broken = explain(httpx2.RemoteProtocolError("peer closed"))
    assert broken.kind == "network" and "resumes" in broken.message


def test_hub_errors_pass_through() -> None:
    original = HubError("already clear", kind="bad_link")
    assert explain(original) is original
