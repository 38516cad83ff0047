"""Sending a dead letter through ingest again once its cause is fixed (a sensor added to the
registry, a unit to the resources): the original bytes take the live MQTT path, parsing
(:func:`ingest.payloads.parse_message`), rows (:func:`ingest.rows.build_rows`), routing
(:func:`ingest.route_reports.attach_routes`) and the one writer (:func:`ingest.sink.write_batch`).

What comes of it is recorded on the dead letter itself and audited:

- taken: ``reingest_outcome = 'ingested'`` and the letter is resolved, in the same
  transaction as the rows it wrote; a second re-ingest is harmless (message ids deduplicate);
- refused again: the transaction is rolled back, so the refusal does NOT become a second
  dead letter; the new reason is recorded as the letter's outcome and it stays open;
- not re-ingestable at all: a truncated payload (the store keeps the first 64 KiB), bytes
  that do not match their sha256, anything not received over MQTT (files are loaded again
  with `cityops ingest`), a report kept as the case builder read it: refused with the reason.

The message is judged as of when it was received (``received_at`` is the time window's
clock and the rows' receipt time), so fixing a registry does not also move the window.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ingest.payloads import DEFAULT_PREFIX, parse_message
from ingest.route_reports import REFUSED_REPORT_TOPIC, attach_routes
from ingest.rows import BatchRows, Locator, build_rows
from ingest.sink import DEFAULT_ARRIVAL_RADIUS_M, write_batch
from ingest.time_window import DEFAULT_WINDOW, TimeWindow
from models.case_builder import DEFAULT_TIMEZONE
from models.dead_letters import INGESTED, DeadLetter, load_dead_letters, record_reingest
from models.store import Store, StoreError, WriteTx

#: The most dead letters one request sends through ingest again (a request's work is bounded).
MAX_PER_REQUEST = 200


@dataclass(frozen=True)
class ReingestOptions:
    """The live ingest's settings (``mqtt.topic_prefix``, the time window, the case time zone
    ``calendar.timezone``, ``emergency.arrival_radius_m``) and its cell locator."""

    locate: Locator
    prefix: str = DEFAULT_PREFIX
    window: TimeWindow = DEFAULT_WINDOW
    tz: str = DEFAULT_TIMEZONE
    arrival_radius_m: float = DEFAULT_ARRIVAL_RADIUS_M


@dataclass(frozen=True)
class ReingestResult:
    dead_letter_id: int
    outcome: str  # 'ingested' or the reason it was refused

    @property
    def taken(self) -> bool:
        return self.outcome == INGESTED


def reingest_refusal(letter: DeadLetter) -> str | None:
    """Why ``letter`` cannot go through ingest again at all, or None (pure)."""
    if letter.channel != "mqtt":
        if letter.channel == "file":
            return "a file is not re-ingested from here: load it again with `cityops ingest PATH`"
        return f"only MQTT messages can be re-ingested (this came by {letter.channel})"
    if letter.topic == REFUSED_REPORT_TOPIC:
        return "kept as the case builder read it, not as received: it cannot be re-ingested"
    if letter.payload is None or letter.topic is None:
        return "no payload kept: it cannot be re-ingested"
    if letter.truncated:
        return (
            f"payload truncated: {len(letter.payload):,} of {letter.payload_size:,} bytes kept, "
            "it cannot be re-ingested"
        )
    if not letter.intact:
        return "the kept bytes do not match their sha256: it cannot be re-ingested"
    return None


class _RefusedAgain(Exception):
    """Raised inside the write so that the refused message's new dead letter is rolled back."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _refusal_of(rows: BatchRows) -> str | None:
    if rows.dead_letters is None or not rows.dead_letters.num_rows:
        return None
    return str(rows.dead_letters["reason"][0].as_py())


def reingest_letter(
    store: Store, letter: DeadLetter, *, actor: str, now: datetime, options: ReingestOptions
) -> ReingestResult:
    """Send one dead letter through ingest again and record the outcome on it (audited)."""
    reason = reingest_refusal(letter)
    if reason is None:
        assert letter.topic is not None and letter.payload is not None
        at = letter.received_at
        parsed = parse_message(
            letter.topic, letter.payload, prefix=options.prefix, now=at, window=options.window
        )
        rows = build_rows([parsed], received_at=at, locate=options.locate, window=options.window)
        reason = _refusal_of(rows)
        if reason is None:
            attach_routes(store, rows, tz=options.tz)
            reason = _refusal_of(rows)
        if reason is None:

            def write(tx: WriteTx) -> None:
                write_batch(tx, rows, arrival_radius_m=options.arrival_radius_m)
                if (again := _refusal_of(rows)) is not None:
                    raise _RefusedAgain(again)
                record_reingest(tx, letter.dead_letter_id, outcome=INGESTED, actor=actor, at=now)

            try:
                store.write(write)
                return ReingestResult(letter.dead_letter_id, INGESTED)
            except _RefusedAgain as exc:
                reason = exc.reason
            except StoreError:
                raise
            except Exception as exc:  # the store refused the rows: say so, never crash
                reason = f"ingest failed on this message: {type(exc).__name__}: {exc}"[:2000]
    store.write(
        lambda tx: record_reingest(tx, letter.dead_letter_id, outcome=reason, actor=actor, at=now)
    )
    return ReingestResult(letter.dead_letter_id, reason)


def reingest_dead_letters(
    store: Store,
    ids: Iterable[int],
    *,
    actor: str,
    now: datetime,
    options: ReingestOptions,
) -> list[ReingestResult]:
    """Send the dead letters ``ids`` through ingest again, one transaction each, in order.

    An id with no dead letter gets the outcome "no such dead letter" (nothing recorded);
    more than :data:`MAX_PER_REQUEST` ids raise ``ValueError``.
    """
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if len(wanted) > MAX_PER_REQUEST:
        raise ValueError(f"at most {MAX_PER_REQUEST} dead letters at a time")
    letters = load_dead_letters(store, wanted)
    results = []
    for i in wanted:
        letter = letters.get(i)
        if letter is None:
            results.append(ReingestResult(i, "no such dead letter"))
            continue
        results.append(reingest_letter(store, letter, actor=actor, now=now, options=options))
    return results
