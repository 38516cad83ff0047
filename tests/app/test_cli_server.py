"""The CLI while a server holds the database: commands go over the owner-only control socket."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.control import control_socket_path
from models.store import Store
from tests.conftest import write_config

ROOT = Path(__file__).resolve().parents[2]
XIANGQIAO = ("--lon", "116.6465", "--lat", "23.6707")  # a point in 湘桥区 (445102)


def _quiet_config(folder: Path) -> str:
    """The demo copy's config without MQTT (no broker in these tests)."""
    return str(write_config(folder, demo={"history_days": 0}, ingest={"mqtt_enabled": False}))


def _cli(config: str, *args: str, stdin: str = "", env: dict | None = None, cwd: Path = ROOT):
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "--config", config, *args],
        input=stdin,
        text=True,
        capture_output=True,
        timeout=180,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


def _start(config: str, *command: str, ready: str) -> subprocess.Popen:
    """Start `cityops COMMAND` and return once its log says ``ready``."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--config", config, *command],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    assert proc.stderr is not None
    for line in proc.stderr:
        lines.append(line)
        if ready in line:
            break
    else:
        pytest.fail(f"{command} did not start:\n" + "".join(lines[-20:]))
    # keep draining its log, or the process blocks on a full pipe
    threading.Thread(target=proc.stderr.read, daemon=True).start()
    return proc


@pytest.fixture
def served(demo_copy):
    """A real `cityops serve` process over a private demo copy: (folder, config, process)."""
    folder = demo_copy()
    config = _quiet_config(folder)
    proc = _start(config, "serve", "--port", "0", ready='"listening"')
    yield folder, config, proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)


def _case_id(stdout: str) -> str:
    return stdout.split()[1]


def test_writing_commands_work_while_the_server_runs(served):
    folder, config, server = served
    rep = _cli(config, "--user", "operator", "case", "report", "--category", "0202", *XIANGQIAO)
    assert rep.returncode == 0, rep.stderr
    case_id = _case_id(rep.stdout)
    for action in ("accept", "register"):
        ok = _cli(config, "--user", "dispatcher", "case", "transition", case_id, action)
        assert ok.returncode == 0, ok.stderr
    edit = _cli(config, "--user", "admin", "category", "set", "0201", "limit_value=4")
    assert edit.returncode == 0, edit.stderr
    month = time.strftime("%Y-%m")
    ev = _cli(config, "--user", "leader", "evaluate", "--period", month)
    assert ev.returncode == 0, ev.stderr
    listed = _cli(config, "case", "list", "--stage", "registered")
    assert listed.returncode == 0 and case_id in listed.stdout
    # the server answers with the command's own exit code and message
    refused = _cli(config, "--user", "dispatcher", "case", "transition", case_id, "close")
    assert refused.returncode == 1 and "cannot close" in refused.stderr
    # relative paths are the caller's, not the server's
    csv_dir = folder / "out"
    csv_dir.mkdir()
    ev_csv = _cli(config, "evaluate", "--period", month, "--csv", "ev.csv", cwd=csv_dir)
    assert ev_csv.returncode == 0, ev_csv.stderr
    assert (csv_dir / "ev.csv").exists()
    server.send_signal(signal.SIGTERM)
    server.wait(60)
    assert not control_socket_path(folder / "cityops.duckdb").exists()  # removed on stop
    with Store(folder / "cityops.duckdb") as store:
        actors = store.query_rows(
            "SELECT actor, role, action FROM case_transitions WHERE case_id = ? ORDER BY seq",
            [case_id],
        )
        assert actors == [
            ("operator", "operator", "report"),
            ("dispatcher", "dispatcher", "accept"),
            ("dispatcher", "dispatcher", "register"),
        ]
        audited = store.query_rows(
            "SELECT actor, action FROM audit_log WHERE action LIKE 'case.%' "
            "OR action = 'category.update' ORDER BY occurred_at"
        )
        assert ("operator", "case.report") in audited
        assert ("dispatcher", "case.accept") in audited
        assert ("admin", "category.update") in audited
        assert (
            store.query_value("SELECT limit_value FROM categories WHERE category_code = '0201'")
            == 4
        )


def test_a_running_worker_takes_the_commands_too(demo_copy):
    folder = demo_copy()
    config = _quiet_config(folder)
    worker = _start(config, "worker", ready='"worker running"')
    try:
        rep = _cli(config, "--user", "operator", "case", "report", "--category", "0202", *XIANGQIAO)
        assert rep.returncode == 0, rep.stderr
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)
    with Store(folder / "cityops.duckdb") as store:
        assert (
            store.query_value(
                "SELECT reporter FROM cases WHERE case_id = ?", [_case_id(rep.stdout)]
            )
            == "operator"
        )
