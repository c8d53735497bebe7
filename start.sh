#!/usr/bin/env bash
# Install whatever is missing, then start Samantha on http://127.0.0.1:7860.
# Arguments go to `samantha` (e.g. --no-browser, --port 7861, --models-dir DIR).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$ROOT/scripts/bootstrap.sh"
exec "$ROOT/.venv/bin/samantha" "$@"
