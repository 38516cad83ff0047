"""The dispatch queue on the server: filter, sort and page the cases of a scope in SQL.

The page's SLA standing comes from :func:`models.sla.sla_status` over each row's folded
history (one query for the page's histories), the one definition; the ``overdue`` and
``near`` filters select the same cases in SQL (:mod:`models.queue_deadlines`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from models.cases import CaseError, histories, sla_limit
from models.queue_deadlines import due_cte
from models.security import Scope
from models.sla import dispatched_limit, sla_status
from models.store import Store
from models.work_calendar import WorkCalendar
from models.workflow import STAGES, fold

#: Values of :attr:`QueueFilter.due`.
DUE_FILTERS: tuple[str, ...] = ("overdue", "near", "dispatch_overdue")
#: Columns the queue sorts by (``case_id`` always breaks ties, so paging is stable).
SORTABLE: tuple[str, ...] = (
    "reported_at",
    "due_at",
    "dispatch_due_at",
    "stage",
    "category_code",
    "district_code",
    "street_code",
    "source",
    "case_id",
    "assigned_unit",
    "claimed_by",
    "escalation_level",
    "change_seq",
)
#: At most this many rows per page.
MAX_LIMIT = 1000
DESCRIPTION_CHARS = 120
_DISTRICT_RE = re.compile(r"^\d{6}$")
_STREET_RE = re.compile(r"^\d{9}$")


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows; every field narrows it (empty/None: no condition).

    ``stages`` empty means every open stage (not closed nor void) unless ``include_closed``.
    ``due``: ``overdue`` (working time left below zero, i.e. red), ``near`` (SLA level
    yellow: at least 80 % of the limit used, not overdue), ``dispatch_overdue`` (registered
    and not dispatched by ``dispatch_due_at``). ``text`` matches the case id, description,
    address and category name (zh/en), case-insensitively, as plain text.
    """

    stages: tuple[str, ...] = ()
    include_closed: bool = False
    categories: tuple[str, ...] = ()
    district: str | None = None
    street: str | None = None
    sources: tuple[str, ...] = ()
    due: str | None = None
    exercise: bool | None = None
    text: str | None = None
    claimed_by: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue: JSON-friendly rows, the filter's total and the live cursor."""

    rows: list[dict]
    total: int
    max_seq: int


_ROW_SQL = """
SELECT c.case_id, c.stage, c.category_code, k.name_zh AS category_name_zh,
       k.name_en AS category_name_en, c.source, c.district_code, d.name_zh AS district_name,
       c.street_code, s.name_zh AS street_name, c.reported_at, c.due_at, c.assigned_unit,
       c.claimed_by, c.exercise, left(c.description, {chars}) AS description, c.lon, c.lat,
       c.escalation_level, c.change_seq, k.limit_value, k.limit_unit, c.sla_limit_s,
       c.dispatch_due_at AS __dispatch_due_at
FROM cases c
LEFT JOIN categories k ON k.category_code = c.category_code
LEFT JOIN admin_areas d ON d.level = 'district' AND d.code = c.district_code
LEFT JOIN admin_areas s ON s.level = 'street' AND s.code = c.street_code
"""


def _strings(name: str, values: Any) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, (tuple, list)):
        raise ValueError(f"{name} must be a list of strings, not {values!r}")
    if not all(isinstance(v, str) and v for v in values):
        raise ValueError(f"{name} must hold non-empty strings only, not {list(values)!r}")
    return tuple(values)


def _optional_text(name: str, value: Any, pattern: re.Pattern[str] | None = None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or (pattern is not None and not pattern.match(value)):
        what = f" matching {pattern.pattern}" if pattern is not None else ""
        raise ValueError(f"{name} must be a string{what}, not {value!r}")
    return value


def _like(text: str) -> str:
    """An ILIKE pattern matching ``text`` anywhere, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(flt: QueueFilter, *, now: datetime) -> tuple[list[str], list[Any]]:
    """SQL conditions on ``cases c`` / ``categories k`` and their parameters (no ``due``)."""
    if not isinstance(flt, QueueFilter):
        raise ValueError(f"the filter must be a QueueFilter, not {type(flt).__name__}")
    where: list[str] = []
    params: list[Any] = []
    stages = _strings("stages", flt.stages)
    unknown = sorted(set(stages) - set(STAGES))
    if unknown:
        raise ValueError(f"unknown stage(s) {', '.join(unknown)}; known: {', '.join(STAGES)}")
    if stages:
        where.append("c.stage IN (SELECT unnest(?))")
        params.append(list(stages))
    elif not flt.include_closed:
        where.append("c.stage NOT IN ('closed', 'void')")
    for column, name, values in (
        ("c.category_code", "categories", flt.categories),
        ("c.source", "sources", flt.sources),
    ):
        chosen = _strings(name, values)
        if chosen:
            where.append(f"{column} IN (SELECT unnest(?))")
            params.append(list(chosen))
    for column, name, value, pattern in (
        ("c.district_code", "district", flt.district, _DISTRICT_RE),
        ("c.street_code", "street", flt.street, _STREET_RE),
        ("c.claimed_by", "claimed_by", flt.claimed_by, None),
        ("c.assigned_unit", "unit", flt.unit, None),
    ):
        if _optional_text(name, value, pattern) is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if flt.exercise is not None:
        if not isinstance(flt.exercise, bool):
            raise ValueError(f"exercise must be true, false or null, not {flt.exercise!r}")
        where.append("c.exercise = ?")
        params.append(flt.exercise)
    text = _optional_text("text", flt.text)
    if text and text.strip():
        like = _like(text.strip())
        where.append(
            "(c.case_id ILIKE ? ESCAPE '\\' OR c.description ILIKE ? ESCAPE '\\' "
            "OR c.address ILIKE ? ESCAPE '\\' OR k.name_zh ILIKE ? ESCAPE '\\' "
            "OR k.name_en ILIKE ? ESCAPE '\\')"
        )
        params += [like] * 5
    if flt.due is not None and flt.due not in DUE_FILTERS:
        raise ValueError(f"due must be one of {', '.join(DUE_FILTERS)}, not {flt.due!r}")
    if flt.due == "dispatch_overdue":
        where.append("c.stage = 'registered' AND c.dispatch_due_at < ?")
        params.append(now)
    return where, params


def order_clause(sort: Sequence[tuple[str, bool]]) -> str:
    """ORDER BY terms from ``(column, descending)`` pairs; ``case_id`` last breaks ties."""
    if isinstance(sort, (str, bytes)) or not isinstance(sort, Sequence):
        raise ValueError("sort must be a list of (column, descending) pairs")
    terms = []
    for item in sort:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise ValueError(f"sort item {item!r} is not a (column, descending) pair")
        column, descending = item
        if column not in SORTABLE:
            raise ValueError(f"cannot sort by {column!r}; sortable: {', '.join(SORTABLE)}")
        if not isinstance(descending, bool):
            raise ValueError(f"sort direction of {column} must be true or false")
        terms.append(f"c.{column} {'DESC' if descending else 'ASC'} NULLS LAST")
    if not any(t.startswith("c.case_id ") for t in terms):
        terms.append("c.case_id ASC")
    return ", ".join(terms)


def _outer(order: str) -> str:
    """The ORDER BY terms for the outer query over the page (``r.`` for ``c.``)."""
    return order.replace("c.dispatch_due_at", "r.__dispatch_due_at").replace("c.", "r.")


def _json_time(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        if value != value:  # NaT
            return None
    except TypeError:
        pass
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if hasattr(value, "strftime") else str(value)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def pop_limits(frame: pd.DataFrame) -> list[tuple[Any, Any, Any]]:
    """Take ``limit_value``, ``limit_unit`` and ``sla_limit_s`` out of ``frame``: each row's
    limits as :func:`fill_sla` reads them (NaN and non-text as None)."""
    limits = zip(
        frame.pop("limit_value"), frame.pop("limit_unit"), frame.pop("sla_limit_s"), strict=True
    )
    return [
        (None if _number(v) is None else v, u if isinstance(u, str) else None, kept)
        for v, u, kept in limits
    ]


def fill_sla(
    rows: list[dict], limits: list[tuple[Any, Any, Any]], store: Store, *, now: datetime,
    calendar: WorkCalendar,
) -> None:  # fmt: skip
    """Fill ``sla_level`` and ``seconds_left`` of each row (``case_id``, ``due_at``) from its
    folded history; ``limits`` as :func:`pop_limits` gives them (one query per call)."""
    # only a case with a deadline can have its clock running (no due_at: never dispatched)
    timed = [r["case_id"] for r in rows if r["due_at"] is not None]
    past = histories(store, timed)
    for row, (value, unit, kept) in zip(rows, limits, strict=True):
        state = fold(past.get(row["case_id"], []))
        row["sla_level"] = row["seconds_left"] = None
        if not state.clock or value is None or unit is None:
            continue  # not dispatched (or returned), or a category the table does not know
        try:
            category_limit = sla_limit({"limit_value": value, "limit_unit": unit}, calendar)
        except CaseError:  # an absurd limit left by an old database: no clock shown
            category_limit = None
        limit = dispatched_limit(kept, state, category_limit=category_limit) or category_limit
        if limit is None:
            continue
        status = sla_status(
            state,
            limit=limit,
            now=now,
            working_time_between=calendar.working_time_between,
        )
        row["sla_level"] = status.level
        row["seconds_left"] = int(status.left.total_seconds())


def _json_row(record: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for key, value in record.items():
        if key in ("reported_at", "due_at"):
            row[key] = _json_time(value)
        elif key in ("lon", "lat"):
            row[key] = _number(value)
        elif key == "exercise":
            row[key] = bool(value)
        elif key == "change_seq":
            row[key] = int(value)
        elif isinstance(value, float) and math.isnan(value):
            row[key] = None
        else:
            row[key] = value
    return row


@dataclass(frozen=True)
class QueueSelection:
    """The SQL selecting a filter's cases of a scope on ``cases c`` joined to ``categories
    k``: ``{cte}SELECT … FROM cases c LEFT JOIN categories k … WHERE {clause}`` with
    ``[*cte_params, *params]``; the scope's own condition apart (for its cursor)."""

    cte: str
    cte_params: list[Any]
    clause: str
    params: list[Any]
    scope_where: str
    scope_params: list[Any]


def queue_selection(
    store: Store, scope: Scope, flt: QueueFilter, *, now: datetime, calendar: WorkCalendar
) -> QueueSelection:
    """The one reading of a queue filter in a scope (the queue's pages and the case exports).

    Raises
    ------
    ValueError
        A bad filter value.
    """
    scope_where, scope_params = scope.case_filter("c.cell_code", "c.assigned_unit")
    where, params = _conditions(flt, now=now)
    where = [scope_where, *where]
    params = [*scope_params, *params]
    cte, cte_params = "", []
    if flt.due in ("overdue", "near"):
        due, cte_params = due_cte(
            store, scope_where, scope_params, flt.due, now=now, calendar=calendar
        )
        cte = f"WITH {due} "
        where.append("c.case_id IN (SELECT case_id FROM due)")
    clause = " AND ".join(f"({w})" for w in where)
    return QueueSelection(cte, list(cte_params), clause, params, scope_where, scope_params)


def queue_page(
    store: Store,
    scope: Scope,
    flt: QueueFilter,
    *,
    now: datetime,
    calendar: WorkCalendar,
    sort: Sequence[tuple[str, bool]] = (("due_at", False),),
    offset: int = 0,
    limit: int = 100,
) -> QueuePage:
    """One page of the cases of ``scope`` that match ``flt``.

    Parameters
    ----------
    scope
        The user's scope (:meth:`Scope.case_filter`: a unit scope selects by assigned unit).
    now
        Naive UTC: the SLA clock and the ``due`` filters are read at this instant.
    sort
        ``(column, descending)`` pairs, columns from :data:`SORTABLE`; NULLs last.
    offset, limit
        The page: ``0 <= offset``, ``1 <= limit <= MAX_LIMIT``.

    Returns
    -------
    QueuePage
        Rows (JSON-friendly: ISO 8601 UTC times with ``Z``, NaN as None), the number of
        cases matching the filter, and the highest ``change_seq`` in the scope.

    Raises
    ------
    ValueError
        A bad filter value, an unknown sort column or a bad page (callers answer 4xx).
    """
    order = order_clause(sort)
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"offset must be a whole number >= 0, not {offset!r}")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be a whole number from 1 to {MAX_LIMIT}, not {limit!r}")
    sel = queue_selection(store, scope, flt, now=now, calendar=calendar)
    cte, cte_params, clause, params = sel.cte, sel.cte_params, sel.clause, sel.params
    scope_where, scope_params = sel.scope_where, sel.scope_params
    count_sql = (
        f"SELECT count(*) FROM cases c LEFT JOIN categories k USING (category_code) WHERE {clause}"
    )
    max_sql = f"SELECT coalesce(max(c.change_seq), 0) FROM cases c WHERE {scope_where}"
    # one statement: the page, the filter's total and the scope's cursor
    frame = store.query_df(
        f"{cte}SELECT r.*, ({count_sql}) AS __total, ({max_sql}) AS __max_seq FROM ("
        + _ROW_SQL.format(chars=DESCRIPTION_CHARS)
        + f" WHERE {clause} ORDER BY {order} LIMIT ? OFFSET ?) r ORDER BY {_outer(order)}",
        [*cte_params, *params, *scope_params, *params, limit, offset],
    )
    if frame.empty:  # past the last page: the total still counts
        total, max_seq = store.query_rows(
            f"{cte}SELECT ({count_sql}), ({max_sql})", [*cte_params, *params, *scope_params]
        )[0]
    else:
        total, max_seq = frame.pop("__total").iloc[0], frame.pop("__max_seq").iloc[0]
    frame.pop("__dispatch_due_at")
    limits = pop_limits(frame)
    rows = [_json_row(record) for record in frame.to_dict("records")]
    fill_sla(rows, limits, store, now=now, calendar=calendar)
    return QueuePage(rows=rows, total=int(total), max_seq=int(max_seq or 0))


def changed_since(store: Store, scope: Scope, seq: int) -> int:
    """How many cases of ``scope`` changed after the cursor ``seq`` (an "N new" badge)."""
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ValueError(f"seq must be a whole number >= 0, not {seq!r}")
    where, params = scope.case_filter("cell_code", "assigned_unit")
    return int(
        store.query_value(
            f"SELECT count(*) FROM cases WHERE change_seq > ? AND {where}", [seq, *params]
        )
    )
