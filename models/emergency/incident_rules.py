"""What an incident may be (pure rules): who may do what, type, level I–IV, title, point or
area, and the type and level suggested by a case's category, an alarm or a CAP alert."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from models.coordinates import coordinates_problem
from models.vocabulary import INCIDENT_LEVELS, INCIDENT_TYPES

#: Who may open an incident and add notes (the centre's operators too), who commands it
#: (plan, level, tasks, close), who reads it (leaders as well).
OPEN_ROLES = frozenset({"emergency", "admin", "operator"})
COMMAND_ROLES = frozenset({"emergency", "admin"})
READ_ROLES = OPEN_ROLES | {"leader"}
#: Where an incident came from.
SOURCE_KINDS = ("screen", "api", "case", "alarm", "cap")
STATUSES = ("open", "closed")
TITLE_MAX = 200
NOTE_MAX = 2000
SOURCE_REF_MAX = 200
#: Most vertices an incident area may have (a hand-drawn polygon has tens).
AREA_MAX_VERTICES = 5000
#: Degrees added around the city's outline: a point this far outside is still the city's
#: business (the coast, a river mouth); beyond it, a typo (swapped or shifted coordinates).
CITY_MARGIN_DEG = 0.05
#: Severity order: I is the most severe.
SEVERITY = {level: rank for rank, level in enumerate(INCIDENT_LEVELS)}
_ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class IncidentError(Exception):
    """A refused request: ``status`` 400 (bad input), 403 (role), 404 (no such incident in
    the caller's scope) or 409 (its state does not allow it); ``code`` a stable name."""

    message: str
    status: int = 400
    code: str = "bad_request"
    values: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


def bad(message: str, code: str = "bad_request") -> IncidentError:
    return IncidentError(message, 400, code)


def parse_level(value: Any) -> str:
    """``I``..``IV`` from a Roman numeral (any case) or 1..4 (number or text)."""
    if isinstance(value, bool):
        raise bad("level must be I, II, III or IV (or 1-4)", "level")
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        value = str(int(value))
    if isinstance(value, str):
        key = value.strip().upper()
        key = _ROMAN.get(key, key)
        if key in INCIDENT_LEVELS:
            return key
    raise bad(f"level {str(value)[:20]!r} is not I, II, III or IV (or 1-4)", "level")


def check_type(value: Any) -> str:
    if not isinstance(value, str) or value.strip() not in INCIDENT_TYPES:
        raise bad(f"type {str(value)[:40]!r} is not one of {', '.join(INCIDENT_TYPES)}", "type")
    return value.strip()


def check_text(value: Any, name: str, max_len: int, *, required: bool = True) -> str | None:
    """Free text stripped, without control characters (a line break is allowed in notes)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise bad(f"{name} is required", name)
        return None
    if not isinstance(value, str):
        raise bad(f"{name} must be text", name)
    value = value.strip()
    if len(value) > max_len:
        raise bad(f"{name} is longer than {max_len} characters", name)
    if _CONTROL.search(value.replace("\n", "").replace("\r", "").replace("\t", "")):
        raise bad(f"{name} must not contain control characters", name)
    return value


def check_title(value: Any) -> str:
    title = check_text(value, "title", TITLE_MAX)
    assert title is not None
    if "\n" in title or "\r" in title:
        raise bad("title must be one line", "title")
    return title


def check_point(lon: Any, lat: Any) -> tuple[float, float]:
    for name, v in (("lon", lon), ("lat", lat)):
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise bad(f"{name} must be a number", "coordinates")
    try:
        problem = coordinates_problem(lon, lat)
    except OverflowError:
        problem = "coordinates out of range"
    if problem:
        raise bad(problem, "coordinates")
    return float(lon), float(lat)


def _position(item: Any) -> tuple[float, float]:
    if not isinstance(item, list | tuple) or len(item) < 2 or len(item) > 3:
        raise bad("area: a position is [lon, lat]", "area")
    lon, lat = item[0], item[1]
    if any(isinstance(v, bool) or not isinstance(v, int | float) for v in (lon, lat)):
        raise bad("area: coordinates must be numbers", "area")
    try:
        x, y = float(lon), float(lat)
    except OverflowError:
        raise bad("area: coordinates out of range", "area") from None
    if problem := coordinates_problem(x, y):
        raise bad(f"area: {problem}", "area")
    return x, y


def _rings(coords: Any) -> list[list[tuple[float, float]]]:
    if not isinstance(coords, list) or not coords:
        raise bad("area: a polygon is a list of rings", "area")
    rings = []
    for ring in coords:
        if not isinstance(ring, list) or len(ring) < 4:
            raise bad("area: a ring needs at least 4 positions (closed)", "area")
        points = [_position(p) for p in ring]
        if points[0] != points[-1]:
            raise bad("area: a ring must end where it starts", "area")
        rings.append(points)
    return rings


def area_from_geojson(value: Any) -> BaseGeometry:
    """A valid, non-empty Polygon or MultiPolygon from a GeoJSON geometry (or a Feature
    holding one), WGS 84 lon/lat.

    Raises
    ------
    IncidentError
        400 naming what is wrong (type, ring, coordinates, too many vertices, invalid).
    """
    if isinstance(value, Mapping) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, Mapping) or value.get("type") not in ("Polygon", "MultiPolygon"):
        raise bad("area must be a GeoJSON Polygon or MultiPolygon", "area")
    coords = value.get("coordinates")
    if value["type"] == "Polygon":
        polygons = [_rings(coords)]
    else:
        if not isinstance(coords, list) or not coords:
            raise bad("area: a MultiPolygon is a list of polygons", "area")
        polygons = [_rings(c) for c in coords]
    vertices = sum(len(r) for p in polygons for r in p)
    if vertices > AREA_MAX_VERTICES:
        raise bad(f"area has {vertices} vertices, more than {AREA_MAX_VERTICES}", "area")
    parts = [shapely.Polygon(p[0], p[1:]) for p in polygons]
    geom = parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
    return check_area(geom)


def check_area(geom: Any) -> BaseGeometry:
    """The geometry when it is a valid, non-empty (Multi)Polygon of finite lon/lat."""
    if isinstance(geom, bytes | bytearray | memoryview):
        try:
            geom = shapely.from_wkb(bytes(geom))
        except Exception:  # shapely raises GEOSException and others on garbage
            raise bad("area is not valid WKB", "area") from None
    if not isinstance(geom, shapely.Polygon | shapely.MultiPolygon) or geom.is_empty:
        raise bad("area must be a non-empty polygon", "area")
    if shapely.get_num_coordinates(geom) > AREA_MAX_VERTICES:
        raise bad(f"area has more than {AREA_MAX_VERTICES} vertices", "area")
    xy = shapely.get_coordinates(geom)
    if not all(math.isfinite(v) for v in xy.ravel()):
        raise bad("area: coordinates are not finite numbers", "area")
    if not shapely.is_valid(geom):
        raise bad(f"area is not a valid polygon: {shapely.is_valid_reason(geom)}"[:200], "area")
    if geom.area <= 0:
        raise bad("area has no extent", "area")
    return geom


def within_extent(geom: BaseGeometry, extent: Sequence[float] | None) -> bool:
    """Whether ``geom`` lies inside the city's ``extent`` (min_lon, min_lat, max_lon,
    max_lat) widened by :data:`CITY_MARGIN_DEG`; True when the city has no outline yet."""
    if extent is None:
        return True
    x0, y0, x1, y1 = extent
    m = CITY_MARGIN_DEG
    bx0, by0, bx1, by1 = shapely.bounds(geom)
    return bool(bx0 >= x0 - m and by0 >= y0 - m and bx1 <= x1 + m and by1 <= y1 + m)


def levels_up_to(level: str) -> list[str]:
    """The levels a response at ``level`` includes, least severe first (II: IV, III, II)."""
    return [lv for lv in reversed(INCIDENT_LEVELS) if SEVERITY[lv] >= SEVERITY[level]]


def more_severe(a: str, b: str) -> bool:
    """Whether level ``a`` is more severe than ``b`` (II than IV)."""
    return SEVERITY[a] < SEVERITY[b]


# -- suggestions from where an incident comes from ------------------------------------------
#: Case categories (models/data/categories.csv) whose escalation suggests an incident type.
CATEGORY_TYPES: dict[str, str] = {
    "0401": "flood",  # 积水
    "0409": "flood",  # 堤防险情
    "0405": "geological",  # 路面塌陷 (ground collapse)
    "0604": "hazardous_chemicals",  # 燃气异味 (natural gas is a listed hazardous chemical)
    "0801": "typhoon",
    "0802": "hazardous_chemicals",
    "0803": "forest_fire",
    "0804": "fire",
    "0805": "geological",
}
#: Sensor kinds whose alarm suggests an incident type.
SENSOR_TYPES: dict[str, str] = {
    "water_level": "flood",
    "smoke": "fire",
    "gas": "hazardous_chemicals",
}
#: Alarm level -> the incident level suggested.
ALARM_LEVELS: dict[str, str] = {"danger": "III", "warning": "IV"}
#: CAP severity -> incident level suggested (red/orange/yellow/blue of Chinese warnings).
SEVERITY_LEVELS: dict[str, str] = {
    "Extreme": "I",
    "Severe": "II",
    "Moderate": "III",
    "Minor": "IV",
    "Unknown": "IV",
}
#: Words of a CAP ``<event>`` (zh or en) -> incident type, looked at in this order.
_CAP_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("typhoon", ("台风", "typhoon", "tropical storm", "hurricane", "cyclone")),
    ("forest_fire", ("森林火", "山火", "森林防火", "forest fire", "wildfire", "bushfire")),
    ("hazardous_chemicals", ("危险化学品", "危化", "化学", "泄漏", "chemical", "hazmat", "toxic")),
    ("flood", ("暴雨", "洪水", "洪涝", "内涝", "山洪", "rain", "flood", "storm surge")),
    ("geological", ("地质", "滑坡", "泥石流", "崩塌", "塌陷", "地震", "landslide", "mudslide",
                    "earthquake", "geolog")),
    ("fire", ("火灾", "火情", "fire")),
    ("public_health", ("疫情", "传染", "卫生", "中毒", "epidemic", "disease", "health")),
    ("public_security", ("治安", "恐怖", "骚乱", "security", "terror", "riot")),
)  # fmt: skip
#: CAP ``<category>`` -> incident type when the event names none of the words above.
_CAP_CATEGORIES = {
    "Fire": "fire",
    "CBRNE": "hazardous_chemicals",
    "Geo": "geological",
    "Health": "public_health",
    "Security": "public_security",
}


def type_for_category(category_code: str | None) -> str | None:
    return CATEGORY_TYPES.get(category_code or "")


def type_for_cap(event: str | None, categories: Sequence[str] = ()) -> str | None:
    """The incident type a CAP alert's event (first) or category suggests; None for none."""
    text = (event or "").lower()
    for kind, words in _CAP_WORDS:
        if any(w in text for w in words):
            return kind
    for category in categories:
        if category in _CAP_CATEGORIES:
            return _CAP_CATEGORIES[category]
    return None


def level_for_severity(severity: str | None) -> str:
    return SEVERITY_LEVELS.get(severity or "Unknown", "IV")
