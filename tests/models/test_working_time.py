"""One working calendar: the vectorised table of the map agrees with the scalar clock."""

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from models.map_state.working_time import WorkingTable
from models.work_calendar import WorkCalendar

CAL = WorkCalendar()
LO = datetime(2026, 1, 1)
HI = datetime(2027, 12, 31)


def _instants(rng: np.random.Generator, n: int) -> pd.DatetimeIndex:
    """Random seconds in 2026-27, with a share pinned to period edges and lunch breaks."""
    span = int((HI - LO).total_seconds())
    random = [LO + timedelta(seconds=int(s)) for s in rng.integers(0, span, n)]
    edges = []
    for day in rng.integers(0, (HI - LO).days, n // 4):
        local = datetime.combine(date(2026, 1, 1) + timedelta(days=int(day)), datetime.min.time())
        for hh, mm in ((8, 30), (12, 0), (13, 0), (14, 0), (17, 30)):
            edges.append(local + timedelta(hours=hh - 8, minutes=mm))  # Shanghai is UTC+8
    return pd.DatetimeIndex(random + edges)


def test_vectorised_and_scalar_working_time_agree_across_2026_and_2027():
    rng = np.random.default_rng(9)
    a = _instants(rng, 400)
    b = pd.DatetimeIndex(rng.permutation(a.to_numpy()))
    holidays = [datetime(2027, 1, 1, 2), datetime(2027, 2, 8, 3), datetime(2026, 10, 3, 1)]
    a = a.append(pd.DatetimeIndex(holidays))
    b = b.append(pd.DatetimeIndex([datetime(2027, 2, 12, 9), datetime(2027, 2, 1), HI]))
    table = WorkingTable.spanning(CAL, a.to_numpy(), b.to_numpy())
    got = table.seconds_between(a.to_numpy(), b.to_numpy())
    want = [CAL.working_time_between(x, y).total_seconds() for x, y in zip(a, b, strict=True)]
    assert got.tolist() == want
    seconds = rng.integers(0, 30 * 7 * 3600, len(a)).astype(float)
    added = pd.DatetimeIndex(table.add(a.to_numpy(), seconds))
    want_added = [
        CAL.add_working_time(x, timedelta(seconds=s)) for x, s in zip(a, seconds, strict=True)
    ]
    assert list(added) == want_added


def test_the_table_knows_the_2027_holidays_of_the_calendar():
    new_year = np.array([np.datetime64("2027-01-01T02:00")], dtype="datetime64[ns]")
    table = WorkingTable.spanning(CAL, new_year)
    after = new_year + np.timedelta64(1, "D")
    assert table.seconds_between(new_year, after).tolist() == [0.0]
