"""Live changes of the map since a browser's cursor: upserts, removals, replaced layers, feed."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from app.pages.screen.cursor import CURSOR_MAX_AGE, EPOCH, HEX_EVERY, Cursor
from app.pages.screen.feed import feed_items
from app.pages.screen.picture import (
    STALE_AFTER_S,
    case_labels,
    emergency_layers,
    hex_layer,
    newest_iso,
    place,
    sensor_ages,
    themed_cases,
    themed_sensors,
)
from layers.cases import case_point_changes
from layers.sensors import build_sensor_layers
from layers.traffic import build_traffic_layer
from models.map_state import (
    cases_at,
    current_change_seq,
    sensors_changed_since,
    traffic_changed_since,
)
from models.map_state.feed import emergency_changed, newest_receipt, positions_moved
from models.map_state.sla_clock import sla_turned
from models.security import Scope
from models.store import Store
from models.work_calendar import WorkCalendar


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
    max_age: timedelta | None = None,
    max_behind: int | None = None,
    case_majors: tuple[str, ...] = (),
    sensor_kinds: tuple[str, ...] = (),
) -> dict[str, Any]:
    """What changed since ``cursor_text``: upserts, removals, replaced layers and feed items.

    Case upserts hold the rows written since the cursor and the cases whose SLA level the
    running clock turned since its poll instant (:func:`models.map_state.sla_clock.sla_turned`),
    so the wall shows the levels as of ``now``.

    An unreadable cursor, one of another server process, one ahead of the store, or (as the
    HTTP endpoint asks) one whose receipt time or poll instant is older than ``max_age`` or
    after ``now``, or more than ``max_behind`` change sequences behind the store, answers
    ``{"reset": true}``: the browser then reloads the whole picture, and no request diffs
    more than that.

    With a theme's ``case_majors`` / ``sensor_kinds`` only its cases and sensors go out; a
    changed case of another category is removed (it may have been recategorised).
    """
    cursor = Cursor.decode(cursor_text or "")
    if cursor is None or cursor.epoch != EPOCH:
        return {"reset": True}
    if max_age is not None and not cursor.fresh(now, max_age):
        return {"reset": True}
    seq = current_change_seq(store)
    if cursor.seq > seq or (max_behind is not None and seq - cursor.seq > max_behind):
        return {"reset": True}
    # receipts are stamped before their batch commits: look back a little, upserts are idempotent
    received_after = cursor.received
    upserts: dict[str, Any] = {}
    removes: dict[str, list[str]] = {}
    replace: list[dict[str, Any]] = []
    ages: dict[str, dict[str, Any]] = {}
    hex_dirty, hex_at = cursor.hex_dirty, cursor.hex_at
    # the SLA clock runs without writes: cases turning yellow or red since the last poll too
    turned = sla_turned(store, scope, after=cursor.polled, until=now, calendar=calendar)
    if seq > cursor.seq or len(turned):
        changed = cases_at(store, scope, at=now, calendar=calendar, since_seq=cursor.seq)
        if len(turned):
            fresh = turned[~turned["case_id"].isin(changed["case_id"])]
            changed = pd.concat([changed, fresh]) if len(changed) else fresh
        if len(changed):
            kept = themed_cases(changed, case_majors)
            spec, gone = case_point_changes(kept, **case_labels(lang))
            upserts["case-points"] = place(spec)
            others = changed.loc[~changed["case_id"].isin(kept["case_id"]), "case_id"]
            removes["case-points"] = [*gone, *map(str, others)]
            hex_dirty = True
            ages["cases"] = {"at": now.isoformat() + "Z", "stale_s": STALE_AFTER_S["cases"]}
        if seq > cursor.seq and emergency_changed(store, cursor.seq):
            replace += emergency_layers(store, scope, at=now, lang=lang)
    if hex_dirty and now - hex_at >= HEX_EVERY:
        replace.append(
            place(
                _HEXES.get(
                    # levels on the hexagons move with the clock too (see sla_turned)
                    (scope.label(), lang, seq, round(zoom), _floor(now, HEX_EVERY), case_majors),
                    lambda: hex_layer(
                        themed_cases(
                            cases_at(store, scope, at=now, calendar=calendar), case_majors
                        ),
                        lang=lang,
                        zoom=zoom,
                    ),
                )
            )
        )
        hex_dirty, hex_at = False, now
    sensors = sensors_changed_since(
        store, scope, received_after=received_after, since_seq=cursor.seq, at=now, tz=tz
    )
    ages.update(sensor_ages(sensors))
    if len(sensors):
        # the theme's kinds, and every alarm (a cleared one of another kind goes too)
        specs = build_sensor_layers(themed_sensors(sensors, sensor_kinds), now=now, lang=lang)
        alarm_ids = set(sensors.loc[sensors["alarm"].astype(bool), "sensor_id"])
        for spec in specs:
            upserts[spec.layer_id] = place(spec)
        removes["sensor-alarms"] = sorted(set(sensors["sensor_id"]) - alarm_ids)
        # a sensor may move between env/iot only by re-registration: not a live concern
    traffic = traffic_changed_since(store, received_after=received_after, at=now)
    if len(traffic):
        upserts["traffic-segments"] = place(build_traffic_layer(traffic, now=now, lang=lang))
        ages["traffic"] = {"at": newest_iso(traffic["ts"]), "stale_s": STALE_AFTER_S["traffic"]}
    moved = positions_moved(store, received_after)
    if moved and not any(layer["group"] == "emergency" for layer in replace):
        replace += emergency_layers(store, scope, at=now, lang=lang)
    newest = newest_receipt(store, received_after)
    body: dict[str, Any] = {
        "cursor": Cursor(
            EPOCH,
            seq,
            # a quiet spell moves it on too (well past any commit lag), so a polling wall's
            # cursor stays within CURSOR_MAX_AGE
            max(received_after, newest - timedelta(seconds=2), now - CURSOR_MAX_AGE / 2),
            hex_at,
            hex_dirty,
            at=max(now, cursor.polled),
        ).encode(),
        "upserts": upserts,
        "removes": removes,
        "replace": replace,
        "ages": ages,
        "feed": feed_items(
            store, scope, until=now, since=cursor.seq, lang=lang, tz=tz, case_majors=case_majors
        ),
    }
    return body


def _floor(t: datetime, step: timedelta) -> datetime:
    return t - (t - datetime.min) % step
