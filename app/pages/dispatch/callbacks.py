"""Callbacks of the dispatch console: the queue's rows, live refresh, the case pane, actions on
one case, bulk actions on the selection (pure UI, the grid's cache and the map: clientside).

Every server callback checks, on the server, that the user may open /dispatch (the auth gate
does too) and acts only through ``models.case_service``, which checks the role, the scope
and the stage: a refusal is a shown message, never a 500, and a case outside the user's
scope gives no data.
"""

from __future__ import annotations

import logging
from typing import Any

from dash import (
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    no_update,
)
from dash.exceptions import PreventUpdate

from app.auth import current_user
from app.camera_links import cameras_block
from app.context import get_context
from app.i18n import t
from app.pages.dispatch import ids
from app.pages.dispatch.casemap import case_map_config
from app.pages.dispatch.layout import filter_options
from app.pages.dispatch.logic import (
    Invalid,
    action_request,
    actions_class,
    case_id,
    format_row,
    local_time,
    merge_candidates,
    page_bounds,
    queue_filter_args,
    shown_actions,
    sort_spec,
)
from app.pages.dispatch.pane import render_body, render_head
from app.pages.dispatch.replies import (
    acting_user,
    message,
    page_language,
    refresh_token,
    refused,
)
from models.canned_notes import canned_notes
from models.case_queue import QueueFilter, changed_since, queue_page
from models.case_service import Refused, act, claim
from models.case_view import case_view, nearby_open_cases
from models.clock import utcnow
from models.workflow import stage_label

log = logging.getLogger(__name__)

# -- pure UI in the browser (assets/dispatch.js) ------------------------------------------------
clientside_callback(
    ClientsideFunction(namespace="dispatch", function_name="purge"),
    Output(ids.UI_SINK, "data", allow_duplicate=True),
    *(Input(f, "value") for f in ids.FILTERS),
    prevent_initial_call=True,
)
clientside_callback(
    ClientsideFunction(namespace="dispatch", function_name="refresh"),
    Output(ids.UI_SINK, "data", allow_duplicate=True),
    Input(ids.REFRESH, "data"),
    prevent_initial_call=True,
)
clientside_callback(
    ClientsideFunction(namespace="dispatch", function_name="openClicked"),
    Output(ids.OPEN, "data", allow_duplicate=True),
    Input(ids.GRID, "cellClicked"),
    prevent_initial_call=True,
)
clientside_callback(
    ClientsideFunction(namespace="dispatch", function_name="openFromMap"),
    Output(ids.OPEN, "data", allow_duplicate=True),
    Input(ids.MAP_SELECTION, "data"),
    prevent_initial_call=True,
)
clientside_callback(
    ClientsideFunction(namespace="dispatch", function_name="mountCaseMap"),
    Output(ids.MAP_MOUNTED, "data"),
    Input(ids.MAP_CONFIG, "data"),
    prevent_initial_call=True,
)
clientside_callback(
    ClientsideFunction(namespace="dispatch", function_name="fillNote"),
    Output(ids.NOTE, "value", allow_duplicate=True),
    Input(ids.CANNED, "value"),
    prevent_initial_call=True,
)


# -- the queue ----------------------------------------------------------------------------------


@callback(
    Output(ids.GRID, "getRowsResponse"),
    Output(ids.COUNT, "children"),
    Output(ids.SEQ, "data"),
    Input(ids.GRID, "getRowsRequest"),
    *(State(f, "value") for f in ids.FILTERS),
)
def get_rows(request: object, *values: object) -> Any:
    """One block of the queue, filtered, sorted and paged on the server."""
    lang = page_language()
    actor = acting_user()
    if actor is None:
        return {"rowData": [], "rowCount": 0}, t("dispatch.forbidden", lang), None
    try:
        offset, limit = page_bounds(request)
    except Invalid:
        raise PreventUpdate from None
    assert isinstance(request, dict)
    names = ("stage", "category", "district", "street", "source", "due", "exercise", "text",
             "flags")  # fmt: skip
    args = queue_filter_args(dict(zip(names, values, strict=True)), username=actor.username)
    app_ctx = get_context()
    sort = sort_spec(request.get("sortModel")) or [("due_at", False), ("reported_at", True)]
    try:
        page = queue_page(
            app_ctx.store,
            actor.scope,
            QueueFilter(**args),
            now=utcnow(),
            calendar=app_ctx.calendar(),
            sort=sort,
            offset=offset,
            limit=limit,
        )
        tz = app_ctx.config.settings.calendar.timezone
        rows = [format_row(r, lang=lang, tz=tz) for r in page.rows]
    except ValueError as exc:
        return {"rowData": [], "rowCount": 0}, t("dispatch.bad_filter", lang, reason=str(exc)), None
    except Exception:
        # the grid waits for an answer to every block it asks for: a bug must still answer
        # (an empty block and a message), or the grid hangs on 'loading'
        log.exception("queue block failed", extra={"offset": offset, "limit": limit})
        return {"rowData": [], "rowCount": 0}, t("dispatch.rows_failed", lang), None
    return (
        {"rowData": rows, "rowCount": page.total},
        t("dispatch.count", lang, n=page.total),
        {"seq": page.max_seq},
    )


@callback(
    Output(ids.NEW_BADGE, "children"),
    Output(ids.REFRESH, "data", allow_duplicate=True),
    Input(ids.TICK, "n_intervals"),
    State(ids.SEQ, "data"),
    prevent_initial_call=True,
)
def poll(_n: object, seq: object) -> Any:
    """New or changed cases since the queue's cursor: refresh the grid's cache and say how
    many (the wall's change cursor, per scope)."""
    actor = acting_user()
    if actor is None:
        return t("dispatch.forbidden", page_language()), no_update
    cursor = seq.get("seq") if isinstance(seq, dict) else None
    if not isinstance(cursor, int) or isinstance(cursor, bool) or cursor < 0:
        raise PreventUpdate
    app_ctx = get_context()
    changed = changed_since(app_ctx.store, actor.scope, cursor)
    if not changed:
        return no_update, no_update  # the last news stays, with its time
    at = local_time(utcnow(), app_ctx.config.settings.calendar.timezone, with_date=False)
    return t("dispatch.new", page_language(), n=changed, at=at), refresh_token()


@callback(
    Output(ids.F_STREET, "options"),
    Output(ids.F_STREET, "value"),
    Input(ids.F_DISTRICT, "value"),
    State(ids.F_STREET, "value"),
    prevent_initial_call=True,
)
def narrow_streets(district: object, street: object) -> Any:
    """The street filter offers the chosen district's streets (all of the scope without)."""
    user = current_user()
    if user is None or acting_user() is None:
        return [], None
    options = filter_options(get_context().store, user.scope, page_language())["streets"]
    if (
        isinstance(district, str)
        and (district.isascii() and district.isdigit())
        and len(district) == 6
    ):
        options = [o for o in options if o["value"].startswith(district)]
    keep = street if any(o["value"] == street for o in options) else None
    return options, keep


# -- the case pane ------------------------------------------------------------------------------


def _no_case(lang: str, note: Any = no_update) -> tuple[Any, ...]:
    return (
        t("dispatch.pick_case", lang), [], "dispatch-actions", None, None, [], [], "claim-box",
        note,
    )  # fmt: skip


def _concerns(refreshed: object, shown: object, view: dict[str, Any]) -> bool:
    """Whether a refresh concerns the open case: an action on it, or a change of its history
    or of who holds it since it was drawn."""
    if isinstance(refreshed, dict) and refreshed.get("case") == view.get("id"):
        return True
    if not isinstance(shown, dict):
        return True
    return shown.get("version") != view.get("version") or shown.get("holder") != view.get(
        "claimed_by"
    )


@callback(
    Output(ids.PANE_HEAD, "children"),
    Output(ids.PANE_BODY, "children"),
    Output(ids.ACTIONS_BOX, "className"),
    Output(ids.CASE, "data"),
    Output(ids.MAP_CONFIG, "data"),
    Output(ids.MERGE_INTO, "options"),
    Output(ids.CANNED, "options"),
    Output("dispatch-claim-box", "className"),
    Output(ids.MESSAGE, "children", allow_duplicate=True),
    Input(ids.OPEN, "data"),
    Input(ids.REFRESH, "data"),
    State(ids.CASE, "data"),
    prevent_initial_call=True,
)
def show_case(opened: object, refreshed: object, shown: object) -> Any:
    """The open case: header, allowed actions, SLA clock, routing, map, photos, history."""
    lang = page_language()
    actor = acting_user()
    if actor is None:
        return _no_case(lang, message(t("dispatch.forbidden", lang), False))
    again = ctx.triggered_id == ids.REFRESH
    if again:
        wanted = case_id(shown)  # the pane re-reads the case it shows after an action
        if wanted is None:
            raise PreventUpdate
    else:
        wanted = case_id(opened)
    if wanted is None:
        return _no_case(lang)
    app_ctx = get_context()
    now = utcnow()
    try:
        view = case_view(app_ctx.store, actor, wanted, now=now, calendar=app_ctx.calendar())
        nearby = nearby_open_cases(app_ctx.store, actor, wanted, radius_m=500)
    except Refused as exc:
        return _no_case(lang, refused(exc, lang))
    if again and not _concerns(refreshed, shown, view):
        raise PreventUpdate  # the city changed, this case did not: no redraw, no new map
    tz = app_ctx.config.settings.calendar.timezone
    allowed = list(view.get("allowed_actions") or [])
    holder = view.get("claimed_by")
    claim_class = "claim-box " + (
        "mine" if holder == actor.username else "other" if holder else "free"
    )
    canned = [
        {"label": f"【{t(f'dispatch.action_{a}', lang)}】{note}", "value": note}
        for a in shown_actions(allowed)
        if a != "dispatch_override"
        for note in canned_notes(a, lang)
    ]
    merge = [{"label": c, "value": c} for c in merge_candidates(view, nearby)]
    shown_message = no_update if again else ""
    return (
        render_head(view, lang=lang),
        render_body(
            view,
            nearby,
            lang=lang,
            tz=tz,
            cameras=cameras_block(
                app_ctx.store,
                view.get("lon"),
                view.get("lat"),
                radius_m=app_ctx.config.settings.emergency.camera_radius_m,
                lang=lang,
            ),
        ),
        actions_class(allowed),
        {"id": wanted, "version": view.get("version"), "allowed": allowed, "holder": holder},
        case_map_config(app_ctx.store, view, nearby, lang=lang),
        merge,
        canned,
        claim_class,
        shown_message,
    )


_FIELDS = (
    ("note", ids.NOTE),
    ("void_reason", ids.VOID_REASON),
    ("merge_into", ids.MERGE_INTO),
    ("merge_typed", ids.MERGE_TYPED),
    ("category", ids.CATEGORY),
    ("recat_reason", ids.RECAT_REASON),
    ("unit", ids.UNIT),
    ("override_reason", ids.OVERRIDE_REASON),
    ("deny_reason", ids.DENY_REASON),
)
_BUTTON_OF = {button_id: action for action, button_id in ids.ACTION_BUTTONS.items()}


@callback(
    Output(ids.MESSAGE, "children", allow_duplicate=True),
    Output(ids.REFRESH, "data", allow_duplicate=True),
    Output(ids.NOTE, "value", allow_duplicate=True),
    *(Input(b, "n_clicks") for b in ids.ACTION_BUTTONS.values()),
    Input(ids.CLAIM, "n_clicks"),
    Input(ids.UNCLAIM, "n_clicks"),
    State(ids.CASE, "data"),
    *(State(i, "value") for _name, i in _FIELDS),
    prevent_initial_call=True,
)
def act_on_case(*args: object) -> Any:
    """One action on the open case through the case service (which checks everything)."""
    trigger = ctx.triggered_id
    clicks = dict(zip([*ids.ACTION_BUTTONS.values(), ids.CLAIM, ids.UNCLAIM], args, strict=False))
    if trigger not in clicks or not clicks[trigger]:
        raise PreventUpdate  # a button rendered, not pressed
    n_inputs = len(ids.ACTION_BUTTONS) + 2
    shown, fields = args[n_inputs], args[n_inputs + 1 :]
    values = dict(zip([name for name, _i in _FIELDS], fields, strict=True))
    lang = page_language()
    actor = acting_user()
    if actor is None:
        return message(t("dispatch.forbidden", lang), False), no_update, no_update
    wanted = case_id(shown)
    if wanted is None:
        return message(t("dispatch.pick_case", lang), False), no_update, no_update
    app_ctx = get_context()
    try:
        if trigger in (ids.CLAIM, ids.UNCLAIM):
            claim(app_ctx.store, actor, wanted, take=trigger == ids.CLAIM)
            key = "dispatch.claimed" if trigger == ids.CLAIM else "dispatch.unclaimed"
            return message(t(key, lang, id=wanted), True), refresh_token(wanted), no_update
        request = action_request(_BUTTON_OF[str(trigger)], values)
        state = act(
            app_ctx.store,
            actor,
            wanted,
            request.action,
            at=utcnow(),
            calendar=app_ctx.calendar(),
            note=request.note,
            override_reason=request.override_reason,
            data=request.data,
        )
    except Invalid as exc:
        return message(exc.text(lang), False), no_update, no_update
    except Refused as exc:
        return refused(exc, lang), refresh_token(wanted), no_update
    stage = state.stage or ""
    done = t("dispatch.done", lang, action=t(f"dispatch.action_{request.action}", lang),
             id=wanted, stage=stage_label(stage, lang))  # fmt: skip
    return message(done, True), refresh_token(wanted), ""
