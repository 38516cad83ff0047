"""Per-value parsing rules shared by the tabular loaders: numbers, coordinates, dates, ids."""

from __future__ import annotations

import math
import re
from datetime import date

from pydantic import TypeAdapter, ValidationError

from ingest.files.report import FileFailure
from ingest.payloads import MessageId, ObservationPayload

_ID = TypeAdapter(MessageId)
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def missing_columns(columns: list[str], required: tuple[str, ...], hint: str) -> FileFailure | None:
    """A failure naming the required columns that are absent (with the accepted headers)."""
    missing = [c for c in required if c not in columns]
    if not missing:
        return None
    return FileFailure(
        f"missing column(s) {', '.join(missing)}; found: {', '.join(columns)}. {hint}"[:800]
    )


def parse_float(text: str | None, *, lo: float = -math.inf, hi: float = math.inf) -> float | str:
    """A finite number within [lo, hi], or the reason it is not one."""
    if text is None:
        return "missing value"
    try:
        value = float(text)
    except ValueError:
        return f"{text[:40]!r} is not a number"
    if not math.isfinite(value):
        return f"{text[:40]!r} is not a finite number"
    if not lo <= value <= hi:
        return f"{value} is outside [{lo}, {hi}]"
    return value


def parse_int(text: str | None, *, lo: int, hi: int) -> int | str:
    value = parse_float(text, lo=lo, hi=hi)
    if isinstance(value, str):
        return value
    if not value.is_integer():
        return f"{text!r} is not a whole number"
    return int(value)


def parse_date(text: str) -> date | str:
    match = _DATE.match(text.strip())
    if not match:
        return f"{text[:40]!r} is not a date (YYYY-MM-DD)"
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError as exc:
        return f"{text[:40]!r}: {exc}"


def id_problem(text: str | None, what: str) -> str | None:
    """Why ``text`` is not a valid id (the MQTT message/topic id rule), or None."""
    if text is None:
        return f"missing {what}"
    try:
        _ID.validate_python(text)
    except ValidationError:
        return f"{what} {text[:40]!r} must be 1-64 characters of A-Z a-z 0-9 _ . : -"
    return None


def metric_problem(name: str) -> str | None:
    """Why ``name`` is not a metric name (the MQTT observation payload's rule), or None."""
    try:
        ObservationPayload.model_validate(
            {"id": "x", "ts": "2026-01-01T00:00:00Z", "values": {name: 0.0}}
        )
    except ValidationError:
        return f"metric name {name[:40]!r} is not lower_snake_case (e.g. pm25, water_level)"
    return None
