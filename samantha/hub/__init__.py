"""Models from the Hugging Face hub: paste links, list a repo's GGUF files, download with progress.

Everything here talks to the hub through `huggingface_hub` and reads HF_ENDPOINT
and HF_TOKEN when called (not when imported), so a mirror, a token set later, or
a local test server all work.
"""

import os

# huggingface_hub builds its user agent with telemetry, including a call home to
# fetch a registry of "agent harnesses". A local workbench has no use for that:
# switch it off unless the user chose otherwise. It only takes effect when this
# package is imported before huggingface_hub, which reads it at import.
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from samantha.hub.download import (
    DOWNLOAD_AREA,
    MODEL_FOR_TESTING,
    DownloadProgress,
    download_model,
)
from samantha.hub.errors import DownloadCancelled, HubError
from samantha.hub.links import (
    DEFAULT_FIRST_RUN_LINKS,
    ModelLink,
    RepoRef,
    hub_endpoint,
    parse_link,
    parse_links,
    parse_repo_link,
)
from samantha.hub.listing import RepoFile, links_text, list_repo_gguf
from samantha.hub.names import quant_name, split_part

__all__ = [
    "DEFAULT_FIRST_RUN_LINKS",
    "DOWNLOAD_AREA",
    "MODEL_FOR_TESTING",
    "DownloadCancelled",
    "DownloadProgress",
    "HubError",
    "ModelLink",
    "RepoFile",
    "RepoRef",
    "download_model",
    "hub_endpoint",
    "links_text",
    "list_repo_gguf",
    "parse_link",
    "parse_links",
    "parse_repo_link",
    "quant_name",
    "split_part",
]
