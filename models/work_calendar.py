"""Working calendar: which instants are working time, and the SLA clock arithmetic on it."""

from __future__ import annotations

import bisect
import functools
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays

__all__ = [
    "WorkCalendar",
    "statutory_holidays",
    "add_working_time",
    "is_working_instant",
    "next_working_instant",
    "working_time_between",
]

_PERIOD = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_US = timedelta(microseconds=1)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_EPOCH_AWARE = datetime(1970, 1, 1, tzinfo=UTC)

#: The longest span the clock counts, as calendar time: a deadline or an elapsed time
#: beyond it is a mistake (an absurd limit), refused at once rather than looped over year
#: by year (a limit of 1e9 working hours held a server thread for minutes).
MAX_SPAN_YEARS = 10
MAX_SPAN = timedelta(days=365 * MAX_SPAN_YEARS + 3)
_MAX_SPAN_US = MAX_SPAN // _US

log = logging.getLogger(__name__)
_warned_years: set[int] = set()


@functools.cache
def statutory_holidays(year: int) -> frozenset[date]:
    """China's statutory holidays of ``year`` as computed by the ``holidays`` package.

    The fallback for years ``chinese_calendar`` has no published data for: the holidays
    follow the law's rules (lunar dates included), but the make-up working days (调休) the
    State Council publishes each year cannot be computed and are missing.
    """
    return frozenset(holidays.country_holidays("CN", years=year))


def _warn_uncovered(year: int) -> None:
    if year not in _warned_years:
        _warned_years.add(year)
        log.warning(
            "holidays of %s are computed, not published: make-up working days (调休) of that "
            "year are unknown until published; list them in calendar.extra_workdays",
            year,
        )


@dataclass(frozen=True)
class _YearTable:
    """Working intervals of one local calendar year, as UTC epoch microseconds."""

    starts: list[int]
    ends: list[int]
    cum_before: list[int]  # working time in the year before interval i
    cum_after: list[int]  # working time in the year up to the end of interval i
    total: int


def _parse_period(text: str) -> tuple[int, int]:
    match = _PERIOD.match(text.strip())
    if not match:
        raise ValueError(f"working period {text!r} is not HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or m2 > 59 or end > 24 * 60 or start >= end:
        raise ValueError(f"working period {text!r} is not a valid span within one day")
    return start, end


def _as_dates(values: Iterable[date | str]) -> frozenset[date]:
    return frozenset(v if isinstance(v, date) else date.fromisoformat(v) for v in values)


def _to_us(t: datetime) -> int:
    """Epoch microseconds of `t`; a naive datetime is taken to be UTC."""
    if t.tzinfo is None:
        return (t - _EPOCH_NAIVE) // _US
    return (t - _EPOCH_AWARE) // _US


def _from_us(us: int) -> datetime:
    """Naive UTC datetime of epoch microseconds."""
    return _EPOCH_NAIVE + timedelta(microseconds=us)


class WorkCalendar:
    """Working days and daily working periods in one time zone.

    A day is a working day when it is listed in ``extra_workdays``; otherwise not when it
    is listed in ``extra_holidays``; otherwise as ``chinese_calendar.is_workday`` says
    (public holidays and 调休 make-up days). For years the package has no data for, the
    statutory holidays come from :func:`statutory_holidays` and the other Monday-Friday are
    working days; the year is added to ``uncovered_years`` (and logged once) so the app can
    warn that its make-up days are unknown.

    Parameters
    ----------
    periods
        Daily working periods as ``"HH:MM-HH:MM"`` local wall-clock spans (half-open).
    tz
        IANA time zone of the working hours.
    extra_holidays, extra_workdays
        Dates (``date`` or ``"YYYY-MM-DD"``) overriding the package.
    """

    def __init__(
        self,
        periods: Iterable[str] = ("08:30-12:00", "14:00-17:30"),
        *,
        tz: str = "Asia/Shanghai",
        extra_holidays: Iterable[date | str] = (),
        extra_workdays: Iterable[date | str] = (),
    ) -> None:
        spans = sorted(_parse_period(p) for p in periods)
        if not spans:
            raise ValueError("at least one working period is needed")
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            if start < end:
                raise ValueError(f"working periods overlap: {list(periods)}")
        self.periods: tuple[tuple[int, int], ...] = tuple(spans)  # minutes after midnight
        self.tz = ZoneInfo(tz)
        self.extra_holidays = _as_dates(extra_holidays)
        self.extra_workdays = _as_dates(extra_workdays)
        self.uncovered_years: set[int] = set()
        self._years: dict[int, _YearTable] = {}

    @classmethod
    def from_settings(cls, settings: Any) -> WorkCalendar:
        """Build from ``models.config.CalendarSettings`` (or anything with its fields)."""
        return cls(
            settings.work_periods,
            tz=settings.timezone,
            extra_holidays=settings.extra_holidays,
            extra_workdays=settings.extra_workdays,
        )

    # ---- days -------------------------------------------------------------------------

    @property
    def day_length(self) -> timedelta:
        """Working time in one ordinary working day (7 h with the default periods)."""
        return timedelta(minutes=sum(end - start for start, end in self.periods))

    def working_days(self, n: float) -> timedelta:
        """Working time of a limit of ``n`` working days: ``n`` x :attr:`day_length`.

        This is how 处置时限 "N个工作日" is counted: the clock runs N full working days of
        working time from dispatch, so a case dispatched at 15:00 with 1 working day is due
        at 15:00 on the next working day.
        """
        return self.day_length * n

    def is_covered(self, year: int) -> bool:
        """Whether the holiday package has data for ``year``."""
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            return False
        return True

    def unpublished_years(self, now: datetime) -> list[int]:
        """This local year and the next, those without published holiday data.

        Deadlines set now can reach into the next year; in these years the make-up working
        days (调休) are unknown until the State Council publishes them (see
        :func:`statutory_holidays`). Each such year is logged once per process.

        Parameters
        ----------
        now
            Naive UTC or aware.
        """
        year = self._year_of(_to_us(now))
        years = [y for y in (year, year + 1) if not self.is_covered(y)]
        for y in years:
            _warn_uncovered(y)
        return years

    def is_working_day(self, day: date) -> bool:
        """Whether the local calendar ``day`` is a working day (see class docstring)."""
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year not in self.uncovered_years:
                self.uncovered_years.add(day.year)
                _warn_uncovered(day.year)
            return day.weekday() < 5 and day not in statutory_holidays(day.year)

    def holiday_name(self, day: date, lang: str = "zh") -> str | None:
        """The public holiday ``day`` belongs to, as the package names it (a holiday or its
        调休 make-up day); None for other days and for years the package does not cover."""
        try:
            _off, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            return None
        if not name:
            return None
        try:
            holiday = chinese_calendar.Holiday(name)
        except ValueError:
            return str(name)
        return str(holiday.chinese) if lang == "zh" else str(holiday.value)

    # ---- tables -----------------------------------------------------------------------

    def _table(self, year: int) -> _YearTable:
        table = self._years.get(year)
        if table is None:
            table = self._build_year(year)
            self._years[year] = table
        return table

    def _build_year(self, year: int) -> _YearTable:
        starts: list[int] = []
        ends: list[int] = []
        day = date(year, 1, 1)
        one = timedelta(days=1)
        while day.year == year:
            if self.is_working_day(day):
                midnight = datetime.combine(day, time.min, tzinfo=self.tz)
                for start, end in self.periods:
                    # wall-clock arithmetic on an aware datetime, then to UTC: DST-correct
                    a = (midnight + timedelta(minutes=start)).astimezone(UTC)
                    b = (midnight + timedelta(minutes=end)).astimezone(UTC)
                    if b > a:
                        starts.append(_to_us(a))
                        ends.append(_to_us(b))
            day += one
        cum_before: list[int] = []
        cum_after: list[int] = []
        total = 0
        for a, b in zip(starts, ends, strict=True):
            cum_before.append(total)
            total += b - a
            cum_after.append(total)
        return _YearTable(starts, ends, cum_before, cum_after, total)

    def working_periods(self, first_year: int, last_year: int) -> tuple[list[int], list[int]]:
        """The working periods of local years ``first_year`` to ``last_year`` (inclusive).

        The very table the scalar clock counts on, so a vectorised view built from it
        (``models.map_state.working_time.WorkingTable``) agrees with it to the microsecond.

        Returns
        -------
        tuple of list of int
            Period starts and ends, UTC epoch microseconds, ascending, half-open.
        """
        starts: list[int] = []
        ends: list[int] = []
        for year in range(first_year, last_year + 1):
            table = self._table(year)
            starts += table.starts
            ends += table.ends
        return starts, ends

    def _year_of(self, us: int) -> int:
        return _from_us(us).replace(tzinfo=UTC).astimezone(self.tz).year

    def _elapsed_in_year(self, table: _YearTable, us: int) -> int:
        """Working microseconds from the start of the table's year up to ``us``."""
        i = bisect.bisect_right(table.starts, us) - 1
        if i < 0:
            return 0
        return table.cum_before[i] + min(us, table.ends[i]) - table.starts[i]

    def _between_us(self, a: int, b: int) -> int:
        if abs(b - a) > _MAX_SPAN_US:
            raise ValueError(f"the clock counts spans of at most {MAX_SPAN_YEARS} years")
        if b < a:
            return -self._between_us(b, a)
        ya, yb = self._year_of(a), self._year_of(b)
        ta = self._table(ya)
        if ya == yb:
            return self._elapsed_in_year(ta, b) - self._elapsed_in_year(ta, a)
        total = ta.total - self._elapsed_in_year(ta, a)
        for year in range(ya + 1, yb):
            total += self._table(year).total
        return total + self._elapsed_in_year(self._table(yb), b)

    def _add_us(self, t: int, d: int) -> int:
        if d < 0:
            raise ValueError("working time to add must not be negative")
        if d == 0:
            return t
        if d > _MAX_SPAN_US:
            raise ValueError(f"the clock adds at most {MAX_SPAN_YEARS} years of working time")
        year = first = self._year_of(t)
        table = self._table(year)
        target = self._elapsed_in_year(table, t) + d
        while target > table.total:
            target -= table.total
            year += 1
            if year - first > MAX_SPAN_YEARS:
                raise ValueError(f"a deadline is at most {MAX_SPAN_YEARS} years away")
            table = self._table(year)
        # earliest instant at which `target` of the year's working time has elapsed
        j = bisect.bisect_left(table.cum_after, target)
        return table.starts[j] + target - table.cum_before[j]

    # ---- public instants --------------------------------------------------------------

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from ``a`` to ``b``; negative (``-between(b, a)``) when ``b < a``.
        Raises ``ValueError`` when they are more than :data:`MAX_SPAN_YEARS` years apart."""
        return timedelta(microseconds=self._between_us(_to_us(a), _to_us(b)))

    def add_working_time(self, t: datetime, d: timedelta) -> datetime:
        """Earliest instant (naive UTC) at which exactly ``d`` of working time has elapsed
        since ``t``. ``d == 0`` returns ``t`` itself (as naive UTC), even outside working
        hours; a span ending exactly at the end of a period returns that end (17:30), not
        the next morning. Raises ``ValueError`` for negative ``d`` and for a deadline
        more than :data:`MAX_SPAN_YEARS` years away.
        """
        return _from_us(self._add_us(_to_us(t), d // _US))

    def is_working_instant(self, t: datetime) -> bool:
        """Whether ``t`` lies inside a working period (periods are half-open)."""
        us = _to_us(t)
        table = self._table(self._year_of(us))
        i = bisect.bisect_right(table.starts, us) - 1
        return i >= 0 and us < table.ends[i]

    def next_working_instant(self, t: datetime) -> datetime:
        """``t`` (as naive UTC) when it is working time, else the start of the next period."""
        us = _to_us(t)
        year = self._year_of(us)
        table = self._table(year)
        i = bisect.bisect_right(table.starts, us) - 1
        if i >= 0 and us < table.ends[i]:
            return _from_us(us)
        j = i + 1
        while j >= len(table.starts):
            year += 1
            table = self._table(year)
            j = 0
        return _from_us(table.starts[j])


def working_time_between(cal: WorkCalendar, a: datetime, b: datetime) -> timedelta:
    """Working time on ``cal`` from ``a`` to ``b`` (negative when ``b < a``).

    Parameters
    ----------
    cal
        The working calendar.
    a, b
        Naive UTC or aware datetimes.

    Returns
    -------
    timedelta
        Exact to the microsecond; ``between(a, c) == between(a, b) + between(b, c)``.
    """
    return cal.working_time_between(a, b)


def add_working_time(cal: WorkCalendar, t: datetime, d: timedelta) -> datetime:
    """Deadline: the earliest instant at which ``d`` of working time has elapsed since ``t``.

    Parameters
    ----------
    cal
        The working calendar.
    t
        Start, naive UTC or aware.
    d
        Working time to add, ``>= 0``; ``0`` returns ``t`` unchanged.

    Returns
    -------
    datetime
        Naive UTC; ``working_time_between(cal, t, result) == d``.
    """
    return cal.add_working_time(t, d)


def is_working_instant(cal: WorkCalendar, t: datetime) -> bool:
    """Whether ``t`` (naive UTC or aware) is inside working time on ``cal``."""
    return cal.is_working_instant(t)


def next_working_instant(cal: WorkCalendar, t: datetime) -> datetime:
    """``t`` if it is working time on ``cal``, else the next period's start (naive UTC)."""
    return cal.next_working_instant(t)
