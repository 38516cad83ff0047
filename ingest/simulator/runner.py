"""Play a message stream in real time: pacing by simulated speed and/or rate, sinks, progress logs.

The only wall-clock code of the simulator: it decides *when* each message goes out; what
goes out comes from the pure stream.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol, TextIO

from ingest.mqtt.publisher import Publisher
from ingest.simulator.clock import iso_local
from ingest.simulator.stream import Message

log = logging.getLogger("cityops.simulate")

_MAX_SLEEP_S = 0.25
_CHECK_EVERY = 256


class Sink(Protocol):
    """Where messages go: the broker, or stdout for a dry run."""

    def send(self, topic: str, payload: bytes) -> None: ...

    def flush(self, timeout: float) -> bool: ...

    def close(self) -> None: ...

    def stats(self) -> dict[str, int]: ...


class PublisherSink:
    """Publish through :class:`ingest.mqtt.publisher.Publisher` (throttled on acks)."""

    def __init__(self, publisher: Publisher) -> None:
        self.publisher = publisher

    def send(self, topic: str, payload: bytes) -> None:
        self.publisher.publish(topic, payload)

    def flush(self, timeout: float) -> bool:
        return self.publisher.flush(timeout)

    def close(self) -> None:
        self.publisher.close()

    def stats(self) -> dict[str, int]:
        return self.publisher.stats()


class DryRunSink:
    """Write ``topic payload`` lines to a text stream instead of publishing."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.written = 0

    def send(self, topic: str, payload: bytes) -> None:
        self.out.write(f"{topic} {payload.decode('utf-8').replace(chr(10), ' ')}\n")
        self.written += 1

    def flush(self, timeout: float) -> bool:
        self.out.flush()
        return True

    def close(self) -> None:
        self.out.flush()

    def stats(self) -> dict[str, int]:
        return {"written": self.written}


@dataclass(frozen=True)
class Pacing:
    """When messages go out.

    ``speed``: simulated seconds per real second; a message waits for its simulated moment
    (None: the simulated clock does not hold messages back). ``rate``: at most this many
    messages per second (None: no limit). Both None: as fast as the sink takes them.
    """

    speed: float | None = 1.0
    rate: float | None = None


@dataclass
class RunStats:
    """What a run did."""

    sent: int = 0
    elapsed_s: float = 0.0
    first_ts: int | None = None
    last_ts: int | None = None
    stopped_by: str = ""
    flushed: bool = True


def run_stream(
    messages: Iterable[Message],
    sink: Sink,
    *,
    pacing: Pacing,
    duration_s: float | None = None,
    count: int | None = None,
    sim_start: int | None = None,
    log_every_s: float = 5.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    flush_timeout_s: float = 60.0,
) -> RunStats:
    """Send ``messages`` to ``sink`` paced by ``pacing`` until ``count`` or ``duration_s``.

    Parameters
    ----------
    messages : iterable of Message
        In simulated-time order (e.g. :func:`simulate_messages`).
    sink : Sink
    pacing : Pacing
    duration_s : float, optional
        Stop after this many real seconds.
    count : int, optional
        Stop after this many messages.
    sim_start : int, optional
        Simulated moment that plays at the first real instant (default: the first message's).
    log_every_s : float
        Real seconds between progress log lines.
    clock, sleep
        Real time, replaceable in tests.
    flush_timeout_s : float
        How long to wait for outstanding acknowledgements at the end.

    Returns
    -------
    RunStats
    """
    stats = RunStats()
    r0 = clock()
    deadline = None if duration_s is None else r0 + duration_s
    next_log = r0 + log_every_s
    progress = _Progress(sink, r0)
    sim0 = sim_start
    speed, rate = pacing.speed, pacing.rate
    paced = speed is not None or rate is not None
    stopped_by = "end of stream"
    due: float | None = None
    for m in messages:
        if count is not None and stats.sent >= count:
            stopped_by = "count"
            break
        if stats.first_ts is None:
            stats.first_ts = m.ts
            sim0 = m.ts if sim0 is None else sim0
        if paced or stats.sent % _CHECK_EVERY == 0:
            now = clock()
            if paced:
                due = r0 if speed is None else r0 + (m.ts - sim0) / speed  # type: ignore[operator]
                if rate is not None:
                    due = max(due, r0 + stats.sent / rate)
                while due - now > 0.001 and (deadline is None or now < deadline):
                    sleep(min(due - now, _MAX_SLEEP_S))
                    now = clock()
                    if now >= next_log:
                        progress.log(stats.sent, now, m.ts, due)
                        next_log = now + log_every_s
            if deadline is not None and now >= deadline:
                stopped_by = "duration"
                break
            if now >= next_log:
                progress.log(stats.sent, now, m.ts, due)
                next_log = now + log_every_s
        sink.send(m.topic, m.payload)
        stats.sent += 1
        stats.last_ts = m.ts
    stats.stopped_by = stopped_by
    stats.flushed = sink.flush(flush_timeout_s)
    stats.elapsed_s = clock() - r0
    log.info(
        "simulate finished",
        extra={
            "sent": stats.sent,
            "elapsed_s": round(stats.elapsed_s, 2),
            "rate_msg_s": round(stats.sent / stats.elapsed_s, 1) if stats.elapsed_s else None,
            "sim_from": iso_local(stats.first_ts) if stats.first_ts is not None else None,
            "sim_to": iso_local(stats.last_ts) if stats.last_ts is not None else None,
            "stopped_by": stopped_by,
            "flushed": stats.flushed,
            **sink.stats(),
        },
    )
    return stats


class _Progress:
    """Progress log lines: messages sent, recent rate, simulated time, lag, sink counters."""

    def __init__(self, sink: Sink, now: float) -> None:
        self.sink = sink
        self.last_sent, self.last_at = 0, now

    def log(self, sent: int, now: float, sim_ts: int, due: float | None) -> None:
        span = max(now - self.last_at, 1e-9)
        extra: dict[str, object] = {
            "sent": sent,
            "rate_msg_s": round((sent - self.last_sent) / span, 1),
            "sim_time": iso_local(sim_ts),
            **self.sink.stats(),
        }
        if due is not None:
            extra["behind_s"] = round(max(0.0, now - due), 2)
        log.info("simulate progress", extra=extra)
        self.last_sent, self.last_at = sent, now
