#!/usr/bin/env bash
# The test command: install what the tests need (system packages, venv), then run them all.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-deps.sh test
scripts/venv.sh test
# Two processes, each test file whole in one of them (module fixtures are built once); set
# CITYOPS_TEST_WORKERS=0 to run in this process only (e.g. under a debugger).
exec .venv/bin/python -m pytest -n "${CITYOPS_TEST_WORKERS:-2}" --dist loadfile "$@"
