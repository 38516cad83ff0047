#!/usr/bin/env bash
# Install the Debian packages CityOps needs when they are missing: python venv support,
# mosquitto (MQTT broker; ships mosquitto_passwd), chromium + chromium-driver (browser tests), CJK fonts
# (screens and PDF reports; WeasyPrint draws with Debian's Pango) and poppler-utils (tests read the PDFs).
# Usage: scripts/system-deps.sh [demo|test]
set -euo pipefail
want=(python3-venv mosquitto libpango-1.0-0 libpangoft2-1.0-0)
if [ "${1:-test}" = "test" ]; then
  want+=(chromium chromium-driver fonts-noto-cjk poppler-utils)
else
  want+=(fonts-noto-cjk)
fi
missing=()
for pkg in "${want[@]}"; do
  if [ "$pkg" = python3-venv ]; then
    python3 -c 'import venv, ensurepip' 2>/dev/null && continue
  fi
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing system packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
