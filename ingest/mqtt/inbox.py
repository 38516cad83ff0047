"""Messages received and not yet acknowledged: their record, batching them off the queue, PUBACKs.

The network thread puts each message on a queue as a :class:`Received`; the writer takes
batches off it with :func:`next_batch` and, once a batch part is committed, acknowledges it
with :func:`ack_in_order`.
"""

from __future__ import annotations

import contextlib
import queue
import time
from collections.abc import Sequence
from typing import NamedTuple

import paho.mqtt.client as mqtt


class Received(NamedTuple):
    """One message as received: what to parse, how to acknowledge it, when it came."""

    topic: str
    payload: bytes
    mid: int
    qos: int
    generation: int  # the connection it came on: never acknowledged on a later one
    arrived: float  # time.monotonic() on arrival


def next_batch(
    inbox: queue.SimpleQueue[Received], *, max_rows: int, max_wait_s: float, poll_s: float = 0.2
) -> list[Received]:
    """Up to ``max_rows`` messages, waiting at most ``max_wait_s`` after the first one.

    Parameters
    ----------
    inbox
        The queue the network thread fills.
    max_rows, max_wait_s
        A batch ends when it holds ``max_rows`` messages or its first one is this old.
    poll_s
        How long to wait for a first message; empty if none came.

    Returns
    -------
    list of Received
        In arrival order; empty when nothing arrived within ``poll_s``.
    """
    try:
        first = inbox.get(timeout=poll_s)
    except queue.Empty:
        return []
    batch = [first]
    deadline = time.monotonic() + max_wait_s
    while len(batch) < max_rows:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            batch.append(inbox.get(timeout=left))
        except queue.Empty:
            break
    return batch


def ack_in_order(client: mqtt.Client, items: Sequence[Received]) -> None:
    """PUBACK each message, in arrival order, waking the network thread once.

    paho writes a wake-up byte to its socket pair for every queued packet; for
    thousands of PUBACKs that is thousands of syscalls and wake-ups (a quarter of the
    ingest thread's time when measured). The pair is set aside for the loop and one
    byte is sent after it. If paho reconnects meanwhile it makes a new pair, which is
    kept. (paho-mqtt is pinned below 3 for this.)

    Parameters
    ----------
    client
        The connected paho client (``manual_ack=True``).
    items
        The messages to acknowledge, already filtered to QoS > 0 of the current connection.
    """
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
