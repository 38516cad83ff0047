"""The cases of a queue filter as a stream of row batches, for the CSV and XLSX exports.

The selection is the queue's own (:func:`models.case_queue.queue_selection`) and each
batch's SLA standing the queue's own (:func:`models.case_queue.fill_sla`): an export holds
exactly the cases ``GET /api/v1/cases`` pages through, with the same figures. Rows come
from the store in Arrow batches, so a year of cases never sits in memory at once.

Personal data: no reporter; the free text (description, address) with phone numbers, ID
numbers, e-mails and reporters' names redacted (a file leaves the system; the wall's card
is read on the screen).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from models.case_queue import QueueFilter, fill_sla, order_clause, queue_selection
from models.redaction import redact_personal
from models.security import Scope
from models.store import Store
from models.work_calendar import WorkCalendar

#: Rows per batch read from the store (and per history query of the SLA standing).
BATCH_ROWS = 2000
#: The export's columns, in order.
CASE_EXPORT_COLUMNS: tuple[str, ...] = (
    "case_id", "stage", "category_code", "category_name_zh", "category_name_en", "source",
    "district_code", "district_name", "street_code", "street_name", "cell_code",
    "reported_at", "dispatch_due_at", "due_at", "closed_at", "assigned_unit", "claimed_by",
    "escalation_level", "exercise", "sla_level", "seconds_left", "lon", "lat", "address",
    "description",
)  # fmt: skip

_SQL = """
SELECT c.case_id, c.stage, c.category_code, k.name_zh AS category_name_zh,
       k.name_en AS category_name_en, c.source, c.district_code, d.name_zh AS district_name,
       c.street_code, s.name_zh AS street_name, c.cell_code, c.reported_at, c.dispatch_due_at,
       c.due_at, c.closed_at, c.assigned_unit, c.claimed_by, c.escalation_level, c.exercise,
       c.lon, c.lat, c.address, c.description, k.limit_value, k.limit_unit, c.sla_limit_s
FROM cases c
LEFT JOIN categories k ON k.category_code = c.category_code
LEFT JOIN admin_areas d ON d.level = 'district' AND d.code = c.district_code
LEFT JOIN admin_areas s ON s.level = 'street' AND s.code = c.street_code
"""


def case_export_batches(
    store: Store,
    scope: Scope,
    flt: QueueFilter,
    *,
    now: datetime,
    calendar: WorkCalendar,
    sort: Sequence[tuple[str, bool]] = (("case_id", False),),
    batch_rows: int = BATCH_ROWS,
) -> Iterator[list[dict[str, Any]]]:
    """The cases of ``scope`` matching ``flt``, a batch of row dicts at a time.

    The filter and sort are checked before the first batch is read (call ``next`` once, or
    use :func:`check_case_export`, to surface a ``ValueError`` before a response starts).

    Returns
    -------
    iterator of list of dict
        Rows with :data:`CASE_EXPORT_COLUMNS`: times as naive-UTC ``datetime`` (None when
        unset), ``sla_level`` and ``seconds_left`` as the queue reads them at ``now``,
        ``description`` and ``address`` redacted.

    Raises
    ------
    ValueError
        A bad filter value or sort.
    """
    sel = queue_selection(store, scope, flt, now=now, calendar=calendar)
    order = order_clause(sort)
    sql = f"{sel.cte}{_SQL} WHERE {sel.clause} ORDER BY {order}"
    return _stream(store, sql, [*sel.cte_params, *sel.params], now, calendar, batch_rows)


def _stream(
    store: Store,
    sql: str,
    params: list[Any],
    now: datetime,
    calendar: WorkCalendar,
    batch_rows: int,
) -> Iterator[list[dict[str, Any]]]:
    for batch in store.query_batches(sql, params, batch_rows=batch_rows):
        rows = batch.to_pylist()  # nulls as None, times as naive datetime: no NaN anywhere
        limits = [(r.pop("limit_value"), r.pop("limit_unit"), r.pop("sla_limit_s")) for r in rows]
        # a closed case keeps the standing it closed with, as the queue shows it
        fill_sla(rows, limits, store, now=now, calendar=calendar)
        for row in rows:
            row["exercise"] = bool(row["exercise"])
            for key in ("lon", "lat"):
                value = row[key]
                row[key] = value if isinstance(value, float) and math.isfinite(value) else None
            row["description"] = redact_personal(row["description"])
            row["address"] = redact_personal(row["address"])
        yield [{k: row[k] for k in CASE_EXPORT_COLUMNS} for row in rows]
