"""Medians and spreads of paired measurements, so one noisy repeat cannot decide a verdict.

Each repeat measures Samantha and raw llama-cpp-python back to back (interleaved), and the
ratio of that pair is one sample: machine noise that lasts longer than a pair hits both sides.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def spread(values: Sequence[float]) -> str:
    """'median (min-max, n=N)' of the values."""
    ordered = sorted(values)
    return f"{statistics.median(ordered):.3f} ({ordered[0]:.3f}-{ordered[-1]:.3f}, n={len(ordered)})"


def ratio_line(label: str, ours: Sequence[float], theirs: Sequence[float], target: str = "",
               names: tuple[str, str] = ("samantha", "raw")) -> str:
    """One printed line: both sides' medians and the median ratio of the pairs with its spread."""
    ratios = [a / b for a, b in zip(ours, theirs) if b]
    return (f"{label:44s} {names[0]} {statistics.median(ours):9.3f}  {names[1]} {statistics.median(theirs):9.3f}  "
            f"ratio {spread(ratios)}" + (f"  target {target}" if target else ""))
