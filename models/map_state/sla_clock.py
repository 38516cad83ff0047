"""Cases whose SLA colour turns by the clock alone between two instants (the live wall's tick)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from models.map_state.cases import _CASES_SQL, CLOCK_STAGES, _finish, _named
from models.security import Scope
from models.store import Store
from models.work_calendar import WorkCalendar

#: Longer than any run of days off (Spring Festival and weekends around it): a case due
#: earlier than this before ``after`` was already red then, and no clock can turn it.
_LONGEST_BREAK = timedelta(days=30)
#: The clock stands still while an extension request is pending: such a case cannot turn.
_RUNNING = tuple(stage for stage in CLOCK_STAGES if stage != "extension_requested")


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
    too, so that it shows the levels as of now. Levels are those of
    :func:`models.map_state.cases.cases_at` at each instant.

    Parameters
    ----------
    after, until
        The previous poll's instant and now, naive UTC (``after < until``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`models.map_state.CASE_COLUMNS`, the cases as of ``until``.
    """
    where, params = scope.sql_filter("cell_code")
    stages = ", ".join(f"'{stage}'" for stage in _RUNNING)
    which = f"closed_at IS NULL AND due_at > $floor AND stage IN ({stages})"
    sql = _CASES_SQL.format(where=_named(where, params), which=which)
    named = {"at": until, "floor": after - _LONGEST_BREAK}
    named |= {f"p{i}": p for i, p in enumerate(params)}
    frame = store.query_df(sql, named)
    now = _finish(frame, at=until, calendar=calendar)
    if now.empty or until <= after:
        return now.iloc[0:0]
    before = _finish(frame, at=after, calendar=calendar)
    turned = now["sla"].to_numpy() != before["sla"].to_numpy()
    return now[turned].reset_index(drop=True)
