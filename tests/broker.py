"""A private mosquitto on a free loopback port for tests (never the demo's broker), closed as
the shipped one: a password file, the ACL of ``deploy/mosquitto/acl``, no anonymous client."""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.browser import free_port, stop_process

ACL = Path(__file__).resolve().parents[1] / "deploy" / "mosquitto" / "acl"
#: (user, password) of the test broker; with use_username_as_clientid the user is the client id.
INGEST = ("cityops-ingest", "ingest-test-pw")
SIMULATOR = ("cityops-simulator", "simulator-test-pw")
DEVICE = ("cityops-device", "device-test-pw")
CAP_FEED = ("cityops-cap-feed", "cap-feed-test-pw")
#: a test-only observer that may read every topic (tests watch what others publish)
MONITOR = ("test-monitor", "monitor-test-pw")
USERS = (INGEST, SIMULATOR, DEVICE, CAP_FEED, MONITOR)


def write_password_file(path: Path, users: tuple[tuple[str, str], ...] = USERS) -> None:
    """A mosquitto password file (hashed by ``mosquitto_passwd``) readable by its owner only."""
    tool = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    path.write_text("", encoding="utf-8")
    path.chmod(0o600)
    for user, password in users:
        subprocess.run([tool, "-b", str(path), user, password], check=True, capture_output=True)


class Mosquitto:
    """One mosquitto with persistence in ``folder``; it can be stopped and started again on
    the same port (an outage), keeping queued messages of persistent sessions."""

    def __init__(self, folder: Path, port: int | None = None, *, open_: bool = False):
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            raise RuntimeError("mosquitto is not installed: run `make test` (it installs it)")
        self.binary = binary
        self.folder = folder
        self.port = port or free_port()
        folder.mkdir(parents=True, exist_ok=True)
        self.conf = folder / "mosquitto.conf"
        if open_:  # anonymous and no ACL: only for a test that measures the broker itself
            security = "allow_anonymous true\n"
        else:
            write_password_file(folder / "passwd")
            acl = folder / "acl"
            acl.write_text(
                ACL.read_text(encoding="utf-8") + f"\nuser {MONITOR[0]}\ntopic read #\n",
                encoding="utf-8",
            )
            acl.chmod(0o600)
            security = (
                f"allow_anonymous false\npassword_file {folder}/passwd\nacl_file {acl}\n"
                "use_username_as_clientid true\n"
            )
        # run as the current user so the persistence file can live in a private temp dir
        self.conf.write_text(
            f"user {getpass.getuser()}\nlistener {self.port} 127.0.0.1\n{security}"
            f"persistence true\npersistence_location {folder}/\nautosave_interval 1\n"
            "log_dest stderr\nmax_queued_messages 0\nmax_inflight_messages 0\n",
            encoding="utf-8",
        )
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> None:
        self._log = open(self.folder / "mosquitto.log", "ab")
        self.proc = subprocess.Popen(
            [self.binary, "-c", str(self.conf)], stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError as exc:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "mosquitto did not start:\n" + (self.folder / "mosquitto.log").read_text()
                    ) from exc
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, timeout_s=10)  # SIGTERM: mosquitto saves its state
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None


@contextmanager
def mosquitto(folder: Path, *, open_: bool = False) -> Iterator[int]:
    """Start mosquitto on 127.0.0.1:<free port> with persistence in ``folder``; yield the port.

    Clients log in with one of :data:`USERS`; ``open_`` lets anyone in (benchmarks only).
    """
    broker = Mosquitto(folder, open_=open_)
    broker.start()
    try:
        yield broker.port
    finally:
        broker.stop()
