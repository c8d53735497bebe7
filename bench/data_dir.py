"""Benchmarks run with a data folder of their own, so what a user's folder holds cannot tilt a figure.

The data folder remembers files that once crashed llama.cpp with weight repacking on
(`repack-off.json`) and loads them without it from then on; a benchmark model in that list
would be measured with repacking off against raw llama-cpp-python with it on. The folder also
keeps the history, which benchmark runs have no place in.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

from samantha.history.db import DATA_DIR_ENV


@contextlib.contextmanager
def private_data_dir() -> Iterator[str]:
    """An empty data folder for this process and the ones it starts (the CLI, the workers), removed afterwards."""
    saved = os.environ.get(DATA_DIR_ENV)
    with tempfile.TemporaryDirectory(prefix="samantha-bench-") as folder:
        os.environ[DATA_DIR_ENV] = folder
        try:
            yield folder
        finally:
            if saved is None:
                os.environ.pop(DATA_DIR_ENV, None)
            else:
                os.environ[DATA_DIR_ENV] = saved
