"""Environmental noise limits per GB 3096-2008: zone × day/night limits, Leq and Lmax checks.

Zones (声环境功能区) are ``"0"``, ``"1"``, ``"2"``, ``"3"``, ``"4a"`` and ``"4b"`` (ints 0–3
and the suffix 类 are accepted). Limits are equivalent continuous A-weighted sound levels
(LAeq) in dB(A), GB 3096-2008 Table 1. Day (昼间) is 06:00–22:00 and night (夜间)
22:00–06:00 local time (the standard's definitions); a local government may divide them
differently, hence the ``day_start`` / ``night_start`` options.

Times: ``at`` is a ``datetime`` or a ``time``. An aware datetime is converted to the local
zone ``tz`` (China Standard Time, UTC+8, by default); a naive datetime or a ``time`` is taken
as local clock time already.

The standard's notes: the 4b limits apply beside new railway trunk lines whose EIA was
approved from 2011-01-01, while background noise beside existing trunk lines through towns
uses 70/55 (the 4a values) — pick the zone accordingly. The maximum level of sudden
night-time noise (夜间突发噪声) must not exceed the limit by more than 15 dB(A):
``assess_lmax``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone, tzinfo
from numbers import Real
from types import MappingProxyType
from typing import Literal

STANDARD = "GB 3096-2008"

Period = Literal["day", "night"]

#: China Standard Time; China has kept UTC+8 without DST since 1992.
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")
DAY_START = time(6, 0)
NIGHT_START = time(22, 0)
#: GB 3096-2008: night-time sudden noise Lmax may exceed the limit by at most this.
NIGHT_LMAX_ALLOWANCE_DB = 15.0

#: GB 3096-2008 Table 1: zone → (day, night) LAeq limits in dB(A).
NOISE_LIMITS: Mapping[str, tuple[float, float]] = MappingProxyType(
    {
        "0": (50.0, 40.0),
        "1": (55.0, 45.0),
        "2": (60.0, 50.0),
        "3": (65.0, 55.0),
        "4a": (70.0, 55.0),
        "4b": (70.0, 60.0),
    }
)


@dataclass(frozen=True)
class NoiseResult:
    """An LAeq measurement against its zone's limit for the period it falls in."""

    zone: str
    period: Period
    leq_db: float
    limit_db: float
    exceedance_db: float
    exceeded: bool


@dataclass(frozen=True)
class LmaxResult:
    """A maximum sound level against limit + 15 dB(A); only night-time has an Lmax limit."""

    zone: str
    period: Period
    lmax_db: float
    applies: bool
    lmax_limit_db: float | None
    exceedance_db: float
    exceeded: bool


def noise_zone(zone: str | int) -> str:
    """The canonical zone name (``"0"`` … ``"3"``, ``"4a"``, ``"4b"``) of ``zone``.

    Raises
    ------
    ValueError
        Not one of the six zones (a bare ``4`` is ambiguous: 4a or 4b).
    """
    if isinstance(zone, int) and not isinstance(zone, bool):
        text = str(zone)
    elif isinstance(zone, str):
        text = zone.strip().removesuffix("类").strip().lower()
    else:
        text = ""
    if text not in NOISE_LIMITS:
        raise ValueError(f"unknown noise zone {zone!r}; expected one of {', '.join(NOISE_LIMITS)}")
    return text


def _local_clock(at: datetime | time, tz: tzinfo) -> time:
    if isinstance(at, datetime):
        local = at.astimezone(tz) if at.tzinfo is not None else at
        return local.time()
    if isinstance(at, time):
        if at.tzinfo is not None:
            raise ValueError("pass a local naive time, or a datetime with its tz")
        return at
    raise ValueError(f"at must be a datetime or a time, got {at!r}")


def noise_period(
    at: datetime | time,
    *,
    tz: tzinfo = CHINA_STANDARD_TIME,
    day_start: time = DAY_START,
    night_start: time = NIGHT_START,
) -> Period:
    """``"day"`` from ``day_start`` (inclusive) to ``night_start`` (exclusive), else ``"night"``.

    Parameters
    ----------
    at
        The moment; aware datetimes are converted to ``tz``, naive ones are local time.
    tz
        The local time zone of the measurement point.
    day_start, night_start
        Local division of day and night; GB 3096-2008 defaults 06:00 and 22:00.
    """
    if not day_start < night_start:
        raise ValueError(f"day_start {day_start} must be before night_start {night_start}")
    clock = _local_clock(at, tz)
    return "day" if day_start <= clock < night_start else "night"


def noise_limit(
    zone: str | int,
    *,
    at: datetime | time,
    tz: tzinfo = CHINA_STANDARD_TIME,
    day_start: time = DAY_START,
    night_start: time = NIGHT_START,
) -> float:
    """The LAeq limit in dB(A) of ``zone`` at ``at`` (GB 3096-2008 Table 1).

    Raises
    ------
    ValueError
        Unknown zone or an ``at`` that is neither a datetime nor a naive time.
    """
    day, night = NOISE_LIMITS[noise_zone(zone)]
    period = noise_period(at, tz=tz, day_start=day_start, night_start=night_start)
    return day if period == "day" else night


def _level(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a finite, non-negative dB(A) value, got {number!r}")
    return number


def assess_noise(
    leq_db: float,
    zone: str | int,
    *,
    at: datetime | time,
    tz: tzinfo = CHINA_STANDARD_TIME,
    day_start: time = DAY_START,
    night_start: time = NIGHT_START,
) -> NoiseResult:
    """Compare an LAeq with the limit of ``zone`` for the period ``at`` falls in.

    A level equal to the limit meets it; ``exceedance_db`` is how far above the limit the
    level is (0 when it is not above).

    Raises
    ------
    ValueError
        A negative, NaN or non-numeric level, an unknown zone, or a bad ``at``.
    """
    leq = _level("leq_db", leq_db)
    canonical = noise_zone(zone)
    period = noise_period(at, tz=tz, day_start=day_start, night_start=night_start)
    day, night = NOISE_LIMITS[canonical]
    limit = day if period == "day" else night
    return NoiseResult(
        zone=canonical,
        period=period,
        leq_db=leq,
        limit_db=limit,
        exceedance_db=max(0.0, leq - limit),
        exceeded=leq > limit,
    )


def assess_lmax(
    lmax_db: float,
    zone: str | int,
    *,
    at: datetime | time,
    tz: tzinfo = CHINA_STANDARD_TIME,
    day_start: time = DAY_START,
    night_start: time = NIGHT_START,
) -> LmaxResult:
    """Check a night-time sudden-noise maximum against limit + 15 dB(A) (GB 3096-2008).

    In the daytime the standard sets no Lmax limit: the result has ``applies=False`` and is
    never exceeded.

    Raises
    ------
    ValueError
        A negative, NaN or non-numeric level, an unknown zone, or a bad ``at``.
    """
    lmax = _level("lmax_db", lmax_db)
    canonical = noise_zone(zone)
    period = noise_period(at, tz=tz, day_start=day_start, night_start=night_start)
    if period == "day":
        return LmaxResult(canonical, period, lmax, False, None, 0.0, False)
    limit = NOISE_LIMITS[canonical][1] + NIGHT_LMAX_ALLOWANCE_DB
    return LmaxResult(
        zone=canonical,
        period=period,
        lmax_db=lmax,
        applies=True,
        lmax_limit_db=limit,
        exceedance_db=max(0.0, lmax - limit),
        exceeded=lmax > limit,
    )
