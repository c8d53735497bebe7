#!/usr/bin/env bash
# Install whatever is missing (Debian packages, the Python environment, the code
# runner's environment, the browser), then run the whole test suite.
# Arguments go to pytest (e.g. tests/unit -k prompts).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$ROOT/scripts/system_packages.sh"
bash "$ROOT/scripts/bootstrap.sh" test
cd "$ROOT"
set +e
"$ROOT/.venv/bin/python" -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "test.sh: no tests were collected: that is a failure" >&2
  exit 1
fi
exit "$status"
