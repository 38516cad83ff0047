"""An incident's timeline (incident_events): everything that happens to it, in order, appended
in the transaction of the change it records, never updated nor deleted."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from models.store import Store, WriteTx

#: What a timeline entry may record.
KINDS = (
    "opened", "level", "plan", "task_done", "order", "resent", "unacked", "ack", "arrived",
    "status", "warning", "note", "camera", "closed", "reopened",
)  # fmt: skip


def append_event(
    tx: WriteTx,
    incident_id: str,
    kind: str,
    *,
    at: datetime,
    actor: str | None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one entry inside the caller's transaction; returns its sequence number."""
    if kind not in KINDS:
        raise ValueError(f"unknown timeline kind {kind!r}")
    seq = tx.fetch(
        "SELECT coalesce(max(seq), 0) + 1 FROM incident_events WHERE incident_id = ?",
        [incident_id],
    )[0][0]
    tx.execute(
        "INSERT INTO incident_events (incident_id, seq, occurred_at, actor, kind, detail) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [incident_id, seq, at, actor, kind, json.dumps(detail or {}, ensure_ascii=False)],
    )
    return int(seq)


def timeline(store: Store, incident_id: str) -> list[dict[str, Any]]:
    """The incident's entries, oldest first, ``detail`` decoded."""
    rows = store.query_rows(
        "SELECT seq, occurred_at, actor, kind, detail FROM incident_events "
        "WHERE incident_id = ? ORDER BY seq",
        [incident_id],
    )
    return [
        {"seq": s, "at": at, "actor": a, "kind": k, "detail": json.loads(d or "{}")}
        for s, at, a, k, d in rows
    ]
