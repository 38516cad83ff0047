"""The case API on a real `cityops serve` (waitress): a token made by the CLI through the
server's control socket works at once, a revoked one is refused, and a body over the bound
is refused from its Content-Length."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tests.browser import served
from tests.conftest import SECRET, write_config

ROOT = Path(__file__).resolve().parents[2]


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "--config", str(config), *args],
        text=True,
        capture_output=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "CITYOPS_SECRET_KEY": SECRET},
    )


def _call(url: str, token: str | None, *, data: bytes | None = None, method: str = "GET"):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def test_a_cli_token_works_on_the_running_server_until_revoked(demo_copy):
    folder = demo_copy()
    config = write_config(folder, demo={"history_days": 0}, ingest={"mqtt_enabled": False})
    with served(folder, secret=SECRET) as url:
        made = _cli(config, "--user", "admin", "token", "create", "dispatcher", "--label", "12345")
        assert made.returncode == 0, made.stderr
        token = made.stdout.strip().splitlines()[-1]
        token_id = made.stdout.split()[1]
        status, body = _call(f"{url}/api/v1/categories", token)
        assert status == 200 and body["items"]
        status, body = _call(f"{url}/api/v1/cases", None)
        assert status == 401 and body == {"error": "authentication required"}
        big = json.dumps({"category": "0201", "lon": 116.6, "lat": 23.6, "text": "x" * 400_000})
        status, body = _call(f"{url}/api/v1/cases", token, data=big.encode(), method="POST")
        assert status == 413 and body["error"]
        refused = _cli(config, "--user", "dispatcher", "token", "list")
        assert refused.returncode == 1
        listed = _cli(config, "--user", "admin", "token", "list", "dispatcher")
        assert listed.returncode == 0 and token_id in listed.stdout and token not in listed.stdout
        gone = _cli(config, "--user", "admin", "token", "revoke", token_id)
        assert gone.returncode == 0, gone.stderr
        status, body = _call(f"{url}/api/v1/categories", token)
        assert status == 401 and body == {
            "error": "invalid or revoked token",
            "code": "unauthorized",
        }
