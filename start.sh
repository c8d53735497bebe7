#!/usr/bin/env bash
# Install whatever is missing, then start Samantha on http://127.0.0.1:7860.
# Arguments go to `samantha` (e.g. --no-browser, --port 7861, --models-dir DIR).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$ROOT/scripts/bootstrap.sh"
# The separate environment that runs the Python models write (SAMANTHA_SKIP_RUNNER=1 skips it).
if [ -z "${SAMANTHA_SKIP_RUNNER:-}" ] && [ ! -e "$ROOT/.runner-venv/.samantha-runner-ready" ]; then
  echo "== creating the code runner environment (data-analysis stack; a few minutes the first time)"
  if "$ROOT/.venv/bin/samantha" runner setup; then
    touch "$ROOT/.runner-venv/.samantha-runner-ready"
  else
    echo "The code runner environment is not complete; Samantha starts anyway (run code will say what is missing)." >&2
  fi
fi
exec "$ROOT/.venv/bin/samantha" "$@"
