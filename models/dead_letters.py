"""Rejected input kept for inspection (the dead-letter table): reading it, a page at a time,
and recording what came of sending a dead letter through ingest again."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import pandas as pd

from models.store import Store, WriteTx

#: bytes of a payload read for its preview: never the whole (up to 64 KiB) payload
PREVIEW_BYTES = 480


def list_dead_letters(store: Store, *, limit: int = 50, channel: str | None = None) -> pd.DataFrame:
    """The newest unresolved dead letters, with a printable preview of each payload (a slice).

    Only the first :data:`PREVIEW_BYTES` of a payload are read; ``payload_size`` and
    ``payload_sha256`` describe the whole payload as received (null for rows stored before
    they were recorded).
    """
    where, params = "resolved_at IS NULL", []
    if channel:
        where += " AND channel = ?"
        params.append(channel)
    df = store.query_df(
        "SELECT dead_letter_id, received_at, channel, topic, reason, "
        f"array_slice(payload, 1, {PREVIEW_BYTES}) AS head, "
        "coalesce(payload_size, octet_length(payload)) AS payload_size, payload_sha256 "
        f"FROM dead_letters WHERE {where} ORDER BY dead_letter_id DESC LIMIT ?",
        [*params, limit],
    )
    df["preview"] = [_preview(p) for p in df.pop("head")]
    return df


def _preview(payload: object, width: int = 120) -> str:
    if payload is None:
        return ""
    raw = bytes(payload)  # type: ignore[arg-type]
    # the head may end inside a UTF-8 sequence: drop the broken tail rather than escape it
    text = raw.decode("utf-8", errors="ignore" if len(raw) >= PREVIEW_BYTES else "backslashreplace")
    return text if len(text) <= width else text[: width - 1] + "…"


#: The most rows one page may ask for: a request's work stays bounded.
MAX_PAGE_SIZE = 200
#: The outcome recorded on a dead letter that went through ingest again and was taken.
INGESTED = "ingested"
#: Dead letters of which state are listed: not yet taken again, taken again, or all.
State = Literal["open", "reingested", "all"]
_STATES: dict[str, str] = {
    "open": f"(reingest_outcome IS NULL OR reingest_outcome <> '{INGESTED}')",
    "reingested": "reingested_at IS NOT NULL",
    "all": "TRUE",
}


@dataclass(frozen=True)
class DeadLetterFilter:
    """Which dead letters to list: ``channel`` exactly, ``text`` a part of the topic or the
    reason (case-insensitive), ``since`` a UTC-naive lower bound of ``received_at``."""

    channel: str | None = None
    text: str | None = None
    since: datetime | None = None
    state: State = "open"


@dataclass(frozen=True)
class DeadLetter:
    """One dead letter with its stored bytes (at most the first 64 KiB of the payload)."""

    dead_letter_id: int
    received_at: datetime
    channel: str
    topic: str | None
    payload: bytes | None
    reason: str
    payload_size: int | None
    payload_sha256: str | None
    reingest_outcome: str | None

    @property
    def truncated(self) -> bool:
        """The stored bytes are not the whole payload as received."""
        stored = len(self.payload or b"")
        return self.payload_size is not None and self.payload_size > stored

    @property
    def intact(self) -> bool:
        """The stored bytes hash to the recorded sha256 (true when none was recorded)."""
        if self.payload_sha256 is None or self.payload is None:
            return True
        return hashlib.sha256(self.payload).hexdigest() == self.payload_sha256


def search_dead_letters(
    store: Store, f: DeadLetterFilter, *, page: int = 0, page_size: int = 50
) -> tuple[pd.DataFrame, int]:
    """One page of matching dead letters, newest first, with a preview; and the total count.

    The re-ingest columns (``reingested_at``, ``reingested_by``, ``reingest_outcome``) come
    with each row; payloads are read only as far as their preview.
    """
    clauses, params = [_STATES.get(f.state, _STATES["open"])], []
    if f.channel:
        clauses.append("channel = ?")
        params.append(f.channel)
    if f.text:
        clauses.append(
            "(contains(lower(coalesce(topic, '')), lower(?)) OR contains(lower(reason), lower(?)))"
        )
        params += [f.text, f.text]
    if f.since is not None:
        clauses.append("received_at >= ?")
        params.append(f.since)
    where = " AND ".join(clauses)
    size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    total = int(store.query_value(f"SELECT count(*) FROM dead_letters WHERE {where}", params))
    df = store.query_df(
        "SELECT dead_letter_id, received_at, channel, topic, reason, "
        f"array_slice(payload, 1, {PREVIEW_BYTES}) AS head, "
        "coalesce(payload_size, octet_length(payload)) AS payload_size, payload_sha256, "
        "octet_length(payload) AS stored_size, reingested_at, reingested_by, reingest_outcome "
        f"FROM dead_letters WHERE {where} ORDER BY dead_letter_id DESC LIMIT ? OFFSET ?",
        [*params, size, max(0, int(page)) * size],
    )
    df["preview"] = [_preview(p) for p in df.pop("head")]
    return df, total


def dead_letter_channels(store: Store) -> list[str]:
    """The channels dead letters came through (mqtt, file, http)."""
    return [r[0] for r in store.query_rows("SELECT DISTINCT channel FROM dead_letters ORDER BY 1")]


def load_dead_letters(store: Store, ids: list[int]) -> dict[int, DeadLetter]:
    """The dead letters of ``ids`` with their stored bytes (absent ids are left out)."""
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = store.query_rows(
        "SELECT dead_letter_id, received_at, channel, topic, payload, reason, payload_size, "
        f"payload_sha256, reingest_outcome FROM dead_letters WHERE dead_letter_id IN ({marks})",
        [int(i) for i in ids],
    )
    return {
        int(r[0]): DeadLetter(
            int(r[0]),
            r[1],
            r[2],
            r[3],
            None if r[4] is None else bytes(r[4]),
            r[5],
            None if r[6] is None else int(r[6]),
            r[7],
            r[8],
        )
        for r in rows
    }


def record_reingest(
    tx: WriteTx, dead_letter_id: int, *, outcome: str, actor: str, at: datetime
) -> None:
    """Record on the dead letter what came of sending it through ingest again, and audit it
    (inside the caller's transaction: with the rows ingest wrote, or alone when refused).

    A taken message is resolved too; a refused one stays open with the new reason as its
    outcome (the original reason is kept: it says why the message came here first).
    """
    taken = outcome == INGESTED
    tx.execute(
        "UPDATE dead_letters SET reingested_at = ?, reingested_by = ?, reingest_outcome = ?, "
        "resolved_at = CASE WHEN ? THEN ? ELSE resolved_at END WHERE dead_letter_id = ?",
        [at, actor, outcome[:2000], taken, at, dead_letter_id],
    )
    tx.execute(
        "INSERT INTO audit_log (occurred_at, actor, action, target, outcome, detail) "
        "VALUES (?, ?, 'deadletter.reingest', ?, ?, ?)",
        [at, actor, f"dead_letter:{dead_letter_id}", "ok" if taken else "refused", outcome[:2000]],
    )
