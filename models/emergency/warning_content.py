"""What a warning (CAP 1.2 out) says: its content as composed, checked totally (every bad value
a :class:`WarningInvalid` with the reason), and its normal JSON form as stored and served."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import shapely

#: event code -> (CAP <category>, name zh, name en); the incident types and two weather events.
EVENTS: dict[str, tuple[str, str, str]] = {
    "typhoon": ("Met", "台风", "Typhoon"),
    "rainstorm": ("Met", "暴雨", "Rainstorm"),
    "flood": ("Met", "洪涝", "Flood"),
    "waterlogging": ("Met", "城市内涝", "Urban waterlogging"),
    "fire": ("Fire", "火灾", "Fire"),
    "forest_fire": ("Fire", "森林火灾", "Forest fire"),
    "hazardous_chemicals": ("CBRNE", "危险化学品事故", "Hazardous chemicals"),
    "geological": ("Geo", "地质灾害", "Geological hazard"),
    "public_health": ("Health", "公共卫生事件", "Public health event"),
    "public_security": ("Security", "社会安全事件", "Public security event"),
}
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
#: CAP severities a Chinese warning level maps to (红/橙/黄/蓝); see docs/cap.md.
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
RESPONSE_TYPES = (
    "Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None",
)  # fmt: skip
STATUSES = ("Actual", "Exercise")
#: severity -> warning colour (预警级别) and its names
COLOURS: dict[str, tuple[str, str, str]] = {
    "Extreme": ("red", "红色", "Red"),
    "Severe": ("orange", "橙色", "Orange"),
    "Moderate": ("yellow", "黄色", "Yellow"),
    "Minor": ("blue", "蓝色", "Blue"),
}
MAX_HEADLINE = 200
MAX_DESCRIPTION = 4000
MAX_INSTRUCTION = 2000
MAX_AREA_DESC = 500
MAX_POLYGONS = 20
MAX_CIRCLES = 20
MAX_CODES = 200
MAX_VERTICES = 1000
MAX_RADIUS_KM = 75.0  # a circle at most about the area bound (MAX_AREA_KM2)
#: A warning lasts at most this long; its onset lies at most this far back or ahead.
MAX_VALIDITY = timedelta(days=30)
MAX_ONSET_PAST = timedelta(days=7)
FIELDS = frozenset({
    "event", "urgency", "severity", "certainty", "headline", "description", "instruction",
    "area", "onset", "expires", "status", "incident_id", "response_types",
})  # fmt: skip
AREA_FIELDS = frozenset({"description", "polygons", "circles", "codes"})
_CODE = re.compile(r"^(\d{6}|\d{9})$")
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
#: Characters XML 1.0 cannot carry (a CAP document with one is not XML at all).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class WarningInvalid(ValueError):
    """A warning's content that cannot be accepted; the message says which value and why."""


@dataclass(frozen=True)
class Lang:
    """One text in Chinese and English (the two ``<info>`` blocks)."""

    zh: str
    en: str


@dataclass(frozen=True)
class WarningArea:
    """Where: rings of (lon, lat) (closed), circles (lon, lat, radius_km), and district
    (6-digit) or street (9-digit) codes whose outlines are taken from admin_areas."""

    polygons: tuple[tuple[tuple[float, float], ...], ...] = ()
    circles: tuple[tuple[float, float, float], ...] = ()
    codes: tuple[str, ...] = ()
    description: Lang | None = None


@dataclass(frozen=True)
class WarningContent:
    """A composed warning; times are naive UTC."""

    event: str
    urgency: str
    severity: str
    certainty: str
    headline: Lang
    description: Lang
    area: WarningArea
    expires: datetime
    status: str
    instruction: Lang | None = None
    onset: datetime | None = None
    incident_id: str | None = None
    response_types: tuple[str, ...] = ()

    @property
    def exercise(self) -> bool:
        return self.status == "Exercise"

    @property
    def category(self) -> str:
        return EVENTS[self.event][0]

    @property
    def colour(self) -> str:
        return COLOURS[self.severity][0]


def _text(value: Any, name: str, max_len: int) -> str:
    if not isinstance(value, str):
        raise WarningInvalid(f"{name} must be a string")
    value = value.strip()
    if not value:
        raise WarningInvalid(f"{name} is empty")
    if len(value) > max_len:
        raise WarningInvalid(f"{name} is longer than {max_len} characters")
    if _NOT_XML.search(value):
        raise WarningInvalid(f"{name} holds control characters XML cannot carry")
    return value


def _lang(value: Any, name: str, max_len: int, *, required: bool = True) -> Lang | None:
    if value is None and not required:
        return None
    if not isinstance(value, Mapping):
        raise WarningInvalid(f'{name} must be an object {{"zh": ..., "en": ...}}')
    if unknown := sorted(set(value) - {"zh", "en"}):
        raise WarningInvalid(f"{name}: unknown languages {', '.join(map(str, unknown))[:100]}")
    if "zh" not in value or "en" not in value:
        raise WarningInvalid(f"{name} needs both zh and en")
    return Lang(
        _text(value["zh"], f"{name}.zh", max_len), _text(value["en"], f"{name}.en", max_len)
    )


def _choice(data: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    value = data.get(name)
    if value not in allowed:
        shown = repr(value)[:40] if value is not None else "missing"
        raise WarningInvalid(f"{name} ({shown}) must be one of {', '.join(allowed)}")
    return str(value)


def _number(value: Any, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WarningInvalid(f"{name} must be a number")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or not low <= number <= high:
        raise WarningInvalid(f"{name} must be within [{low:g}, {high:g}]")
    return number


def _point(value: Any, name: str) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise WarningInvalid(f"{name} must be a [lon, lat] pair")
    lon = round(_number(value[0], f"{name} lon", -180, 180), 6)
    lat = round(_number(value[1], f"{name} lat", -90, 90), 6)
    return lon, lat


def _ring(value: Any, n: int) -> tuple[tuple[float, float], ...]:
    name = f"area.polygons[{n}]"
    if not isinstance(value, list | tuple):
        raise WarningInvalid(f"{name} must be a list of [lon, lat] pairs")
    if len(value) > MAX_VERTICES:
        raise WarningInvalid(f"{name} has more than {MAX_VERTICES} points")
    points = tuple(_point(p, f"{name}[{i}]") for i, p in enumerate(value))
    if len(points) < 4:
        raise WarningInvalid(f"{name} needs at least 4 points (a closed ring), found {len(points)}")
    if points[0] != points[-1]:
        raise WarningInvalid(f"{name} is not closed: the first and last points must be the same")
    polygon = shapely.Polygon(points)
    if not polygon.is_valid:
        why = shapely.is_valid_reason(polygon)
        raise WarningInvalid(f"{name} is not a simple ring (self-intersecting?): {why}"[:200])
    if polygon.area <= 0:
        raise WarningInvalid(f"{name} encloses no area")
    return points


def _circle(value: Any, n: int) -> tuple[float, float, float]:
    name = f"area.circles[{n}]"
    if not isinstance(value, Mapping) or set(value) != {"lon", "lat", "radius_km"}:
        raise WarningInvalid(f"{name} must be an object with lon, lat and radius_km")
    lon = round(_number(value["lon"], f"{name}.lon", -180, 180), 6)
    lat = round(_number(value["lat"], f"{name}.lat", -90, 90), 6)
    radius = _number(value["radius_km"], f"{name}.radius_km", 0, MAX_RADIUS_KM)
    if radius <= 0:
        raise WarningInvalid(f"{name}.radius_km must be more than 0")
    return lon, lat, round(radius, 3)


def _list(value: Any, name: str, most: int) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise WarningInvalid(f"{name} must be a list")
    if len(value) > most:
        raise WarningInvalid(f"{name} holds more than {most} items")
    return list(value)


def parse_area(value: Any) -> WarningArea:
    """The ``area`` object: ``polygons`` (closed rings of [lon, lat]), ``circles``
    ({lon, lat, radius_km}), ``codes`` (district or street codes), ``description``."""
    if not isinstance(value, Mapping):
        raise WarningInvalid("area must be an object (polygons, circles or codes)")
    if unknown := sorted(set(value) - AREA_FIELDS):
        raise WarningInvalid(f"area: unknown fields: {', '.join(map(str, unknown))[:200]}")
    polygons = tuple(
        _ring(r, i)
        for i, r in enumerate(_list(value.get("polygons"), "area.polygons", MAX_POLYGONS))
    )
    circles = tuple(
        _circle(c, i)
        for i, c in enumerate(_list(value.get("circles"), "area.circles", MAX_CIRCLES))
    )
    codes = []
    for i, code in enumerate(_list(value.get("codes"), "area.codes", MAX_CODES)):
        if not isinstance(code, str) or not _CODE.match(code):
            raise WarningInvalid(
                f"area.codes[{i}] must be a 6-digit district or 9-digit street code"
            )
        if code not in codes:
            codes.append(code)
    if not (polygons or circles or codes):
        raise WarningInvalid("area needs a polygon, a circle or district/street codes")
    description = _lang(value.get("description"), "area.description", MAX_AREA_DESC, required=False)
    return WarningArea(polygons, circles, tuple(codes), description)


def _time(value: Any, name: str) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise WarningInvalid(
            f"{name} must be an ISO 8601 time with a zone, e.g. 2026-11-24T08:00:00+08:00"
        )
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise WarningInvalid(f"{name} {value[:40]!r} is not an ISO 8601 time") from None
    if at.tzinfo is None:
        raise WarningInvalid(f"{name} needs a time zone (+08:00 or Z)")
    return at.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def check_times(onset: datetime | None, expires: datetime, *, now: datetime | None) -> None:
    """Refuse an expiry not after the onset; with ``now``, one not ahead of it, or times
    beyond the bounds."""
    if onset is not None and onset >= expires:
        raise WarningInvalid("expires must be after onset")
    if now is None:
        return
    if expires <= now:
        raise WarningInvalid("expires is not in the future")
    if expires > now + MAX_VALIDITY:
        raise WarningInvalid(f"expires is more than {MAX_VALIDITY.days} days ahead")
    if onset is not None and onset < now - MAX_ONSET_PAST:
        raise WarningInvalid(f"onset is more than {MAX_ONSET_PAST.days} days ago")
    if onset is not None and onset > now + MAX_VALIDITY:
        raise WarningInvalid(f"onset is more than {MAX_VALIDITY.days} days ahead")


def parse_warning_content(data: Any, *, now: datetime | None) -> WarningContent:
    """Check a composed warning (the JSON the API and the screen send) and normalise it.

    Parameters
    ----------
    data
        The object; see :func:`content_json` for its shape.
    now
        The clock (naive UTC): the expiry must lie ahead of it (None: a stored content,
        only the order of onset and expiry checked).

    Returns
    -------
    WarningContent

    Raises
    ------
    WarningInvalid
        With the first problem found.
    """
    if not isinstance(data, Mapping):
        raise WarningInvalid("the warning must be a JSON object")
    if unknown := sorted(set(data) - FIELDS):
        raise WarningInvalid(f"unknown fields: {', '.join(map(str, unknown))[:200]}")
    event = _choice(data, "event", tuple(EVENTS))
    onset = None if data.get("onset") in (None, "") else _time(data["onset"], "onset")
    expires = _time(data.get("expires"), "expires")
    check_times(onset, expires, now=now)
    incident = data.get("incident_id")
    if incident is not None and (not isinstance(incident, str) or not _ID.match(incident)):
        raise WarningInvalid("incident_id must be an incident's id")
    responses = []
    for r in _list(data.get("response_types"), "response_types", len(RESPONSE_TYPES)):
        if r not in RESPONSE_TYPES:
            raise WarningInvalid(
                f"response_types: {str(r)[:40]!r} is not one of {', '.join(RESPONSE_TYPES)}"
            )
        if r not in responses:
            responses.append(r)
    return WarningContent(
        event=event,
        urgency=_choice(data, "urgency", URGENCIES),
        severity=_choice(data, "severity", SEVERITIES),
        certainty=_choice(data, "certainty", CERTAINTIES),
        headline=_lang(data.get("headline"), "headline", MAX_HEADLINE),  # type: ignore[arg-type]
        description=_lang(data.get("description"), "description", MAX_DESCRIPTION),  # type: ignore[arg-type]
        instruction=_lang(data.get("instruction"), "instruction", MAX_INSTRUCTION, required=False),
        area=parse_area(data.get("area")),
        onset=onset,
        expires=expires,
        status=_choice(data, "status", STATUSES),
        incident_id=incident,
        response_types=tuple(responses),
    )


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat(timespec="seconds") + "Z"


def _lang_json(value: Lang | None) -> dict[str, str] | None:
    return None if value is None else {"zh": value.zh, "en": value.en}


def content_json(content: WarningContent) -> dict[str, Any]:
    """The content in the shape :func:`parse_warning_content` reads (times in UTC, ``Z``)."""
    area = content.area
    return {
        "event": content.event,
        "urgency": content.urgency,
        "severity": content.severity,
        "certainty": content.certainty,
        "headline": _lang_json(content.headline),
        "description": _lang_json(content.description),
        "instruction": _lang_json(content.instruction),
        "area": {
            "description": _lang_json(area.description),
            "polygons": [[list(p) for p in ring] for ring in area.polygons],
            "circles": [{"lon": c[0], "lat": c[1], "radius_km": c[2]} for c in area.circles],
            "codes": list(area.codes),
        },
        "onset": _iso(content.onset),
        "expires": _iso(content.expires),
        "status": content.status,
        "incident_id": content.incident_id,
        "response_types": list(content.response_types),
    }


def content_from_json(data: Mapping[str, Any]) -> WarningContent:
    """A stored content back (its times were checked against the clock when composed)."""
    return parse_warning_content(data, now=None)
