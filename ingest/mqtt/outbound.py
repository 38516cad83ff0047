"""The outbox sender: publishes what the server decided to send (dispatch orders, CAP alerts)
from the ``mqtt_outbox`` table, QoS 1, and marks a message sent only after the broker's
PUBACK; what was not acknowledged is tried again at the next pass (at least once)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from models.clock import utcnow
from models.outbox import mark_failed, mark_sent, pending
from models.store import Store

log = logging.getLogger(__name__)


class MessageInfo(Protocol):
    def wait_for_publish(self, timeout: float | None = None) -> None: ...

    def is_published(self) -> bool: ...


#: Sends one message; returns paho's message info, or None while not connected.
Publish = Callable[[str, bytes], Any]


def _acknowledged(info: MessageInfo, timeout: float) -> bool:
    try:
        info.wait_for_publish(timeout)
        return bool(info.is_published())
    except (RuntimeError, ValueError):  # paho: not queued (queue full or disconnected)
        return False


def send_pending(
    store: Store,
    publish: Publish,
    *,
    clock: Callable[[], datetime] = utcnow,
    ack_wait_s: float = 10.0,
    limit: int = 500,
) -> dict[str, int]:
    """One pass: publish every waiting message in order, wait for the PUBACKs, mark them."""
    items = pending(store, limit=limit)
    handed: list[tuple[int, MessageInfo]] = []
    for item in items:
        info = publish(item.topic, item.payload)
        if info is None:  # not connected: the rest waits for the next pass
            break
        handed.append((item.seq, info))
    deadline = time.monotonic() + ack_wait_s
    sent = [s for s, i in handed if _acknowledged(i, max(0.0, deadline - time.monotonic()))]
    failed = [s for s, _ in handed if s not in set(sent)]
    mark_sent(store, sent, now=clock())
    mark_failed(store, failed, "no PUBACK in time")
    return {"sent": len(sent), "failed": len(failed), "waiting": len(items) - len(handed)}


def run_outbox(
    store: Store, publish: Publish, stop: threading.Event, *, poll_s: float = 0.5
) -> None:
    """Send the outbox every ``poll_s`` until ``stop``; a failed pass is logged and retried."""
    while not stop.wait(poll_s):
        try:
            done = send_pending(store, publish)
        except Exception:
            log.exception("outbox pass failed")
            continue
        if done["sent"] or done["failed"]:
            log.info("outbox", extra=done)
