"""Callbacks of the warning composer (预警发布): defaults from the selected incident, the reach
preview (cells and population, drawn on the map) before anything is saved, the draft, and
the second person's approval and the publication from the incident's warning list.

The warnings service (:mod:`app.emergency.warnings_service`) checks every step on the server:
drafting and publishing for the emergency staff and admins with a city-wide scope, approval
by anyone allowed who did not write the draft. Its refusals are shown in words."""

from __future__ import annotations

import logging
from typing import Any

from dash import Input, Output, State, callback, no_update
from dash.exceptions import PreventUpdate

from app.context import get_context
from app.emergency import warnings_service as service
from app.i18n import t
from app.pages.emergency import ids
from app.pages.emergency.acting import (
    REFUSALS,
    acting_user,
    forbidden,
    message,
    page_language,
    refused,
)
from app.pages.emergency.callbacks import refresh_token
from app.pages.emergency.logic import (
    LEVEL_SEVERITY,
    Invalid,
    act_of,
    checked_id,
    clicked,
    event_for,
    warning_area,
    warning_content,
)
from app.pages.emergency.warning_panels import STEPS, reach_text, warning_rows
from models.case_service import Actor
from models.clock import utcnow
from models.emergency.incident_access import visible_row
from models.emergency.warning_records import get_warning
from models.emergency.warnings import APPROVE_ROLES, DRAFT_ROLES, PUBLISH_ROLES, WarningRefused

log = logging.getLogger(__name__)
_STATES = [State(f, "value") for f in ids.W_FIELDS]


def _require(actor: Actor, roles: frozenset[str], *, city: bool = True) -> None:
    """The service's own rule (it checks again), told in the reader's words first."""
    if actor.role not in roles:
        raise Invalid("emergency.refused.role")
    if city and actor.scope.kind != "city":
        raise Invalid("emergency.w_city_scope")


@callback(
    Output(ids.W_EVENT, "value"),
    Output(ids.W_SEVERITY, "value"),
    Output(ids.W_HEADLINE_ZH, "value"),
    Output(ids.W_HEADLINE_EN, "value"),
    Output(ids.W_REACH, "children", allow_duplicate=True),
    Output(ids.W_REACH_AREA, "data", allow_duplicate=True),
    Input(ids.SELECTED, "data"),
    prevent_initial_call="initial_duplicate",
)
def defaults(selected: object) -> Any:
    """A new incident chosen: the composer starts from its type, level and title."""
    actor = acting_user()
    if actor is None or selected is None:
        return no_update, no_update, no_update, no_update, [], None
    try:
        incident = visible_row(get_context().store, actor, checked_id(selected))
    except REFUSALS:
        return no_update, no_update, no_update, no_update, [], None
    kind = incident["incident_type"]
    return (
        event_for(kind),
        LEVEL_SEVERITY.get(incident["level"], "Moderate"),
        incident["title"],
        f"{t(f'incident_type.{kind}', 'en')} warning",
        [],
        None,
    )


def _incident(actor: Any, selected: object) -> dict[str, Any]:
    return visible_row(get_context().store, actor, checked_id(selected))


@callback(
    Output(ids.W_REACH, "children", allow_duplicate=True),
    Output(ids.W_REACH_AREA, "data", allow_duplicate=True),
    Input(ids.W_PREVIEW, "n_clicks"),
    State(ids.SELECTED, "data"),
    State(ids.W_AREA_MODE, "value"),
    State(ids.W_RADIUS, "value"),
    State(ids.W_CODES, "value"),
    prevent_initial_call=True,
)
def preview(n: object, selected: object, mode: object, radius: object, codes: object) -> Any:
    """The cells and people the area reaches, before any draft; the area on the map."""
    if not clicked(n):
        raise PreventUpdate
    lang = page_language()
    actor = acting_user()
    if actor is None:
        return forbidden(lang), None
    try:
        _require(actor, DRAFT_ROLES, city=False)
        area = warning_area(mode, radius, codes, _incident(actor, selected))
        reach, geometry = service.preview_reach(
            get_context().store, get_context().config, actor, area
        )
    except REFUSALS as exc:
        return refused(exc, lang), None
    body = reach.as_json()
    shown = {"cells": [c["cell_code"] for c in body["cells"]], "geometry": geometry}
    return reach_text(body, lang), shown


@callback(
    Output(ids.W_MESSAGE, "children", allow_duplicate=True),
    Output(ids.REFRESH, "data", allow_duplicate=True),
    Output(ids.W_REACH, "children", allow_duplicate=True),
    Output(ids.W_REACH_AREA, "data", allow_duplicate=True),
    Input(ids.W_DRAFT, "n_clicks"),
    State(ids.SELECTED, "data"),
    *_STATES,
    prevent_initial_call=True,
)
def save_draft(n: object, selected: object, *values: object) -> Any:
    """Save the composed warning as a draft of the selected incident (the preview of its
    reach leaves the map: the draft waits for its approval)."""
    if not clicked(n):
        raise PreventUpdate
    lang = page_language()
    actor = acting_user()
    if actor is None:
        return forbidden(lang), no_update, no_update, no_update
    store, config, now = get_context().store, get_context().config, utcnow()
    try:
        _require(actor, DRAFT_ROLES)
        content = warning_content(values, _incident(actor, selected), now=now)
        identifier = service.draft(store, config, actor, content, now=now)
    except REFUSALS as exc:
        return refused(exc, lang), no_update, no_update, no_update
    done = message(t("emergency.w_drafted", lang, id=identifier), True)
    return done, refresh_token(), [], None


@callback(
    Output(ids.W_MESSAGE, "children", allow_duplicate=True),
    Output(ids.REFRESH, "data", allow_duplicate=True),
    Input(ids.ACT_WARNING, "data"),
    State(ids.SELECTED, "data"),
    prevent_initial_call=True,
)
def step(pressed: object, selected: object) -> Any:
    """Approve (a second person) or publish a warning of the selected incident."""
    lang = page_language()
    actor = acting_user()
    if actor is None:
        return forbidden(lang), no_update
    store, config, now = get_context().store, get_context().config, utcnow()
    try:
        what, arg = act_of(pressed, STEPS)
        identifier = checked_id(arg)
        incident_id = _incident(actor, selected)["incident_id"]
        record = get_warning(store, identifier)
        if record is None or record.incident_id != incident_id:
            raise Invalid("emergency.w_not_here")
        _require(actor, APPROVE_ROLES if what == "approve" else PUBLISH_ROLES)
        if what == "approve":
            try:
                service.approve(store, config, actor, identifier, now=now)
            except WarningRefused as exc:
                if exc.status == 403 and actor.username in record.editors:
                    raise Invalid("emergency.w_own_draft") from exc
                raise
            done = t("emergency.w_approved", lang, id=identifier)
        else:
            service.publish(store, config, actor, identifier, now=now)
            done = t("emergency.w_published", lang, id=identifier)
    except REFUSALS as exc:
        return refused(exc, lang), no_update
    return message(done, True), refresh_token()


@callback(
    Output(ids.W_LIST, "children"),
    Input(ids.SELECTED, "data"),
    Input(ids.REFRESH, "data"),
)
def show_warnings(selected: object, _refresh: object) -> Any:
    """The selected incident's warnings with their state and the reader's next steps."""
    lang = page_language()
    actor = acting_user()
    if actor is None:
        return [forbidden(lang)]
    if selected is None:
        return []
    store, now = get_context().store, utcnow()
    try:
        incident_id = _incident(actor, selected)["incident_id"]
        items = service.listing(store, actor, now=now, incident_id=incident_id, limit=50)
    except REFUSALS as exc:
        return [refused(exc, lang)]
    tz = get_context().config.settings.calendar.timezone
    return warning_rows(items, lang=lang, tz=tz, user=actor.username)
