"""Reporting periods of the cockpit: a day, ISO week, month, quarter, year or a custom span of
days, bounded by local midnights of the city's time zone and held as naive UTC instants."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

KINDS = ("day", "week", "month", "quarter", "year", "custom")
DEFAULT_TZ = "Asia/Shanghai"

_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_QUARTER = re.compile(r"([0-9]{4})-Q([1-4])")
_YEAR = re.compile(r"([0-9]{4})")  # ASCII digits only: not ２０２６


@dataclass(frozen=True)
class Period:
    """A reporting period ``[start, end)``: naive UTC bounds at local midnights of ``tz``."""

    kind: str  # 'day' | 'week' | 'month' | 'quarter' | 'year' | 'custom'
    label: str  # '2026-11-05' | '2026-W45' | '2026-11' | '2026-Q4' | '2026' | 'A..B'
    start: datetime  # naive UTC, inclusive
    end: datetime  # naive UTC, exclusive
    tz: str = field(default=DEFAULT_TZ, repr=False)

    @property
    def first_day(self) -> date:
        """The first local day of the period."""
        return _local_date(self.start, self.tz)

    @property
    def last_day(self) -> date:
        """The last local day of the period (inclusive)."""
        return _local_date(self.end, self.tz) - timedelta(days=1)


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown time zone {tz!r}") from exc


def _midnight(day: date, tz: str) -> datetime:
    """The naive-UTC instant of local midnight starting ``day``."""
    local = datetime(day.year, day.month, day.day, tzinfo=_zone(tz))
    return local.astimezone(UTC).replace(tzinfo=None)


def _local_date(moment: datetime, tz: str) -> date:
    return moment.replace(tzinfo=UTC).astimezone(_zone(tz)).date()


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


#: Years a period may lie in: wide for a city's records, far from the calendar's ends.
YEARS = (1900, 2999)
#: Longest custom period a screen or the API computes, in days.
MAX_CUSTOM_DAYS = 366


def _make(kind: str, first: date, last: date, tz: str) -> Period:
    """The period of ``kind`` covering local days ``first..last``."""
    if first.year < YEARS[0] or last.year > YEARS[1]:
        raise ValueError(f"period out of range (years {YEARS[0]}-{YEARS[1]})")
    if kind == "day":
        label = first.isoformat()
    elif kind == "week":
        iso = first.isocalendar()
        label = f"{iso.year}-W{iso.week:02d}"
    elif kind == "month":
        label = f"{first.year}-{first.month:02d}"
    elif kind == "quarter":
        label = f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    elif kind == "year":
        label = f"{first.year}"
    else:
        label = f"{first.isoformat()}..{last.isoformat()}"
    return Period(kind, label, _midnight(first, tz), _midnight(last + timedelta(days=1), tz), tz)


def _span(kind: str, day: date) -> tuple[date, date]:
    """The first and last day of the ``kind`` period holding ``day``."""
    if kind == "day":
        return day, day
    if kind == "week":
        first = day - timedelta(days=day.weekday())
        return first, first + timedelta(days=6)
    if kind == "month":
        y, m = _add_months(day.year, day.month, 1)
        return day.replace(day=1), date(y, m, 1) - timedelta(days=1)
    if kind == "quarter":
        m0 = (day.month - 1) // 3 * 3 + 1
        y, m = _add_months(day.year, m0, 3)
        return date(day.year, m0, 1), date(y, m, 1) - timedelta(days=1)
    if kind == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    raise ValueError(f"period kind must be one of {', '.join(KINDS[:-1])}, not {kind!r}")


def _date(text: str) -> date:
    match = _DAY.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a date like 2026-11-05")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise ValueError(f"no such date: {text!r}") from exc


def parse_period(text: str, tz: str = DEFAULT_TZ) -> Period:
    """The period a label names: ``2026-11-05``, ``2026-W45`` (ISO week), ``2026-11``,
    ``2026-Q4``, ``2026`` or ``2026-11-01..2026-11-15`` (both days included).

    Raises
    ------
    ValueError
        Text of none of these forms, a date that does not exist, week 53 of a year with 52,
        a custom span ending before it starts, or an unknown time zone.
    """
    _zone(tz)
    if not isinstance(text, str):
        raise ValueError(f"a period must be text, not {type(text).__name__}")
    text = text.strip()
    try:
        if ".." in text:
            a, _, b = text.partition("..")
            first, last = _date(a), _date(b)
            if last < first:
                raise ValueError(f"period {text!r} ends before it starts")
            return _make("custom", first, last, tz)
        if _DAY.fullmatch(text):
            day = _date(text)
            return _make("day", day, day, tz)
        if match := _WEEK.fullmatch(text):
            first = date.fromisocalendar(int(match[1]), int(match[2]), 1)
            return _make("week", *_span("week", first), tz)
        if match := _MONTH.fullmatch(text):
            return _make("month", *_span("month", date(int(match[1]), int(match[2]), 1)), tz)
        if match := _QUARTER.fullmatch(text):
            first = date(int(match[1]), 3 * int(match[2]) - 2, 1)
            return _make("quarter", *_span("quarter", first), tz)
        if match := _YEAR.fullmatch(text):
            return _make("year", *_span("year", date(int(match[1]), 1, 1)), tz)
    except OverflowError as exc:
        raise ValueError(f"bad period {text!r}: out of range") from exc
    except ValueError as exc:
        raise ValueError(f"bad period {text!r}: {exc}") from exc
    raise ValueError(
        f"bad period {text!r}: expected 2026-11-05, 2026-W45, 2026-11, 2026-Q4, 2026 "
        "or 2026-11-01..2026-11-15"
    )


def period_containing(kind: str, moment: datetime, tz: str = DEFAULT_TZ) -> Period:
    """The ``kind`` period (not ``custom``) holding ``moment`` (naive UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return _make(kind, *_span(kind, _local_date(moment, tz)), tz)


def previous_period(p: Period, n: int = 1) -> Period:
    """The period ``n`` steps before ``p`` (``n`` may be 0 or negative: later); a custom
    period steps back by its own length in days. ValueError beyond :data:`YEARS`."""
    try:
        return _step_back(p, n)
    except OverflowError as exc:
        raise ValueError(f"period out of range (years {YEARS[0]}-{YEARS[1]})") from exc


def _step_back(p: Period, n: int) -> Period:
    first = p.first_day
    if p.kind == "day":
        day = first - timedelta(days=n)
        return _make("day", day, day, p.tz)
    if p.kind == "week":
        return _make("week", *_span("week", first - timedelta(weeks=n)), p.tz)
    if p.kind in ("month", "quarter", "year"):
        months = {"month": 1, "quarter": 3, "year": 12}[p.kind] * n
        y, m = _add_months(first.year, first.month, -months)
        return _make(p.kind, *_span(p.kind, date(y, m, 1)), p.tz)
    if p.kind == "custom":
        days = (p.last_day - first).days + 1
        shift = timedelta(days=days * n)
        return _make("custom", first - shift, p.last_day - shift, p.tz)
    raise ValueError(f"unknown period kind {p.kind!r}")


def last_periods(p: Period, n: int) -> list[Period]:
    """The ``n`` periods ending with ``p``, oldest first."""
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    return [previous_period(p, k) for k in range(n - 1, -1, -1)]
