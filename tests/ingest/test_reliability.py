"""Nothing lost, nothing doubled: SIGKILL of the ingest worker twice, and a broker outage.

Real processes: a private mosquitto, `cityops worker` as a subprocess, a paho publisher.
Bounded in count and time; everything on loopback.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

from models.store import Store
from tests.broker import INGEST, Mosquitto
from tests.browser import stop_process
from tests.ingest.mqtt_helpers import P, publish_all, wait_until

ROOT = Path(__file__).resolve().parents[2]


def _obs_stream(n: int, prefix: str = "k"):
    ts = datetime.now(UTC).isoformat()  # within ingest.max_age_days whenever the test runs
    for i in range(n):
        body = {
            "id": f"{prefix}-{i}",
            "ts": ts,
            "values": {"pm25": i % 300},
        }
        yield f"{P}/obs/air/AIR-{1 + i % 12:03d}", json.dumps(body).encode()


def _configure(folder: Path, port: int) -> Path:
    config = folder / "config.yaml"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["mqtt"] = {
        "host": "127.0.0.1",
        "port": port,
        "client_id": "reliability-worker",
        "username": INGEST[0],
        "embedded_fallback": False,
    }
    data["ingest"] = {"batch_max_rows": 2000, "batch_max_ms": 50}
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    return config


class Worker:
    def __init__(self, config: Path):
        self.config = config
        self.proc: subprocess.Popen | None = None
        self.log = config.parent / "worker.log"

    def start(self) -> None:
        log = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app.cli",
                "--config",
                str(self.config),
                "worker",
                "--status-every",
                "0.5",
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "CITYOPS_MQTT_PASSWORD": INGEST[1]},
        )
        log.close()

    def runs(self) -> int:
        """How many times a worker got as far as running (from its log)."""
        return self.log.read_text(errors="replace").count("worker running")

    def received(self) -> int:
        """Messages committed so far by the running worker (its last status line)."""
        lines = [ln for ln in self.log.read_text(errors="replace").splitlines() if "alive" in ln]
        return json.loads(lines[-1])["mqtt"]["committed"] if lines else 0

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def ensure_stopped(self) -> None:
        """Never leave a worker behind, whatever the test did."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, timeout_s=30)
            lines = self.log.read_text(errors="replace").splitlines()
            events = [ln for ln in lines if "worker alive" not in ln]  # status lines drown them
            assert self.proc.returncode == 0, (self.proc.returncode, "\n".join(events[-30:]))
            self.proc = None


def _drain(worker: Worker, *, idle_s: float = 3.0, timeout_s: float = 120) -> None:
    """Let the worker take what the broker holds for it, until its counters stop moving."""
    before = len(worker.log.read_text(errors="replace")) if worker.log.exists() else 0
    worker.start()
    deadline = time.monotonic() + timeout_s
    last, since = "", time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        text = worker.log.read_text(errors="replace")[before:]  # this run's lines only
        lines = [ln for ln in text.splitlines() if "worker alive" in ln]
        tail = lines[-1] if lines else ""
        state = json.loads(tail).get("mqtt") if tail else None
        # counters only: ages in the health line move on every status line
        key = (
            f"{[state.get(k) for k in ('received', 'committed', 'dead_letters')]}" if state else ""
        )
        if key != last:
            last, since = key, time.monotonic()
        elif state and state.get("connected") and time.monotonic() - since > idle_s:
            break
    worker.stop()


def _counts(folder: Path) -> tuple[int, int, int]:
    with Store(folder / "cityops.duckdb") as store:
        return (
            store.query_value("SELECT count(DISTINCT msg_id) FROM observations"),
            store.query_value("SELECT count(*) FROM observations"),
            store.query_value("SELECT count(*) FROM dead_letters"),
        )


def test_sigkill_twice_loses_nothing_and_doubles_nothing(demo_copy, tmp_path):
    n = 100_000
    folder = demo_copy()
    broker = Mosquitto(tmp_path / "broker")
    broker.start()
    worker = Worker(_configure(folder, broker.port))
    try:
        _drain(worker, idle_s=1)  # creates the persistent session before anything is sent
        worker.start()
        published = threading.Event()
        thread = threading.Thread(
            target=lambda: (publish_all(broker.port, _obs_stream(n)), published.set()), daemon=True
        )
        thread.start()
        rnd = random.Random(20261124)
        for run in range(2, 4):
            # once it runs (start-up is slow on a busy machine), at a random moment:
            # mid-batch, mid-commit or between acks
            assert wait_until(lambda r=run: worker.runs() >= r, timeout_s=90), worker.runs()
            time.sleep(rnd.uniform(1.0, 3.0))
            worker.kill()
            worker.start()
        thread.join(180)
        assert published.is_set(), "publisher did not finish"
        worker.stop()
        for _ in range(3):  # whatever the broker still queues for the session comes in now
            if _counts(folder)[0] == n:
                break
            _drain(worker)
        distinct, total, dead = _counts(folder)
        assert (distinct, total, dead) == (n, n, 0)
        assert worker.runs() >= 4  # first drain, start, two restarts
    finally:
        worker.ensure_stopped()
        broker.stop()


def test_broker_outage_of_30_s_loses_nothing(demo_copy, tmp_path):
    n = 20_000
    folder = demo_copy()
    broker = Mosquitto(tmp_path / "broker")
    broker.start()
    worker = Worker(_configure(folder, broker.port))
    try:
        worker.start()
        # messages published before the worker's session subscribes go nowhere: wait for it
        # (start-up takes more than a fixed 2 s on a busy machine)
        connected = lambda: "mqtt connected" in worker.log.read_text(errors="replace")  # noqa: E731
        assert wait_until(connected, timeout_s=90)
        time.sleep(1)  # and its subscription acknowledged
        first = publish_all(broker.port, _obs_stream(n // 2, "before"))
        broker.stop()
        time.sleep(30)  # the worker keeps retrying by itself meanwhile
        assert worker.proc is not None and worker.proc.poll() is None, "worker died"
        broker.start()
        second = publish_all(broker.port, _obs_stream(n // 2, "after"))
        assert first + second == n
        deadline = time.monotonic() + 60
        log_text = ""
        while time.monotonic() < deadline:
            log_text = worker.log.read_text(errors="replace")
            if log_text.count("mqtt connected") >= 2:
                break
            time.sleep(0.5)
        assert log_text.count("mqtt connected") >= 2, "ingest did not reconnect by itself"
        # everything comes in while the worker runs (stopping it mid-stream is another test)
        assert wait_until(lambda: worker.received() >= n, timeout_s=120), worker.received()
        worker.stop()
        for _ in range(3):
            if _counts(folder)[0] == n:
                break
            _drain(worker)
        assert _counts(folder) == (n, n, 0)
    finally:
        worker.ensure_stopped()
        broker.stop()
