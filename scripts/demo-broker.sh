#!/usr/bin/env bash
# Start the demo's own mosquitto, closed: generated passwords (var/broker, owner-only), the
# ACL of deploy/mosquitto/acl, no anonymous client, a client id bound to its user name.
# Prints the environment the server needs (source it): CITYOPS_MQTT__USERNAME and friends.
# Usage: eval "$(scripts/demo-broker.sh [PORT])"      (stop: kill "$(cat var/broker/mosquitto.pid)")
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-${CITYOPS_MQTT__PORT:-1883}}
dir="$PWD/var/broker"
umask 077
mkdir -p "$dir"
chmod 700 "$dir"
users=(cityops-ingest cityops-simulator cityops-cap-feed cityops-device)
if [ ! -s "$dir/credentials.env" ]; then
  : >"$dir/passwd"
  : >"$dir/credentials.env"
  for user in "${users[@]}"; do
    pw=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
    mosquitto_passwd -b "$dir/passwd" "$user" "$pw"
    var=$(echo "${user#cityops-}" | tr 'a-z-' 'A-Z_')
    echo "DEMO_MQTT_PASSWORD_${var}='$pw'" >>"$dir/credentials.env"
  done
fi
chmod 600 "$dir/passwd" "$dir/credentials.env"
cp deploy/mosquitto/acl "$dir/acl"
cat >"$dir/mosquitto.conf" <<CONF
user $(id -un)
per_listener_settings false
listener $port 127.0.0.1
allow_anonymous false
password_file $dir/passwd
acl_file $dir/acl
use_username_as_clientid true
max_packet_size 331776
persistence true
persistence_location $dir/
pid_file $dir/mosquitto.pid
log_dest file $dir/mosquitto.log
max_queued_messages 0
max_inflight_messages 0
CONF
pid=$(cat "$dir/mosquitto.pid" 2>/dev/null || true)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ -s "$dir/port" ]; then
  port=$(cat "$dir/port")  # the demo's broker runs already: keep its port
  sed -i "s/^listener .*/listener $port 127.0.0.1/" "$dir/mosquitto.conf"
fi
if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    # another broker (often the machine's own open mosquitto) has the port: take the next
    # free one rather than share an open broker
    asked=$port
    for candidate in $(seq 18830 18930); do
      if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
    done
    if [ "$port" = "$asked" ]; then
      echo "port $asked is taken and no free port in 18830-18930: set CITYOPS_MQTT__PORT" >&2
      exit 1
    fi
    echo "port $asked is taken by another broker: the demo's broker listens on $port" >&2
    sed -i "s/^listener .*/listener $port 127.0.0.1/" "$dir/mosquitto.conf"
  fi
  echo "$port" >"$dir/port"
  mosquitto -d -c "$dir/mosquitto.conf"
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
fi
# shellcheck disable=SC1091
. "$dir/credentials.env"
echo "export CITYOPS_MQTT__PORT=$port"
echo "export CITYOPS_MQTT__USERNAME=cityops-ingest"
echo "export CITYOPS_MQTT_PASSWORD='$DEMO_MQTT_PASSWORD_INGEST'"
echo "export CITYOPS_MQTT__SIMULATOR_USERNAME=cityops-simulator"
echo "export CITYOPS_SIMULATOR_MQTT_PASSWORD='$DEMO_MQTT_PASSWORD_SIMULATOR'"
