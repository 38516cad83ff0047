"""What the daily and monthly reports read besides the indicators and the evaluation: the
period's cases (for the map and the category chart), cases per local day, and the notable
incidents and overdue or escalated cases of the period, each within a scope."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from models.security import Scope
from models.store import Store

#: The period's cases a report looks at: reported in ``[start, end)``, no drills, not voided.
_PERIOD = "NOT c.exercise AND c.stage <> 'void' AND c.reported_at >= ? AND c.reported_at < ?"


def _where(scope: Scope, start: datetime, end: datetime) -> tuple[str, list[Any]]:
    cond, params = scope.case_filter("c.cell_code", "c.assigned_unit")
    return f"{_PERIOD} AND {cond}", [start, end, *params]


def period_cases(store: Store, *, start: datetime, end: datetime, scope: Scope) -> pd.DataFrame:
    """The period's located cases: ``case_id``, ``lon``, ``lat``, ``stage``, ordered by id."""
    where, params = _where(scope, start, end)
    return store.query_df(
        "SELECT c.case_id, c.lon, c.lat, c.stage FROM cases c "
        f"WHERE {where} AND c.lon IS NOT NULL AND c.lat IS NOT NULL ORDER BY c.case_id",
        params,
    )


def category_counts(store: Store, *, start: datetime, end: datetime, scope: Scope) -> pd.DataFrame:
    """Cases of the period per category, most first: ``category_code``, ``name_zh``,
    ``name_en``, ``cases``."""
    where, params = _where(scope, start, end)
    return store.query_df(
        "SELECT c.category_code, coalesce(k.name_zh, c.category_code, '未分类') AS name_zh, "
        "coalesce(k.name_en, c.category_code, 'unclassified') AS name_en, count(*) AS cases "
        "FROM cases c LEFT JOIN categories k ON k.category_code = c.category_code "
        f"WHERE {where} GROUP BY ALL ORDER BY cases DESC, c.category_code",
        params,
    )


def daily_counts(
    store: Store, *, start: datetime, end: datetime, scope: Scope, tz: str
) -> pd.DataFrame:
    """Per local day (``tz``) of the period: ``day`` (a date), ``reported`` and, of those,
    ``closed`` by now; days without cases are absent."""
    where, params = _where(scope, start, end)
    local = "timezone(?, timezone('UTC', c.reported_at))"
    return store.query_df(
        f"SELECT CAST({local} AS DATE) AS day, count(*) AS reported, "
        "count(*) FILTER (WHERE c.closed_at IS NOT NULL) AS closed "
        f"FROM cases c WHERE {where} GROUP BY day ORDER BY day",
        [tz, *params],
    )


def period_incidents(
    store: Store, *, start: datetime, end: datetime, limit: int = 50
) -> pd.DataFrame:
    """Incidents (突发事件) opened in the period, not drills, gravest first: ``incident_id``,
    ``incident_type``, ``level``, ``title``, ``lon``, ``lat``, ``status``, ``opened_at``,
    ``closed_at``. (Incidents carry a point, not a cell: a caller narrows them by place.)"""
    return store.query_df(
        "SELECT incident_id, incident_type, level, title, lon, lat, status, opened_at, "
        "closed_at FROM incidents WHERE NOT exercise AND opened_at >= ? AND opened_at < ? "
        "ORDER BY CASE level WHEN 'I' THEN 1 WHEN 'II' THEN 2 WHEN 'III' THEN 3 ELSE 4 END, "
        "opened_at, incident_id LIMIT ?",
        [start, end, limit],
    )


def notable_cases(
    store: Store, *, start: datetime, end: datetime, scope: Scope, now: datetime, limit: int = 20
) -> pd.DataFrame:
    """The period's cases a leader should hear of: escalated (督办) or past their deadline
    and still open at ``now``; escalated first, then the longest overdue. Columns
    ``case_id``, ``category``, ``district``, ``street``, ``stage``, ``reported_at``,
    ``due_at``, ``escalation_level``, ``overdue_hours`` (NULL when not overdue)."""
    where, params = _where(scope, start, end)
    return store.query_df(
        "SELECT c.case_id, coalesce(k.name_zh, c.category_code) AS category, "
        "d.name_zh AS district, s.name_zh AS street, c.stage, c.reported_at, c.due_at, "
        "c.escalation_level, "
        "CASE WHEN c.closed_at IS NULL AND c.due_at < ? "
        "THEN date_diff('minute', c.due_at, ?) / 60.0 END AS overdue_hours "
        "FROM cases c LEFT JOIN categories k ON k.category_code = c.category_code "
        "LEFT JOIN admin_areas d ON d.code = c.district_code "
        "LEFT JOIN admin_areas s ON s.code = c.street_code "
        f"WHERE {where} AND (c.escalation_level IS NOT NULL "
        "OR (c.closed_at IS NULL AND c.due_at < ?)) "
        "ORDER BY c.escalation_level IS NULL, overdue_hours DESC NULLS LAST, c.case_id LIMIT ?",
        [now, now, *params, now, limit],
    )


def area_names(store: Store, codes: list[str]) -> dict[str, str]:
    """Chinese names of administrative areas by code (codes not found are left out)."""
    if not codes:
        return {}
    marks = ", ".join("?" for _ in codes)
    rows = store.query_rows(
        f"SELECT code, name_zh FROM admin_areas WHERE code IN ({marks})", list(codes)
    )
    return {code: name for code, name in rows}


def synthetic_parts(store: Store) -> list[str]:
    """What in the store is made up (a report says so on its cover): ``geography`` when an
    administrative area is synthetic (the demo city), ``statistics`` when an imported
    indicator value is marked synthetic."""
    row = store.query_rows(
        "SELECT (SELECT coalesce(bool_or(synthetic), FALSE) FROM admin_areas), "
        "(SELECT coalesce(bool_or(synthetic), FALSE) FROM indicator_values)"
    )[0]
    return [name for name, flag in zip(("geography", "statistics"), row, strict=True) if flag]
