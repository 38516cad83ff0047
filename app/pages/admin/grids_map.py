"""The grids tab's map: a static config for the one map component (assets/map/cityops-map.js)
with the city's own base map and either an upload's cells and problems or the diff of two
versions, built with the wall's layer builders (no tiles, nothing fetched)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
from dash import html

from app.basemap import city_base_layers
from app.context import get_context
from app.i18n import t
from app.pages.admin import ids
from app.pages.admin.grids_upload import TopologyReport
from layers.deck import layer_json
from layers.grid_changes import build_cell_kind_layer, build_gap_layer, kind_legend
from layers.spec import LayerSpec
from models.geography import (
    current_grid_version,
)
from models.store import Store

BACKGROUND = "#03101f"
PREVIEW_KINDS = ("ok", "problem", "gap")
DIFF_KINDS = ("added", "removed", "geometry", "duty", "unchanged")
#: Draw order: the base map under (its outlines at 8-9), the cells, then the gaps.
Z = {"grid-change-cells": 20, "grid-change-gaps": 30}


def _placed(spec: LayerSpec, z: int | None = None) -> dict[str, Any]:
    return {**layer_json(spec), "z": Z.get(spec.layer_id, 50) if z is None else z}


def _base(store: Store) -> list[dict[str, Any]]:
    below, above = city_base_layers(store)
    return [_placed(s, i) for i, s in enumerate(below)] + [
        _placed(s, 8 + i) for i, s in enumerate(above)
    ]


def base_layers(store: Store) -> list[dict[str, Any]]:
    """The base map (built once per grid version: the city's vectors change with imports)."""
    key = ("admin-grids-base", current_grid_version(store))
    return get_context().cached(key, lambda: _base(store))


def kind_labels(lang: str) -> dict[str, str]:
    return {k: t(f"admin.grids.kind.{k}", lang) for k in (*PREVIEW_KINDS, *DIFF_KINDS)}


def _config(store: Store, layers: list[dict[str, Any]], bounds: Any, key: str) -> dict[str, Any]:
    west, south, east, north = (float(v) for v in bounds)
    return {
        "elementId": ids.GRIDS_MAP,
        "key": key,
        "layers": [*base_layers(store), *layers],
        "view": {"longitude": (west + east) / 2, "latitude": (south + north) / 2, "zoom": 10},
        "bounds": [west, south, east, north],
        "background": BACKGROUND,
        "visible": [],
    }


def _bounds(cells: gpd.GeoDataFrame) -> Any:
    geoms = cells.geometry[~(cells.geometry.isna() | cells.geometry.is_empty)]
    if not len(geoms):
        return (116.3, 23.4, 117.2, 24.2)
    return geoms.total_bounds


#: Smallest span (degrees) of a view fitted to a few highlighted cells: their neighbours show.
MIN_SPAN_DEG = 0.02


def _focus(geoms: Any, fallback: Any) -> Any:
    """Bounds of the highlighted geometries, widened to :data:`MIN_SPAN_DEG`; the fallback
    bounds when nothing is highlighted."""
    geoms = gpd.GeoSeries(list(geoms), crs="EPSG:4326")
    geoms = geoms[~(geoms.isna() | geoms.is_empty)]
    if not len(geoms):
        return fallback
    west, south, east, north = geoms.total_bounds
    pad_x = max(0.0, MIN_SPAN_DEG - (east - west)) / 2
    pad_y = max(0.0, MIN_SPAN_DEG - (north - south)) / 2
    return (west - pad_x, south - pad_y, east + pad_x, north + pad_y)


def preview_config(store: Store, report: TopologyReport, key: str, lang: str) -> dict[str, Any]:
    """An upload's cells (ok / with a problem) and the gaps between them."""
    labels = kind_labels(lang)
    cells = (
        report.cells
        if report.cells is not None
        else gpd.GeoDataFrame(
            {"cell_code": [], "kind": [], "note": []}, geometry=[], crs="EPSG:4326"
        )
    )
    layers = [
        _placed(build_cell_kind_layer(cells, labels=labels, note_column="note")),
        _placed(build_gap_layer(report.gaps, label=labels["gap"], notes=report.gap_notes)),
    ]
    flagged = [*cells.geometry[cells["kind"] == "problem"], *report.gaps]
    return _config(store, layers, _focus(flagged, _bounds(cells)), key)


def diff_config(store: Store, drawn: gpd.GeoDataFrame, key: str, lang: str) -> dict[str, Any]:
    """Two versions' cells coloured by kind of change (see models.grid_versions.diff_versions)."""
    layer = build_cell_kind_layer(drawn, labels=kind_labels(lang))
    changed = drawn.geometry[drawn["kind"] != "unchanged"]
    return _config(store, [_placed(layer)], _focus(changed, _bounds(drawn)), key)


def legend(kinds: tuple[str, ...], lang: str) -> list[html.Span]:
    """Swatches of the map's colours."""
    return [
        html.Span(
            [
                html.I(
                    className="swatch",
                    style={"background": f"rgba({r},{g},{b},{max(a, 90) / 255:.2f})"},
                ),
                label,
            ],
            className="legend-item",
        )
        for label, (r, g, b, a) in kind_legend(kinds, kind_labels(lang))
    ]
