"""The /field page's layout: phone first (390 px), tabs at the bottom, Chinese first."""

from __future__ import annotations

import json
from typing import Any

from dash import dcc, html

from app.i18n import t
from app.pages.field import ids
from app.pages.field.logic import EXTENSION_HOURS_MAX, TASK_PAGE, tabs_for

TASK_POLL_MS = 30_000
_TAB_ICONS = {"report": "＋", "tasks": "☰", "patrol": "◎"}


def _section(title: str, *children: Any, **kw: Any) -> html.Section:
    return html.Section(
        [html.H3(title, className="field-h"), *children], className="field-card", **kw
    )


#: The outbox's words, handed to field-outbox.js in the page (it works with no network).
OUTBOX_KEYS = (
    "kept", "pending", "send_now", "sending", "sent", "waiting", "photos_left", "login",
    "login_link", "rejected", "delete", "photos", "failed_keep",
)  # fmt: skip
_REPORT_KEYS = ("need_category", "need_position", "too_many_photos")


def _outbox(lang: str, username: str) -> html.Div:
    words = {k: t(f"field.outbox.{k}", lang) for k in OUTBOX_KEYS}
    words |= {k: t(f"field.report.{k}", lang) for k in _REPORT_KEYS}
    return html.Div(
        id=ids.OUTBOX,
        className="field-outbox hidden",
        role="status",
        **{"data-user": username, "data-text": json.dumps(words, ensure_ascii=False)},
    )


def _report_panel(
    lang: str, hidden: bool, map_config: dict[str, Any] | None, username: str
) -> html.Div:
    return html.Div(
        id=ids.PANEL_REPORT,
        className="field-panel" + (" hidden" if hidden else ""),
        children=[
            dcc.Store(id=ids.GPS),
            # the draft id is made in the phone (field-outbox.js), the outbox sends it too
            dcc.Store(id=ids.REPORT_TOKEN),
            dcc.Store(id=ids.OUTBOX_FIX),
            dcc.Store(id=ids.MAP_CONFIG, data=map_config),
            dcc.Store(id=ids.MAP_HERE),
            dcc.Store(id=ids.MAP_MOUNTED),
            _section(
                t("field.report.where", lang),
                html.Div(
                    className="field-row",
                    children=[
                        html.Button(
                            t("field.gps.locate", lang),
                            id=ids.GPS_BUTTON,
                            className="field-btn secondary",
                            type="button",
                        ),
                        html.Div(id=ids.REPORT_WHERE, className="field-where"),
                    ],
                ),
                html.Div(id=ids.MAP, className="field-map" + ("" if map_config else " hidden")),
                html.Div(t("field.map.tap", lang), className="field-hint") if map_config else None,
            ),
            _section(
                t("field.report.category", lang),
                dcc.Input(
                    id=ids.CAT_SEARCH,
                    type="search",
                    debounce=0.3,
                    placeholder=t("field.report.search", lang),
                    autoComplete="off",
                ),
                dcc.RadioItems(
                    id=ids.CAT_LIST,
                    options=[],
                    className="field-cats",
                    labelClassName="field-cat",
                    inputClassName="field-cat-input",
                ),
            ),
            _section(
                t("field.report.text", lang),
                dcc.Textarea(
                    id=ids.REPORT_TEXT,
                    className="field-input field-text",
                    placeholder=t("field.report.text_hint", lang),
                    maxLength=1000,
                ),
            ),
            _section(
                t("field.report.photos", lang),
                dcc.Upload(
                    id=ids.REPORT_PHOTOS,
                    accept="image/*",
                    multiple=True,
                    className="field-camera",
                    children=html.Div(t("field.photo.take", lang), className="field-btn secondary"),
                ),
                html.Div(id=ids.REPORT_PHOTO_LIST, className="field-thumbs"),
            ),
            html.Div(
                id=ids.REPORT_DUPES_BOX,
                className="field-card field-warn hidden",
                children=[
                    html.Div(id=ids.REPORT_DUPES),
                    html.Div(
                        className="field-row",
                        children=[
                            html.Button(
                                t("field.dupes.send_anyway", lang),
                                id=ids.REPORT_CONFIRM,
                                className="field-btn",
                                type="button",
                            ),
                            html.Button(
                                t("field.dupes.cancel", lang),
                                id=ids.REPORT_CANCEL,
                                className="field-btn secondary",
                                type="button",
                            ),
                        ],
                    ),
                ],
            ),
            html.Div(id=ids.REPORT_MESSAGE, className="field-message", role="status"),
            _outbox(lang, username),
            html.Button(
                t("field.report.submit", lang),
                id=ids.REPORT_SUBMIT,
                className="field-btn primary wide",
                type="button",
            ),
        ],
    )


def _tasks_panel(lang: str, role: str, hidden: bool) -> html.Div:
    return html.Div(
        id=ids.PANEL_TASKS,
        className="field-panel" + (" hidden" if hidden else ""),
        children=[
            dcc.Store(id=ids.TASK_SELECTED),
            dcc.Store(id=ids.TASK_DONE, data=0),
            dcc.Store(id=ids.TASK_SEQ, data=0),
            # new tasks appear without a tap: a light poll asks whether anything changed
            dcc.Interval(id=ids.TASK_TICK, interval=TASK_POLL_MS),
            html.Div(
                className="field-row field-titlebar",
                children=[
                    html.H2(t(f"field.tasks.title.{role}", lang), className="field-title"),
                    html.Button(
                        t("field.tasks.refresh", lang),
                        id=ids.TASK_REFRESH,
                        className="field-btn secondary small",
                        type="button",
                    ),
                ],
            ),
            html.Div(id=ids.TASK_MESSAGE, className="field-message", role="status"),
            html.Div(id=ids.TASK_DETAIL),
            html.Div(
                id=ids.TASK_FORM,
                className="field-card hidden",
                children=[
                    dcc.Textarea(
                        id=ids.TASK_NOTE,
                        className="field-input",
                        placeholder=t("field.task.note", lang),
                        maxLength=500,
                    ),
                    html.Div(
                        className="field-hours" + ("" if role == "handler" else " hidden"),
                        children=[
                            html.Label(t("field.task.hours", lang), htmlFor=ids.TASK_HOURS),
                            dcc.Input(
                                id=ids.TASK_HOURS,
                                type="number",
                                min=1,
                                max=EXTENSION_HOURS_MAX,
                                step=1,
                                value=8,
                            ),
                        ],
                    ),
                    dcc.Upload(
                        id=ids.TASK_PHOTO,
                        accept="image/*",
                        multiple=True,
                        className="field-camera",
                        children=html.Div(
                            t("field.photo.take", lang), className="field-btn secondary"
                        ),
                    ),
                    html.Div(id=ids.TASK_PHOTO_LIST, className="field-thumbs"),
                ],
            ),
            html.Div(id=ids.TASK_BUTTONS, className="field-actions"),
            dcc.Store(id=ids.TASK_SHOWN, data=TASK_PAGE),
            dcc.Input(
                id=ids.TASK_SEARCH,
                type="search",
                debounce=True,
                maxLength=100,
                className="field-input",
                placeholder=t("field.tasks.search", lang),
            ),
            html.Div(id=ids.TASK_LIST, className="field-list"),
            html.Button(
                t("field.tasks.more", lang),
                id=ids.TASK_MORE,
                className="field-btn secondary",
                type="button",
            ),
        ],
    )


def _patrol_panel(lang: str, hidden: bool) -> html.Div:
    return html.Div(
        id=ids.PANEL_PATROL,
        className="field-panel" + (" hidden" if hidden else ""),
        children=[
            dcc.Store(id=ids.PATROL_FIX),
            _section(
                t("field.patrol.title", lang),
                dcc.Input(
                    id=ids.PATROL_NOTE,
                    className="field-input",
                    placeholder=t("field.patrol.note", lang),
                    maxLength=200,
                ),
                html.Button(
                    t("field.patrol.check_in", lang),
                    id=ids.PATROL_BUTTON,
                    className="field-btn primary wide",
                    type="button",
                ),
                html.Div(id=ids.PATROL_RESULT, className="field-message", role="status"),
            ),
            _section(
                t("field.patrol.today", lang), html.Div(id=ids.PATROL_LIST, className="field-list")
            ),
        ],
    )


def _absent(panel_id: str) -> html.Div:
    # the tab switcher writes every panel's class: a role without the tab gets an empty one
    return html.Div(id=panel_id, className="field-panel hidden")


def field_layout(
    role: str, lang: str, map_config: dict[str, Any] | None = None, username: str = ""
) -> html.Div:
    """The page for a user of ``role``: only the tabs that role has; ``map_config`` is the
    report tab's small map (:func:`app.pages.field.fieldmap.field_map_config`); the outbox
    of reports kept on the phone is ``username``'s."""
    tabs = tabs_for(role)
    first = tabs[0] if tabs else "tasks"
    return html.Div(
        id=ids.ROOT,
        className="field-app",
        children=[
            dcc.Store(id=ids.ROLE, data=role),
            _report_panel(lang, first != "report", map_config, username)
            if "report" in tabs
            else _absent(ids.PANEL_REPORT),
            _tasks_panel(lang, role, first != "tasks")
            if "tasks" in tabs
            else _absent(ids.PANEL_TASKS),
            _patrol_panel(lang, first != "patrol")
            if "patrol" in tabs
            else _absent(ids.PANEL_PATROL),
            dcc.RadioItems(
                id=ids.TABS,
                value=first,
                options=[
                    {
                        "label": html.Span(
                            [
                                html.Span(_TAB_ICONS[tab], className="field-tab-icon"),
                                html.Span(t(f"field.tab.{tab}", lang)),
                            ]
                        ),
                        "value": tab,
                    }
                    for tab in tabs
                ],
                className="field-tabs" + (" single" if len(tabs) < 2 else ""),
                labelClassName="field-tab",
                inputClassName="field-tab-input",
            ),
        ],
    )
