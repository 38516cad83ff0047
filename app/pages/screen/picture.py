"""The map's payloads: base layers and the whole picture at an instant (live or replayed).

Every payload is JSON-ready: layers in the wire form of :func:`layers.deck.layer_json` plus
the screen's own keys (``group`` for the layer switcher, ``z`` for draw order, ``tooltip``
templates for layers whose rows carry fields rather than ``title``/``lines``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from app.basemap import city_base_layers
from app.i18n import t
from app.pages.screen.cursor import EPOCH, Cursor
from app.pages.screen.feed import feed_items
from layers.cameras import build_camera_layer
from layers.cases import build_case_points
from layers.deck import layer_json
from layers.emergency import build_emergency_layers
from layers.grid import GRID_LAYER_ID, build_grid_layer, grid_mode_colors
from layers.hexbin import aggregate_cases, build_case_hexagons, resolution_for_zoom
from layers.sensors import ENV_KINDS, build_sensor_layers
from layers.spec import LayerSpec
from layers.traffic import build_traffic_layer
from layers.wire import encode_array
from models.emergency.cameras import all_cameras
from models.geography import load_cells
from models.map_state import (
    case_counts_by_cell,
    cases_at,
    current_change_seq,
    incidents_at,
    resources_at,
    sensors_at,
    street_scores,
    traffic_at,
    warning_areas_at,
)
from models.map_state.grid_version import current_grid_info
from models.security import Scope
from models.store import Store
from models.work_calendar import WorkCalendar
from models.workflow import STAGES, stage_label

#: layer id -> (switcher group, draw order); "base" layers are always on.
PLACEMENT: dict[str, tuple[str, int]] = {
    "base-sea": ("base", 0),
    "base-land": ("base", 1),
    "base-rivers": ("base", 3),
    "base-roads": ("base", 2),
    GRID_LAYER_ID: ("grid", 5),
    "base-streets": ("base", 8),
    "base-districts": ("base", 9),
    "traffic-segments": ("traffic", 20),
    "warning-areas": ("emergency", 25),
    "incident-areas": ("emergency", 26),
    "case-hexes": ("cases", 30),
    "case-points": ("cases", 31),
    "env-points": ("env", 35),
    "sensor-points": ("iot", 36),
    "sensor-alarms": ("base", 37),  # an alarm stays visible whatever is switched off
    "cameras": ("emergency", 39),
    "shelters": ("emergency", 40),
    "resources": ("emergency", 41),
    "incidents": ("emergency", 45),
}

#: Cell outlines from this zoom on (10,072 outlines cost ~1.5 s a frame on software GL; at
#: city scale the fills carry the picture).
GRID_OUTLINE_ZOOM = 11.5

#: Seconds after which a layer group's newest data counts as stale on the wall.
STALE_AFTER_S = {"cases": 3600, "env": 3 * 3600, "iot": 1800, "traffic": 900, "emergency": 3600}


def place(spec: LayerSpec, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    group, z = PLACEMENT.get(spec.layer_id, ("base", 50))
    out = layer_json(spec)
    out.update(group=group, z=z, **(extra or {}))
    return out


def case_labels(lang: str) -> dict[str, Any]:
    return {
        "lang": lang,
        "stage_labels": {stage: stage_label(stage, lang) for stage in STAGES},
        "sla_labels": {k: t(f"sla.{k}", lang) for k in ("none", "green", "yellow", "red")},
        "left_template": t("case.left", lang),
        "overdue_template": t("case.overdue", lang),
        "exercise_label": t("exercise.label", lang),
    }


def _case_tooltip(lang: str) -> dict[str, Any]:
    return {
        "title": "{category}",
        "lines": ["{stage} · {left}", "{sla}", t("case.id_line", lang)],
    }


def _grid_tooltip(lang: str) -> dict[str, Any]:
    return {
        "title": t("tooltip.cell", lang) + " {cell_code}",
        "lines": [
            t("tooltip.body", lang) + " {body}",
            t("tooltip.community", lang) + " {community}",
            t("tooltip.street", lang) + " {street}",
            t("tooltip.district", lang) + " {district}",
            t("tooltip.workers", lang) + " {workers}",
            "{synthetic}",
        ],
    }


def base_payload(store: Store, scope: Scope, *, lang: str) -> dict[str, Any]:
    """Base map and grid cells: heavy, static per grid version (cached by the caller)."""
    below, above = city_base_layers(store, scope=scope)
    grid = build_grid_layer(
        load_cells(store, scope=scope),
        fallback_label=t("tooltip.fallback", lang),
        synthetic_label=t("tooltip.synthetic", lang),
    )
    grid = LayerSpec(grid.layer_type, grid.layer_id, grid.data, grid.props, key="cell_code")
    extra = {"tooltip": _grid_tooltip(lang), "strokeMinZoom": GRID_OUTLINE_ZOOM}
    layers = [place(s) for s in below] + [place(grid, extra)]
    layers += [place(s) for s in above]
    return {"layers": layers}


def hex_layer(cases: pd.DataFrame, *, lang: str, zoom: float) -> LayerSpec:
    agg = aggregate_cases(cases, resolution=resolution_for_zoom(zoom))
    return build_case_hexagons(
        agg,
        count_template=t("hex.count", lang),
        overdue_label=t("sla.red", lang),
        warning_label=t("sla.yellow", lang),
        group_labels={
            g: t(f"stage_group.{g}", lang) for g in ("awaiting", "handling", "verifying", "other")
        },
        exercise_label=t("exercise.label", lang),
    )


def newest_iso(series: pd.Series) -> str | None:
    if series is None or not len(series):
        return None
    value = pd.to_datetime(series).max()
    return None if pd.isna(value) else value.isoformat() + "Z"


def sensor_ages(sensors: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Newest reading of the environment and of the IoT sensors among ``sensors`` (groups
    without a row are left out)."""
    if not len(sensors):
        return {}
    env = sensors["kind"].isin(ENV_KINDS)
    return {
        group: {"at": newest_iso(sensors.loc[rows, "last_ts"]), "stale_s": STALE_AFTER_S[group]}
        for group, rows in (("env", env), ("iot", ~env))
        if rows.any()
    }


def _ages(
    cases: pd.DataFrame,
    sensors: pd.DataFrame,
    traffic: pd.DataFrame,
    resources: pd.DataFrame,
    grid_since: str | None,
) -> dict[str, dict[str, Any]]:
    newest = {
        "cases": newest_iso(cases["reported_at"]) if len(cases) else None,
        "env": None,
        "iot": None,
        "traffic": newest_iso(traffic["ts"]) if len(traffic) else None,
        "emergency": newest_iso(resources["position_at"]) if len(resources) else None,
    }
    ages = {g: {"at": at, "stale_s": STALE_AFTER_S[g]} for g, at in newest.items()}
    ages.update(sensor_ages(sensors))
    ages["grid"] = {"at": grid_since, "stale_s": None}
    return ages


def _grid_since(store: Store) -> str | None:
    """When the current grid version took effect: the grid layer's data age."""
    info = current_grid_info(store)
    return None if info is None else info.valid_from.isoformat() + "Z"


def themed_cases(cases: pd.DataFrame, majors: tuple[str, ...] = ()) -> pd.DataFrame:
    """The cases of a theme's categories (major codes, the first two digits); all without."""
    if not majors or not len(cases):
        return cases
    return cases[cases["category_code"].astype(str).str[:2].isin(majors)]


def themed_sensors(sensors: pd.DataFrame, kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    """The sensors of a theme's kinds, and every alarming one; all without kinds."""
    if not kinds or not len(sensors):
        return sensors
    return sensors[sensors["kind"].isin(kinds) | sensors["alarm"].astype(bool)]


def emergency_layers(
    store: Store, scope: Scope, *, at: datetime, lang: str
) -> list[dict[str, Any]]:
    specs = build_emergency_layers(
        incidents_at(store, scope, at=at),
        resources_at(store, scope, at=at),
        warning_areas_at(store, scope, at=at),
        now=at,
        lang=lang,
        exercise_label=t("exercise.label", lang),
    )
    return [place(s) for s in specs]


def camera_layer(store: Store, *, lang: str) -> dict[str, Any]:
    """The cameras (视频监控点位): sent with the whole picture only, not with each change
    (they move only when a registry is imported)."""
    spec = build_camera_layer(
        all_cameras(store),
        lang=lang,
        class_labels={k: t(f"camera_class.{k}", lang) for k in (1, 2, 3)},
        word_labels={w: t(f"camera_layer.{w}", lang) for w in CAMERA_WORDS},
    )
    return place(spec)


#: Tooltip words of the camera layer, from the catalog (camera_layer.<word>).
CAMERA_WORDS = ("owner", "link", "no_link", "synthetic")


def picture_payload(
    store: Store,
    scope: Scope,
    *,
    at: datetime | None,
    now: datetime,
    lang: str,
    tz: str,
    calendar: WorkCalendar,
    zoom: float,
    defer_points_above: int | None = None,
    case_majors: tuple[str, ...] = (),
    sensor_kinds: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Every thematic layer at ``at`` (None: now, with a live cursor) and the feed up to then.

    With ``defer_points_above``, a scope with more open cases than that gets only the
    status-aware hexagons: the case points layer comes empty, marked ``deferred`` with its
    ``count``, and the browser asks :func:`case_points_payload` once it needs points (zoomed
    in, or points chosen). A city overview then costs kilobytes, not megabytes.

    A theme's ``case_majors`` and ``sensor_kinds`` keep the case and sensor layers to its
    categories and kinds (here, on the server: the browser never gets the others).
    """
    moment = at or now
    seq = current_change_seq(store)
    cases = cases_at(store, scope, at=moment, calendar=calendar)
    sensors = sensors_at(store, scope, at=moment, tz=tz)
    traffic = traffic_at(store, at=moment)
    resources = resources_at(store, scope, at=moment)
    shown = themed_cases(cases, case_majors)
    open_count = int(shown["open"].sum()) if len(shown) else 0
    defer = defer_points_above is not None and open_count > defer_points_above
    layers = [
        _case_points(
            shown.iloc[:0] if defer else shown,
            lang=lang,
            deferred_count=open_count if defer else None,
        ),
        place(hex_layer(shown, lang=lang, zoom=zoom)),
        *[
            place(s)
            for s in build_sensor_layers(
                themed_sensors(sensors, sensor_kinds), now=moment, lang=lang
            )
        ],
        place(build_traffic_layer(traffic, now=moment, lang=lang)),
        *emergency_layers(store, scope, at=moment, lang=lang),
        camera_layer(store, lang=lang),
    ]
    body: dict[str, Any] = {
        "at": moment.isoformat() + "Z",
        "replay": at is not None,
        "layers": layers,
        "ages": _ages(cases, sensors, traffic, resources, _grid_since(store)),
        "feed": feed_items(
            store, scope, until=moment, since=None, lang=lang, tz=tz, case_majors=case_majors
        ),
    }
    if at is None:
        body["cursor"] = Cursor(EPOCH, seq, now - timedelta(seconds=2), now).encode()
    return body


def _case_points(
    cases: pd.DataFrame, *, lang: str, deferred_count: int | None = None
) -> dict[str, Any]:
    extra: dict[str, Any] = {"tooltip": _case_tooltip(lang)}
    if deferred_count is not None:
        extra.update(deferred=True, count=deferred_count)
    return place(build_case_points(cases, **case_labels(lang)), extra)


def case_points_payload(
    store: Store,
    scope: Scope,
    *,
    at: datetime,
    lang: str,
    calendar: WorkCalendar,
    case_majors: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The whole case points layer at ``at`` (of a theme's categories): what a deferred
    layer loads when needed."""
    cases = cases_at(store, scope, at=at, calendar=calendar)
    return _case_points(themed_cases(cases, case_majors), lang=lang)


def grid_colors_payload(
    store: Store,
    scope: Scope,
    base: dict[str, Any],
    *,
    mode: str,
    at: datetime,
    calendar: WorkCalendar,
) -> dict[str, Any]:
    """Fill colours of the grid layer (aligned with its records) for a colouring mode."""
    grid_json = next(layer for layer in base["layers"] if layer["id"] == GRID_LAYER_ID)
    grid = LayerSpec("PolygonLayer", GRID_LAYER_ID, grid_json["data"])
    if mode == "score":
        by_street = street_scores(store, scope, at=at)
        cells = load_cells(store, scope=scope)
        values = {
            c: by_street[s]
            for c, s in zip(cells["cell_code"], cells["street_code"])
            if s in by_street
        }
    else:
        counts = case_counts_by_cell(store, scope, at=at, calendar=calendar)
        column = "open_cases" if mode == "open_cases" else "overdue"
        values = dict(zip(counts["cell_code"], counts[column]))
    colors = grid_mode_colors(grid, values, mode=mode)
    return {"mode": mode, "stamp": at.isoformat(), "colors": encode_array(colors)}
