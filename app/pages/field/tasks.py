"""The field app's task tab: a grid worker's verifications (核查) in their cells with the
before and after photos side by side; a handler's dispatched cases by time left, with start,
extension, return and handled-with-photo. Actions go through models.case_service."""

from __future__ import annotations

import logging
from typing import Any

import dash
from dash import ALL, ClientsideFunction, Input, Output, State, html

from app.context import get_context
from app.i18n import t
from app.pages.field import ids
from app.pages.field.callbacks import (
    field_actor,
    keep_photos,
    lang,
    local_time,
    message,
    not_allowed,
    now,
    refusal,
)
from app.pages.field.logic import (
    PHOTO_KIND,
    TASK_ACTIONS,
    TASK_PAGE,
    action_inputs,
    as_list,
    before_after,
    page_size,
    task_stages,
    time_left,
)
from models.case_queue import QueueFilter, changed_since, queue_page
from models.case_service import Refused, act
from models.case_view import case_view
from models.workflow import ACTIONS, stage_label

log = logging.getLogger(__name__)


def _left_text(seconds: Any, language: str) -> str:
    left = time_left(seconds)
    return t(left[0], language, **left[1]) if left else ""


def _card(row: dict[str, Any], language: str, selected: Any) -> html.Button:
    name = row.get("category_name_zh") if language == "zh" else row.get("category_name_en")
    level = row.get("sla_level") or "none"
    return html.Button(
        id={"type": ids.TASK_OPEN, "case": row["case_id"]},
        type="button",
        className=f"field-task sla-{level}" + (" selected" if row["case_id"] == selected else ""),
        children=[
            html.Div(
                className="field-task-top",
                children=[
                    html.Span(name or row.get("category_code") or "", className="field-task-cat"),
                    html.Span(
                        _left_text(row.get("seconds_left"), language), className="field-left"
                    ),
                ],
            ),
            html.Div(
                className="field-task-mid",
                children=[
                    html.Span(row["case_id"], className="field-case-id"),
                    html.Span(
                        stage_label(row.get("stage") or "", language), className="field-stage"
                    ),
                ],
            ),
            html.Div(row.get("description") or "", className="field-sub"),
        ],
    )


@dash.callback(
    Output(ids.TASK_LIST, "children"),
    Output(ids.TASK_SEQ, "data"),
    Input(ids.TASK_REFRESH, "n_clicks"),
    Input(ids.TASK_DONE, "data"),
    Input(ids.TASK_TICK, "n_intervals"),
    Input(ids.TASK_SEARCH, "value"),
    Input(ids.TASK_SHOWN, "data"),
    State(ids.TASK_SELECTED, "data"),
    State(ids.TASK_SEQ, "data"),
)
def task_list(
    _refresh: Any, _done: Any, _tick: Any, search: Any, shown: Any, selected: Any, seq: Any
) -> Any:
    language = lang()
    actor = field_actor()
    if actor is None or actor.role not in TASK_ACTIONS:
        return not_allowed(language), 0
    ctx = get_context()
    cursor = seq if isinstance(seq, int) and not isinstance(seq, bool) else 0
    if (
        dash.ctx.triggered_id == ids.TASK_TICK
        and 0 < cursor < 2**62
        and changed_since(ctx.store, actor.scope, cursor) == 0
    ):
        return dash.no_update, dash.no_update  # nothing of this user's changed since
    text = search.strip()[:100] if isinstance(search, str) and search.strip() else None
    page = queue_page(
        ctx.store,
        actor.scope,
        QueueFilter(stages=task_stages(actor.role), text=text),
        now=now(),
        calendar=ctx.calendar(),
        sort=[("due_at", False)],
        limit=page_size(shown),
    )
    if not page.rows:
        empty = html.Div(t(f"field.tasks.none.{actor.role}", language), className="field-empty")
        return empty, page.max_seq
    head = html.Div(t("field.tasks.count", language, n=page.total), className="field-sub")
    return [head, *[_card(r, language, selected) for r in page.rows]], page.max_seq


@dash.callback(
    Output(ids.TASK_SHOWN, "data"),
    Input(ids.TASK_MORE, "n_clicks"),
    State(ids.TASK_SHOWN, "data"),
    prevent_initial_call=True,
)
def show_more(_clicks: Any, shown: Any) -> int:
    """显示更多: the next page of tasks below (the list keeps the most urgent first)."""
    return page_size(page_size(shown) + TASK_PAGE)


@dash.callback(
    Output(ids.TASK_SELECTED, "data"),
    Input({"type": ids.TASK_OPEN, "case": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def open_task(clicks: Any) -> Any:
    trigger = dash.ctx.triggered_id
    if not isinstance(trigger, dict) or not any(c for c in clicks or [] if c):
        return dash.no_update
    case_id = trigger.get("case")
    return case_id if isinstance(case_id, str) and len(case_id) <= 40 else dash.no_update


def _photo_column(title: str, photos: list[dict[str, Any]], language: str) -> html.Div:
    images = [
        html.A(
            html.Img(src=p["thumb_url"], alt=title, className="field-photo"),
            href=p["url"],
            target="_blank",
        )
        for p in photos
    ] or [html.Div(t("field.photo.none", language), className="field-empty")]
    return html.Div([html.Div(title, className="field-sub"), *images], className="field-photo-col")


def _action_label(action: Any, language: str) -> str:
    spec = ACTIONS.get(action) if isinstance(action, str) else None
    if spec is None:
        return str(action or "")
    return spec.label_zh if language == "zh" else spec.name.replace("_", " ")


def _buttons(view: dict[str, Any], actor_role: str, language: str) -> list[html.Button]:
    """The actions this user may take on the case now, as large buttons."""
    allowed = set(view.get("allowed_actions") or [])
    return [
        html.Button(
            t(f"field.act.{a}", language),
            id={"type": ids.TASK_ACT, "action": a},
            type="button",
            className="field-btn " + ("secondary" if a in ("return", "verify_fail") else "primary"),
        )
        for a in TASK_ACTIONS.get(actor_role, ())
        if a in allowed
    ]


def _detail(view: dict[str, Any], actor_role: str, language: str, tz: str) -> html.Div:
    groups = before_after(view.get("photos") or [])
    category = view["category"]["name_zh" if language == "zh" else "name_en"]
    sla = view.get("sla") or {}
    buttons = _buttons(view, actor_role, language)
    history = [
        html.Li(
            f"{local_time(h.get('at'), tz)} {_action_label(h.get('action'), language)} · "
            f"{h.get('actor')}" + (f" · {h['note']}" if h.get("note") else "")
        )
        for h in (view.get("history") or [])[-5:]
    ]
    return html.Div(
        className="field-card field-detail",
        children=[
            html.Div(
                className="field-task-top",
                children=[
                    html.Span(category, className="field-task-cat"),
                    html.Span(_left_text(sla.get("left_s"), language), className="field-left"),
                ],
            ),
            html.Div(
                [
                    html.Span(view["id"], className="field-case-id"),
                    html.Span(stage_label(view["stage"], language), className="field-stage"),
                ],
                className="field-task-mid",
            ),
            html.Div(view.get("description") or "", className="field-desc"),
            html.Div(view.get("unit_name") or view.get("unit") or "", className="field-sub"),
            html.Div(
                className="field-before-after",
                children=[
                    _photo_column(t("field.photo.before", language), groups["before"], language),
                    _photo_column(
                        t("field.photo.after", language),
                        groups["after"] + groups["verify"],
                        language,
                    ),
                ],
            ),
            html.Ul(history, className="field-history"),
            None
            if buttons
            else html.Div(t("field.task.no_actions", language), className="field-sub"),
        ],
    )


@dash.callback(
    Output(ids.TASK_DETAIL, "children"),
    Output(ids.TASK_FORM, "className"),
    Output(ids.TASK_BUTTONS, "children"),
    Input(ids.TASK_SELECTED, "data"),
    Input(ids.TASK_DONE, "data"),
    prevent_initial_call=True,
)
def task_detail(case_id: Any, _done: Any) -> tuple[Any, str, Any]:
    hidden = "field-card hidden"
    language = lang()
    actor = field_actor()
    if actor is None or actor.role not in TASK_ACTIONS:
        return not_allowed(language), hidden, []
    if not isinstance(case_id, str) or not case_id:
        return [], hidden, []
    ctx = get_context()
    try:
        view = case_view(ctx.store, actor, case_id, now=now(), calendar=ctx.calendar())
    except Refused as exc:
        return refusal(exc, language), hidden, []
    tz = ctx.config.settings.calendar.timezone
    buttons = _buttons(view, actor.role, language)
    detail = _detail(view, actor.role, language, tz)
    return detail, "field-card" if buttons else hidden, buttons


dash.clientside_callback(
    ClientsideFunction(namespace="field", function_name="thumbs"),
    Output(ids.TASK_PHOTO_LIST, "children"),
    Input(ids.TASK_PHOTO, "contents"),
)


@dash.callback(
    Output(ids.TASK_MESSAGE, "children"),
    Output(ids.TASK_DONE, "data"),
    Output(ids.TASK_PHOTO, "contents"),
    Output(ids.TASK_NOTE, "value"),
    Input({"type": ids.TASK_ACT, "action": ALL}, "n_clicks"),
    State(ids.TASK_SELECTED, "data"),
    State(ids.TASK_NOTE, "value"),
    State(ids.TASK_HOURS, "value"),
    State(ids.TASK_PHOTO, "contents"),
    State(ids.TASK_DONE, "data"),
    prevent_initial_call=True,
)
def take_action(
    clicks: Any, case_id: Any, note: Any, hours: Any, photos: Any, done: Any
) -> tuple[Any, ...]:
    keep = dash.no_update
    trigger = dash.ctx.triggered_id
    if not isinstance(trigger, dict) or not any(c for c in clicks or [] if c):
        return keep, keep, keep, keep
    language = lang()
    actor = field_actor()
    if actor is None or actor.role not in TASK_ACTIONS:
        return not_allowed(language), keep, keep, keep
    action = trigger.get("action")
    if action not in TASK_ACTIONS[actor.role] or not isinstance(case_id, str):
        return not_allowed(language), keep, keep, keep
    note_text, data, problem = action_inputs(action, note, hours)
    uploads = as_list(photos)
    if problem is None and action == "feedback" and not uploads:
        problem = "field.task.need_photo"
    if problem is not None:
        return message(t(problem, language), "error"), keep, keep, keep
    ctx = get_context()
    kind = PHOTO_KIND.get(action)
    failed: list[str] = []
    if action == "feedback":
        # the photo of the result first: the server asks for it, and a handled case whose
        # photo failed would leave the verifier nothing to compare (the case stays as it is)
        failed = keep_photos(actor, case_id, uploads, kind="handled", language=language)
        if failed:
            return html.Div([message(f, "error") for f in failed]), keep, keep, keep
    try:
        state = act(
            ctx.store,
            actor,
            case_id,
            action,
            at=now(),
            calendar=ctx.calendar(),
            note=note_text,
            data=data,
        )
    except Refused as exc:
        return refusal(exc, language), keep, keep, keep
    if uploads and kind and action != "feedback":
        failed = keep_photos(
            actor, case_id, uploads, kind=kind, language=language, seq=state.history[-1].seq
        )
    done_n = (done if isinstance(done, int) else 0) + 1
    notes = [
        message(
            t("field.task.done", language, id=case_id, stage=stage_label(state.stage, language))
        )
    ]
    notes += [message(f, "error") for f in failed]
    return html.Div(notes), done_n, None, ""
