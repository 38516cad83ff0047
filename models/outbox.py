"""The outbound MQTT outbox: messages written in the transaction that decides to send them
(a dispatch order, a published warning) and marked sent by the one sender thread after the
broker acknowledged them. A crash in between sends them on the next start (at least once;
receivers deduplicate on the payload's ``id``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.store import Store, WriteTx

#: Attempts after which a message stays unsent and is shown as a problem (never deleted).
MAX_ATTEMPTS = 20


@dataclass(frozen=True)
class Outgoing:
    seq: int
    topic: str
    payload: bytes
    attempts: int


def enqueue(tx: WriteTx, topic: str, payload: bytes, *, now: datetime) -> int:
    """Queue one message inside the caller's transaction; returns its sequence number."""
    if not topic or "#" in topic or "+" in topic:
        raise ValueError(f"not a topic to publish to: {topic!r}")
    row = tx.fetch(
        "INSERT INTO mqtt_outbox (topic, payload, created_at) VALUES (?, ?, ?) RETURNING seq",
        [topic, payload, now],
    )
    return int(row[0][0])


def pending(store: Store, *, limit: int = 500) -> list[Outgoing]:
    """Unsent messages in the order they were queued (those given up on left out)."""
    rows = store.query_rows(
        "SELECT seq, topic, payload, attempts FROM mqtt_outbox WHERE sent_at IS NULL "
        "AND attempts < ? ORDER BY seq LIMIT ?",
        [MAX_ATTEMPTS, limit],
    )
    return [Outgoing(int(s), t, bytes(p), int(a)) for s, t, p, a in rows]


def mark_sent(store: Store, seqs: list[int], *, now: datetime) -> None:
    """Record that the broker acknowledged these messages."""
    if seqs:
        store.write(
            lambda tx: tx.execute(
                "UPDATE mqtt_outbox SET sent_at = ?, attempts = attempts + 1 "
                "WHERE seq IN (SELECT unnest(?::BIGINT[])) AND sent_at IS NULL",
                [now, seqs],
            )
        )


def mark_failed(store: Store, seqs: list[int], error: str) -> None:
    """Count a failed attempt (the message is tried again until :data:`MAX_ATTEMPTS`)."""
    if seqs:
        store.write(
            lambda tx: tx.execute(
                "UPDATE mqtt_outbox SET attempts = attempts + 1, last_error = ? "
                "WHERE seq IN (SELECT unnest(?::BIGINT[])) AND sent_at IS NULL",
                [error[:500], seqs],
            )
        )


def backlog(store: Store) -> dict[str, int]:
    """How many messages wait, and how many were given up on (for health)."""
    waiting, stuck = store.query_rows(
        "SELECT count(*) FILTER (WHERE attempts < ?), count(*) FILTER (WHERE attempts >= ?) "
        "FROM mqtt_outbox WHERE sent_at IS NULL",
        [MAX_ATTEMPTS, MAX_ATTEMPTS],
    )[0]
    return {"waiting": int(waiting), "given_up": int(stuck)}
