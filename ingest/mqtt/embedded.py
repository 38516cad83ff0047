"""An in-process MQTT broker (amqtt) for the demo when no broker answers: loopback only."""

from __future__ import annotations

import asyncio
import logging
import socket
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


def broker_reachable(host: str, port: int, *, timeout_s: float = 1.0) -> bool:
    """True when something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


@dataclass
class EmbeddedBroker:
    """A running amqtt broker on its own asyncio loop in a daemon thread."""

    host: str
    port: int
    _loop: asyncio.AbstractEventLoop
    _thread: threading.Thread
    _broker: object

    def stop(self, timeout_s: float = 5.0) -> None:
        future = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)  # type: ignore[attr-defined]
        try:
            future.result(timeout_s)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout_s)


def _password_file(users: Mapping[str, str]) -> Path:
    """An amqtt password file (argon2 hashes) readable by the owner only."""
    from pwdlib.hashers.argon2 import Argon2Hasher

    hasher = Argon2Hasher()
    folder = Path(tempfile.mkdtemp(prefix="cityops-broker-"))  # mode 0700
    path = folder / "passwd"
    path.touch(mode=0o600)
    path.write_text(
        "".join(f"{user}:{hasher.hash(pw)}\n" for user, pw in users.items()), encoding="utf-8"
    )
    return path


def start_embedded_broker(
    host: str = "127.0.0.1", port: int = 1883, *, users: Mapping[str, str] | None = None
) -> EmbeddedBroker:
    """Start amqtt on ``host:port`` (MQTT 3.1.1, loopback) and wait until it listens.

    Parameters
    ----------
    host, port
        Where to listen (loopback only).
    users
        User name → password of the only clients let in (anonymous ones are refused); the
        password file (argon2 hashes) lives in a private temp folder. None: anyone (a bare
        demo with no broker credentials). amqtt has no client-id binding nor our ACL: the
        closed broker of ``make demo`` is mosquitto (scripts/demo-broker.sh).

    Returns
    -------
    EmbeddedBroker
        The running broker; ``stop()`` ends it.
    """
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("the embedded broker listens on loopback only")
    from amqtt.broker import Broker

    auth: dict[str, dict] = {
        "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": not users}
    }
    if users:
        auth["amqtt.plugins.authentication.FileAuthPlugin"] = {
            "password_file": str(_password_file(users))
        }
    config = {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
        # loopback demo broker: no $SYS topics, no packet logging
        "plugins": auth,
    }
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    errors: list[BaseException] = []
    holder: dict[str, object] = {}

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            broker = Broker(config, loop=loop)
            holder["broker"] = broker
            loop.run_until_complete(broker.start())
        except BaseException as exc:  # reported to the starting thread
            errors.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="embedded-mqtt-broker", daemon=True)
    thread.start()
    if not ready.wait(15) or errors:
        raise RuntimeError(f"embedded broker did not start: {errors[0] if errors else 'timeout'}")
    log.warning("embedded MQTT broker started (demo only)", extra={"host": host, "port": port})
    return EmbeddedBroker(host, port, loop, thread, holder["broker"])
