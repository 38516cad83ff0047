"""Callbacks of the emergency screen that act on incidents: open one (from the form or an
imported CAP alert), change its level, close or reopen it, add a note, activate its plan,
mark a task done.

Each goes through the incident models, which check the role (operators open incidents and add
notes; the emergency staff and admins command) and the scope; a refusal is shown in words.
Values from the browser are checked first (:mod:`app.pages.emergency.logic`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from dash import Input, Output, State, callback, ctx, no_update
from dash.exceptions import PreventUpdate

from app.api.incidents.common import plan_book
from app.context import get_context
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
    MAX_NOTE,
    MAX_TITLE,
    act_of,
    checked_id,
    checked_level,
    checked_point,
    checked_text,
    checked_type,
    clicked,
    task_number,
)
from models.case_service import Actor
from models.clock import utcnow
from models.emergency.incident_sources import open_from_cap
from models.emergency.incidents import (
    add_note,
    close_incident,
    open_incident,
    reopen_incident,
    set_level,
)
from models.emergency.plan_tasks import activate_plan, complete_task

log = logging.getLogger(__name__)


def _run(act: Callable[[Actor], str]) -> Any:
    """Run ``act`` as the acting user: (message, refresh) — a refusal in words."""
    lang = page_language()
    actor = acting_user()
    if actor is None:
        return forbidden(lang), no_update
    try:
        done = act(actor)
    except REFUSALS as exc:
        return refused(exc, lang), no_update
    return message(done, True), refresh_token()


def _tz() -> str:
    return get_context().config.settings.calendar.timezone


# -- opening incidents ------------------------------------------------------------------------


@callback(
    Output(ids.MESSAGE, "children", allow_duplicate=True),
    Output(ids.REFRESH, "data", allow_duplicate=True),
    Output(ids.SELECTED, "data", allow_duplicate=True),
    Output(ids.NEW_TITLE, "value"),
    Output(ids.NEW_LON, "value"),
    Output(ids.NEW_LAT, "value"),
    Input(ids.NEW_SUBMIT, "n_clicks"),
    State(ids.NEW_TYPE, "value"),
    State(ids.NEW_LEVEL, "value"),
    State(ids.NEW_TITLE, "value"),
    State(ids.NEW_LON, "value"),
    State(ids.NEW_LAT, "value"),
    State(ids.NEW_EXERCISE, "value"),
    prevent_initial_call=True,
)
def new_incident(
    n: object, kind: object, level: object, title: object, lon: object, lat: object,
    exercise: object,
) -> Any:  # fmt: skip
    """Open an incident at a point typed or clicked on the map."""
    if not clicked(n):
        raise PreventUpdate
    made: dict[str, str] = {}

    def act(actor: Actor) -> str:
        x, y = checked_point(lon, lat)
        made["id"] = open_incident(
            get_context().store, actor, now=utcnow(), tz=_tz(),
            incident_type=checked_type(kind), level=checked_level(level),
            title=checked_text(title, max_len=MAX_TITLE), lon=x, lat=y,
            exercise=isinstance(exercise, list) and "exercise" in exercise,
            source_kind="screen",
        )  # fmt: skip
        return t("emergency.opened", page_language(), id=made["id"])

    shown, refresh = _run(act)
    if "id" not in made:
        return shown, refresh, no_update, no_update, no_update, no_update
    return shown, refresh, made["id"], "", "", ""  # the form emptied for the next one


@callback(
    Output(ids.MESSAGE, "children", allow_duplicate=True),
    Output(ids.REFRESH, "data", allow_duplicate=True),
    Output(ids.SELECTED, "data", allow_duplicate=True),
    Input(ids.ACT_CAP, "data"),
    prevent_initial_call=True,
)
def from_cap(pressed: object) -> Any:
    """Open an incident from an imported CAP alert (its area, event, severity, exercise)."""
    made: dict[str, str] = {}

    def act(actor: Actor) -> str:
        _open, identifier = act_of(pressed, ("open",))
        made["id"] = open_from_cap(
            get_context().store, actor, checked_id(identifier), now=utcnow(), tz=_tz()
        )
        return t("emergency.opened", page_language(), id=made["id"])

    shown, refresh = _run(act)
    return shown, refresh, made.get("id", no_update)


# -- commanding the selected incident ---------------------------------------------------------


def _selected(value: object) -> str:
    return checked_id(value)


@callback(
    Output(ids.MESSAGE, "children", allow_duplicate=True),
    Output(ids.REFRESH, "data", allow_duplicate=True),
    Input(ids.LEVEL_SET, "n_clicks"),
    Input(ids.CLOSE, "n_clicks"),
    Input(ids.REOPEN, "n_clicks"),
    Input(ids.PLAN_ACTIVATE, "n_clicks"),
    State(ids.SELECTED, "data"),
    State(ids.LEVEL, "value"),
    prevent_initial_call=True,
)
def command(_l: object, _c: object, _r: object, _p: object, selected: object,
            level: object) -> Any:  # fmt: skip
    """The level, closing and reopening, and the plan's activation."""
    trigger = ctx.triggered_id
    if not clicked(ctx.triggered[0].get("value") if ctx.triggered else None):
        raise PreventUpdate
    store, now, lang = get_context().store, utcnow(), page_language()

    def act(actor: Actor) -> str:
        incident = _selected(selected)
        if trigger == ids.LEVEL_SET:
            done = set_level(store, actor, incident, checked_level(level), now=now,
                             plans=plan_book())  # fmt: skip
            if not done["changed"]:
                return t("emergency.level_same", lang)
            return t("emergency.level_set", lang, level=t(f"incident_level.{done['to']}", lang),
                     n=len(done["tasks_added"]))  # fmt: skip
        if trigger == ids.CLOSE:
            close_incident(store, actor, incident, now=now)
            return t("emergency.closed", lang, id=incident)
        if trigger == ids.REOPEN:
            reopen_incident(store, actor, incident, now=now)
            return t("emergency.reopened", lang, id=incident)
        done = activate_plan(store, actor, incident, plans=plan_book(), now=now)
        plan = plan_book().plans.get(done["plan_id"])
        name = plan.name(lang) if plan is not None else done["plan_id"]
        return t("emergency.plan_done", lang, plan=name, n=len(done["added"]))

    return _run(act)


@callback(
    Output(ids.MESSAGE, "children", allow_duplicate=True),
    Output(ids.REFRESH, "data", allow_duplicate=True),
    Output(ids.NOTE, "value"),
    Input(ids.NOTE_ADD, "n_clicks"),
    State(ids.SELECTED, "data"),
    State(ids.NOTE, "value"),
    prevent_initial_call=True,
)
def note(n: object, selected: object, text: object) -> Any:
    """A note on the incident's timeline (operators too)."""
    if not clicked(n):
        raise PreventUpdate

    def act(actor: Actor) -> str:
        add_note(get_context().store, actor, _selected(selected),
                 checked_text(text, max_len=MAX_NOTE), now=utcnow())  # fmt: skip
        return t("emergency.noted", page_language())

    shown, refresh = _run(act)
    return shown, refresh, "" if refresh is not no_update else no_update


@callback(
    Output(ids.MESSAGE, "children", allow_duplicate=True),
    Output(ids.REFRESH, "data", allow_duplicate=True),
    Input(ids.ACT_TASK, "data"),
    State(ids.SELECTED, "data"),
    prevent_initial_call=True,
)
def task_done(pressed: object, selected: object) -> Any:
    """Mark one plan task done."""

    def act(actor: Actor) -> str:
        task = task_number(act_of(pressed, ("done",))[1])
        done = complete_task(get_context().store, actor, _selected(selected), task, now=utcnow())
        return t("emergency.task_marked", page_language(), n=done["task_no"])

    return _run(act)
