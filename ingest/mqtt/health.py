"""MQTT ingest counters and the judgement of its health (pure: state in, problems out)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

#: Health calls ingest stalled when a received message waits this long to commit.
STALL_AFTER_S = 60.0


@dataclass
class IngestStats:
    """Counters of one ingest, updated by its threads under ``lock``."""

    received: int = 0
    committed: int = 0
    dead_letters: int = 0
    batches: int = 0
    connected: bool = False
    connects: int = 0
    last_commit_at: datetime | None = None
    last_lag_s: float | None = None
    restarts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def snapshot(self) -> dict[str, object]:
        with self.lock:
            return {k: v for k, v in vars(self).items() if k != "lock"}


def ingest_problems(
    *,
    connected: bool,
    worker_started: bool,
    worker_alive: bool,
    halted: str | None,
    stopping: bool,
    held: int,
    waiting_s: float,
    stall_after_s: float = STALL_AFTER_S,
) -> list[str]:
    """What is wrong with an ingest, in words; empty when it is healthy.

    Parameters
    ----------
    connected
        Whether the broker connection is up.
    worker_started, worker_alive
        Whether the writer thread was started, and is running now.
    halted
        Why ingest stopped for good (the store closed), or None.
    stopping
        Ingest is being stopped on purpose (nothing is wrong then).
    held, waiting_s
        Messages in hand but not committed, and how long the oldest has waited.
    stall_after_s
        A wait longer than this is a stall.
    """
    if stopping:
        return []
    problems = []
    if halted:
        problems.append(f"mqtt ingest stopped: {halted}")
    elif worker_started and not worker_alive:
        problems.append("mqtt ingest worker is not running (a restart is due)")
    if held and waiting_s > stall_after_s:
        problems.append(f"mqtt ingest stalled: {held} message(s) waiting {waiting_s:.0f} s")
    if not connected:
        problems.append("not connected to the MQTT broker")
    return problems
