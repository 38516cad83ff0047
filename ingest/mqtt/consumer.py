"""MQTT ingest over paho-mqtt: QoS 1 persistent session, batch commits, ack only after commit.

A message is acknowledged to the broker only once its batch is committed, so a crash at
any moment loses nothing: the broker redelivers what was not acknowledged, and message ids
make the redelivery harmless. Acks are sent in the order messages arrived, and never for a
message of an earlier connection (its packet id may belong to another message now).

A batch the store refuses is split in halves until the messages it refuses are found; those
become dead letters with the error, the rest commit. The writer loop survives any exception
(the batch is kept and retried), and a watchdog restarts the writer thread if it dies.
:meth:`MqttIngest.health` tells the real state: worker alive, queue depth, lag, problems.
The record of a received message, batching off the queue and the PUBACKs are in
:mod:`ingest.mqtt.inbox`; bisecting a refused batch is in :mod:`ingest.mqtt.split`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ingest.mqtt.health import STALL_AFTER_S, IngestStats, ingest_problems
from ingest.mqtt.inbox import Received, ack_in_order, next_batch
from ingest.mqtt.split import write_in_parts
from ingest.payloads import Parsed, Rejected, parse_message, subscriptions
from ingest.route_reports import attach_routes
from ingest.rows import BatchRows, Locator, build_rows
from ingest.sink import DEFAULT_ARRIVAL_RADIUS_M, write_batch
from ingest.time_window import DEFAULT_WINDOW, TimeWindow
from models.case_builder import DEFAULT_TIMEZONE
from models.clock import utcnow
from models.store import Store, StoreError

log = logging.getLogger(__name__)

SESSION_EXPIRY_S = 7 * 24 * 3600
WATCH_S = 0.2
#: Extra work on a batch after it is written (the CAP import hooks in here).
BatchHook = Callable[[BatchRows], None]


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
    after_batch
        Extra work on each committed part of a batch (its failure is logged, not fatal).
    window
        Believable message times (``ingest.max_clock_skew_s``, ``ingest.max_age_days``).
    clock
        The server clock (UTC-naive), read once per batch.
    stall_after_s
        Health reports a stall when a received message waits longer than this to commit.
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
        window: TimeWindow = DEFAULT_WINDOW,
        clock: Callable[[], datetime] = utcnow,
        stall_after_s: float = STALL_AFTER_S,
        case_timezone: str = DEFAULT_TIMEZONE,
        arrival_radius_m: float = DEFAULT_ARRIVAL_RADIUS_M,
    ):
        self.store = store
        self.arrival_radius_m = arrival_radius_m  # emergency.arrival_radius_m
        self.case_timezone = case_timezone  # calendar.timezone: the local date of case ids
        self.locate = locate
        self.host, self.port = host, port
        self.prefix = topic_prefix
        self.filters = subscriptions(topic_prefix, shared_group=shared_group)
        self.qos = qos
        self.keepalive_s = keepalive_s
        self.batch_rows = batch_rows
        self.batch_s = batch_ms / 1000
        self.after_batch = after_batch
        self.window = window
        self.clock = clock
        self.stall_after_s = stall_after_s
        self.stats = IngestStats()
        self._held: list[Received] = []  # received, not yet committed and acknowledged
        self._halted: str | None = None
        self._deaths = 0  # worker deaths since the last commit (restart back-off)
        self._watchdog: threading.Thread | None = None
        self._queue: queue.SimpleQueue[Received] = queue.SimpleQueue()
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
        item = Received(
            msg.topic, msg.payload, msg.mid, msg.qos, self._generation, time.monotonic()
        )
        self._queue.put(item)

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
        self._start_worker()
        self._watchdog = threading.Thread(target=self._watch, name="mqtt-ingest-watch", daemon=True)
        self._watchdog.start()

    def publish(self, topic: str, payload: bytes) -> mqtt.MQTTMessageInfo | None:
        """Send one outbound message (QoS 1) on this connection, for the outbox sender
        (:mod:`ingest.mqtt.outbound`); None while not connected. The broker's ACL lets the
        ingest user write the outbound topics (dispatch orders, CAP alerts out)."""
        with self.stats.lock:
            connected = self.stats.connected
        if not connected or self._stop.is_set():
            return None
        return self._client.publish(topic, payload, qos=1)

    def stop(self, timeout_s: float = 10) -> None:
        """Commit what is queued, acknowledge it, then disconnect."""
        self._stop.set()
        if self._watchdog is not None:
            self._watchdog.join(timeout_s)
        if self._worker is not None:
            self._worker.join(timeout_s)
        self._client.disconnect()
        self._client.loop_stop()

    # -- the writer loop ----------------------------------------------------------------
    def _run(self) -> None:
        """Total: any exception of a batch is logged and the batch (still held) is retried."""
        while True:
            if not self._held:
                batch = next_batch(self._queue, max_rows=self.batch_rows, max_wait_s=self.batch_s)
                current = self._generation
                batch = [i for i in batch if i.generation == current or i.qos == 0]
                if not batch:
                    if self._stop.is_set():
                        return
                    continue
                self._held = batch
            try:
                if not self._commit():
                    return  # the store is gone: stop without acknowledging anything
            except Exception:
                log.exception("ingest batch failed unexpectedly; it is retried")
                if self._stop.wait(1.0):
                    return

    def _commit(self) -> bool:
        """Commit the held batch, splitting it around messages the store refuses.

        Returns False when ingest must stop (store closed, or stopping while the store
        refuses everything); what is not committed stays unacknowledged.
        """
        batch = self._held
        now = self.clock()
        parsed = [
            parse_message(i.topic, i.payload, prefix=self.prefix, now=now, window=self.window)
            for i in batch
        ]
        delay = 0.1
        while self._held:
            done = len(batch) - len(self._held)
            try:
                self._commit_from(batch, parsed, done, now)
            except StoreError:
                log.error("store closed: ingest stops; unacknowledged messages stay queued")
                self._halted = "the store is closed"
                return False
            if self._held:  # the store refused even a dead letter: it is the store's fault
                if self._stop.wait(delay):
                    return False
                delay = min(delay * 2, 5.0)
        return True

    def _commit_from(
        self, batch: list[Received], parsed: list[Parsed | Rejected], start: int, now: datetime
    ) -> None:
        """Write ``batch[start:]``, bisecting around the messages the store refuses.

        Each committed part is acknowledged at once; a lone refused message becomes a dead
        letter with the error. If even that fails, the rest stays held (retried later).
        """

        def refuse(at: int, exc: Exception) -> BatchRows:
            item = batch[at]
            reason = f"ingest failed on this message: {type(exc).__name__}: {exc}"
            log.warning("message dead-lettered", extra={"topic": item.topic, "reason": reason})
            return self._write([Rejected(item.topic, item.payload, reason)], now)

        write_in_parts(
            start,
            len(batch),
            write=lambda lo, hi: self._write(parsed[lo:hi], now),
            refuse=refuse,
            committed=lambda lo, hi, rows: self._committed(batch[lo:hi], parsed[lo:hi], rows, now),
            fatal=(StoreError,),
        )

    def _write(self, parsed: list[Parsed | Rejected], now: datetime) -> BatchRows:
        rows = build_rows(parsed, received_at=now, locate=self.locate, window=self.window)
        attach_routes(self.store, rows, tz=self.case_timezone)
        self.store.write(
            lambda tx: write_batch(tx, rows, arrival_radius_m=self.arrival_radius_m)
        )
        return rows

    def _committed(
        self, items: list[Received], parsed: list[Parsed | Rejected], rows: BatchRows, now: datetime
    ) -> None:
        """After-batch hook, then release and acknowledge ``items`` (the held batch's head)."""
        if self.after_batch is not None:
            try:
                self.after_batch(rows)
            except Exception:
                log.exception("after-batch hook failed (the batch itself is committed)")
        self._held = self._held[len(items) :]
        with self._ack_lock:
            ack_in_order(
                self._client, [i for i in items if i.qos > 0 and i.generation == self._generation]
            )
        dead = rows.counts()["dead_letters"]
        latest = max((getattr(p, "payload", None) for p in parsed), default=None, key=_ts_key)
        with self.stats.lock:
            self.stats.received += len(items)
            self.stats.committed += len(items) - dead
            self.stats.dead_letters += dead
            self.stats.batches += 1
            self.stats.last_commit_at = now
            ts = getattr(latest, "ts", None)
            if isinstance(ts, datetime):
                self.stats.last_lag_s = (self.clock() - ts).total_seconds()
        self._deaths = 0

    # -- supervision and health ---------------------------------------------------------
    def _start_worker(self) -> None:
        self._worker = threading.Thread(target=self._run, name="mqtt-ingest", daemon=True)
        self._worker.start()

    def _watch(self) -> None:
        """Restart the writer thread whenever it dies (its held batch is kept and retried)."""
        while not self._stop.wait(WATCH_S):
            worker = self._worker
            if worker is None or worker.is_alive() or self._halted or self._stop.is_set():
                continue
            self._deaths += 1
            if self._stop.wait(min(0.2 * self._deaths, 5.0)):
                return
            with self.stats.lock:
                self.stats.restarts += 1
                restarts = self.stats.restarts
            log.error(
                "mqtt ingest worker died; restarted",
                extra={"restarts": restarts, "held": len(self._held)},
            )
            self._start_worker()

    def health(self) -> dict[str, object]:
        """Counters plus the real state: worker alive, queue depth, ages, and problems.

        ``queue_depth`` counts messages received but not yet committed; ``problems`` is
        empty when all is well.
        """
        snap = self.stats.snapshot()
        held = self._held
        alive = self._worker is not None and self._worker.is_alive()
        waiting = time.monotonic() - held[0].arrived if held else 0.0
        last = snap["last_commit_at"]
        snap.update(
            worker_alive=alive,
            queue_depth=self._queue.qsize() + len(held),
            oldest_waiting_s=round(waiting, 3),
            last_commit_age_s=None
            if not isinstance(last, datetime)
            else round((self.clock() - last).total_seconds(), 3),
        )
        problems = ingest_problems(
            connected=bool(snap["connected"]),
            worker_started=self._worker is not None,
            worker_alive=alive,
            halted=self._halted,
            stopping=self._stop.is_set(),
            held=len(held),
            waiting_s=waiting,
            stall_after_s=self.stall_after_s,
        )
        snap["problems"] = problems
        return snap


def _ts_key(payload: object) -> datetime:
    ts = getattr(payload, "ts", None)
    return ts if isinstance(ts, datetime) else datetime.min
