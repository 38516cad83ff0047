"""Callbacks of the emergency screen that read: the refresh tick, the incident list and the
imported CAP alerts, the choice of an incident (list, map or link), and the selected
incident's panels (summary, plan tasks, orders, status board, timeline, cameras).

Every callback checks on the server that the user may open /emergency (the auth gate does
too) and reads through the emergency models, which check the role and the scope: an incident
outside a district user's scope is refused unseen. A bad value from the browser is a shown
message, never a 500."""

from __future__ import annotations

import logging
from itertools import count
from typing import Any

import flask
from dash import Input, Output, State, callback, ctx, no_update
from dash.exceptions import PreventUpdate
from werkzeug.exceptions import HTTPException

from app.api.incidents.common import plan_book
from app.context import get_context
from app.i18n import t
from app.pages.emergency import ids
from app.pages.emergency.acting import (
    REFUSALS,
    acting_user,
    forbidden,
    may_command,
    page_language,
    refused,
)
from app.pages.emergency.incident_panels import cap_list, empty, incident_list, summary
from app.pages.emergency.logic import Invalid, act_of, checked_id, task_needs
from app.pages.emergency.panels import (
    camera_list,
    order_table,
    status_board,
    task_list,
    timeline_list,
)
from models.case_service import Actor
from models.clock import utcnow
from models.emergency.cameras import cameras_near
from models.emergency.incidents import incident_detail, list_incidents
from models.emergency.nearest_text import requirement_label
from models.emergency.orders import orders_of
from models.emergency.requirements import parse_requirement
from models.emergency.resources import status_board as read_board
from models.map_state import current_change_seq, warning_areas_at

log = logging.getLogger(__name__)
_REFRESHES = count(1)


def refresh_token() -> dict[str, Any]:
    """A new value for the refresh store: every panel reads again."""
    return {"n": next(_REFRESHES), "seq": current_change_seq(get_context().store)}


def served_link(path: str) -> str | None:
    """``path`` when this server answers it (an API route another part adds), else None."""
    try:
        endpoint, _ = flask.current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return None
    return None if endpoint == "api_unknown" else path


def _tz() -> str:
    return get_context().config.settings.calendar.timezone


# -- the refresh tick -------------------------------------------------------------------------


@callback(
    Output(ids.REFRESH, "data"),
    Input(ids.TICK, "n_intervals"),
    State(ids.REFRESH, "data"),
    prevent_initial_call=True,
)
def tick(_n: object, last: object) -> Any:
    """Read again when anything changed in the store (an ack, an arrival, a task, another
    person's action) or a minute turned (tasks fall overdue by the clock)."""
    if acting_user() is None:
        raise PreventUpdate
    seq = current_change_seq(get_context().store)
    minute = utcnow().strftime("%H%M")
    previous = last if isinstance(last, dict) else {}
    if previous.get("seq") == seq and previous.get("minute") == minute:
        raise PreventUpdate
    return {"n": next(_REFRESHES), "seq": seq, "minute": minute}


# -- the incident list and imported alerts ----------------------------------------------------


def _visible(actor: Actor, *, only_open: bool) -> list[dict[str, Any]]:
    store = get_context().store
    return list_incidents(store, actor, now=utcnow(), status="open" if only_open else None)


@callback(
    Output(ids.LIST, "children"),
    Output(ids.COUNT, "children"),
    Output(ids.CAP_LIST, "children"),
    Input(ids.REFRESH, "data"),
    Input(ids.LIST_FILTER, "value"),
    Input(ids.SELECTED, "data"),
)
def show_list(_refresh: object, which: object, selected: object) -> Any:
    """Incidents of the user's scope (open ones, or all), and the imported CAP alerts."""
    lang = page_language()
    actor = acting_user()
    if actor is None:
        return [forbidden(lang)], "", []
    now = utcnow()
    try:
        items = _visible(actor, only_open=which != "all")
        opened = {
            str(i["source_ref"]): i["incident_id"]
            for i in _visible(actor, only_open=False)
            if i.get("source_kind") == "cap" and i.get("source_ref")
        }
    except REFUSALS as exc:
        return [refused(exc, lang)], "", []
    alerts = warning_areas_at(get_context().store, actor.scope, at=now)
    inbound = [
        a for a in alerts.drop(columns="geometry").to_dict("records") if a.get("direction") == "in"
    ]
    active = sum(1 for i in items if i["status"] == "open")
    chosen = selected if isinstance(selected, str) else None
    return (
        incident_list(items, chosen, lang=lang, now=now),
        t("emergency.count", lang, n=active),
        cap_list(inbound, opened, lang=lang, tz=_tz()),
    )


# -- choosing an incident ---------------------------------------------------------------------


@callback(
    Output(ids.SELECTED, "data", allow_duplicate=True),
    Input(ids.ACT_PICK, "data"),
    Input(ids.MAP_SELECTION, "data"),
    prevent_initial_call=True,
)
def pick(pressed: object, selection: object) -> Any:
    """An incident chosen in the list or on the map (the models check it when it is read)."""
    if acting_user() is None:
        raise PreventUpdate
    try:
        if ctx.triggered_id == ids.MAP_SELECTION:
            if not isinstance(selection, dict) or selection.get("layer") != "incidents":
                raise PreventUpdate
            return checked_id(selection.get("id"))
        return checked_id(act_of(pressed, ("pick",))[1])
    except Invalid:
        raise PreventUpdate from None


# -- the selected incident ------------------------------------------------------------------


def _need_options(tasks: list[dict[str, Any]], lang: str) -> list[dict[str, str]]:
    out = []
    for need in task_needs(tasks):
        req = parse_requirement(need)
        label = requirement_label(req, lang) if req is not None else need
        out.append({"label": label, "value": need})
    return out


def _cameras(incident: dict[str, Any], lang: str) -> list[Any]:
    settings = get_context().config.settings.emergency
    try:
        near = cameras_near(get_context().store, float(incident["lon"]), float(incident["lat"]),
                            radius_m=settings.camera_radius_m, limit=50)  # fmt: skip
    except (ValueError, TypeError):
        near = []
    return camera_list(near, lang=lang)


_VIEW_OUTPUTS = 13


@callback(
    Output(ids.SUMMARY, "children"),
    Output(ids.TASKS, "children"),
    Output(ids.ORDERS, "children"),
    Output(ids.BOARD, "children"),
    Output(ids.TIMELINE, "children"),
    Output(ids.CAMERAS, "children"),
    Output(ids.LEVEL, "value"),
    Output(ids.TIMELINE_CSV, "href"),
    Output(ids.SITREP, "href"),
    Output(ids.SITREP, "className"),
    Output(ids.NEAREST_NEED, "options"),
    Output(ids.CLOSE, "className"),
    Output(ids.REOPEN, "className"),
    Input(ids.SELECTED, "data"),
    Input(ids.REFRESH, "data"),
)
def show_incident(selected: object, _refresh: object) -> Any:
    """The selected incident's panels, read for the user's scope; the board for the scope."""
    lang = page_language()
    actor = acting_user()
    if actor is None:
        return (forbidden(lang), *[no_update] * (_VIEW_OUTPUTS - 1))
    store, tz, now = get_context().store, _tz(), utcnow()
    board = status_board(read_board(store, scope=actor.scope), lang=lang)
    pick_one = empty(t("emergency.pick_one", lang))
    nothing = (pick_one, [], empty(""), board, [], [], None, "", "", "em-link hidden", [],
               "danger hidden", "hidden")  # fmt: skip
    if selected is None:
        return nothing
    try:
        incident_id = checked_id(selected)
        detail = incident_detail(store, actor, incident_id, now=now)
    except REFUSALS as exc:
        return (refused(exc, lang), *nothing[1:])
    command = may_command(actor) and detail["status"] == "open"
    book = plan_book()
    csv = served_link(f"/api/v1/incidents/{incident_id}/timeline.csv") or ""
    sitrep = served_link(f"/api/v1/incidents/{incident_id}/sitrep.pdf") or ""
    return (
        summary(detail, lang=lang, tz=tz, now=now),
        task_list(detail["tasks"], book.owner_name, lang=lang, tz=tz, can_act=command),
        order_table(orders_of(store, incident_id), lang=lang, tz=tz, can_act=command),
        board,
        timeline_list(detail["timeline"], lang=lang, tz=tz),
        _cameras(detail, lang),
        detail["level"],
        csv,
        sitrep,
        "em-link" if sitrep else "em-link hidden",
        _need_options(detail["tasks"], lang),
        "danger" + ("" if detail["status"] == "open" else " hidden"),
        "" if detail["status"] == "closed" else "hidden",
    )
