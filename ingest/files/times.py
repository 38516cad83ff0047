"""Reading timestamps from files into UTC-naive values, with the zone rule of file loads.

The rule: a time must carry its zone (``Z`` or an offset such as ``+08:00``). A time without
one is refused, unless the caller declares local time (``local_tz``, e.g. Asia/Shanghai),
in which case zone-less values are read as wall-clock time there and converted to UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

LOCAL_TZ = "Asia/Shanghai"
_ZONED = r"(Z|z|[+-]\d{2}(:?\d{2})?)$"
_ISO = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?" + r"(Z|z|[+-]\d{2}(:?\d{2})?)?$"
_CN_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+(.*))?$")
#: The instants a Python datetime holds: Arrow holds more, and they overflow when read.
_FIRST, _LAST = (
    np.datetime64("0001-01-01T00:00:00", "us"),
    np.datetime64("9999-12-31T23:59:59", "us"),
)
_CN_TIME = re.compile(r"^(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})(?:\.(\d{1,6}))?秒?)?$")


def parse_time(text: str, *, local_tz: str | None) -> datetime | str:
    """One time as UTC-naive, or the reason it is refused.

    Accepts ISO 8601 and the common Chinese export forms (``2026/11/24 8:30``,
    ``2026年11月24日 08:30:00``); those carry no zone and need ``local_tz``.
    """
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        if re.match(_ISO, value):
            return f"{value[:40]!r} is not a valid time: {exc}"
        parsed_or_reason = _parse_cn(value)
        if isinstance(parsed_or_reason, str):
            return parsed_or_reason
        parsed = parsed_or_reason
    if parsed.tzinfo is None:
        if local_tz is None:
            return f"time {value[:40]!r} has no zone (add +08:00 or Z, or declare local time)"
        parsed = parsed.replace(tzinfo=ZoneInfo(local_tz))
    try:
        return parsed.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # 9999-12-31T23:00-14:00 or 0001-01-01T00:00+14:00
        return f"time {value[:40]!r} is outside the years 1-9999 in UTC"


def _parse_cn(value: str) -> datetime | str:
    match = _CN_DATE.match(value)
    reason = f"{value[:40]!r} is not a date-time (ISO 8601 or YYYY/MM/DD HH:MM[:SS])"
    if not match:
        return reason
    year, month, day, rest = match.groups()
    hour = minute = second = micro = 0
    if rest:
        tmatch = _CN_TIME.match(rest.strip())
        if not tmatch:
            return reason
        hour, minute = int(tmatch.group(1)), int(tmatch.group(2))
        second = int(tmatch.group(3) or 0)
        micro = int((tmatch.group(4) or "0").ljust(6, "0"))
    try:
        return datetime(int(year), int(month), int(day), hour, minute, second, micro)
    except ValueError as exc:
        return f"{value[:40]!r}: {exc}"


def parse_time_array(
    values: pa.Array, *, local_tz: str | None
) -> tuple[pa.Array, list[str | None]]:
    """Vectorised :func:`parse_time` over ISO 8601 strings.

    Returns
    -------
    (timestamps, reasons)
        ``timestamp[us]`` UTC-naive (null where refused) and, per element, None or the reason.
    """
    original = values
    values = pc.replace_substring_regex(values, r"^(\d{4}-\d{2}-\d{2}) ", r"\1T")
    n = len(values)
    iso = pc.fill_null(pc.match_substring_regex(values, _ISO), False)
    zoned = pc.fill_null(pc.match_substring_regex(values, _ZONED), False)
    ok = pc.and_(iso, pc.or_(zoned, pa.scalar(local_tz is not None)))
    if n and not pc.all(ok).as_py():
        return _slow(original, local_tz)
    try:
        z_mask, n_mask = zoned, pc.invert(zoned)
        out = np.zeros(n, dtype="datetime64[us]")
        if pc.any(z_mask).as_py():
            aware = pc.cast(pc.filter(values, z_mask), pa.timestamp("us", tz="UTC"))
            out[np.asarray(z_mask)] = aware.cast(pa.timestamp("us")).to_numpy(zero_copy_only=False)
        if local_tz is not None and pc.any(n_mask).as_py():
            naive = pc.cast(pc.filter(values, n_mask), pa.timestamp("us"))
            local = pc.assume_timezone(naive, local_tz)
            out[np.asarray(n_mask)] = local.cast(pa.timestamp("us")).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _slow(original, local_tz)
    if n and ((out < _FIRST).any() or (out > _LAST).any()):
        return _slow(original, local_tz)  # moved past year 9999 or before year 1 in UTC
    return pa.array(out, pa.timestamp("us")), [None] * n


def _slow(values: pa.Array, local_tz: str | None) -> tuple[pa.Array, list[str | None]]:
    stamps: list[datetime | None] = []
    reasons: list[str | None] = []
    for value in values.to_pylist():
        if value is None:
            stamps.append(None)
            reasons.append("missing time")
            continue
        parsed = parse_time(value, local_tz=local_tz)
        if isinstance(parsed, str):
            stamps.append(None)
            reasons.append(parsed)
        else:
            stamps.append(parsed)
            reasons.append(None)
    return pa.array(stamps, pa.timestamp("us")), reasons
