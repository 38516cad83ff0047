"""The field app's report tab: category picker, position checked against the worker's cells,
the duplicate warning before sending, the case written through the one case builder and
its photos kept with it (a photo that fails never loses the case)."""

from __future__ import annotations

import logging
import re
from typing import Any

import dash
import numpy as np
from dash import ClientsideFunction, Input, Output, State, html

from app.context import get_context
from app.i18n import t
from app.pages.field import ids
from app.pages.field.callbacks import (
    field_actor,
    keep_photos,
    lang,
    local_time,
    locator,
    message,
    not_allowed,
    now,
    refusal,
)
from app.pages.field.fieldmap import here_layer
from app.pages.field.logic import (
    REPORT_ROLES,
    Fix,
    as_list,
    parse_fix,
    report_problems,
)
from models.case_service import Refused
from models.cases import CaseError, report_case
from models.category_search import search_categories
from models.duplicates import possible_duplicates
from models.workflow import stage_label

log = logging.getLogger(__name__)
#: The report's draft id, made in the phone (assets/field-outbox.js): a UUID, the same id
#: the outbox sends as external_id through the case API if this callback cannot be reached.
_TOKEN_RE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{8,32}"
)


@dash.callback(
    Output(ids.CAT_LIST, "options"),
    Input(ids.CAT_SEARCH, "value"),
)
def category_options(query: Any) -> list[dict[str, Any]]:
    actor = field_actor()
    if actor is None or actor.role not in REPORT_ROLES:
        return []
    language = lang()
    text = query[:50] if isinstance(query, str) else ""
    hits = search_categories(get_context().store, text, username=actor.username)
    return [
        {
            "label": html.Span(
                [
                    html.Span(h.name_zh if language == "zh" else h.name_en, className="cat-name"),
                    html.Span(h.name_en if language == "zh" else h.name_zh, className="cat-other"),
                    html.Span(h.code, className="cat-code"),
                    html.Span(t("field.report.recent", language), className="cat-recent")
                    if h.recent
                    else None,
                ]
            ),
            "value": h.code,
        }
        for h in hits
    ]


dash.clientside_callback(
    ClientsideFunction(namespace="cityops", function_name="mountMap"),
    Output(ids.MAP_MOUNTED, "data"),
    Input(ids.MAP_CONFIG, "data"),
)

dash.clientside_callback(
    ClientsideFunction(namespace="field", function_name="showHere"),
    Output(ids.MAP_MOUNTED, "data", allow_duplicate=True),
    Input(ids.MAP_HERE, "data"),
    prevent_initial_call=True,
)


@dash.callback(
    Output(ids.REPORT_WHERE, "children"),
    Output(ids.MAP_HERE, "data"),
    Input(ids.GPS, "data"),
)
def where(fix_data: Any) -> tuple[Any, Any]:
    language = lang()
    actor = field_actor()
    if actor is None or actor.role not in REPORT_ROLES:
        return not_allowed(language), None
    fix = parse_fix(fix_data)
    if fix is None:
        if isinstance(fix_data, dict) and fix_data.get("error"):
            reason = str(fix_data["error"])[:200]
            return message(t("field.gps.failed", language, reason=reason), "warn"), None
        return message(t("field.gps.waiting", language), "muted"), None
    return _where_text(fix, actor, language), here_layer(fix)


def _where_text(fix: Fix, actor: Any, language: str) -> list[Any]:
    cells, _ = locator()(np.array([fix.lon]), np.array([fix.lat]))
    cell = str(cells[0]) if cells[0] is not None else None
    source = t(f"field.where.{fix.source}", language)
    accuracy = f" ±{fix.accuracy_m:.0f} m" if fix.accuracy_m is not None else ""
    point = f"{source} {fix.lon:.5f}, {fix.lat:.5f}{accuracy}"
    if cell is None:
        return [html.Div(point), message(t("field.where.no_cell_warn", language), "warn")]
    if actor.scope.contains_cell(cell) or actor.scope.kind == "city":
        return [html.Div(point), message(t("field.where.in_mine", language, cell=cell), "ok")]
    return [html.Div(point), message(t("field.where.outside_warn", language, cell=cell), "warn")]


# the outbox (assets/field-outbox.js) keeps the form's position and photos for a report
# that cannot reach this server
dash.clientside_callback(
    ClientsideFunction(namespace="fieldOutbox", function_name="noteDraft"),
    Output(ids.OUTBOX_FIX, "data"),
    Input(ids.GPS, "data"),
    Input(ids.REPORT_PHOTOS, "contents"),
)

dash.clientside_callback(
    ClientsideFunction(namespace="field", function_name="thumbs"),
    Output(ids.REPORT_PHOTO_LIST, "children"),
    Input(ids.REPORT_PHOTOS, "contents"),
)


def _dupes_view(found: list[dict[str, Any]], language: str, tz: str) -> list[Any]:
    return [
        html.Div(t("field.dupes.title", language, n=len(found)), className="field-h"),
        *[
            html.Div(
                className="field-dupe",
                children=[
                    html.Span(d["id"], className="field-case-id"),
                    html.Span(stage_label(d["stage"], language)),
                    html.Span(t("field.dupes.distance", language, m=f"{d['distance_m']:.0f}")),
                    html.Span(local_time(d["reported_at"], tz), className="field-time"),
                ],
            )
            for d in found[:5]
        ],
    ]


_HIDE = "field-card field-warn hidden"
_SHOW = "field-card field-warn"


@dash.callback(
    Output(ids.REPORT_MESSAGE, "children"),
    Output(ids.REPORT_DUPES, "children"),
    Output(ids.REPORT_DUPES_BOX, "className"),
    Output(ids.REPORT_PHOTOS, "contents"),
    Output(ids.REPORT_TEXT, "value"),
    Output(ids.REPORT_TOKEN, "data"),
    Input(ids.REPORT_SUBMIT, "n_clicks"),
    Input(ids.REPORT_CONFIRM, "n_clicks"),
    Input(ids.REPORT_CANCEL, "n_clicks"),
    State(ids.CAT_LIST, "value"),
    State(ids.REPORT_TEXT, "value"),
    State(ids.GPS, "data"),
    State(ids.REPORT_PHOTOS, "contents"),
    State(ids.REPORT_TOKEN, "data"),
    prevent_initial_call=True,
)
def submit(
    _submit: Any,
    _confirm: Any,
    _cancel: Any,
    category: Any,
    text: Any,
    fix_data: Any,
    photos: Any,
    token: Any,
) -> tuple[Any, ...]:
    keep = dash.no_update
    language = lang()
    actor = field_actor()
    if actor is None or actor.role not in REPORT_ROLES:
        return not_allowed(language), [], _HIDE, keep, keep, keep
    trigger = dash.ctx.triggered_id
    if trigger == ids.REPORT_CANCEL:
        return message(t("field.dupes.cancelled", language), "muted"), [], _HIDE, keep, keep, keep
    ctx = get_context()
    fix = parse_fix(fix_data)
    uploads = as_list(photos)
    problems = report_problems(category, text, fix, len(uploads))
    if problems or fix is None:
        shown = "；".join(t(p, language) for p in problems)
        return message(shown, "error"), [], _HIDE, keep, keep, keep
    at = now()
    tz = ctx.config.settings.calendar.timezone
    if trigger == ids.REPORT_SUBMIT:
        found = possible_duplicates(ctx.store, category, fix.lon, fix.lat, at)
        if found:
            return (
                message(t("field.dupes.choose", language), "warn"),
                _dupes_view(found, language, tz),
                _SHOW,
                keep,
                keep,
                keep,
            )
    if not (isinstance(token, str) and _TOKEN_RE.fullmatch(token)):
        return message(t("field.report.reload", language), "error"), [], _HIDE, keep, keep, keep
    try:
        reported = report_case(
            ctx.store,
            category_code=category,
            lon=fix.lon,
            lat=fix.lat,
            at=at,
            source="grid_worker",
            actor=actor.username,
            role=actor.role,
            locate=locator(),
            text=text.strip() if isinstance(text, str) else "",
            external_id=f"field:{token}",
            tz=tz,
        )
    except CaseError as exc:
        if "exists already" in str(exc):
            # this draft was sent before (a double tap, or the phone's outbox): it is done
            shown = message(t("field.report.sent_already", language), "muted")
            return shown, [], _HIDE, keep, keep, None
        shown = refusal(Refused(str(exc), 422), language)
        return shown, [], _HIDE, keep, keep, keep
    failed = keep_photos(actor, reported.case_id, uploads, kind="report", language=language)
    done = message(
        t("field.report.sent", language, id=reported.case_id, n=len(uploads) - len(failed)),
        "ok",
    )
    notes = [done, *[message(f, "error") for f in failed]]
    # the draft is sent: the phone makes the next draft's id when it is next tapped
    return html.Div(notes), [], _HIDE, None, "", None
