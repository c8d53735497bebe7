"""The engine reaches version-specific llama-cpp-python calls only through backends/llama_compat.py.

The full check is CI's engine run on the oldest supported version (.venv-compat); this one fails in a
second, with the line to change, when a new call by a newer name slips into the worker.
"""

from __future__ import annotations

import re
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "samantha"
# Spelled differently in llama-cpp-python 0.3.2 (the oldest with Windows CPU wheels): use the adapter.
RENAMED = re.compile(r"\b(llama_model_get_vocab|llama_vocab_\w+|llama_get_memory|llama_memory_\w+|use_extra_bufts|"
                     r"llama_sampler_init_grammar)\b")


def test_the_worker_uses_the_adapter_for_calls_older_versions_spell_differently() -> None:
    found = [f"{path.relative_to(ENGINE.parent)}:{number}: {line.strip()}"
             for path in (ENGINE / "backends").glob("llama_*.py") if path.name != "llama_compat.py"
             for number, line in enumerate(path.read_text().splitlines(), 1)
             if RENAMED.search(line) and not line.lstrip().startswith("#")]
    assert found == [], "call these through LlamaCompat (samantha/backends/llama_compat.py):\n" + "\n".join(found)
