"""The map's payloads: base layers, the whole picture at an instant, live changes since a cursor.

Every payload is JSON-ready: layers in the wire form of :func:`layers.deck.layer_json` plus
the screen's own keys (``group`` for the layer switcher, ``z`` for draw order, ``tooltip``
templates for layers whose rows carry fields rather than ``title``/``lines``).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from app.i18n import t
from app.pages.screen.feed import (
    emergency_changed,
    feed_items,
    newest_receipt,
    positions_moved,
)
from app.pages.screen.ranking import street_scores
from layers.basemap import build_base_layers
from layers.cases import build_case_points, case_point_changes
from layers.deck import layer_json
from layers.emergency import build_emergency_layers
from layers.grid import GRID_LAYER_ID, build_grid_layer, grid_mode_colors
from layers.hexbin import aggregate_cases, build_case_hexagons, resolution_for_zoom
from layers.sensors import ENV_KINDS, build_sensor_layers
from layers.spec import LayerSpec
from layers.traffic import build_traffic_layer
from layers.wire import encode_array
from models.geography import load_admin_areas, load_base_features, load_cells, load_roads
from models.map_state import (
    case_counts_by_cell,
    cases_at,
    current_change_seq,
    incidents_at,
    resources_at,
    sensors_at,
    sensors_changed_since,
    traffic_at,
    traffic_changed_since,
    warning_areas_at,
)
from models.security import Scope
from models.store import Store
from models.work_calendar import WorkCalendar
from models.workflow import STAGE_LABELS

#: A new server process starts a new epoch: browsers holding an older cursor reload.
EPOCH = uuid.uuid4().hex[:8]

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
    "shelters": ("emergency", 40),
    "resources": ("emergency", 41),
    "incidents": ("emergency", 45),
}

#: Cell outlines from this zoom on (10,072 outlines cost ~1.5 s a frame on software GL; at
#: city scale the fills carry the picture).
GRID_OUTLINE_ZOOM = 11.5

#: Seconds after which a layer group's newest data counts as stale on the wall.
STALE_AFTER_S = {"cases": 3600, "env": 3 * 3600, "iot": 1800, "traffic": 900, "emergency": 3600}


def _place(spec: LayerSpec, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    group, z = PLACEMENT.get(spec.layer_id, ("base", 50))
    out = layer_json(spec)
    out.update(group=group, z=z, **(extra or {}))
    return out


@dataclass(frozen=True)
class Cursor:
    """Where a browser's live view stands: server epoch, change sequence, receipt time, and
    when it last got the case hexagons (rebuilt at most every :data:`HEX_EVERY`)."""

    epoch: str
    seq: int
    received: datetime
    hex_at: datetime
    hex_dirty: bool = False

    def encode(self) -> str:
        return "~".join(
            (
                self.epoch,
                str(self.seq),
                self.received.isoformat(),
                self.hex_at.isoformat(),
                "1" if self.hex_dirty else "0",
            )
        )

    @staticmethod
    def decode(text: str) -> Cursor | None:
        try:
            epoch, seq, received, hex_at, dirty = text.split("~")
            return Cursor(
                epoch,
                int(seq),
                datetime.fromisoformat(received),
                datetime.fromisoformat(hex_at),
                dirty == "1",
            )
        except ValueError:
            return None


#: Hexagons summarise thousands of cases: one new case need not resend them every second.
HEX_EVERY = timedelta(seconds=10)


class _Lru:
    """A few recent results by key (several screens of one scope share a build)."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self.items: OrderedDict[Any, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any, build: Callable[[], Any]) -> Any:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = build()
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value


_HEXES = _Lru()


def _stage_labels(lang: str) -> dict[str, str]:
    return {k: (zh if lang == "zh" else en) for k, (zh, en) in STAGE_LABELS.items()}


def _case_labels(lang: str) -> dict[str, Any]:
    return {
        "lang": lang,
        "stage_labels": _stage_labels(lang),
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
    below, above = build_base_layers(
        districts=load_admin_areas(store, "district", scope=scope),
        streets=load_admin_areas(store, "street", scope=scope),
        sea=load_base_features(store, "sea"),
        rivers=load_base_features(store, "river"),
        roads=load_roads(store),
    )
    grid = build_grid_layer(
        load_cells(store, scope=scope),
        fallback_label=t("tooltip.fallback", lang),
        synthetic_label=t("tooltip.synthetic", lang),
    )
    grid = LayerSpec(grid.layer_type, grid.layer_id, grid.data, grid.props, key="cell_code")
    extra = {"tooltip": _grid_tooltip(lang), "strokeMinZoom": GRID_OUTLINE_ZOOM}
    layers = [_place(s) for s in below] + [_place(grid, extra)]
    layers += [_place(s) for s in above]
    return {"layers": layers}


def _hex_layer(cases: pd.DataFrame, *, lang: str, zoom: float) -> LayerSpec:
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


def _age(series: pd.Series) -> str | None:
    if series is None or not len(series):
        return None
    value = pd.to_datetime(series).max()
    return None if pd.isna(value) else value.isoformat() + "Z"


def _ages(
    cases: pd.DataFrame,
    sensors: pd.DataFrame,
    traffic: pd.DataFrame,
    resources: pd.DataFrame,
    grid_since: str | None,
) -> dict[str, dict[str, Any]]:
    env_kinds = sensors["kind"].isin(ENV_KINDS) if len(sensors) else []
    newest = {
        "cases": _age(cases["reported_at"]) if len(cases) else None,
        "env": _age(sensors.loc[env_kinds, "last_ts"]) if len(sensors) else None,
        "iot": _age(sensors.loc[~np.asarray(env_kinds, bool), "last_ts"]) if len(sensors) else None,
        "traffic": _age(traffic["ts"]) if len(traffic) else None,
        "emergency": _age(resources["position_at"]) if len(resources) else None,
    }
    ages = {g: {"at": at, "stale_s": STALE_AFTER_S[g]} for g, at in newest.items()}
    ages["grid"] = {"at": grid_since, "stale_s": None}
    return ages


def _grid_since(store: Store) -> str | None:
    """When the current grid version took effect: the grid layer's data age."""
    value = store.query_value("SELECT max(valid_from) FROM grid_versions WHERE valid_to IS NULL")
    return None if value is None else value.isoformat() + "Z"


def _emergency_layers(
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
    return [_place(s) for s in specs]


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
) -> dict[str, Any]:
    """Every thematic layer at ``at`` (None: now, with a live cursor) and the feed up to then.

    With ``defer_points_above``, a scope with more open cases than that gets only the
    status-aware hexagons: the case points layer comes empty, marked ``deferred`` with its
    ``count``, and the browser asks :func:`case_points_payload` once it needs points (zoomed
    in, or points chosen). A city overview then costs kilobytes, not megabytes.
    """
    moment = at or now
    seq = current_change_seq(store)
    cases = cases_at(store, scope, at=moment, calendar=calendar)
    sensors = sensors_at(store, scope, at=moment, tz=tz)
    traffic = traffic_at(store, at=moment)
    resources = resources_at(store, scope, at=moment)
    open_count = int(cases["open"].sum()) if len(cases) else 0
    defer = defer_points_above is not None and open_count > defer_points_above
    layers = [
        _case_points(
            cases.iloc[:0] if defer else cases,
            lang=lang,
            deferred_count=open_count if defer else None,
        ),
        _place(_hex_layer(cases, lang=lang, zoom=zoom)),
        *[_place(s) for s in build_sensor_layers(sensors, now=moment, lang=lang)],
        _place(build_traffic_layer(traffic, now=moment, lang=lang)),
        *_emergency_layers(store, scope, at=moment, lang=lang),
    ]
    body: dict[str, Any] = {
        "at": moment.isoformat() + "Z",
        "replay": at is not None,
        "layers": layers,
        "ages": _ages(cases, sensors, traffic, resources, _grid_since(store)),
        "feed": feed_items(store, scope, until=moment, since=None, lang=lang, tz=tz),
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
    return _place(build_case_points(cases, **_case_labels(lang)), extra)


def case_points_payload(
    store: Store, scope: Scope, *, at: datetime, lang: str, calendar: WorkCalendar
) -> dict[str, Any]:
    """The whole case points layer at ``at``: what a deferred layer loads when needed."""
    return _case_points(cases_at(store, scope, at=at, calendar=calendar), lang=lang)


def changes_payload(
    store: Store,
    scope: Scope,
    *,
    cursor_text: str,
    now: datetime,
    lang: str,
    tz: str,
    calendar: WorkCalendar,
    zoom: float,
) -> dict[str, Any]:
    """What changed since ``cursor_text``: upserts, removals, replaced layers and feed items.

    An unreadable cursor or one of another server process answers ``{"reset": true}``:
    the browser then reloads the whole picture.
    """
    cursor = Cursor.decode(cursor_text or "")
    if cursor is None or cursor.epoch != EPOCH:
        return {"reset": True}
    seq = current_change_seq(store)
    # receipts are stamped before their batch commits: look back a little, upserts are idempotent
    received_after = cursor.received
    upserts: dict[str, Any] = {}
    removes: dict[str, list[str]] = {}
    replace: list[dict[str, Any]] = []
    ages: dict[str, dict[str, Any]] = {}
    hex_dirty, hex_at = cursor.hex_dirty, cursor.hex_at
    if seq > cursor.seq:
        changed = cases_at(store, scope, at=now, calendar=calendar, since_seq=cursor.seq)
        if len(changed):
            spec, gone = case_point_changes(changed, **_case_labels(lang))
            upserts["case-points"] = _place(spec)
            removes["case-points"] = gone
            hex_dirty = True
            ages["cases"] = {"at": now.isoformat() + "Z", "stale_s": STALE_AFTER_S["cases"]}
        if emergency_changed(store, cursor.seq):
            replace += _emergency_layers(store, scope, at=now, lang=lang)
    if hex_dirty and now - hex_at >= HEX_EVERY:
        replace.append(
            _place(
                _HEXES.get(
                    (scope.label(), lang, seq, round(zoom)),
                    lambda: _hex_layer(
                        cases_at(store, scope, at=now, calendar=calendar), lang=lang, zoom=zoom
                    ),
                )
            )
        )
        hex_dirty, hex_at = False, now
    sensors = sensors_changed_since(
        store, scope, received_after=received_after, since_seq=cursor.seq, at=now, tz=tz
    )
    if len(sensors):
        specs = build_sensor_layers(sensors, now=now, lang=lang)
        alarm_ids = set(sensors.loc[sensors["alarm"].astype(bool), "sensor_id"])
        for spec in specs:
            upserts[spec.layer_id] = _place(spec)
        removes["sensor-alarms"] = sorted(set(sensors["sensor_id"]) - alarm_ids)
        # a sensor may move between env/iot only by re-registration: not a live concern
    traffic = traffic_changed_since(store, received_after=received_after, at=now)
    if len(traffic):
        upserts["traffic-segments"] = _place(build_traffic_layer(traffic, now=now, lang=lang))
        ages["traffic"] = {"at": _age(traffic["ts"]), "stale_s": STALE_AFTER_S["traffic"]}
    if len(sensors):
        env = sensors["kind"].isin(ENV_KINDS)
        if env.any():
            ages["env"] = {"at": _age(sensors.loc[env, "last_ts"]), "stale_s": STALE_AFTER_S["env"]}
        if (~env).any():
            ages["iot"] = {
                "at": _age(sensors.loc[~env, "last_ts"]),
                "stale_s": STALE_AFTER_S["iot"],
            }
    moved = positions_moved(store, received_after)
    if moved and not any(layer["group"] == "emergency" for layer in replace):
        replace += _emergency_layers(store, scope, at=now, lang=lang)
    newest = newest_receipt(store, received_after)
    body: dict[str, Any] = {
        "cursor": Cursor(
            EPOCH, seq, max(received_after, newest - timedelta(seconds=2)), hex_at, hex_dirty
        ).encode(),
        "upserts": upserts,
        "removes": removes,
        "replace": replace,
        "ages": ages,
        "feed": feed_items(store, scope, until=now, since=cursor.seq, lang=lang, tz=tz),
    }
    return body


def grid_colors_payload(
    store: Store,
    scope: Scope,
    base: dict[str, Any],
    *,
    mode: str,
    at: datetime,
    now: datetime,
    calendar: WorkCalendar,
) -> dict[str, Any]:
    """Fill colours of the grid layer (aligned with its records) for a colouring mode."""
    grid_json = next(layer for layer in base["layers"] if layer["id"] == GRID_LAYER_ID)
    grid = LayerSpec("PolygonLayer", GRID_LAYER_ID, grid_json["data"])
    if mode == "score":
        by_street = street_scores(store, at=at)
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
