#!/usr/bin/env bash
# The demo command: install CityOps, start its closed mosquitto (scripts/demo-broker.sh),
# create the demo city (first run only) and serve it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-deps.sh demo
scripts/venv.sh
if [ -z "${CITYOPS_MQTT_PASSWORD:-}" ] && command -v mosquitto >/dev/null; then
  eval "$(scripts/demo-broker.sh)"
fi
exec .venv/bin/cityops demo --simulate "$@"
