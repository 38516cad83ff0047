#!/usr/bin/env bash
# The demo command: install CityOps, create the demo city (first run only) and serve it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-deps.sh demo
scripts/venv.sh
exec .venv/bin/cityops demo --simulate "$@"
