#!/usr/bin/env bash
# The demo command: install CityOps, start its closed mosquitto (scripts/demo-broker.sh),
# create the demo city (first run only) and serve it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-deps.sh demo
scripts/venv.sh
if [ -z "${CITYOPS_MQTT_PASSWORD:-}" ] && command -v mosquitto >/dev/null; then
  broker_env=$(scripts/demo-broker.sh)  # fails the demo if the broker cannot start
  eval "$broker_env"
fi
# make demo SCENARIO=typhoon (or chemical_leak, forest_fire): the demo runs that drill
exec .venv/bin/cityops demo --simulate ${DEMO_SCENARIO:+--scenario "$DEMO_SCENARIO"} "$@"
