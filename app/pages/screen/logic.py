"""Data of the one-map screen that is not a map layer: KPIs, map config, zoom targets, legends."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from app import ids
from app.i18n import t
from app.pages.screen.picture import GRID_OUTLINE_ZOOM
from layers.deck import view_for_bounds
from layers.palette import BACKGROUND
from models.config import Settings
from models.geography import load_admin_areas, scope_bounds
from models.map_state import kpis_at, resources_at, sensors_at
from models.map_state.grid_version import current_grid_info
from models.security import Scope
from models.store import Store
from models.themes import Theme
from models.work_calendar import WorkCalendar

#: The KPI strip, left to right (SPEC §4 wall: today's cases, overdue, closure rate, AQI,
#: congestion, active incidents; then sensors online and resources ready).
KPI_KEYS = (
    "cases_today",
    "open_cases",
    "overdue",
    "closure_rate",
    "aqi",
    "congestion_index",
    "active_incidents",
    "sensors_online",
    "resources_available",
)

#: Live changes redraw the map at most this often (a frame may take seconds on software GL).
MIN_REDRAW_MS = 1000

#: Switchable layer groups, in the order of the layer panel; base layers are always on.
LAYER_GROUPS = ("grid", "cases", "env", "iot", "traffic", "emergency")


#: Legend blocks, in the legend's default order: one per layer group, and the warning areas.
LEGEND_BLOCKS = (*LAYER_GROUPS, "warnings")


@dataclass(frozen=True)
class WallState:
    """What the wall shows, apart from the instant: the theme and what it set, which the
    user may change after (layer groups, grid colouring, case display)."""

    theme: str | None = None
    groups: tuple[str, ...] = LAYER_GROUPS
    grid_mode: str = "district"
    cases_mode: str = "auto"
    case_majors: tuple[str, ...] = ()
    sensor_kinds: tuple[str, ...] = ()
    kpis: tuple[str, ...] = KPI_KEYS
    legend: tuple[str, ...] = LEGEND_BLOCKS


def apply_theme(theme: Theme, state: WallState) -> WallState:
    """``state`` with ``theme`` applied: its layer groups (in the panel's order), grid
    colouring (a theme without one: the plain district colours), filters, KPIs and legend.
    Whatever a theme does not name (the case display, and any later state) stays."""
    return replace(
        state,
        theme=theme.id,
        groups=tuple(g for g in LAYER_GROUPS if g in theme.layers),
        grid_mode=theme.grid_colour or "district",
        case_majors=theme.case_majors,
        sensor_kinds=theme.sensor_kinds,
        kpis=theme.kpis,
        legend=theme.legend,
    )


def legend_blocks(theme: Theme, groups: list[str]) -> list[str]:
    """The legend's blocks: the theme's own whose layer group is on, then one for each
    group the user switched on beyond the theme's layers (with its warning areas)."""

    def group_of(block: str) -> str:
        return "emergency" if block == "warnings" else block

    shown = [b for b in theme.legend if group_of(b) in groups]
    for group in (g for g in LAYER_GROUPS if g in groups):
        if group not in theme.layers and group not in shown:
            shown.append(group)
            if group == "emergency" and "warnings" not in shown:
                shown.append("warnings")
    return shown


def local_minute(moment: datetime, tz: str) -> str:
    """A naive UTC instant as local "YYYY-MM-DD HH:MM" (cards, replay labels, banners)."""
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def screen_kpis(
    store: Store,
    scope: Scope,
    *,
    now: datetime,
    at: datetime | None = None,
    tz: str = "Asia/Shanghai",
    calendar: WorkCalendar | None = None,
) -> dict[str, Any]:
    """The KPI strip at ``at`` (None: now), within ``scope``; exercise cases left out."""
    moment = at or now
    sensors = sensors_at(store, scope, at=moment, tz=tz)
    values = dict(
        kpis_at(
            store, scope, at=moment, tz=tz, calendar=calendar or WorkCalendar(), sensors=sensors
        )
    )
    values["sensors"] = len(sensors)
    values["sensors_online"] = int((~sensors["stale"].astype(bool)).sum()) if len(sensors) else 0
    resources = resources_at(store, scope, at=moment)
    values["resources_available"] = (
        int((resources["status"] == "available").sum()) if len(resources) else 0
    )
    return values


def format_kpi(values: dict[str, Any], key: str) -> str:
    value = values.get(key)
    if value is None:
        return "—"
    if key == "sensors_online":
        return f"{values[key]:,} / {values.get('sensors', 0):,}"
    if key == "closure_rate":
        return f"{100 * float(value):.1f}%"
    if key == "congestion_index":
        return f"{float(value):.2f}"
    return f"{int(value):,}"


def grid_version_info(store: Store) -> dict[str, Any] | None:
    """The grid version in force for the screen's badge, or None before any import."""
    info = current_grid_info(store)
    if info is None:
        return None
    return {
        "version": info.version_id,
        "name": info.name,
        "since": info.valid_from.date().isoformat(),
        "cells": info.cell_count,
    }


def initial_view(store: Store, scope: Scope, settings: Settings) -> dict[str, float]:
    bounds = scope_bounds(store, scope) if scope.kind != "city" else None
    if bounds is not None:
        view = view_for_bounds(bounds)
        return {"longitude": view.longitude, "latitude": view.latitude, "zoom": view.zoom}
    v = settings.map.initial_view
    return {
        "longitude": v.longitude,
        "latitude": v.latitude,
        "zoom": v.zoom,
        "pitch": v.pitch,
        "bearing": v.bearing,
    }


def map_config(
    store: Store,
    scope: Scope,
    *,
    settings: Settings,
    lang: str,
    state: WallState | None = None,
) -> dict[str, Any]:
    """What the browser's map component needs to start (cityops-map.js ``mount``): with
    the wall's ``state``, its theme (the API filters by it), groups and grid colouring."""
    state = state or WallState()
    return {
        "elementId": ids.SCREEN_MAP,
        "api": "/screen/api",
        "lang": lang,
        "view": initial_view(store, scope, settings),
        # fitted to the real map size in the browser; the view above is the fallback
        "bounds": scope_bounds(store, scope),
        "background": BACKGROUND,
        "pollMs": settings.refresh.live_ms,
        "minRedrawMs": MIN_REDRAW_MS,
        "pointsZoom": settings.map.points_zoom,
        "outlineZoom": GRID_OUTLINE_ZOOM,
        "hexAbove": settings.map.hex_above_cases,
        "tileUrl": settings.map.tile_url,
        "feedId": ids.SCREEN_FEED,
        "feedMax": 60,
        "selectionId": ids.SCREEN_SELECTION,
        "visible": list(state.groups),
        "theme": state.theme,
        "gridMode": state.grid_mode,
        "ageText": {
            "s": t("age.seconds", lang),
            "m": t("age.minutes", lang),
            "h": t("age.hours", lang),
            "d": t("age.days", lang),
            "none": t("age.none", lang),
        },
    }


def zoom_targets(store: Store, scope: Scope, *, lang: str) -> list[dict[str, Any]]:
    """Districts and streets of the scope as dropdown options whose value is their bounds."""
    options: list[dict[str, Any]] = []
    for level in ("district", "street"):
        areas = load_admin_areas(store, level, scope=scope)
        for name_zh, name_en, geom in zip(areas["name_zh"], areas["name_en"], areas.geometry):
            w, s, e, n = (round(float(v), 5) for v in geom.bounds)
            name = name_zh if lang == "zh" or not name_en else name_en
            prefix = t(f"level.{level}", lang)
            options.append({"label": f"{prefix} · {name}", "value": f"{w},{s},{e},{n}"})
    return options
