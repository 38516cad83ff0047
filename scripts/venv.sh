#!/usr/bin/env bash
# Create .venv (Python >= 3.11) and install CityOps into it, editable, with the given extras.
# Usage: scripts/venv.sh [extras]   e.g. scripts/venv.sh test
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "CityOps needs Python 3.11 or newer ($PY is $("$PY" --version 2>&1))" >&2; exit 1; }
[ -x .venv/bin/python ] || "$PY" -m venv .venv
spec="."
[ -n "${1:-}" ] && spec=".[$1]"
stamp=".venv/.installed-${1:-base}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e "$spec"
  touch "$stamp"
fi
