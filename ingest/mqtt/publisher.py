"""A fast MQTT publisher over paho-mqtt 2.x: connect with retry, ack-throttled QoS 1, flush.

paho refuses a QoS>0 message (``MQTT_ERR_QUEUE_SIZE``) once 65,535 are unacknowledged, so
:meth:`Publisher.publish` blocks while ``max_inflight_window`` messages wait for their
PUBACK. QoS 0 installs no ``on_publish`` callback (it would halve the rate, STACK.md) and
bounds its socket queue by waiting, every few hundred messages, for an older one to be
written.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

log = logging.getLogger(__name__)

#: paho's own limit: 16-bit message ids, so at most this many unacknowledged QoS>0 messages.
PAHO_QUEUE_LIMIT = 65_535
DEFAULT_WINDOW = 10_000
#: Messages paho keeps on the wire before PUBACKs come back; larger was slower (see bench).
DEFAULT_PAHO_INFLIGHT = 100
_QOS0_MARK_EVERY = 256


class PublisherError(Exception):
    """The broker could not be reached, refused us, or stopped acknowledging."""


class Publisher:
    """Publish to one broker at full speed without overrunning paho's queue.

    Parameters
    ----------
    host, port
        The broker.
    client_id
        MQTT client id; must be unique on the broker.
    username, password
        Credentials, if the broker wants them (the password is never logged).
    qos
        0 or 1 for every message.
    max_inflight_window
        Most QoS 1 messages published but not yet acknowledged; ``publish`` waits beyond it.
        For QoS 0, most messages handed to paho but not yet written to the socket.
    paho_inflight
        paho's ``max_inflight_messages`` (messages on the wire awaiting PUBACK).
    keepalive_s
        MQTT keepalive.
    connect_timeout_s
        How long to keep retrying the first connection before giving up.

    Notes
    -----
    Counters: ``published`` (handed to paho), ``acked`` (PUBACK received, QoS 1 only),
    ``failed`` (PUBACK with an error reason code), ``dropped`` (QoS 0 while disconnected).
    After a disconnect paho reconnects by itself and resends unacknowledged QoS 1 messages;
    ``publish`` waits for the connection to come back.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        client_id: str,
        username: str | None = None,
        password: str | None = None,
        qos: int = 1,
        max_inflight_window: int = DEFAULT_WINDOW,
        paho_inflight: int = DEFAULT_PAHO_INFLIGHT,
        keepalive_s: int = 30,
        connect_timeout_s: float = 30.0,
        protocol: int = 5,
    ) -> None:
        if qos not in (0, 1):
            raise ValueError(f"qos must be 0 or 1, not {qos!r}")
        if not 1 <= max_inflight_window < PAHO_QUEUE_LIMIT:
            raise ValueError(f"max_inflight_window must be in 1..{PAHO_QUEUE_LIMIT - 1}")
        self.host, self.port, self.qos = host, port, qos
        self.window = max_inflight_window
        self._low_water = max_inflight_window * 9 // 10
        self.published = 0
        self.acked = 0
        self.failed = 0
        self.dropped = 0
        self._closing = False
        self._refused: str | None = None
        self._connected = threading.Event()
        self._connack = threading.Event()
        self._room = threading.Event()
        self._marks: deque[tuple[int, mqtt.MQTTMessageInfo]] = deque()
        self._last: mqtt.MQTTMessageInfo | None = None
        self._subscriptions: list[tuple[str, int]] = []

        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5 if protocol == 5 else mqtt.MQTTv311,
        )
        if username:
            client.username_pw_set(username, password)
        client.max_inflight_messages_set(paho_inflight)
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        if qos > 0:
            client.on_publish = self._on_publish
        self._client = client
        self._connect(keepalive_s, connect_timeout_s)

    # -- paho callbacks (network thread) -------------------------------------------------

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            self._refused = str(reason)
        else:
            self._connected.set()
            log.info("mqtt publisher connected", extra={"broker": f"{self.host}:{self.port}"})
            for topic, qos in self._subscriptions:  # again after every reconnect
                client.subscribe(topic, qos=qos)
        self._connack.set()

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self._connected.clear()
        if not self._closing:
            log.warning(
                "mqtt publisher disconnected; paho reconnects",
                extra={"broker": f"{self.host}:{self.port}", "reason": str(reason)},
            )

    def _on_publish(self, client: Any, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        if reason.is_failure:
            self.failed += 1
        else:
            self.acked += 1
        if self.published - self.acked - self.failed <= self._low_water:
            self._room.set()

    def subscribe(self, topic: str, handler: Callable[[str, bytes], None], *, qos: int = 1) -> None:
        """Also receive ``topic`` on this connection (one connection per broker user: the
        broker takes the user name as the client id). ``handler(topic, payload)`` runs on
        paho's network thread and must not block; an exception in it is logged."""

        def on_message(client: Any, userdata: Any, msg: Any) -> None:
            try:
                handler(msg.topic, msg.payload)
            except Exception:
                log.exception("subscription handler failed", extra={"topic": msg.topic})

        self._client.message_callback_add(topic, on_message)
        self._subscriptions.append((topic, qos))
        if self._connected.is_set():
            self._client.subscribe(topic, qos=qos)

    # -- connection ---------------------------------------------------------------------

    def _connect(self, keepalive_s: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        delay = 0.25
        while True:
            try:
                self._client.connect(self.host, self.port, keepalive=keepalive_s)
                break
            except OSError as exc:
                if time.monotonic() + delay > deadline:
                    raise PublisherError(
                        f"cannot reach MQTT broker {self.host}:{self.port}: {exc}"
                    ) from exc
                log.warning(
                    "mqtt broker not reachable, retrying",
                    extra={"broker": f"{self.host}:{self.port}", "error": str(exc)},
                )
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
        self._client.loop_start()
        if not self._connack.wait(max(0.5, deadline - time.monotonic())):
            self._stop()
            raise PublisherError(f"MQTT broker {self.host}:{self.port} sent no CONNACK")
        if self._refused is not None:
            self._stop()
            raise PublisherError(f"MQTT broker {self.host}:{self.port} refused: {self._refused}")

    def _wait_connected(self) -> None:
        waited = 0.0
        while not self._connected.wait(1.0):
            waited += 1.0
            if self._refused is not None:
                raise PublisherError(f"MQTT broker refused the reconnect: {self._refused}")
            if waited % 10 == 0:
                log.warning("waiting for the MQTT broker", extra={"waited_s": waited})

    # -- publishing ---------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """QoS 1 messages published and not yet acknowledged (0 for QoS 0)."""
        return self.published - self.acked - self.failed if self.qos else 0

    def publish(self, topic: str, payload: bytes) -> bool:
        """Hand one message to paho, first waiting for acks if the window is full.

        Returns
        -------
        bool
            False only for a QoS 0 message dropped because the connection was down.
        """
        if not self._connected.is_set():
            self._wait_connected()
        if self.qos:
            if self.published - self.acked - self.failed >= self.window:
                self._wait_for_room()
            info = self._client.publish(topic, payload, qos=1)
            if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
                # NO_CONN keeps the message queued in paho for the reconnect; others do not
                raise PublisherError(f"paho refused the message: {mqtt.error_string(info.rc)}")
            self.published += 1
            return True
        info = self._client.publish(topic, payload, qos=0)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            self.dropped += 1
            return False
        self.published += 1
        self._last = info
        if self.published % _QOS0_MARK_EVERY == 0:
            self._marks.append((self.published, info))
            while self._marks and self.published - self._marks[0][0] >= self.window:
                self._marks.popleft()[1].wait_for_publish(timeout=30)
        return True

    def _wait_for_room(self) -> None:
        waited = 0.0
        self._room.clear()
        while self.published - self.acked - self.failed > self._low_water:
            if not self._room.wait(0.5):
                waited += 0.5
                if waited % 10 == 0:
                    log.warning(
                        "publisher waiting for acknowledgements",
                        extra={"pending": self.pending, "waited_s": waited},
                    )
            self._room.clear()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every message is acknowledged (QoS 1) or written (QoS 0).

        Returns
        -------
        bool
            True if nothing is left outstanding within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        if self.qos == 0:
            if self._last is None:
                return True
            try:
                self._last.wait_for_publish(timeout=timeout)
                return self._last.is_published()
            except (RuntimeError, ValueError):
                return False
        self._low_water = 0  # the ack callback now wakes us only when nothing is pending
        try:
            while self.pending > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._room.clear()
                if self.pending > 0:
                    self._room.wait(min(left, 0.05))
            return True
        finally:
            self._low_water = self.window * 9 // 10

    def stats(self) -> dict[str, int]:
        """Counters as a dict, for logs."""
        return {
            "published": self.published,
            "acked": self.acked,
            "failed": self.failed,
            "dropped": self.dropped,
            "pending": self.pending,
        }

    def _stop(self) -> None:
        self._closing = True
        try:
            self._client.disconnect()
        finally:
            self._client.loop_stop()

    def close(self, timeout: float = 10.0) -> bool:
        """Flush (up to ``timeout`` s), disconnect and stop the network thread.

        Returns
        -------
        bool
            Whether everything was flushed before closing.
        """
        flushed = self.flush(timeout) if self._connected.is_set() else self.pending == 0
        self._stop()
        return flushed

    def __enter__(self) -> Publisher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
