#!/usr/bin/env bash
# Install whatever is missing (Debian packages, the Python environment, the code
# runner's environment, the browser), then run the whole test suite.
# Arguments go to pytest (e.g. tests/unit -k prompts); a run without arguments also runs ruff and mypy
# and fails on their findings. A whole run (no arguments, or SAMANTHA_COMPAT=1)
# also runs the engine tests on the llama-cpp-python that Windows users without a compiler get
# (scripts/bootstrap_compat.sh); SAMANTHA_COMPAT=0 leaves that out.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$ROOT/scripts/system_packages.sh"
compat="${SAMANTHA_COMPAT:-$([ "$#" -eq 0 ] && echo 1 || echo 0)}"
if [ "$compat" = 1 ]; then
  # Built while the main environment installs and the suite runs: the first build takes ~10 minutes.
  mkdir -p "$ROOT/.test-artifacts"
  bash "$ROOT/scripts/bootstrap_compat.sh" > "$ROOT/.test-artifacts/bootstrap-compat.log" 2>&1 &
  compat_pid=$!
fi
bash "$ROOT/scripts/bootstrap.sh" test
cd "$ROOT"
set +e
lint=0
if [ "$#" -eq 0 ]; then  # a whole run also checks the code: ruff (pyproject's rules) and mypy on samantha/
  echo "== ruff"
  "$ROOT/.venv/bin/python" -m ruff check samantha tests bench scripts || lint=1
  echo "== mypy"
  "$ROOT/.venv/bin/python" -m mypy || lint=1
fi
"$ROOT/.venv/bin/python" -m pytest "$@"
status=$?
[ "$status" -eq 0 ] && [ "$lint" -ne 0 ] && status=1
if [ "$compat" = 1 ]; then
  if wait "$compat_pid"; then
    echo "== engine tests on llama-cpp-python $("$ROOT/.venv-compat/bin/python" -c 'import llama_cpp; print(llama_cpp.__version__)')"
    "$ROOT/.venv-compat/bin/python" -m pytest -p no:cacheprovider tests/integration/test_llama_compat.py \
      tests/integration/test_engine_llama.py tests/integration/test_learning_llama.py \
      tests/integration/test_tinymodel_llama.py tests/integration/test_kv_states.py tests/real/test_smollm2.py
    compat_status=$?
  else
    echo "test.sh: could not make .venv-compat; see .test-artifacts/bootstrap-compat.log" >&2
    compat_status=1
  fi
  [ "$status" -eq 0 ] && status=$compat_status
fi
set -e
if [ "$status" -eq 5 ]; then
  echo "test.sh: no tests were collected: that is a failure" >&2
  exit 1
fi
exit "$status"
