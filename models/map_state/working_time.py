"""Working-time arithmetic over whole arrays of instants (the SLA clock of many cases at once)."""

from __future__ import annotations

import numpy as np

from models.work_calendar import WorkCalendar

_US_PER_S = 1_000_000


class WorkingTable:
    """A vectorised view of one :class:`WorkCalendar`: its working periods of whole local
    years, as UTC epoch microseconds, cumulated.

    The periods are the calendar's own year tables (:meth:`WorkCalendar.working_periods`),
    so the answers equal :meth:`WorkCalendar.working_time_between` and
    :meth:`WorkCalendar.add_working_time` to the microsecond. The table grows by whole
    years when an instant or a deadline falls outside it.
    """

    def __init__(self, calendar: WorkCalendar, first_year: int, last_year: int) -> None:
        self.calendar = calendar
        self._build(first_year, last_year)

    def _build(self, first_year: int, last_year: int) -> None:
        starts, ends = self.calendar.working_periods(first_year, last_year)
        self.first_year, self.last_year = first_year, last_year
        self.starts = np.asarray(starts, dtype=np.int64)
        self.ends = np.asarray(ends, dtype=np.int64)
        lengths = self.ends - self.starts
        self.cum_after = np.cumsum(lengths)
        self.cum_before = self.cum_after - lengths
        # UTC instants surely inside the local years (time zones lie within ±14 h of UTC)
        self._lo = _year_start_us(first_year) + 14 * 3600 * _US_PER_S
        self._hi = _year_start_us(last_year + 1) - 14 * 3600 * _US_PER_S

    @classmethod
    def spanning(cls, calendar: WorkCalendar, *instants: np.ndarray) -> WorkingTable:
        """A table covering every finite instant given (datetime64 arrays), a year each side."""
        values = np.concatenate([np.asarray(a, dtype="datetime64[us]").ravel() for a in instants])
        values = values[~np.isnat(values)]
        if len(values) == 0:
            return cls(calendar, 1970, 1970)
        years = values.astype("datetime64[Y]").astype(np.int64) + 1970
        return cls(calendar, int(years.min()) - 1, int(years.max()) + 1)

    def _cover(self, lo_us: int, hi_us: int) -> None:
        """Grow the table (whole years) until it holds ``lo_us`` to ``hi_us``."""
        if lo_us >= self._lo and hi_us < self._hi:
            return
        first = min(self.first_year, _utc_year(lo_us) - 1)
        last = max(self.last_year, _utc_year(hi_us) + 1)
        self._build(first, last)

    def _elapsed_us(self, us: np.ndarray) -> np.ndarray:
        i = np.searchsorted(self.starts, us, side="right") - 1
        j = np.clip(i, 0, None)
        value = self.cum_before[j] + np.minimum(us, self.ends[j]) - self.starts[j]
        return np.where(i >= 0, value, 0)

    def _prepare(self, *arrays: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        """Microsecond arrays (NaT as 0) and the NaT mask; the table grown to hold them."""
        out, nat = [], np.zeros(len(np.asarray(arrays[0])), dtype=bool)
        for a in arrays:
            a = np.asarray(a, dtype="datetime64[ns]")
            nat |= np.isnat(a)
            out.append(a.astype(np.int64) // 1000)
        finite = np.concatenate([a[~nat] for a in out]) if (~nat).any() else None
        if finite is not None:
            self._cover(int(finite.min()), int(finite.max()))
        return [np.where(nat, 0, a) for a in out], nat

    def elapsed_us(self, t: np.ndarray) -> np.ndarray:
        """Working microseconds from the table's start up to each instant (-1 for NaT)."""
        (us,), nat = self._prepare(t)
        return np.where(nat, -1, self._elapsed_us(us))

    def seconds_between(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Working seconds from ``a`` to ``b`` element-wise (negative when ``b < a``; NaN
        where either is NaT)."""
        (ua, ub), nat = self._prepare(a, b)
        diff = (self._elapsed_us(ub) - self._elapsed_us(ua)) / _US_PER_S
        return np.where(nat, np.nan, diff)

    def add(self, t: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        """The earliest instants at which ``seconds`` of working time have elapsed since
        ``t`` (NaT where ``t`` is NaT or ``seconds`` is not finite; ``seconds`` may be
        negative: then the earliest instant from which that much remains up to ``t``)."""
        (us,), nat = self._prepare(t)
        seconds = np.broadcast_to(np.asarray(seconds, dtype=float), us.shape)
        ok = ~nat & np.isfinite(seconds)
        target = self._elapsed_us(us) + np.round(np.where(ok, seconds, 0) * _US_PER_S).astype(
            np.int64
        )
        while ok.any() and target[ok].max() > self.cum_after[-1]:
            self._build(self.first_year, self.last_year + 1)  # the start stays: targets hold
        while ok.any() and target[ok].min() < 0:
            grown = WorkingTable(self.calendar, self.first_year - 1, self.last_year)
            target = target + (grown.cum_after[-1] - self.cum_after[-1])
            self._build(grown.first_year, grown.last_year)
        j = np.searchsorted(self.cum_after, np.where(ok, target, 0), side="left")
        j = np.clip(j, 0, len(self.cum_after) - 1)
        out = (self.starts[j] + target - self.cum_before[j]) * 1000
        result = out.astype("datetime64[ns]")
        result[~ok] = np.datetime64("NaT")
        return result


def _year_start_us(year: int) -> int:
    return int(np.datetime64(f"{year:04d}-01-01", "us").astype(np.int64))


def _utc_year(us: int) -> int:
    return int(np.datetime64(us, "us").astype("datetime64[Y]").astype(np.int64)) + 1970
