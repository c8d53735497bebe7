"""What a GGUF file's name says: its quantisation, and whether it is one part of a split model.

Uploaders name quants inconsistently (`Model-Q4_K_M.gguf`, `model.q4_k_m.gguf`,
`Q4_K_M/Model-Q4_K_M-00001-of-00003.gguf`, `ggml-model-f16.gguf`); these helpers
read all of them so a listing can show "Q4_K_M" next to every file.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import quote

PUBLIC_SITE: Final = "https://huggingface.co"

# A quant token sits between separators: Q4_K_M, Q8_0, IQ2_XS, Q4_0_4_8, TQ1_0, F16, BF16, MXFP4 ...
_QUANT: Final = re.compile(
    r"(?:^|[-._/])(?:UD-)?(?P<quant>I?Q[1-8](?:_[0-9A-Z]{1,4})+|TQ[12]_0|BF16|FP?16|FP?32|MXFP4)(?=$|[-._/])",
    re.IGNORECASE,
)
_SPLIT: Final = re.compile(r"-(?P<index>\d{5})-of-(?P<count>\d{5})\.gguf$", re.IGNORECASE)


def quant_name(path: str) -> str | None:
    """The quantisation named in a file path (upper case, e.g. "Q4_K_M"), or None if it names none.

    The file name wins over folder names, and the last token wins inside a name,
    because model names themselves may contain look-alikes earlier on.
    """
    stem = re.sub(r"(?:-\d{5}-of-\d{5})?\.gguf$", "", path, flags=re.IGNORECASE)
    for part in reversed(stem.split("/")):
        found = [m.group("quant") for m in _QUANT.finditer(part)]
        if found:
            quant = found[-1].upper()
            return {"FP16": "F16", "FP32": "F32"}.get(quant, quant)
    return None


def split_part(path: str) -> tuple[int, int] | None:
    """(index, count) for `...-00002-of-00003.gguf`, 1-based; None for a single-file model."""
    match = _SPLIT.search(path)
    if match is None:
        return None
    index, count = int(match.group("index")), int(match.group("count"))
    if count < 1 or not 1 <= index <= count:
        return None
    return index, count


def split_part_path(path: str, index: int) -> str:
    """The path of part `index` of the split model that `path` belongs to."""
    match = _SPLIT.search(path)
    if match is None:
        raise ValueError(f"{path!r} is not part of a split GGUF model (no -00001-of-0000N in its name)")
    return f"{path[: match.start()]}-{index:05d}-of-{match.group('count')}.gguf"


def resolve_url(repo: str, revision: str, filename: str, base: str = PUBLIC_SITE) -> str:
    """The hub's download link for one file, in the form users paste (`.../resolve/<rev>/<file>?download=true`)."""
    return f"{base.rstrip('/')}/{repo}/resolve/{quote(revision, safe='')}/{quote(filename, safe='/')}?download=true"
