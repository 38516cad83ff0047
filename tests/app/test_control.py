"""The control socket with a real listener: who may act, when the CLI opens the file itself,
which sockets it does not trust, and requests that must not end the listener."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.commands import start_control
from app.control import EXIT_CONTROL, ControlServer, control_socket_path, send_request
from models.config import load_config
from models.store import Store
from tests.conftest import write_config

ROOT = Path(__file__).resolve().parents[2]
XIANGQIAO = ("--lon", "116.6465", "--lat", "23.6707")  # a point in 湘桥区 (445102)
PASSWORD = "Chaozhou-2026-ops\n"


def _cli(config: Path, *args: str, stdin: str = "", env: dict | None = None, cwd: Path = ROOT):
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "--config", str(config), *args],
        input=stdin,
        text=True,
        capture_output=True,
        timeout=180,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def held(demo_copy):
    """A demo copy whose database this test process holds, with the control socket up:
    a CLI process can only reach the data through the socket (config, store, path)."""
    folder = demo_copy()
    config_path = write_config(folder, demo={"history_days": 0}, ingest={"mqtt_enabled": False})
    config = load_config(config_path)
    store = Store(config.database_path)
    control = start_control(config, store)
    assert control is not None
    yield config_path, store, control.path
    control.stop()
    store.close()


def test_only_a_known_enabled_user_with_the_role_and_scope_acts(held):
    config, store, _ = held
    rep = _cli(config, "--user", "operator", "case", "report", "--category", "0202", *XIANGQIAO)
    assert rep.returncode == 0, rep.stderr
    case_id = rep.stdout.split()[1]

    not_admin = _cli(config, "--user", "operator", "category", "set", "0201", "limit_value=4")
    assert not_admin.returncode == 1 and "needs the role admin" in not_admin.stderr
    not_dispatcher = _cli(config, "--user", "operator", "case", "transition", case_id, "accept")
    assert not_dispatcher.returncode == 1 and "role 'operator' may not accept" in (
        not_dispatcher.stderr
    )
    unknown = _cli(config, "--user", "mallory", "case", "transition", case_id, "accept")
    assert unknown.returncode == 1 and "unknown user 'mallory'" in unknown.stderr
    nobody = _cli(config, "case", "transition", case_id, "accept", env={"CITYOPS_USER": ""})
    assert nobody.returncode == 1 and "needs a user" in nobody.stderr
    # --role and --scope can no longer be declared on the command line
    old = _cli(config, "case", "transition", case_id, "accept", "--actor", "x", "--role", "admin")
    assert old.returncode == 2
    no_ingest = _cli(config, "--user", "dispatcher", "ingest", str(config))
    assert no_ingest.returncode == 1 and "needs the role admin" in no_ingest.stderr
    reports = config.parent / "reports"
    loaded = _cli(  # relative paths are the caller's: run from the folder of the file
        config,
        "--user",
        "admin",
        "ingest",
        "cap_typhoon_circle.xml",
        "--report-dir",
        str(reports),
        cwd=ROOT / "tests" / "ingest" / "data",
    )
    assert loaded.returncode in (0, 1), loaded.stderr
    assert "cap_typhoon_circle" in loaded.stdout and list(reports.iterdir())
    no_user_admin = _cli(config, "--user", "leader", "user", "list")
    assert no_user_admin.returncode == 1 and "needs the role admin" in no_user_admin.stderr

    added = _cli(
        config,
        "--user",
        "admin",
        "user",
        "add",
        "raoping_dispatcher",
        "--role",
        "dispatcher",
        "--scope",
        "district:445122",
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert added.returncode == 0, added.stderr
    outside = _cli(
        config, "case", "transition", case_id, "accept", env={"CITYOPS_USER": "raoping_dispatcher"}
    )
    assert outside.returncode == 1 and "outside the scope" in outside.stderr
    far = _cli(
        config,
        "--user",
        "street_operator",
        "case",
        "report",
        "--category",
        "0202",
        "--lon",
        "117.0068",  # 饶平县, far from the street of street_operator
        "--lat",
        "23.6636",
    )
    assert far.returncode == 1 and "outside the scope of street_operator" in far.stderr

    off = _cli(config, "--user", "admin", "user", "disable", "dispatcher")
    assert off.returncode == 0, off.stderr
    disabled = _cli(config, "--user", "dispatcher", "case", "transition", case_id, "accept")
    assert disabled.returncode == 1 and "user dispatcher is disabled" in disabled.stderr

    store.flush()
    assert (
        store.query_value("SELECT count(*) FROM case_transitions WHERE case_id = ?", [case_id]) == 1
    )  # nothing but the report
    denied = store.query_rows(
        "SELECT actor, target FROM audit_log WHERE action = 'cli.denied' ORDER BY occurred_at"
    )
    assert ("operator", "category set") in denied
    assert ("mallory", "case transition") in denied
    assert ("dispatcher", "case transition") in denied
    assert store.query_rows(
        "SELECT actor, target FROM audit_log WHERE action = 'user.disable'"
    ) == [("admin", "dispatcher")]
    ingested = store.query_rows("SELECT actor, target FROM audit_log WHERE action = 'ingest'")
    assert ingested == [("admin", str(ROOT / "tests/ingest/data/cap_typhoon_circle.xml"))]


def test_without_a_server_the_cli_opens_the_file_also_past_a_stale_socket(demo_copy):
    folder = demo_copy()
    config = write_config(folder, demo={"history_days": 0}, ingest={"mqtt_enabled": False})
    plain = _cli(config, "--user", "operator", "case", "report", "--category", "0202", *XIANGQIAO)
    assert plain.returncode == 0, plain.stderr
    # a server killed without cleaning up leaves its socket file; nobody listens on it
    path = control_socket_path(folder / "cityops.duckdb")
    path.parent.mkdir(mode=0o700)
    left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    left.bind(str(path))
    os.chmod(path, 0o600)
    left.close()
    assert path.exists()
    assert send_request(path, {"argv": []}) is None
    again = _cli(config, "--user", "operator", "case", "report", "--category", "0202", *XIANGQIAO)
    assert again.returncode == 0, again.stderr
    with Store(folder / "cityops.duckdb") as store:
        ids = {plain.stdout.split()[1], again.stdout.split()[1]}
        found = store.query_rows("SELECT case_id FROM cases WHERE case_id IN (?, ?)", sorted(ids))
        assert len(found) == 2


def test_a_socket_with_loose_modes_or_another_owner_is_not_used(held):
    config, store, path = held
    report = ("--user", "operator", "case", "report", "--category", "0202", *XIANGQIAO)
    for item, mode, expected in (
        (path, 0o666, "has mode 0666, not 0600"),
        (path.parent, 0o755, "has mode 0755, not 0700"),
    ):
        os.chmod(item, mode)
        run = _cli(config, *report)
        os.chmod(item, 0o600 if item == path else 0o700)
        # not handed to the socket; opening the file itself fails, the server holds it
        assert run.returncode == 3, run.stderr
        assert expected in run.stderr and "not using the control socket" in run.stderr
    if os.getuid() == 0:  # only root can give the socket away to test ownership
        os.chown(path, 12345, -1)
        run = _cli(config, *report)
        os.chown(path, 0, -1)
        assert run.returncode == 3 and "belongs to uid 12345, not 0" in run.stderr
    store.flush()
    assert store.query_value("SELECT count(*) FROM audit_log WHERE action = 'case.report'") == 0
    ok = _cli(config, *report)  # modes restored: trusted again
    assert ok.returncode == 0, ok.stderr


_RAW_CLIENT = """
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
data = json.dumps({"argv": ["user", "list"], "cwd": "/"}).encode()
try:
    s.sendall(struct.pack(">I", len(data)) + data)
except BrokenPipeError:  # refused before reading: the answer is waiting all the same
    pass
size = struct.unpack(">I", s.recv(4))[0]
print(s.recv(size).decode())
"""


@pytest.mark.skipif(
    os.getuid() != 0 or not Path("/usr/bin/python3").exists(),
    reason="needs root to run a client as another uid (and a python it may run)",
)
def test_the_server_refuses_a_peer_of_another_uid():
    import shutil
    import tempfile

    ran = []
    # pytest's tmp_path sits in a 0700 folder uid 65534 cannot cross: a folder of our own
    folder = Path(tempfile.mkdtemp(prefix="cityops-peer-"))
    os.chmod(folder, 0o711)
    path = folder / ".db.control" / "socket"
    server = ControlServer(path, lambda request: ran.append(request) or 0).start()
    try:
        os.chmod(path.parent, 0o755)  # let uid 65534 reach the socket, to see SO_PEERCRED refuse
        os.chmod(path, 0o666)
        run = subprocess.run(
            ["/usr/bin/python3", "-c", _RAW_CLIENT, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd="/",
            user=65534,
        )
    finally:
        server.stop()
        shutil.rmtree(folder)
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["code"] == EXIT_CONTROL and "uid 65534 may not use" in answer["stderr"]
    assert answer["stdout"] == "" and ran == []


def _raw(path: Path, payload: bytes, *, header: bytes | None = None) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(str(path))
        s.sendall((struct.pack(">I", len(payload)) if header is None else header) + payload)
        size = struct.unpack(">I", s.recv(4))[0]
        data = b""
        while len(data) < size:
            data += s.recv(size - len(data))
    return json.loads(data)


def test_bad_requests_get_an_answer_and_the_listener_goes_on(tmp_path):
    def handler(request: dict) -> int:
        kind = request.get("do")
        if kind == "boom":
            raise RuntimeError("boom")
        if kind == "exit":
            raise SystemExit(2)
        if kind == "slow":
            time.sleep(3)
        print("hello", request.get("who"))
        print("to stderr", file=sys.stderr)
        return 7

    path = tmp_path / ".db.control" / "socket"
    server = ControlServer(
        path, handler, max_request_bytes=1000, read_timeout_s=0.5, run_timeout_s=1.0
    ).start()
    try:
        assert (path.parent.stat().st_mode & 0o777, path.stat().st_mode & 0o777) == (0o700, 0o600)
        ok = send_request(path, {"who": "me"})
        assert ok == {"code": 7, "stdout": "hello me\n", "stderr": "to stderr\n"}
        too_big = _raw(path, b"x", header=struct.pack(">I", 10_000))
        assert too_big["code"] == EXIT_CONTROL and "over the limit" in too_big["stderr"]
        assert "not a JSON" in _raw(path, b"{nope")["stderr"]
        assert "JSON object" in _raw(path, b"[1, 2]")["stderr"]
        assert "not a JSON" in _raw(path, b"\xff\xfe")["stderr"]
        silent = _raw(path, b"", header=b"\x00\x00")  # half a header, then nothing
        assert silent["code"] == EXIT_CONTROL and "bad request" in silent["stderr"]
        boom = send_request(path, {"do": "boom"})
        assert boom is not None and boom["code"] == EXIT_CONTROL
        assert "internal error" in boom["stderr"]
        assert send_request(path, {"do": "exit"})["code"] == 2  # type: ignore[index]
        slow = send_request(path, {"do": "slow"})
        assert slow is not None and slow["code"] == EXIT_CONTROL and "no answer" in slow["stderr"]
        assert server.alive
        assert send_request(path, {"who": "again"})["stdout"] == "hello again\n"  # type: ignore[index]
    finally:
        server.stop()
    assert not path.exists()
    assert send_request(path, {"who": "me"}) is None  # no server: the caller opens the file


def test_clients_beyond_the_limit_are_told_the_server_is_busy(tmp_path):
    import threading

    entered, release = threading.Event(), threading.Event()

    def handler(request: dict) -> int:
        entered.set()
        release.wait(30)
        return 0

    path = tmp_path / ".db.control" / "socket"
    server = ControlServer(path, handler, max_clients=1).start()
    try:
        first: list = []
        waiting = threading.Thread(target=lambda: first.append(send_request(path, {})))
        waiting.start()
        assert entered.wait(30)
        busy = send_request(path, {})
        assert busy is not None and busy["code"] == EXIT_CONTROL and "busy" in busy["stderr"]
        release.set()
        waiting.join(30)
        assert first == [{"code": 0, "stdout": "", "stderr": ""}]
        assert send_request(path, {})["code"] == 0  # type: ignore[index]
    finally:
        release.set()
        server.stop()
