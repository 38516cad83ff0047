"""Data of the one-map screen: KPI figures and the deck, both limited to the user's scope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

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
from models.sensors import freshness_counts
from models.store import Store

#: The KPI strip, left to right; sensors_online is shown as "online / all".
KPI_KEYS = (
    "cells",
    "communities",
    "grid_workers",
    "sensors_online",
    "reports_today",
    "open_cases",
    "resources_available",
    "dead_letters",
)


def local_day_start(now: datetime, tz: str) -> datetime:
    """UTC (naive) instant of the local midnight that began the day containing ``now``."""
    local = now.replace(tzinfo=UTC).astimezone(ZoneInfo(tz))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(UTC).replace(tzinfo=None)


def screen_kpis(
    store: Store, scope: Scope, *, now: datetime, tz: str = "Asia/Shanghai"
) -> dict[str, int]:
    """Counts of the KPI strip, all from the store and within ``scope``; ``now`` is UTC."""
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
    fresh = freshness_counts(store, now=now, scope=scope)
    district_where, district_params = "TRUE", []
    if scope.kind != "city":
        districts = sorted({code[:6] for code in scope.codes})
        district_where = f"district_code IN ({', '.join('?' for _ in districts)})"
        district_params = districts
    resources = store.query_value(
        f"SELECT count(*) FROM resources WHERE status = 'available' AND {district_where}",
        district_params,
    )
    case_counts = store.query_rows(
        "SELECT count(*) FILTER (WHERE stage NOT IN ('closed', 'void')), "
        "count(*) FILTER (WHERE reported_at >= ?) "
        f"FROM cases WHERE NOT exercise AND {where}",
        [local_day_start(now, tz), *params],
    )[0]
    dead = store.query_value("SELECT count(*) FROM dead_letters WHERE resolved_at IS NULL")
    values = {
        "cells": cells[0],
        "communities": cells[1],
        "streets": cells[2],
        "grid_workers": workers,
        "sensors": sum(fresh.values()),
        "sensors_online": fresh["fresh"],
        "reports_today": case_counts[1],
        "open_cases": case_counts[0],
        "resources_available": resources,
        "dead_letters": dead,
    }
    return {key: int(v or 0) for key, v in values.items()}


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
