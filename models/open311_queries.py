"""Read queries behind the public Open311 API: enabled services and the published cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from models.store import Store
from models.workflow import TERMINAL_STAGES

#: Keys of each :func:`published_requests` row.
REQUEST_COLUMNS = (
    "case_id",
    "stage",
    "category_code",
    "name_zh",
    "name_en",
    "description",
    "assigned_unit",
    "reported_at",
    "due_at",
    "lon",
    "lat",
    "address",
    "updated",
)


@dataclass(frozen=True)
class RequestQuery:
    """Which published cases a client asks for (already validated and bounded).

    ``ids`` given: only those (the spec: ids override the other filters, except that
    only ``sources`` are ever published, and drills, cases flagged with a category issue
    and cases outside every grid cell never are).
    """

    sources: tuple[str, ...]
    ids: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    status: Literal["open", "closed"] | None = None
    start: datetime | None = None
    end: datetime | None = None
    limit: int = 200
    offset: int = 0


def enabled_services(store: Store) -> list[dict[str, Any]]:
    """The enabled categories: code, kind, names and register condition, by code."""
    frame = store.query_df(
        "SELECT category_code, kind, name_zh, name_en, register_condition FROM categories "
        "WHERE enabled ORDER BY category_code"
    )
    return list(frame.to_dict("records"))


def category_enabled(store: Store, code: str) -> bool:
    """Whether ``code`` names an enabled category."""
    found = store.query_value(
        "SELECT count(*) FROM categories WHERE category_code = ? AND enabled", [code]
    )
    return bool(found)


#: The stage a published case shows: a duplicate merged into another case (``duplicate_of``)
#: shows the original's, so its reporter follows the matter that is actually handled.
_SHOWN_STAGE = (
    "coalesce((SELECT o.stage FROM cases o WHERE o.case_id = c.duplicate_of), c.stage)"
)


def _where(query: RequestQuery) -> tuple[str, list[Any]]:
    # never published: drills, a category flagged unknown/disabled until re-categorised
    # (no service to name), and a case outside every grid cell (no place in the city)
    where = (
        "NOT c.exercise AND c.category_issue IS NULL AND c.cell_code IS NOT NULL "
        f"AND c.source IN ({', '.join('?' * len(query.sources))})"
    )
    params: list[Any] = list(query.sources)
    if query.ids:
        return where + f" AND c.case_id IN ({', '.join('?' * len(query.ids))})", [
            *params,
            *query.ids,
        ]
    if query.codes:
        where += f" AND c.category_code IN ({', '.join('?' * len(query.codes))})"
        params += query.codes
    if query.status is not None:
        terminal = sorted(TERMINAL_STAGES)
        negate = "NOT " if query.status == "open" else ""
        where += f" AND {_SHOWN_STAGE} {negate}IN ({', '.join('?' * len(terminal))})"
        params += terminal
    if query.start is not None:
        where += " AND c.reported_at >= ?"
        params.append(query.start)
    if query.end is not None:
        where += " AND c.reported_at <= ?"
        params.append(query.end)
    return where, params


def published_requests(store: Store, query: RequestQuery) -> list[dict[str, Any]]:
    """The published cases ``query`` asks for, newest report first, one page of them.

    The page is chosen first; names, address parts and the last transition are read for
    its rows only, so a request costs about its page, not the whole table. A case merged
    into another shows the original's stage, unit, deadline and last change.

    Returns
    -------
    list of dict
        One dict per case with the :data:`REQUEST_COLUMNS` (raw: not yet redacted).
    """
    if not query.sources:
        return []
    where, params = _where(query)
    frame = store.query_df(
        "WITH page AS ("
        " SELECT c.case_id, c.stage, c.category_code, c.description, c.assigned_unit,"
        " c.reported_at, c.due_at, c.lon, c.lat, c.address, c.district_code,"
        " c.street_code, c.community_code, c.duplicate_of"
        f" FROM cases c WHERE {where}"
        " ORDER BY c.reported_at DESC, c.case_id DESC LIMIT ? OFFSET ?),"
        " touched AS (SELECT t.case_id, max(t.occurred_at) AS updated FROM case_transitions t"
        " WHERE t.case_id IN (SELECT case_id FROM page UNION SELECT duplicate_of FROM page)"
        " GROUP BY t.case_id)"
        " SELECT p.case_id, coalesce(o.stage, p.stage) AS stage, p.category_code, k.name_zh,"
        " k.name_en, p.description,"
        " CASE WHEN o.case_id IS NULL THEN p.assigned_unit ELSE o.assigned_unit END"
        " AS assigned_unit, p.reported_at,"
        " CASE WHEN o.case_id IS NULL THEN p.due_at ELSE o.due_at END AS due_at, p.lon, p.lat,"
        " COALESCE(p.address, concat_ws(' ', d.name_zh, s.name_zh, m.name_zh)) AS address,"
        " greatest(u.updated, uo.updated) AS updated"
        " FROM page p LEFT JOIN categories k ON k.category_code = p.category_code"
        " LEFT JOIN cases o ON o.case_id = p.duplicate_of"
        " LEFT JOIN touched uo ON uo.case_id = p.duplicate_of"
        " LEFT JOIN admin_areas d ON d.code = p.district_code"
        " LEFT JOIN admin_areas s ON s.code = p.street_code"
        " LEFT JOIN admin_areas m ON m.code = p.community_code"
        " LEFT JOIN touched u ON u.case_id = p.case_id"
        " ORDER BY p.reported_at DESC, p.case_id DESC",
        [*params, query.limit, query.offset],
    )
    return [{k: row[k] for k in REQUEST_COLUMNS} for row in frame.to_dict("records")]
