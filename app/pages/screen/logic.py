"""Data of the one-map screen: KPI figures and the deck, both limited to the user's scope."""

from __future__ import annotations

from typing import Any

from app.i18n import t
from layers.basemap import build_base_layers
from layers.deck import build_deck, view_for_bounds
from layers.grid import build_grid_layer
from layers.spec import ViewSpec
from models.config import Settings
from models.geography import (
    current_grid_version,
    load_admin_areas,
    load_base_features,
    load_cells,
    load_roads,
    scope_bounds,
)
from models.security import Scope
from models.store import Store

KPI_KEYS = (
    "cells",
    "communities",
    "streets",
    "grid_workers",
    "sensors",
    "resources_available",
    "open_cases",
    "dead_letters",
)


def screen_kpis(store: Store, scope: Scope) -> dict[str, int]:
    """Counts shown in the KPI strip, all from the store and within ``scope``."""
    version = current_grid_version(store)
    where, params = scope.sql_filter("cell_code")
    cells = store.query_rows(
        "SELECT count(*), count(DISTINCT community_code), count(DISTINCT street_code) "
        f"FROM grid_cells WHERE version_id = ? AND {where}",
        [version, *params],
    )[0]
    workers = store.query_value(
        "SELECT count(DISTINCT w) FROM (SELECT unnest(grid_workers) AS w FROM grid_cells "
        f"WHERE version_id = ? AND {where})",
        [version, *params],
    )
    sensors = store.query_value(f"SELECT count(*) FROM sensors WHERE {where}", params)
    district_where, district_params = "TRUE", []
    if scope.kind != "city":
        districts = sorted({code[:6] for code in scope.codes})
        district_where = f"district_code IN ({', '.join('?' for _ in districts)})"
        district_params = districts
    resources = store.query_value(
        f"SELECT count(*) FROM resources WHERE status = 'available' AND {district_where}",
        district_params,
    )
    open_cases = store.query_value(
        "SELECT count(*) FROM cases WHERE stage NOT IN ('closed', 'void') AND NOT exercise "
        f"AND {where}",
        params,
    )
    dead = store.query_value("SELECT count(*) FROM dead_letters WHERE resolved_at IS NULL")
    values = [cells[0], cells[1], cells[2], workers, sensors, resources, open_cases, dead]
    return {key: int(v or 0) for key, v in zip(KPI_KEYS, values)}


def grid_version_info(store: Store) -> dict[str, Any] | None:
    rows = store.query_rows(
        "SELECT version_id, name, valid_from, cell_count FROM grid_versions "
        "WHERE valid_to IS NULL ORDER BY version_id DESC LIMIT 1"
    )
    if not rows:
        return None
    version_id, name, valid_from, cell_count = rows[0]
    return {
        "version": version_id,
        "name": name,
        "since": valid_from.date().isoformat(),
        "cells": cell_count,
    }


def tooltip(lang: str) -> dict[str, Any]:
    """The cell tooltip template (deck.gl fills the {field}s on hover)."""
    rows = [
        ("tooltip.body", "body"),
        ("tooltip.community", "community"),
        ("tooltip.street", "street"),
        ("tooltip.district", "district"),
        ("tooltip.workers", "workers"),
    ]
    lines = "".join(f"<div><span class='k'>{t(k, lang)}</span> {{{f}}}</div>" for k, f in rows)
    return {
        "html": f"<div class='cell-tip'><div class='code'>{t('tooltip.cell', lang)} "
        f"<b>{{cell_code}}</b></div>{lines}<div class='syn'>{{synthetic}}</div></div>",
        "style": {
            "backgroundColor": "rgba(4,18,38,0.94)",
            "color": "#dcecff",
            "border": "1px solid #2f7bd8",
            "fontSize": "13px",
            "padding": "8px 10px",
            "fontFamily": "'Noto Sans CJK SC', sans-serif",
        },
    }


def screen_deck(store: Store, scope: Scope, *, lang: str, settings: Settings) -> dict[str, Any]:
    """The deck of the one-map screen: base map, grid cells, boundaries."""
    cells = load_cells(store, scope=scope)
    below, above = build_base_layers(
        districts=load_admin_areas(store, "district", scope=scope),
        streets=load_admin_areas(store, "street", scope=scope),
        sea=load_base_features(store, "sea"),
        rivers=load_base_features(store, "river"),
        roads=load_roads(store),
    )
    grid = build_grid_layer(
        cells,
        fallback_label=t("tooltip.fallback", lang),
        synthetic_label=t("tooltip.synthetic", lang),
    )
    bounds = scope_bounds(store, scope) if scope.kind != "city" else None
    if bounds is not None:
        view = view_for_bounds(bounds)
    else:
        v = settings.map.initial_view
        view = ViewSpec(v.longitude, v.latitude, v.zoom, v.pitch, v.bearing)
    return build_deck([*below, grid, *above], view=view, tooltip=None)
