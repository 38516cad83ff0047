"""MQTT ingest over paho-mqtt: QoS 1 persistent session, batch commits, ack only after commit.

A message is acknowledged to the broker only once its batch is committed, so a crash at
any moment loses nothing: the broker redelivers what was not acknowledged, and message ids
make the redelivery harmless. Acks are sent in the order messages arrived, and never for a
message of an earlier connection (its packet id may belong to another message now).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ingest.payloads import parse_message, subscriptions
from ingest.route_reports import attach_routes
from ingest.rows import BatchRows, Locator, build_rows
from ingest.sink import write_batch
from models.clock import utcnow
from models.store import Store, StoreError

log = logging.getLogger(__name__)

SESSION_EXPIRY_S = 7 * 24 * 3600
#: Extra work on a batch after it is written (the CAP import hooks in here).
BatchHook = Callable[[BatchRows], None]


@dataclass
class IngestStats:
    received: int = 0
    committed: int = 0
    dead_letters: int = 0
    batches: int = 0
    connected: bool = False
    connects: int = 0
    last_commit_at: datetime | None = None
    last_lag_s: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def snapshot(self) -> dict[str, object]:
        with self.lock:
            return {k: v for k, v in vars(self).items() if k != "lock"}


class _Item(NamedTuple):
    topic: str
    payload: bytes
    mid: int
    qos: int
    generation: int


class MqttIngest:
    """Subscribe to every inbound topic and write what arrives through the store.

    Parameters
    ----------
    store
        Where rows go (one transaction per batch).
    locate
        Cell lookup for located rows (reports, unit positions).
    host, port, client_id, username, password
        The broker and this subscriber's persistent session.
    topic_prefix, shared_group
        Topic prefix; a shared-subscription group lets several workers split one stream.
    protocol
        ``5`` (MQTT v5) or ``4`` (3.1.1, for brokers without v5 such as the embedded one).
    batch_rows, batch_ms
        A batch is committed when it holds ``batch_rows`` messages or is ``batch_ms`` old.
    """

    def __init__(
        self,
        store: Store,
        *,
        locate: Locator,
        host: str,
        port: int,
        client_id: str,
        topic_prefix: str,
        username: str | None = None,
        password: str | None = None,
        shared_group: str | None = None,
        protocol: int = 5,
        qos: int = 1,
        keepalive_s: int = 30,
        batch_rows: int = 2000,
        batch_ms: int = 100,
        receive_maximum: int = 20000,
        after_batch: BatchHook | None = None,
    ):
        self.store = store
        self.locate = locate
        self.host, self.port = host, port
        self.prefix = topic_prefix
        self.filters = subscriptions(topic_prefix, shared_group=shared_group)
        self.qos = qos
        self.keepalive_s = keepalive_s
        self.batch_rows = batch_rows
        self.batch_s = batch_ms / 1000
        self.after_batch = after_batch
        self.stats = IngestStats()
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._generation = 0
        self._ack_lock = threading.Lock()
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self._protocol = mqtt.MQTTv5 if protocol == 5 else mqtt.MQTTv311
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=self._protocol,
            clean_session=None if protocol == 5 else False,
            manual_ack=True,
        )
        if username:
            self._client.username_pw_set(username, password)
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client.max_queued_messages_set(0)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._receive_maximum = receive_maximum

    # -- paho callbacks (network thread) --------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("mqtt connect refused", extra={"reason": str(reason_code)})
            return
        with self._ack_lock:
            self._generation += 1
        with self.stats.lock:
            self.stats.connected = True
            self.stats.connects += 1
        client.subscribe([(f, self.qos) for f in self.filters])
        log.info(
            "mqtt connected",
            extra={"broker": f"{self.host}:{self.port}", "session_present": flags.session_present},
        )

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        with self._ack_lock:
            self._generation += 1  # anything not yet acked will be redelivered
        with self.stats.lock:
            self.stats.connected = False
        if not self._stop.is_set():
            log.warning("mqtt disconnected, reconnecting", extra={"reason": str(reason_code)})

    def _on_message(self, client, userdata, msg: mqtt.MQTTMessage) -> None:
        self._queue.put(_Item(msg.topic, msg.payload, msg.mid, msg.qos, self._generation))

    # -- life cycle -------------------------------------------------------------------
    def start(self) -> None:
        """Connect in the background (retrying with capped back-off) and start the writer."""
        props = None
        if self._protocol == mqtt.MQTTv5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = SESSION_EXPIRY_S
            props.ReceiveMaximum = self._receive_maximum
        self._client.connect_async(
            self.host,
            self.port,
            keepalive=self.keepalive_s,
            clean_start=False
            if self._protocol == mqtt.MQTTv5
            else mqtt.MQTT_CLEAN_START_FIRST_ONLY,
            properties=props,
        )
        self._client.loop_start()
        self._worker = threading.Thread(target=self._run, name="mqtt-ingest", daemon=True)
        self._worker.start()

    def stop(self, timeout_s: float = 10) -> None:
        """Commit what is queued, acknowledge it, then disconnect."""
        self._stop.set()
        if self._worker is not None:
            self._worker.join(timeout_s)
        self._client.disconnect()
        self._client.loop_stop()

    # -- the writer loop ----------------------------------------------------------------
    def _next_batch(self) -> list[_Item]:
        try:
            first = self._queue.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.batch_s
        while len(batch) < self.batch_rows:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                batch.append(self._queue.get(timeout=left))
            except queue.Empty:
                break
        return batch

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if not batch:
                if self._stop.is_set():
                    return
                continue
            current = self._generation
            batch = [i for i in batch if i.generation == current or i.qos == 0]
            if batch and not self._commit(batch):
                return  # the store is gone: stop without acknowledging anything

    def _commit(self, batch: list[_Item]) -> bool:
        parsed = [parse_message(i.topic, i.payload, prefix=self.prefix) for i in batch]
        received = utcnow()
        rows = build_rows(parsed, received_at=received, locate=self.locate)
        try:
            attach_routes(self.store, rows)
        except StoreError:
            log.error("store closed: ingest stops; unacknowledged messages stay queued")
            return False
        delay = 0.1
        while True:
            try:
                self.store.write(lambda tx: write_batch(tx, rows))
                break
            except StoreError:
                log.error("store closed: ingest stops; unacknowledged messages stay queued")
                return False
            except Exception:
                log.exception("batch write failed; retrying", extra={"size": len(batch)})
                if self._stop.wait(delay):
                    return False
                delay = min(delay * 2, 5.0)
        if self.after_batch is not None:
            try:
                self.after_batch(rows)
            except Exception:
                log.exception("after-batch hook failed (the batch itself is committed)")
        with self._ack_lock:
            self._ack_all([i for i in batch if i.qos > 0 and i.generation == self._generation])
        counts = rows.counts()
        latest = max((getattr(p, "payload", None) for p in parsed), default=None, key=_ts_key)
        with self.stats.lock:
            self.stats.received += len(batch)
            self.stats.committed += len(batch) - counts["dead_letters"]
            self.stats.dead_letters += counts["dead_letters"]
            self.stats.batches += 1
            self.stats.last_commit_at = received
            ts = getattr(latest, "ts", None)
            if isinstance(ts, datetime):
                self.stats.last_lag_s = (utcnow() - ts).total_seconds()
        return True

    def _ack_all(self, items: list[_Item]) -> None:
        """PUBACK each message, in arrival order, waking the network thread once.

        paho writes a wake-up byte to its socket pair for every queued packet; for
        thousands of PUBACKs that is thousands of syscalls and wake-ups (a quarter of the
        ingest thread's time when measured). The pair is set aside for the loop and one
        byte is sent after it. If paho reconnects meanwhile it makes a new pair, which is
        kept. (paho-mqtt is pinned below 3 for this.)
        """
        client = self._client
        wake = getattr(client, "_sockpairW", None)
        client._sockpairW = None  # type: ignore[attr-defined]
        try:
            for item in items:
                client.ack(item.mid, item.qos)
        finally:
            if getattr(client, "_sockpairW", None) is None:
                client._sockpairW = wake  # type: ignore[attr-defined]
            current = getattr(client, "_sockpairW", None)
            if current is not None:
                with contextlib.suppress(OSError):
                    current.send(b"0")


def _ts_key(payload: object) -> datetime:
    ts = getattr(payload, "ts", None)
    return ts if isinstance(ts, datetime) else datetime.min
