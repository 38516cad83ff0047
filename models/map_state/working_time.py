"""Working-time arithmetic over whole arrays of instants (the SLA clock of many cases at once)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import numpy as np

from models.work_calendar import WorkCalendar

_NS = np.int64(1_000_000_000)


class WorkingTable:
    """The working periods of a span of local days, as UTC epoch nanoseconds, cumulated.

    Built from the calendar's public rules (``periods``, ``tz``, ``is_working_day``), so it
    agrees with :meth:`WorkCalendar.working_time_between` instant for instant (tests check
    it). Instants outside the span are clamped to it: build the table wide enough.
    """

    def __init__(self, calendar: WorkCalendar, first: date, last: date) -> None:
        starts: list[int] = []
        ends: list[int] = []
        day = first
        while day <= last:
            if calendar.is_working_day(day):
                midnight = datetime.combine(day, time.min, tzinfo=calendar.tz)
                for start, end in calendar.periods:
                    a = (midnight + timedelta(minutes=start)).astimezone(UTC)
                    b = (midnight + timedelta(minutes=end)).astimezone(UTC)
                    if b > a:
                        starts.append(_ns(a))
                        ends.append(_ns(b))
            day += timedelta(days=1)
        self.starts = np.asarray(starts, dtype=np.int64)
        self.ends = np.asarray(ends, dtype=np.int64)
        lengths = self.ends - self.starts
        self.cum_after = np.cumsum(lengths)
        self.cum_before = self.cum_after - lengths

    @classmethod
    def spanning(cls, calendar: WorkCalendar, *instants: np.ndarray) -> WorkingTable:
        """A table covering every finite instant given (datetime64 arrays), plus a day each side."""
        values = np.concatenate([np.asarray(a, dtype="datetime64[ns]").ravel() for a in instants])
        values = values[~np.isnat(values)]
        if len(values) == 0:
            today = date(1970, 1, 1)
            return cls(calendar, today, today)
        lo = values.min().astype("datetime64[D]").item() - timedelta(days=2)
        hi = values.max().astype("datetime64[D]").item() + timedelta(days=2)
        return cls(calendar, lo, hi)

    def elapsed(self, t: np.ndarray) -> np.ndarray:
        """Working nanoseconds from the table's start up to each instant (float, NaN for NaT)."""
        t = np.asarray(t, dtype="datetime64[ns]")
        nat = np.isnat(t)
        us = t.astype(np.int64)
        if len(self.starts) == 0:
            return np.where(nat, np.nan, 0.0)
        i = np.searchsorted(self.starts, us, side="right") - 1
        inside = i >= 0
        j = np.clip(i, 0, None)
        value = self.cum_before[j] + np.minimum(us, self.ends[j]) - self.starts[j]
        value = np.where(inside, value, 0).astype(float)
        return np.where(nat, np.nan, value)

    def seconds_between(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Working seconds from ``a`` to ``b`` element-wise (negative when ``b < a``)."""
        return (self.elapsed(b) - self.elapsed(a)) / float(_NS)

    def add(self, t: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        """The earliest instants at which ``seconds`` of working time have elapsed since ``t``."""
        target = self.elapsed(t) + np.asarray(seconds, dtype=float) * float(_NS)
        ok = np.isfinite(target) & (len(self.cum_after) > 0)
        j = np.searchsorted(self.cum_after, np.where(ok, target, 0), side="left")
        j = np.clip(j, 0, max(len(self.cum_after) - 1, 0))
        if len(self.cum_after) == 0:
            return np.full(len(target), np.datetime64("NaT"), dtype="datetime64[ns]")
        out = (self.starts[j] + (target - self.cum_before[j])).astype(np.int64)
        result = out.astype("datetime64[ns]")
        result[~ok] = np.datetime64("NaT")
        return result


def _ns(t: datetime) -> int:
    return int((t - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)) * 1000
