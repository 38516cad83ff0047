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
from pathlib import Path

import yaml

from models.store import Store
from tests.broker import Mosquitto
from tests.browser import stop_process
from tests.ingest.mqtt_helpers import P, publish_all

ROOT = Path(__file__).resolve().parents[2]


def _obs_stream(n: int, prefix: str = "k"):
    for i in range(n):
        body = {
            "id": f"{prefix}-{i}",
            "ts": "2026-11-24T09:30:00+08:00",
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
            env={**os.environ},
        )
        log.close()

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
            assert self.proc.returncode == 0, self.log.read_text()[-3000:]
            self.proc = None


def _drain(worker: Worker, *, idle_s: float = 3.0, timeout_s: float = 120) -> None:
    """Let the worker take what the broker holds for it, until its counters stop moving."""
    worker.start()
    deadline = time.monotonic() + timeout_s
    last, since = "", time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        lines = [
            ln for ln in worker.log.read_text(errors="replace").splitlines() if "worker alive" in ln
        ]
        tail = lines[-1] if lines else ""
        state = json.loads(tail).get("mqtt") if tail else None
        key = f"{state}" if state else ""
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
        for _ in range(2):
            time.sleep(rnd.uniform(1.0, 3.0))
            worker.kill()  # at a random moment: mid-batch, mid-commit or between acks
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
        kills = worker.log.read_text().count("worker running")
        assert kills >= 4  # first drain, start, two restarts
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
        time.sleep(2)
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
        worker.stop()
        for _ in range(3):
            if _counts(folder)[0] == n:
                break
            _drain(worker)
        assert _counts(folder) == (n, n, 0)
    finally:
        worker.ensure_stopped()
        broker.stop()
