"""The overdue and near-deadline cases of a scope, selected in SQL, exactly as
:func:`models.sla.sla_status` would classify them.

Working time left = working time from the clock's end (now; the pause while an extension
is pending; the closure, whichever is earlier) to ``due_at``, counted on the calendar's own
working periods (:meth:`WorkCalendar.working_periods`, microseconds, an ASOF join), against
``sla_limit_s`` (the category limit plus granted extensions, stored at every dispatch and
extension answer). Red when below zero; yellow from :data:`models.sla.YELLOW_FRACTION` of
the limit used. That is ``sla_status`` exactly, unless an admin edited the category's limit
after the case was dispatched (then the row's deadline and today's limit disagree; the
filter follows the deadline). The queue's tests check both agree on every case.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np

from models.sla import YELLOW_FRACTION
from models.store import Store
from models.work_calendar import WorkCalendar

# Working microseconds left on each case's clock: E(due_at) - E(clock end), where E counts
# the calendar's working periods from the table's start (ASOF: the last period starting at
# or before the instant). The clock ends now, at the pending extension request, or at closure.
_LEFT_SQL = """
WITH per AS (SELECT unnest(?::BIGINT[]) AS s, unnest(?::BIGINT[]) AS e,
                    unnest(?::BIGINT[]) AS cb),
paused AS (SELECT case_id, max(occurred_at) AS paused_at FROM case_transitions
           WHERE action = 'request_extension' GROUP BY case_id),
clk AS (
    SELECT c.case_id, epoch_us(c.due_at) AS due_us,
           epoch_us(least(CASE WHEN c.stage = 'extension_requested' THEN p.paused_at
                               ELSE c.closed_at END, ?)) AS end_us,
           coalesce(c.sla_limit_s::DOUBLE, CASE k.limit_unit WHEN 'working_days'
                    THEN k.limit_value * ? ELSE k.limit_value * 3600 END) * 1e6 AS total_us
    FROM cases c LEFT JOIN paused p USING (case_id)
    LEFT JOIN categories k ON k.category_code = c.category_code
    WHERE c.due_at IS NOT NULL AND c.stage <> 'returned' AND {where}
),
a AS (SELECT clk.*, coalesce(per.cb + least(clk.due_us, per.e) - per.s, 0) AS e_due
      FROM clk ASOF LEFT JOIN per ON clk.due_us >= per.s),
b AS (SELECT a.*, coalesce(per.cb + least(a.end_us, per.e) - per.s, 0) AS e_end
      FROM a ASOF LEFT JOIN per ON a.end_us >= per.s)
SELECT case_id, (e_due - e_end)::DOUBLE AS left_us, total_us FROM b
"""


def working_periods_us(
    calendar: WorkCalendar, first_year: int, last_year: int
) -> tuple[list[int], list[int], list[int]]:
    """The calendar's working periods of local years ``first_year``–``last_year`` as UTC
    epoch microseconds (starts, ends) and the working microseconds before each period."""
    starts, ends = calendar.working_periods(first_year, last_year)
    lengths = np.asarray(ends, dtype=np.int64) - np.asarray(starts, dtype=np.int64)
    before = np.cumsum(lengths) - lengths
    return starts, ends, before.tolist()


def due_cte(
    store: Store, scope_where: str, scope_params: list[Any], due: str, *, now: datetime,
    calendar: WorkCalendar,
) -> tuple[str, list[Any]]:  # fmt: skip
    """A CTE ``due`` of the overdue or near cases of the scope, exactly, and its parameters
    (materialised: the count and the page read it once)."""
    # every instant a clock reads lies between the first dispatch and the deadline, or now
    bounds = store.query_rows(
        "SELECT min(least(dispatched_at, due_at)), max(due_at) FROM cases c "
        f"WHERE due_at IS NOT NULL AND {scope_where}",
        scope_params,
    )[0]
    # whole local years around them (a day either side covers the time zone)
    moments = [now, *(b for b in bounds if b is not None)]
    first, last = min(moments) - timedelta(days=1), max(moments) + timedelta(days=1)
    starts, ends, before = working_periods_us(calendar, first.year, last.year)
    day_s = calendar.day_length.total_seconds()
    cond = (
        "left_us < 0"
        if due == "overdue"
        else "left_us >= 0 AND (total_us - left_us) / total_us >= ?"
    )
    params: list[Any] = [starts, ends, before, now, day_s, *scope_params]
    if due == "near":
        params.append(YELLOW_FRACTION)
    cte = (
        f"due AS MATERIALIZED (SELECT case_id FROM ({_LEFT_SQL.format(where=scope_where)}) "
        f"WHERE total_us > 0 AND {cond})"
    )
    return cte, params
