"""The alarm rules on /admin?tab=sensors: the YAML of the rules in force in an editor, saved as
a new version when it validates (the problems shown with their lines otherwise), a dry run of
the edited rules over the last day's observations, the versions saved and a restore."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, callback, dcc, html, no_update

from app.context import get_context
from app.i18n import t
from app.pages.admin import ids
from app.pages.admin.acting import acting_admin, forbidden, message, page_language
from app.pages.admin.sensors_logic import firing_rows, problem_text, rule_label
from app.pages.dispatch.logic import local_time
from models.case_queries import list_categories
from models.clock import utcnow
from models.rule_dry_run import MAX_ROWS, DryRunBusy, dry_run
from models.rules import rules_from_entries
from models.rules_doc import (
    parse_rules_text,
    restore_rules_version,
    rules_history,
    rules_text_in_force,
    rules_text_problems,
    save_rules_text,
)
from models.settings_docs import SettingsDocError

#: Problems listed under a refused text (the rest are counted).
PROBLEMS_SHOWN = 30


def _tz() -> str:
    return get_context().config.settings.calendar.timezone


def _categories() -> set[str]:
    return {str(row[0]) for row in list_categories(get_context().store)}


def _problems(problems: list[str], lang: str, key: str) -> html.Div:
    items = [html.Li(problem_text(p, lang)) for p in problems[:PROBLEMS_SHOWN]]
    if len(problems) > PROBLEMS_SHOWN:
        items.append(html.Li(t("admin.sensors.rules_more", lang, n=len(problems) - PROBLEMS_SHOWN)))
    return html.Div(
        [
            message(t(key, lang, n=len(problems)), False),
            html.Ul(items, className="admin-sen-problems"),
        ]
    )


def _in_force_line(lang: str) -> str:
    now = rules_text_in_force(get_context().store)
    if now.version == 0:
        return t("admin.sensors.rules_shipped", lang)
    return t(
        "admin.sensors.rules_version",
        lang,
        version=now.version,
        by=now.saved_by,
        at=local_time(now.saved_at, _tz()),
    )


def history_view(lang: str) -> tuple[html.Div, list[dict[str, Any]]]:
    """The saved versions (who, when), and the restore choices (version 0: the shipped file)."""
    docs = rules_history(get_context().store)
    tz = _tz()
    rows = [
        html.Tr(
            [
                html.Td(d.doc_id),
                html.Td(local_time(d.saved_at, tz)),
                html.Td(d.saved_by),
                html.Td(d.note or ""),
            ]
        )
        for d in docs
    ]
    head = ("version", "saved_at", "saved_by", "note")
    table = html.Table(
        className="table admin-sen-history",
        children=[
            html.Thead(html.Tr([html.Th(t(f"admin.sensors.hist.{h}", lang)) for h in head])),
            html.Tbody(rows or [html.Tr(html.Td(t("admin.sensors.hist_none", lang), colSpan=4))]),
        ],
    )
    options = [
        {"label": f"#{d.doc_id} {local_time(d.saved_at, tz)} {d.saved_by}", "value": d.doc_id}
        for d in docs
    ]
    options.append({"label": t("admin.sensors.shipped_file", lang), "value": 0})
    return html.Div([html.P(_in_force_line(lang), className="muted"), table]), options


def rules_section(lang: str) -> html.Section:
    text = rules_text_in_force(get_context().store).text
    history, options = history_view(lang)
    return html.Section(
        className="admin-sen-rules",
        children=[
            html.H2(t("admin.sensors.rules", lang)),
            html.P(t("admin.sensors.rules_hint", lang), className="muted"),
            dcc.Textarea(
                id=ids.RULES_TEXT,
                value=text,
                className="admin-sen-yaml",
                spellCheck=False,
                maxLength=200_000,
            ),
            html.Div(
                className="admin-pager",
                children=[
                    html.Button(t("admin.sensors.dry_run", lang), id=ids.RULES_DRY_RUN, n_clicks=0),
                    html.Button(
                        t("admin.sensors.rules_save", lang),
                        id=ids.RULES_SAVE,
                        n_clicks=0,
                        className="primary",
                    ),
                ],
            ),
            html.Div(id=ids.RULES_MESSAGE),
            dcc.Loading(html.Div(id=ids.RULES_DRY_RESULT), type="dot"),
            html.H3(t("admin.sensors.history", lang)),
            html.Div(history, id=ids.RULES_HISTORY),
            html.Div(
                className="admin-filters",
                children=[
                    dcc.Dropdown(
                        id=ids.RULES_RESTORE_PICK,
                        options=options,
                        className="admin-dropdown",
                        placeholder=t("admin.sensors.restore_pick", lang),
                    ),
                    html.Button(t("admin.sensors.restore", lang), id=ids.RULES_RESTORE, n_clicks=0),
                ],
            ),
        ],
    )


def dry_run_view(text: Any, lang: str) -> html.Div:
    """How often the edited rules would have fired over the last 24 h (nothing written)."""
    if not isinstance(text, str):
        return _problems(["the rules text is empty"], lang, "admin.sensors.rules_invalid")
    problems = rules_text_problems(text, categories=_categories())
    if problems:
        return _problems(problems, lang, "admin.sensors.rules_invalid")
    entries, _ = parse_rules_text(text)
    try:
        result = dry_run(get_context().store, rules_from_entries(entries), now=utcnow())
    except DryRunBusy:
        return message(t("admin.sensors.dry_busy", lang), False)
    tz = _tz()
    head = ("rule", "fired", "sensors", "first", "last")
    rows = [
        html.Tr(
            [
                html.Td(rule_label(r.rule_id, lang)),
                html.Td(t("admin.sensors.fired_n", lang, n=r.count)),
                html.Td(r.sensors),
                html.Td(local_time(r.first, tz)),
                html.Td(local_time(r.last, tz)),
            ],
            className="fired" if r.count else "quiet",
        )
        for r in firing_rows(result)
    ]
    span = t(
        "admin.sensors.dry_span",
        lang,
        since=local_time(result.since, tz),
        until=local_time(result.until, tz),
        rows=result.rows_read,
    )
    notes = [html.P(span, className="muted")]
    if result.capped:
        notes.append(
            html.P(
                t("admin.sensors.dry_capped", lang, cap=MAX_ROWS, total=result.rows_total),
                className="notice",
            )
        )
    table = html.Table(
        className="table admin-sen-dry",
        children=[
            html.Thead(html.Tr([html.Th(t(f"admin.sensors.dry.{h}", lang)) for h in head])),
            html.Tbody(rows),
        ],
    )
    return html.Div(
        [
            html.H3(t("admin.sensors.dry_title", lang)),
            *notes,
            html.Div(table, className="admin-scroll"),
        ]
    )


@callback(
    Output(ids.RULES_DRY_RESULT, "children"),
    Input(ids.RULES_DRY_RUN, "n_clicks"),
    State(ids.RULES_TEXT, "value"),
    prevent_initial_call=True,
)
def run_dry_run(_clicks: Any, text: Any) -> Any:
    lang = page_language()
    if acting_admin() is None:
        return forbidden(lang)
    return dry_run_view(text, lang)


def _saved(doc: Any, lang: str, *, text: Any = no_update) -> tuple[Any, Any, Any, Any]:
    history, options = history_view(lang)
    done = message(t("admin.sensors.rules_saved", lang, version=doc.doc_id), True)
    return done, history, options, text


def _refused(problems: list[str], lang: str) -> tuple[Any, Any, Any, Any]:
    return _problems(problems, lang, "admin.sensors.rules_refused"), no_update, no_update, no_update


@callback(
    Output(ids.RULES_MESSAGE, "children"),
    Output(ids.RULES_HISTORY, "children"),
    Output(ids.RULES_RESTORE_PICK, "options"),
    Output(ids.RULES_TEXT, "value"),
    Input(ids.RULES_SAVE, "n_clicks"),
    State(ids.RULES_TEXT, "value"),
    prevent_initial_call=True,
)
def save_rules(_clicks: Any, text: Any) -> tuple[Any, Any, Any, Any]:
    """Save the edited rules as the version in force when they validate (audited either
    way); the alarm engine applies them at its next pass."""
    lang = page_language()
    admin = acting_admin()
    if admin is None:
        return forbidden(lang), no_update, no_update, no_update
    try:
        doc = save_rules_text(
            get_context().store,
            text if isinstance(text, str) else "",
            actor=admin.user.username,
            categories=_categories(),
        )
    except SettingsDocError as exc:
        return _refused(exc.problems, lang)
    return _saved(doc, lang)


@callback(
    Output(ids.RULES_MESSAGE, "children", allow_duplicate=True),
    Output(ids.RULES_HISTORY, "children", allow_duplicate=True),
    Output(ids.RULES_RESTORE_PICK, "options", allow_duplicate=True),
    Output(ids.RULES_TEXT, "value", allow_duplicate=True),
    Input(ids.RULES_RESTORE, "n_clicks"),
    State(ids.RULES_RESTORE_PICK, "value"),
    prevent_initial_call=True,
)
def restore_rules(_clicks: Any, version: Any) -> tuple[Any, Any, Any, Any]:
    """Save an older version (0: the shipped file) again as the newest."""
    lang = page_language()
    admin = acting_admin()
    if admin is None:
        return forbidden(lang), no_update, no_update, no_update
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        return (
            message(t("admin.sensors.restore_pick", lang), False),
            no_update,
            no_update,
            no_update,
        )
    try:
        doc = restore_rules_version(get_context().store, version, actor=admin.user.username)
    except SettingsDocError as exc:
        return _refused(exc.problems, lang)
    return _saved(doc, lang, text=doc.body["text"])
