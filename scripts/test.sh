#!/usr/bin/env bash
# The test command: install what the tests need (system packages, venv), then run them all.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-deps.sh test
scripts/venv.sh test
exec .venv/bin/python -m pytest "$@"
