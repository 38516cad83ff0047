"""Bulk actions of the dispatch console on the grid's selection (a surge after a storm):
accept, register, dispatch as suggested, void, merge into one chosen case; a line per case."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, callback, ctx, html, no_update
from dash.exceptions import PreventUpdate

from app.context import get_context
from app.i18n import t
from app.pages.dispatch import ids
from app.pages.dispatch.logic import bulk_summary, case_id, case_ids, clean_text
from app.pages.dispatch.replies import acting_user, message, page_language, refresh_token
from models.case_service import act_many
from models.clock import utcnow


@callback(
    Output(ids.BULK_COUNT, "children"),
    Output(ids.BULK_MERGE_INTO, "options"),
    Output(ids.BULK_BAR, "className"),
    Input(ids.GRID, "selectedRows"),
)
def selection_changed(rows: object) -> Any:
    lang = page_language()
    if acting_user() is None:
        return t("dispatch.forbidden", lang), [], "dispatch-bulk empty"
    chosen = case_ids(rows)
    if not chosen:
        return t("dispatch.bulk_none", lang), [], "dispatch-bulk empty"
    options = [{"label": c, "value": c} for c in chosen]
    return t("dispatch.bulk_selected", lang, n=len(chosen)), options, "dispatch-bulk"


_BULK_OF = {button_id: action for action, button_id in ids.BULK_BUTTONS.items()}


@callback(
    Output(ids.BULK_RESULT, "children"),
    Output(ids.REFRESH, "data", allow_duplicate=True),
    Output(ids.GRID, "deselectAll"),
    *(Input(b, "n_clicks") for b in ids.BULK_BUTTONS.values()),
    State(ids.GRID, "selectedRows"),
    State(ids.BULK_VOID_REASON, "value"),
    State(ids.BULK_MERGE_INTO, "value"),
    State(ids.NOTE, "value"),
    prevent_initial_call=True,
)
def bulk(*args: object) -> Any:
    """The same action on every selected case; a result line per case."""
    trigger = ctx.triggered_id
    n = len(ids.BULK_BUTTONS)
    clicks = dict(zip(ids.BULK_BUTTONS.values(), args[:n], strict=True))
    if trigger not in clicks or not clicks[trigger]:
        raise PreventUpdate
    rows, void_reason, merge_into, note = args[n:]
    lang = page_language()
    actor = acting_user()
    if actor is None:
        return message(t("dispatch.forbidden", lang), False), no_update, no_update
    action = _BULK_OF[str(trigger)]
    chosen = case_ids(rows)
    data: dict[str, Any] | None = None
    if action == "void":
        data = {"reason": void_reason}
    elif action == "merge":
        into = case_id(merge_into)
        if into is None or into not in chosen:
            return message(t("dispatch.need_merge_into", lang), False), no_update, no_update
        chosen = [c for c in chosen if c != into]
        data = {"into": into}
    if not chosen:
        return message(t("dispatch.bulk_none", lang), False), no_update, no_update
    app_ctx = get_context()
    outcomes = act_many(
        app_ctx.store,
        actor,
        chosen,
        action,
        at=utcnow(),
        calendar=app_ctx.calendar(),
        note=clean_text(note, 500),
        data=data,
    )
    head, lines = bulk_summary(outcomes, lang)
    summary = html.Div(
        [
            html.Div(head, className="bulk-head"),
            html.Ul(
                [
                    html.Li(
                        [html.Span(cid, className="bulk-id"), " ", text],
                        className="ok" if ok else "err",
                    )
                    for cid, ok, text in lines
                ]
            ),
        ],  # fmt: skip
        className="bulk-summary",
    )
    return summary, refresh_token(), True
