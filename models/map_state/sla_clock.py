"""Cases whose SLA colour turns by the clock alone between two instants (the live wall's tick)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from models.map_state.cases import (
    CASE_COLUMNS,
    CLOCK_STAGES,
    named_scope_filter,
    read_cases,
    sla_levels,
    sla_total_s,
)
from models.map_state.working_time import WorkingTable
from models.security import Scope
from models.store import Store
from models.work_calendar import WorkCalendar

#: Longer than any run of days off (Spring Festival and weekends around it): a case due
#: earlier than this before ``after`` was already red then, and no clock can turn it.
_LONGEST_BREAK = timedelta(days=30)
#: The clock stands still while an extension request is pending: such a case cannot turn.
_RUNNING = tuple(stage for stage in CLOCK_STAGES if stage != "extension_requested")

# The running clocks of the scope, as cheap as can be: one row per case, no history.
_CLOCKS_SQL = """
SELECT c.case_id, c.due_at, c.sla_limit_s, k.limit_value, k.limit_unit
FROM cases c LEFT JOIN categories k USING (category_code)
WHERE c.closed_at IS NULL AND c.due_at > $floor AND c.reported_at <= $until
  AND c.stage IN ({stages}) AND {where}
"""


def sla_turned(
    store: Store,
    scope: Scope,
    *,
    after: datetime,
    until: datetime,
    calendar: WorkCalendar,
) -> pd.DataFrame:
    """The open cases of ``scope`` whose SLA level at ``until`` differs from that at ``after``.

    A case turns yellow once 80 % of its time is used and red once overdue as working time
    passes, with no write to it: a live screen that only hears of changed rows sends these
    too, so that it shows the levels as of now. The level at each instant is
    :func:`models.map_state.cases.sla_levels` of the running clock (the due time stored
    with the case), as :func:`models.map_state.cases.cases_at` computes it live.

    Parameters
    ----------
    after, until
        The previous poll's instant and now, naive UTC.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`models.map_state.CASE_COLUMNS`, the cases as of ``until``.
    """
    if until <= after:
        return pd.DataFrame(columns=CASE_COLUMNS)
    where, named = named_scope_filter(scope)
    stages = ", ".join(f"'{stage}'" for stage in _RUNNING)
    sql = _CLOCKS_SQL.format(where=where, stages=stages)
    clocks = store.query_df(sql, {"floor": after - _LONGEST_BREAK, "until": until, **named})
    if clocks.empty:
        return pd.DataFrame(columns=CASE_COLUMNS)
    due = clocks["due_at"].to_numpy(dtype="datetime64[ns]")
    instants = np.array([np.datetime64(after, "ns"), np.datetime64(until, "ns")])
    table = WorkingTable.spanning(calendar, due, instants)
    total_s = sla_total_s(clocks, calendar)
    n = len(clocks)
    before = sla_levels(table.seconds_between(np.repeat(instants[:1], n), due), total_s)
    now = sla_levels(table.seconds_between(np.repeat(instants[1:], n), due), total_s)
    ids = clocks.loc[before != now, "case_id"].tolist()
    if not ids:
        return pd.DataFrame(columns=CASE_COLUMNS)
    which = "list_contains($ids, case_id)"
    return read_cases(store, at=until, calendar=calendar, which=which, params={"ids": ids})
