"""The case pane's small map: the case's point, its grid cell outlined among its street's cells,
and open cases of its category nearby, as a static config for the one map component
(assets/map/cityops-map.js, ``config.layers``) built with the wall's layer builders."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from app.i18n import t
from app.pages.dispatch import ids
from layers.deck import layer_json
from layers.grid import build_outline_layer
from layers.spec import LayerSpec
from models.coordinates import degree_box
from models.geography import load_cells
from models.security import Scope
from models.store import Store
from models.workflow import stage_label

BACKGROUND = "#0b1626"
#: Half-width of the view around the case, in metres (the nearby search radius).
VIEW_RADIUS_M = 500


def _finite(*values: Any) -> bool:
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)


def _bounds(lon: float, lat: float, radius_m: float) -> list[float]:
    return list(degree_box(lon, lat, radius_m))


def _cells(
    store: Store, view: Mapping[str, Any], bounds: list[float], lang: str
) -> list[dict[str, Any]]:
    """The grid cells in view (faint) and the case's own cell (outlined)."""
    district, cell = view.get("district_code"), view.get("cell_code")
    if not (
        isinstance(district, str)
        and len(district) == 6
        and (district.isascii() and district.isdigit())
    ):
        return []
    west, south, east, north = bounds
    cells = load_cells(store, scope=Scope("district", (district,)), bbox=bounds)
    near = cells.cx[west:east, south:north]  # the cells themselves, not just their bounds
    if not len(near):
        return []
    out: list[dict[str, Any]] = []
    fallback = t("tooltip.fallback", lang)
    faint = build_outline_layer(
        near,
        layer_id="dispatch-cells",
        fill=[90, 140, 200, 28],
        line=[120, 170, 230, 90],
        line_width=1,
        fallback_label=fallback,
    )
    out.append({**layer_json(faint), "z": 1})
    own = near[near["cell_code"] == cell]
    if len(own):
        outlined = build_outline_layer(
            own,
            layer_id="dispatch-case-cell",
            fill=[255, 196, 0, 40],
            line=[255, 196, 0, 255],
            line_width=2.5,
            fallback_label=fallback,
        )
        out.append({**layer_json(outlined), "z": 2})
    return out


def _points(layer_id: str, rows: list[dict[str, Any]], *, fill: list[int], radius: float,
            pickable: bool) -> LayerSpec:  # fmt: skip
    return LayerSpec(
        "ScatterplotLayer",
        layer_id,
        rows,
        {
            "getPosition": "position",
            "getFillColor": fill,
            "getLineColor": [255, 255, 255, 230],
            "stroked": True,
            "lineWidthMinPixels": 1.5,
            "radiusUnits": "pixels",
            "getRadius": radius,
            "pickable": pickable,
        },
        key="id" if pickable else "",
    )


def case_map_config(
    store: Store, view: Mapping[str, Any], nearby: Sequence[Mapping[str, Any]], *, lang: str
) -> dict[str, Any] | None:
    """The map component's config for one case; None when the case has no usable position."""
    lon, lat = view.get("lon"), view.get("lat")
    if not _finite(lon, lat):
        return None
    assert isinstance(lon, (int, float)) and isinstance(lat, (int, float))
    near_rows = [
        {
            "id": str(n["id"]),
            "position": [float(n["lon"]), float(n["lat"])],
            "title": t("dispatch.map_nearby", lang, id=n["id"]),
            "lines": [stage_label(str(n.get("stage") or ""), lang), f"{n.get('distance_m')} m"],
        }
        for n in nearby
        if _finite(n.get("lon"), n.get("lat"))
    ]
    case_row = {
        "id": str(view.get("id")),
        "position": [float(lon), float(lat)],
        "title": str(view.get("id")),
        "lines": [stage_label(str(view.get("stage") or ""), lang)],
    }
    bounds = _bounds(float(lon), float(lat), VIEW_RADIUS_M)
    layers = _cells(store, view, _bounds(float(lon), float(lat), 3 * VIEW_RADIUS_M), lang)
    near = _points("dispatch-nearby", near_rows, fill=[64, 169, 255, 220], radius=6, pickable=True)
    here = _points("dispatch-here", [case_row], fill=[255, 77, 79, 255], radius=9, pickable=False)
    layers += [{**layer_json(near), "z": 3}, {**layer_json(here), "z": 4}]
    return {
        "elementId": ids.MAP,
        "case": str(view.get("id")),
        "layers": layers,
        "view": {"longitude": float(lon), "latitude": float(lat), "zoom": 15},
        "bounds": bounds,
        "background": BACKGROUND,
        "selectionId": ids.MAP_SELECTION,
        "visible": [],
    }
