"""Simulated time: epoch seconds to Asia/Shanghai local time, ISO-8601 stamps, sunrise/sunset."""

from __future__ import annotations

import math
import time
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
#: Asia/Shanghai is UTC+8 all year (no daylight saving since 1991), so the hot path adds this.
CST_OFFSET_S = 8 * 3600
#: Chaozhou city centre, for the sun.
_LAT, _LON = 23.67, 116.64


class LocalTime(NamedTuple):
    """Local calendar facts of one simulated moment."""

    hour: float  # 0 <= hour < 24, fractional
    yday: int  # 1..366
    month: int  # 1..12
    weekday: int  # 0 = Monday


def local_time(t: float) -> LocalTime:
    """Asia/Shanghai local time of epoch second ``t``."""
    st = time.gmtime(t + CST_OFFSET_S)
    hour = ((t + CST_OFFSET_S) % 86400) / 3600.0
    return LocalTime(hour, st.tm_yday, st.tm_mon, st.tm_wday)


def iso_local(t: int) -> str:
    """ISO-8601 with the +08:00 offset, e.g. ``2026-11-24T08:00:05+08:00``."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(t + CST_OFFSET_S))


def parse_start(text: str) -> int:
    """Epoch seconds of an ISO-8601 time; a time without offset is Asia/Shanghai local time.

    Raises
    ------
    ValueError
        If ``text`` is not ISO-8601.
    """
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return int(moment.timestamp())


def sun_hours(yday: int) -> tuple[float, float]:
    """Local sunrise and sunset (fractional hours) in Chaozhou on day ``yday`` of the year."""
    decl = math.radians(-23.44) * math.cos(2 * math.pi * (yday + 10) / 365)
    lat = math.radians(_LAT)
    cos_h = (math.sin(math.radians(-0.833)) - math.sin(lat) * math.sin(decl)) / (
        math.cos(lat) * math.cos(decl)
    )
    half_day = math.degrees(math.acos(max(-1.0, min(1.0, cos_h)))) / 15.0
    b = 2 * math.pi * (yday - 81) / 364
    eot_min = 9.87 * math.sin(2 * b) - 7.53 * math.cos(b) - 1.5 * math.sin(b)
    noon = 12.0 + (120.0 - _LON) * 4 / 60 - eot_min / 60
    return noon - half_day, noon + half_day
