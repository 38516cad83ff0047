"""The emergency layers: warning areas, incident areas and points, resources by status, shelters.

Exercise objects (演练: incidents and warning areas with ``exercise`` true) are drawn violet
and their tooltips start with the exercise label, so a drill is never mistaken for a real
event. Layers come back in drawing order: areas under points, incidents on top.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import geopandas as gpd
import pandas as pd

from layers.geometry import polygon_rings
from layers.legend import (
    AgeFormat,
    LegendItem,
    age_seconds,
    flag,
    format_age,
    labels_for,
    number,
    pick,
    require_4326,
    rgba,
    rows_and_geometries,
    text,
)
from layers.spec import LayerSpec

WARNING_LAYER_ID = "warning-areas"
INCIDENT_AREA_LAYER_ID = "incident-areas"
INCIDENT_LAYER_ID = "incidents"
RESOURCE_LAYER_ID = "resources"
SHELTER_LAYER_ID = "shelters"

Rgb = tuple[int, int, int]

#: Incident levels (SPEC §2.6): 特别重大/重大/较大/一般, shown red/orange/yellow/blue.
LEVELS: dict[str, tuple[str, str, Rgb]] = {
    "I": ("I级 特别重大", "Level I (extremely serious)", (230, 0, 18)),
    "II": ("II级 重大", "Level II (serious)", (255, 128, 0)),
    "III": ("III级 较大", "Level III (major)", (255, 215, 0)),
    "IV": ("IV级 一般", "Level IV (general)", (30, 110, 255)),
}
#: CAP 1.2 severities in the red/orange/yellow/blue of Chinese warnings.
SEVERITIES: dict[str, tuple[str, str, Rgb]] = {
    "Extreme": ("特别严重", "Extreme", (230, 0, 18)),
    "Severe": ("严重", "Severe", (255, 128, 0)),
    "Moderate": ("较重", "Moderate", (255, 215, 0)),
    "Minor": ("一般", "Minor", (30, 110, 255)),
    "Unknown": ("未知", "Unknown", (140, 150, 165)),
}
#: Resource statuses (SPEC §2.6).
STATUSES: dict[str, tuple[str, str, Rgb]] = {
    "available": ("待命", "Available", (0, 200, 90)),
    "dispatched": ("已调派", "Dispatched", (255, 140, 0)),
    "on_scene": ("已到场", "On scene", (235, 30, 30)),
    "returning": ("返回中", "Returning", (40, 130, 255)),
    "out_of_service": ("停用", "Out of service", (130, 135, 145)),
}
LEVEL_RGB = {k: v[2] for k, v in LEVELS.items()}
SEVERITY_RGB = {k: v[2] for k, v in SEVERITIES.items()}
STATUS_RGB = {k: v[2] for k, v in STATUSES.items()}
#: Resource kinds with their cue on the map: radius (m) and outline width (px).
KINDS: dict[str, tuple[str, str, float, float]] = {
    "depot": ("物资储备库", "Supply depot", 90.0, 3.0),
    "team": ("救援队伍", "Team", 70.0, 2.0),
    "vehicle": ("车辆", "Vehicle", 50.0, 1.0),
    "expert": ("专家", "Expert", 35.0, 0.5),
    "shelter": ("避难场所", "Shelter", 60.0, 2.0),
}
DEFAULT_KIND_STYLE = (50.0, 1.0)
#: Drills: violet, a hue no real-event colour uses.
EXERCISE_RGB = (170, 80, 255)
UNKNOWN_RGB = (140, 150, 165)
AREA_ALPHA = 60
INCIDENT_RADIUS_M = 300.0
SHELTER_BASE_M = 60.0
#: A shelter's radius grows with the square root of its capacity (area ∝ people).
SHELTER_M_PER_SQRT_PERSON = 3.0
SHELTER_MAX_M = 400.0
OUTLINE_LIGHT = [235, 240, 250, 220]


def _names(table: Mapping[str, tuple[str, str, Rgb]]) -> dict[str, tuple[str, str]]:
    return {key: (zh, en) for key, (zh, en, _) in table.items()}


def _legend(lang: str, table: Mapping[str, tuple[str, str, Rgb]]) -> list[LegendItem]:
    return [LegendItem(pick(lang, zh, en), rgb) for zh, en, rgb in table.values()]


def _level(value: Any) -> str:
    key = text(value).strip().upper()
    return {"1": "I", "2": "II", "3": "III", "4": "IV"}.get(key, key)


def _prefix(exercise: bool, label: str) -> str:
    return f"【{label}】" if exercise else ""


def _areas(layer_id: str, records: list[dict[str, Any]]) -> LayerSpec:
    props = {
        "getPolygon": "polygon",
        "getFillColor": "fill",
        "getLineColor": "line",
        "lineWidthUnits": "pixels",
        "getLineWidth": 2,
        "lineWidthMinPixels": 1.5,
        "stroked": True,
        "filled": True,
        "pickable": True,
        "autoHighlight": True,
        "highlightColor": [255, 255, 255, 60],
    }
    return LayerSpec("PolygonLayer", layer_id, records, props, key="id")


def _points(
    layer_id: str, records: list[dict[str, Any]], min_px: float, max_px: float
) -> LayerSpec:
    props = {
        "getPosition": "position",
        "getRadius": "radius",
        "getFillColor": "fill",
        "getLineColor": "line",
        "lineWidthUnits": "pixels",
        "getLineWidth": "line_width",
        "radiusMinPixels": min_px,
        "radiusMaxPixels": max_px,
        "stroked": True,
        "filled": True,
        "pickable": True,
        "autoHighlight": True,
        "highlightColor": [255, 255, 255, 120],
    }
    return LayerSpec("ScatterplotLayer", layer_id, records, props, key="id")


def _position(row: Mapping[str, Any]) -> list[float] | None:
    lon, lat = number(row.get("lon")), number(row.get("lat"))
    return None if lon is None or lat is None else [round(lon, 6), round(lat, 6)]


def _warning_records(
    areas: gpd.GeoDataFrame,
    *,
    now: datetime,
    severities: Mapping[str, str],
    exercise: str,
    fmt: AgeFormat,
) -> list[dict[str, Any]]:
    records = []
    for row, geom in rows_and_geometries(areas):
        if geom is None or geom.is_empty:
            continue
        drill = flag(row.get("exercise"))
        severity = text(row.get("severity"), "Unknown")
        rgb = SEVERITY_RGB.get(severity, UNKNOWN_RGB)
        base = {
            "id": text(row.get("identifier")),
            "title": _prefix(drill, exercise) + text(row.get("headline")),
            "lines": [severities.get(severity, severity), fmt(age_seconds(row.get("sent"), now))],
            "severity": severity,
            "exercise": drill,
            "fill": rgba(EXERCISE_RGB if drill else rgb, AREA_ALPHA),
            "line": rgba(EXERCISE_RGB if drill else rgb, 230),
        }
        records.extend({**base, "polygon": rings} for rings in polygon_rings(geom))
    return records


def _incident_base(
    row: Mapping[str, Any],
    *,
    now: datetime,
    labels: Mapping[str, Mapping[str, str]],
    exercise: str,
    fmt: AgeFormat,
) -> dict[str, Any]:
    drill = flag(row.get("exercise"))
    level = _level(row.get("level"))
    rgb = LEVEL_RGB.get(level, UNKNOWN_RGB)
    kind = text(row.get("incident_type"))
    status = text(row.get("status"))
    lines = [labels["types"].get(kind, kind), labels["statuses"].get(status, status)]
    lines.append(fmt(age_seconds(row.get("opened_at"), now)))
    return {
        "id": text(row.get("incident_id")),
        "title": f"{_prefix(drill, exercise)}{labels['levels'].get(level, level)} · "
        f"{text(row.get('title'))}",
        "lines": [line for line in lines if line],
        "level": level,
        "exercise": drill,
        "rgb": rgb,
    }


def _incident_records(
    incidents: gpd.GeoDataFrame,
    *,
    now: datetime,
    labels: Mapping[str, Mapping[str, str]],
    exercise: str,
    fmt: AgeFormat,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    areas: list[dict[str, Any]] = []
    points: list[dict[str, Any]] = []
    for row, geom in rows_and_geometries(incidents):
        base = _incident_base(row, now=now, labels=labels, exercise=exercise, fmt=fmt)
        rgb = base.pop("rgb")
        if geom is not None and not geom.is_empty:
            fill = rgba(EXERCISE_RGB if base["exercise"] else rgb, AREA_ALPHA)
            line = rgba(EXERCISE_RGB if base["exercise"] else rgb, 230)
            areas.extend(
                {**base, "polygon": rings, "fill": fill, "line": line}
                for rings in polygon_rings(geom)
            )
        position = _position(row)
        if position is not None:
            # A drill: violet fill, its level colour kept in the outline.
            fill_rgb = EXERCISE_RGB if base["exercise"] else rgb
            line_rgb = rgb if base["exercise"] else (255, 255, 255)
            points.append(
                {
                    **base,
                    "position": position,
                    "radius": INCIDENT_RADIUS_M,
                    "line_width": 3.0 if base["exercise"] else 1.5,
                    "fill": rgba(fill_rgb, 240),
                    "line": rgba(line_rgb, 255),
                }
            )
    return areas, points


def _stock_text(stock: Any) -> str:
    if isinstance(stock, str) and stock.lstrip().startswith("{"):
        with contextlib.suppress(ValueError):  # the store keeps a depot's stock as JSON
            stock = json.loads(stock)
    if isinstance(stock, Mapping):
        return ", ".join(f"{k} {v}" for k, v in stock.items())
    if isinstance(stock, (list, tuple)):
        return ", ".join(str(x) for x in stock)
    value = number(stock)
    if value is not None:
        return f"{value:g}"
    return text(stock)


def _resource_record(
    row: Mapping[str, Any], *, lang: str, labels: Mapping[str, Mapping[str, str]], fmt: AgeFormat
) -> dict[str, Any] | None:
    position = _position(row)
    if position is None:
        return None
    kind, status = text(row.get("kind")), text(row.get("status"))
    subtype = "" if text(row.get("subtype")) == kind else text(row.get("subtype"))
    name = text(row.get("name_en") if lang.startswith("en") else row.get("name_zh"))
    name = name or text(row.get("name_zh")) or text(row.get("resource_id"))
    lines = [
        " · ".join(dict.fromkeys(x for x in (labels["kinds"].get(kind, kind), subtype) if x)),
        labels["statuses"].get(status, status),
    ]
    stock = _stock_text(row.get("stock"))
    if stock:
        lines.append(f"{labels['words']['stock']} {stock}")
    age = number(row.get("position_age_s"))
    if age is not None and kind != "shelter":
        lines.append(f"{labels['words']['position']} {fmt(age)}")
    radius, line_width = KINDS[kind][2:] if kind in KINDS else DEFAULT_KIND_STYLE
    rgb = STATUS_RGB.get(status, UNKNOWN_RGB)
    return {
        "id": text(row.get("resource_id")),
        "title": name,
        "lines": [line for line in lines if line],
        "kind": kind,
        "status": status,
        "position": position,
        "radius": radius,
        "line_width": line_width,
        "fill": rgba(rgb, 230),
        "line": OUTLINE_LIGHT,
    }


def _shelter_record(
    row: Mapping[str, Any], record: dict[str, Any], *, words: Mapping[str, str]
) -> dict[str, Any]:
    capacity = number(row.get("capacity"))
    occupancy = number(row.get("occupancy"))
    lines = list(record["lines"])
    if capacity is not None:
        lines.append(f"{words['capacity']} {capacity:.0f}")
    if occupancy is not None:
        share = f" ({occupancy / capacity:.0%})" if capacity else ""
        lines.append(f"{words['occupancy']} {occupancy:.0f}{share}")
    radius = SHELTER_BASE_M + SHELTER_M_PER_SQRT_PERSON * math.sqrt(max(capacity or 0.0, 0.0))
    return {
        **record,
        "lines": lines,
        "capacity": None if capacity is None else int(capacity),
        "occupancy": None if occupancy is None else int(occupancy),
        "radius": round(min(radius, SHELTER_MAX_M), 1),
        "line_width": 2.0,
        "fill": [*record["fill"][:3], 140],
    }


_WORDS: dict[str, tuple[str, str]] = {
    "stock": ("库存", "Stock"),
    "position": ("位置", "Position"),
    "capacity": ("容纳", "Capacity"),
    "occupancy": ("已安置", "Occupancy"),
}


def build_emergency_layers(
    incidents: gpd.GeoDataFrame,
    resources: pd.DataFrame,
    warning_areas: gpd.GeoDataFrame,
    *,
    now: datetime,
    lang: str = "zh",
    type_labels: Mapping[str, str] | None = None,
    incident_status_labels: Mapping[str, str] | None = None,
    level_labels: Mapping[str, str] | None = None,
    severity_labels: Mapping[str, str] | None = None,
    status_labels: Mapping[str, str] | None = None,
    kind_labels: Mapping[str, str] | None = None,
    word_labels: Mapping[str, str] | None = None,
    exercise_label: str | None = None,
    age_fmt: AgeFormat | None = None,
) -> list[LayerSpec]:
    """Build the emergency layers, in drawing order.

    Parameters
    ----------
    incidents
        EPSG:4326: ``incident_id, incident_type, level ('I'..'IV'), title, lon, lat, status,
        exercise, opened_at (naive UTC), geometry`` (the area, or None).
    resources
        ``resource_id, kind (team/vehicle/depot/shelter/expert), subtype, name_zh, name_en,
        status, capacity, stock, lon, lat, position_at, position_age_s`` and optionally
        ``occupancy`` (shelters). Shelters go to their own layer.
    warning_areas
        EPSG:4326: ``identifier, severity (CAP), headline, exercise, sent, geometry``.
    now
        The moment the map shows (naive UTC), for ages in tooltips.
    lang
        ``"zh"`` or ``"en"`` for the built-in labels.
    type_labels, incident_status_labels, level_labels, severity_labels, status_labels, kind_labels
        Display texts by key (from the app's catalog); built-in ones where missing; an
        unknown key shows as itself.
    word_labels
        Tooltip words by key: ``stock``, ``position``, ``capacity``, ``occupancy``.
    exercise_label
        The drill prefix (【演练】 / 【EXERCISE】).
    age_fmt
        Seconds -> text; :func:`layers.legend.format_age` when None.

    Returns
    -------
    list of LayerSpec
        ``warning-areas`` and ``incident-areas`` (PolygonLayer: ``polygon, fill, line``; a
        multi-part area gives several records with the same ``id``), ``shelters``,
        ``resources`` and ``incidents`` (ScatterplotLayer: ``position, radius, fill, line,
        line_width``). Every record has ``id``, ``title`` and ``lines``.

    Raises
    ------
    ValueError
        If a non-empty ``incidents`` or ``warning_areas`` is not in EPSG:4326.
    """
    require_4326(incidents, "incidents")
    require_4326(warning_areas, "warning areas")
    fmt = age_fmt or (lambda s: format_age(s, lang))
    drill = exercise_label if exercise_label is not None else pick(lang, "演练", "EXERCISE")
    labels = {
        "types": dict(type_labels or {}),
        "statuses": dict(incident_status_labels or {}),
        "levels": labels_for(lang, _names(LEVELS), level_labels),
    }
    res_labels = {
        "kinds": labels_for(lang, {k: v[:2] for k, v in KINDS.items()}, kind_labels),
        "statuses": labels_for(lang, _names(STATUSES), status_labels),
        "words": labels_for(lang, _WORDS, word_labels),
    }
    warnings = _warning_records(
        warning_areas,
        now=now,
        severities=labels_for(lang, _names(SEVERITIES), severity_labels),
        exercise=drill,
        fmt=fmt,
    )
    areas, points = _incident_records(incidents, now=now, labels=labels, exercise=drill, fmt=fmt)
    shelters: list[dict[str, Any]] = []
    units: list[dict[str, Any]] = []
    for row in resources.to_dict("records"):
        record = _resource_record(row, lang=lang, labels=res_labels, fmt=fmt)
        if record is None:
            continue
        if record["kind"] == "shelter":
            shelters.append(_shelter_record(row, record, words=res_labels["words"]))
        else:
            units.append(record)
    return [
        _areas(WARNING_LAYER_ID, warnings),
        _areas(INCIDENT_AREA_LAYER_ID, areas),
        _points(SHELTER_LAYER_ID, shelters, 4, 40),
        _points(RESOURCE_LAYER_ID, units, 3, 16),
        _points(INCIDENT_LAYER_ID, points, 10, 40),
    ]


def incident_level_legend(lang: str = "zh") -> list[LegendItem]:
    """Incident levels I–IV (red/orange/yellow/blue) and the exercise colour."""
    return [*_legend(lang, LEVELS), LegendItem(pick(lang, "演练", "Exercise"), EXERCISE_RGB)]


def resource_status_legend(lang: str = "zh") -> list[LegendItem]:
    """Resource statuses: available, dispatched, on scene, returning, out of service."""
    return _legend(lang, STATUSES)


def warning_severity_legend(lang: str = "zh") -> list[LegendItem]:
    """CAP severities Extreme … Minor, Unknown, and the exercise colour."""
    return [*_legend(lang, SEVERITIES), LegendItem(pick(lang, "演练", "Exercise"), EXERCISE_RGB)]
