"""The report tab's small map: the worker's own cells outlined and the chosen position, as a
static config for the one map component (assets/map/cityops-map.js, ``config.layers``),
built with the wall's layer builders. A tap on it sets the position (assets/field.js)."""

from __future__ import annotations

from typing import Any

from app.i18n import t
from app.pages.field import ids
from app.pages.field.logic import Fix
from layers.deck import layer_json
from layers.grid import build_outline_layer
from layers.spec import LayerSpec
from models.geography import load_cells, scope_bounds
from models.security import Scope
from models.store import Store

BACKGROUND = "#0b1626"
HERE_LAYER = "field-here"
#: Drawing every cell of a wider scope would make a phone slow: only a worker's cells.
MAX_CELLS = 200


def field_map_config(store: Store, scope: Scope, lang: str) -> dict[str, Any] | None:
    """The map's config for a user of ``scope``; None when there is nothing to centre on."""
    bounds = scope_bounds(store, scope) if scope.kind != "unit" else None
    if bounds is None:
        return None
    layers: list[dict[str, Any]] = []
    if scope.kind == "cells" and len(scope.codes) <= MAX_CELLS:
        cells = load_cells(store, scope=scope)
        if len(cells):
            own = build_outline_layer(
                cells,
                layer_id="field-own-cells",
                fill=[255, 196, 0, 36],
                line=[255, 196, 0, 230],
                line_width=2,
                fallback_label=t("tooltip.fallback", lang),
            )
            layers.append({**layer_json(own), "z": 1})
    return {
        "elementId": ids.MAP,
        "layers": layers,
        "view": {
            "longitude": (bounds[0] + bounds[2]) / 2,
            "latitude": (bounds[1] + bounds[3]) / 2,
            "zoom": 14,
        },
        "bounds": list(bounds),
        "background": BACKGROUND,
        "visible": [],
    }


def here_layer(fix: Fix | None) -> dict[str, Any]:
    """The chosen position as a point layer (empty without one)."""
    rows = [] if fix is None else [{"id": "here", "position": [fix.lon, fix.lat]}]
    spec = LayerSpec(
        "ScatterplotLayer",
        HERE_LAYER,
        rows,
        {
            "getPosition": "position",
            "getFillColor": [255, 77, 79, 255],
            "getLineColor": [255, 255, 255, 240],
            "stroked": True,
            "lineWidthMinPixels": 2,
            "radiusUnits": "pixels",
            "getRadius": 9,
            "pickable": False,
        },
    )
    return {**layer_json(spec), "z": 5}
