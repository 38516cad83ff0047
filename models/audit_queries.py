"""Reading the append-only audit log: filtered, newest first, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from models.store import Store

#: The most rows one page may ask for: a request's work stays bounded.
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
#: At most this many distinct actions are offered in the action picker.
MAX_ACTIONS = 300
_COLUMNS = "seq, occurred_at, actor, action, target, outcome, detail, remote"


@dataclass(frozen=True)
class AuditFilter:
    """What to show of the audit log; every field optional (None: no condition).

    ``actor`` and ``target`` match a part of the value, case-insensitively; ``action`` is a
    prefix (``case.`` finds every case action); ``since``/``until`` are UTC-naive bounds,
    ``until`` exclusive; ``outcome`` is matched exactly.
    """

    actor: str | None = None
    action: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    outcome: str | None = None


def _where(f: AuditFilter) -> tuple[str, list[object]]:
    """The WHERE clause of a filter: the clause is fixed text, every value a parameter."""
    clauses: list[str] = []
    params: list[object] = []
    if f.actor:
        clauses.append("contains(lower(coalesce(actor, '')), lower(?))")
        params.append(f.actor)
    if f.action:
        clauses.append("starts_with(action, ?)")
        params.append(f.action)
    if f.target:
        clauses.append("contains(lower(coalesce(target, '')), lower(?))")
        params.append(f.target)
    if f.since is not None:
        clauses.append("occurred_at >= ?")
        params.append(f.since)
    if f.until is not None:
        clauses.append("occurred_at < ?")
        params.append(f.until)
    if f.outcome:
        clauses.append("outcome = ?")
        params.append(f.outcome)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def search_audit(
    store: Store, f: AuditFilter, *, page: int = 0, page_size: int = DEFAULT_PAGE_SIZE
) -> tuple[pd.DataFrame, int]:
    """One page of the audit rows matching ``f``, newest first (by time, then by order of
    writing), and how many match in all.

    Parameters
    ----------
    store
        The store.
    f
        The filter.
    page, page_size
        Which page (from 0) of how many rows (at most :data:`MAX_PAGE_SIZE`).

    Returns
    -------
    tuple[pandas.DataFrame, int]
        The rows (columns of ``audit_log``; times UTC-naive) and the total count.
    """
    size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    where, params = _where(f)
    total = int(store.query_value(f"SELECT count(*) FROM audit_log{where}", params) or 0)
    df = store.query_df(
        f"SELECT {_COLUMNS} FROM audit_log{where} "
        "ORDER BY occurred_at DESC, seq DESC LIMIT ? OFFSET ?",
        [*params, size, max(0, int(page)) * size],
    )
    return df, total


def audit_actions(store: Store) -> list[str]:
    """The actions in use, most frequent first (for the action picker)."""
    rows = store.query_rows(
        "SELECT action FROM audit_log GROUP BY action ORDER BY count(*) DESC, action LIMIT ?",
        [MAX_ACTIONS],
    )
    return [r[0] for r in rows]


def audit_outcomes(store: Store) -> list[str]:
    """The outcomes in use (ok, denied, failed, …)."""
    rows = store.query_rows("SELECT DISTINCT outcome FROM audit_log ORDER BY outcome LIMIT 50")
    return [r[0] for r in rows]
