"""The audit log of a filter as a stream of row batches, oldest first, for the exports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from models.audit_queries import AuditFilter, _where
from models.store import Store

#: The export's columns, in order (the audit log's own).
AUDIT_EXPORT_COLUMNS: tuple[str, ...] = (
    "seq", "occurred_at", "actor", "action", "target", "outcome", "detail", "remote",
)  # fmt: skip
BATCH_ROWS = 5000


def audit_export_batches(
    store: Store, f: AuditFilter, *, batch_rows: int = BATCH_ROWS
) -> Iterator[list[dict[str, Any]]]:
    """The audit rows matching ``f`` (the admin tab's filter, one reading of it), oldest
    first, a batch of dicts at a time (times naive UTC)."""
    where, params = _where(f)
    sql = f"SELECT {', '.join(AUDIT_EXPORT_COLUMNS)} FROM audit_log{where} ORDER BY seq"
    for batch in store.query_batches(sql, params, batch_rows=batch_rows):
        yield batch.to_pylist()
