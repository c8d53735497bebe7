#!/usr/bin/env bash
# Make .venv-compat: Samantha with the test extras, but llama-cpp-python at the newest version that
# has prebuilt Windows CPU wheels (docs/windows.md), so CI runs the engine tests on what Windows
# users without a compiler get. Here it is built from source once; pip's wheel cache keeps later
# runs cheap. Re-installs only when pyproject.toml or the version changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${COMPAT_VENV:-$ROOT/.venv-compat}"
PYTHON="${PYTHON:-python3}"
# Keep in step with the fallback list in scripts/choose_llama_wheel.py.
COMPAT_VERSION="${SAMANTHA_COMPAT_LLAMA:-0.3.2}"

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip wheel
fi
stamp="$VENV/.samantha-installed-compat"
want="$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)-$COMPAT_VERSION"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "== .venv-compat: Samantha with llama-cpp-python $COMPAT_VERSION (the first build takes about 10 minutes)"
  # Samantha's requirements without its llama-cpp-python pin, so the pinned version is never built here.
  mapfile -t deps < <("$VENV/bin/python" - "$ROOT/pyproject.toml" <<'PY'
import sys
try:
    import tomllib
except ImportError:  # Python 3.10
    from pip._vendor import tomli as tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
for dep in project["dependencies"] + project["optional-dependencies"]["test"]:
    if not dep.replace("_", "-").startswith("llama-cpp-python"):
        print(dep.split("#")[0].strip())
PY
)
  "$VENV/bin/python" -m pip install --quiet --prefer-binary "llama-cpp-python==$COMPAT_VERSION" "${deps[@]}"
  "$VENV/bin/python" -m pip install --quiet --no-deps -e "$ROOT"
  echo "$want" > "$stamp"
fi
