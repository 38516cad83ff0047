"""The gate in front of the public (anonymous) endpoints: a rate per client address and a
cap on how many are served at once, so anonymous clients cannot starve the screens."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

import flask

from models.config import Open311Settings
from models.rate_limit import TokenBuckets

#: Client addresses whose buckets are remembered (least recently seen forgotten first).
TRACKED_CLIENTS = 10_000
#: Seconds a client turned away because every public slot is busy is asked to wait.
BUSY_RETRY_AFTER_S = 1

_EXTENSION = "cityops-public-gate"


class PublicGate:
    """Rate per address (token buckets) and at most ``max_concurrent`` requests inside."""

    def __init__(
        self,
        *,
        rate_per_s: float,
        burst: int,
        max_concurrent: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._buckets = TokenBuckets(rate_per_s=rate_per_s, burst=burst, max_keys=TRACKED_CLIENTS)
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._clock = clock

    def admit(self, address: str) -> int:
        """Take a token for ``address``: 0 when admitted, else whole seconds to wait."""
        wait = self._buckets.take(address, now=self._clock())
        return 0 if wait <= 0 else max(1, math.ceil(wait))

    def enter(self) -> bool:
        """Take a slot without waiting; False when all are busy."""
        return self._slots.acquire(blocking=False)

    def leave(self) -> None:
        """Give back a slot taken by :meth:`enter`."""
        self._slots.release()


def install_public_gate(server: flask.Flask, settings: Open311Settings) -> PublicGate:
    """Create the server's gate from the ``open311.*`` settings."""
    gate = PublicGate(
        rate_per_s=settings.rate_per_minute / 60.0,
        burst=settings.burst,
        max_concurrent=settings.max_concurrent,
    )
    server.extensions[_EXTENSION] = gate
    return gate


def public_gate(server: flask.Flask) -> PublicGate:
    """The gate :func:`install_public_gate` put on ``server``."""
    gate: PublicGate = server.extensions[_EXTENSION]
    return gate
