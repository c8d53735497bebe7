#!/usr/bin/env bash
# Make .venv-compat: Samantha with the test extras, but llama-cpp-python at the newest version that
# has prebuilt Windows CPU wheels (docs/windows.md), so CI runs the engine tests on what Windows
# users without a compiler get. Here it is built from source once; pip's wheel cache keeps later
# runs cheap. Re-installs only when pyproject.toml or the version changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-compat"
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
  "$VENV/bin/python" -m pip install --quiet --prefer-binary -e "$ROOT[test]"
  "$VENV/bin/python" -m pip install --quiet --no-deps --force-reinstall "llama-cpp-python==$COMPAT_VERSION"
  echo "$want" > "$stamp"
fi
