"""The emergency screen's map: a static config for the one map component
(assets/map/cityops-map.js, ``config.layers``) built with the wall's layer builders — the base
map once, then the changing layers (incidents of the user's scope, resources by status,
shelters, warning areas, the affected cells of the warning being composed, cameras near the
selected incident), which assets/emergency.js swaps in without moving the view."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import pandas as pd
import shapely

from app.basemap import city_base_layers
from app.i18n import t
from app.pages.emergency import ids
from layers.cameras import build_camera_layer
from layers.deck import layer_json
from layers.emergency import build_emergency_layers
from layers.geometry import polygon_rings
from layers.grid import build_outline_layer
from layers.spec import LayerSpec
from models.emergency.places import city_extent
from models.geography import (
    current_grid_version,
    load_cells,
)
from models.map_state import incidents_at, resources_at, warning_areas_at
from models.security import Scope
from models.store import Store
from models.vocabulary import INCIDENT_LEVELS, INCIDENT_TYPES, RESOURCE_KINDS, UNIT_STATUSES

BACKGROUND = "#03101f"
CAMERA_COLUMNS = (
    "camera_id", "name", "lon", "lat", "camera_class", "stream_url", "owner", "synthetic",
)  # fmt: skip
#: Draw order of our layers (the base map's below 10, its outlines at 8-9).
Z = {
    "base-sea": 0, "base-land": 1, "base-roads": 2, "base-rivers": 3, "base-streets": 8,
    "base-districts": 9, "warning-areas": 25, "incident-areas": 26, "emergency-reach-cells": 27,
    "emergency-reach-area": 28, "shelters": 40, "resources": 41, "cameras": 42,
    "emergency-focus": 44, "incidents": 45,
}  # fmt: skip
#: Most affected cells outlined on the map (beyond, the area alone is drawn).
MAX_REACH_CELLS = 3000


def _placed(spec: LayerSpec) -> dict[str, Any]:
    return {**layer_json(spec), "z": Z.get(spec.layer_id, 50)}


def base_layers(store: Store) -> list[dict[str, Any]]:
    """Sea, land, roads, rivers and the street and district outlines (the whole city)."""
    below, above = city_base_layers(store)
    return [_placed(s) for s in [*below, *above]]


def base_key(store: Store) -> tuple[str, int | None]:
    """What the base map depends on (cache key): the current grid version."""
    return ("emergency-base-map", current_grid_version(store))


def _labels(lang: str) -> dict[str, Any]:
    return {
        "type_labels": {k: t(f"incident_type.{k}", lang) for k in INCIDENT_TYPES},
        "level_labels": {k: t(f"incident_level.{k}", lang) for k in INCIDENT_LEVELS},
        "status_labels": {k: t(f"resource_status.{k}", lang) for k in UNIT_STATUSES},
        "kind_labels": {k: t(f"resource_kind.{k}", lang) for k in RESOURCE_KINDS},
        "incident_status_labels": {
            "open": t("emergency.status_open", lang),
            "closed": t("emergency.status_closed", lang),
        },
        "exercise_label": t("exercise.legend", lang),
    }


def _points(layer_id: str, rows: list[dict[str, Any]], *, fill: list[int], radius: float,
            line: list[int] | None = None, pickable: bool = True) -> LayerSpec:  # fmt: skip
    return LayerSpec(
        "ScatterplotLayer",
        layer_id,
        rows,
        {
            "getPosition": "position",
            "getFillColor": fill,
            "getLineColor": line or [255, 255, 255, 230],
            "stroked": True,
            "filled": True,
            "lineWidthMinPixels": 1.5,
            "radiusUnits": "pixels",
            "getRadius": radius,
            "pickable": pickable,
        },
        key="id" if pickable else "",
    )


def camera_layer(cameras: Sequence[Mapping[str, Any]], lang: str) -> dict[str, Any]:
    """The cameras near the selected incident (调取周边视频), as the wall draws cameras."""
    frame = pd.DataFrame(list(cameras), columns=CAMERA_COLUMNS)
    return {**_placed(build_camera_layer(frame, lang=lang)), "z": Z["cameras"]}


def _finite(*values: Any) -> bool:
    return all(isinstance(v, int | float) and math.isfinite(v) for v in values)


def focus_layer(incident: Mapping[str, Any] | None) -> dict[str, Any]:
    """A white ring round the selected incident."""
    rows = []
    if incident is not None and _finite(incident.get("lon"), incident.get("lat")):
        rows.append({"position": [float(incident["lon"]), float(incident["lat"])]})
    spec = LayerSpec(
        "ScatterplotLayer",
        "emergency-focus",
        rows,
        {
            "getPosition": "position",
            "filled": False,
            "stroked": True,
            "getLineColor": [255, 255, 255, 255],
            "lineWidthMinPixels": 3,
            "radiusUnits": "pixels",
            "getRadius": 46,
            "pickable": False,
        },
    )
    return _placed(spec)


def reach_layers(store: Store, reach: Mapping[str, Any] | None, lang: str) -> list[dict[str, Any]]:
    """The warning being composed: its area and the grid cells it reaches."""
    if not reach:
        return [_placed(LayerSpec("PolygonLayer", "emergency-reach-area", [], {}))]
    out: list[dict[str, Any]] = []
    codes = [c for c in reach.get("cells", []) if isinstance(c, str)][:MAX_REACH_CELLS]
    if codes:
        cells = load_cells(store, scope=Scope("cells", tuple(codes)))
        if len(cells):
            spec = build_outline_layer(
                cells,
                layer_id="emergency-reach-cells",
                fill=[255, 140, 0, 70],
                line=[255, 180, 60, 160],
                line_width=0.8,
                fallback_label=t("tooltip.fallback", lang),
            )
            out.append(_placed(spec))
    geometry = reach.get("geometry")
    rows = []
    if isinstance(geometry, Mapping):
        try:
            shape = shapely.geometry.shape(geometry)
        except (ValueError, TypeError, AttributeError, KeyError):
            shape = None
        if shape is not None and not shape.is_empty:
            rows = [{"polygon": rings} for rings in polygon_rings(shape)]
    area = LayerSpec(
        "PolygonLayer",
        "emergency-reach-area",
        rows,
        {
            "getPolygon": "polygon",
            "filled": False,
            "stroked": True,
            "getLineColor": [255, 160, 40, 255],
            "lineWidthMinPixels": 2.5,
            "pickable": False,
        },
    )
    return [*out, _placed(area)]


def live_layers(
    store: Store,
    scope: Scope,
    *,
    visible: Collection[str],
    now: datetime,
    lang: str,
) -> list[dict[str, Any]]:
    """Incidents of the user's scope (``visible`` ids), resources by status, shelters and the
    warning areas in force, as they stand at ``now``."""
    incidents = incidents_at(store, scope, at=now)
    incidents = incidents[incidents["incident_id"].isin(list(visible))]
    specs = build_emergency_layers(
        incidents,
        resources_at(store, scope, at=now),
        warning_areas_at(store, scope, at=now),
        now=now,
        lang=lang,
        **_labels(lang),
    )
    return [_placed(s) for s in specs]


def map_config(store: Store, base: list[dict[str, Any]]) -> dict[str, Any]:
    """The component's config: the base map, the whole city in view, clicks to our store."""
    extent = city_extent(store) or (116.3, 23.4, 117.2, 24.2)
    west, south, east, north = extent
    return {
        "elementId": ids.MAP,
        "layers": base,
        "view": {"longitude": (west + east) / 2, "latitude": (south + north) / 2, "zoom": 9},
        "bounds": [west, south, east, north],
        "background": BACKGROUND,
        "selectionId": ids.MAP_SELECTION,
        "visible": [],
    }
