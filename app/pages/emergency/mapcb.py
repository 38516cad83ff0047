"""Callbacks of the emergency screen's map: the base map once (cached per grid version), then
the changing layers whenever the store changes, an incident is chosen or a warning's reach is
previewed (assets/emergency.js swaps them in and flies to the chosen incident)."""

from __future__ import annotations

import logging
from typing import Any

from dash import ClientsideFunction, Input, Output, callback, clientside_callback
from dash.exceptions import PreventUpdate

from app.context import get_context
from app.pages.emergency import ids
from app.pages.emergency.acting import REFUSALS, acting_user, page_language
from app.pages.emergency.emap import (
    base_key,
    base_layers,
    camera_layer,
    focus_layer,
    live_layers,
    map_config,
    reach_layers,
)
from app.pages.emergency.logic import checked_id
from models.clock import utcnow
from models.emergency.cameras import cameras_near
from models.emergency.incident_access import visible_row
from models.emergency.incidents import list_incidents

log = logging.getLogger(__name__)

clientside_callback(
    ClientsideFunction(namespace="emergency", function_name="mountMap"),
    Output(ids.MAP_MOUNTED, "data"),
    Input(ids.MAP_CONFIG, "data"),
    prevent_initial_call=True,
)
clientside_callback(
    ClientsideFunction(namespace="emergency", function_name="applyLayers"),
    Output(ids.MAP_SINK, "data"),
    Input(ids.MAP_LAYERS, "data"),
    prevent_initial_call=True,
)


@callback(Output(ids.MAP_CONFIG, "data"), Input(ids.MAP, "className"))
def configure(_class: object) -> Any:
    """The map component's config with the base map (the same for every user)."""
    if acting_user() is None:
        raise PreventUpdate
    app = get_context()
    base = app.cached(base_key(app.store), lambda: base_layers(app.store))
    return map_config(app.store, base)


def _reach(value: object) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    cells = value.get("cells")
    return {"cells": cells if isinstance(cells, list) else [], "geometry": value.get("geometry")}


@callback(
    Output(ids.MAP_LAYERS, "data"),
    Input(ids.MAP_MOUNTED, "data"),
    Input(ids.SELECTED, "data"),
    Input(ids.REFRESH, "data"),
    Input(ids.W_REACH_AREA, "data"),
)
def show_layers(_mounted: object, selected: object, _refresh: object, reach: object) -> Any:
    """Incidents of the user's scope, resources by status, shelters, warning areas, the
    composed warning's reach, and the chosen incident ringed with its cameras nearby."""
    actor = acting_user()
    if actor is None:
        raise PreventUpdate
    app, lang, now = get_context(), page_language(), utcnow()
    visible = {
        i["incident_id"]
        for i in list_incidents(app.store, actor, now=now, status="open", limit=500)
    }
    try:
        chosen = visible_row(app.store, actor, checked_id(selected)) if selected else None
    except REFUSALS:
        chosen = None
    if chosen is not None:
        visible.add(chosen["incident_id"])
    layers = live_layers(app.store, actor.scope, visible=visible, now=now, lang=lang)
    layers += reach_layers(app.store, _reach(reach), lang)
    cameras: list[dict[str, Any]] = []
    if chosen is not None:
        radius = app.config.settings.emergency.camera_radius_m
        cameras = cameras_near(app.store, float(chosen["lon"]), float(chosen["lat"]),
                               radius_m=radius, limit=50)  # fmt: skip
    layers += [camera_layer(cameras, lang), focus_layer(chosen)]
    focus = None
    if chosen is not None:
        focus = {"id": chosen["incident_id"], "lon": chosen["lon"], "lat": chosen["lat"]}
    return {"layers": layers, "focus": focus}
