"""A private mosquitto on a free loopback port for tests (never the demo's broker)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from tests.browser import free_port, stop_process


@contextmanager
def mosquitto(tmp: Path):
    """Start mosquitto on 127.0.0.1:<free port> with persistence in ``tmp``; yield the port."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(binary).exists():
        raise RuntimeError("mosquitto is not installed: run `make test` (it installs it)")
    port = free_port()
    tmp.mkdir(parents=True, exist_ok=True)
    tmp.chmod(0o777)  # mosquitto drops privileges to its own user
    conf = tmp / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
        f"persistence_location {tmp}/\nlog_dest stderr\nmax_queued_messages 0\n"
        "max_inflight_messages 0\n",
        encoding="utf-8",
    )
    log = open(tmp / "mosquitto.log", "wb")
    proc = subprocess.Popen([binary, "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError as exc:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "mosquitto did not start:\n" + (tmp / "mosquitto.log").read_text()
                    ) from exc
                time.sleep(0.05)
        yield port
    finally:
        stop_process(proc, timeout_s=10)
        log.close()
