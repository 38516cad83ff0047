"""Layout of the emergency command screen (/emergency): the incident list, the new-incident
form and imported CAP alerts on the left; the map with the status board and the incident's
orders under it; the selected incident on the right (summary, level, close, notes) with its
plan checklist, nearest units, warning composer, timeline and cameras in tabs.

The page fits a 1440×900 desk and a 1920×1080 wall without scrolling sideways (panels scroll
inside). Controls a role may not use are left out of sight; every callback checks again."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from app.context import get_context
from app.i18n import t
from app.pages.emergency import ids
from app.pages.emergency.acting import (
    acting_user,
    may_command,
    may_compose,
    may_open_incidents,
    page_language,
)
from app.pages.emergency.logic import Invalid, checked_id
from app.pages.emergency.warning_panels import composer
from layers.emergency import incident_level_legend, resource_status_legend
from layers.legend import LegendItem
from models.geography import load_admin_areas
from models.vocabulary import INCIDENT_LEVELS, INCIDENT_TYPES, RESOURCE_KINDS


def _panel(title: str, *children: Any, cls: str = "", extra: Any = None) -> html.Section:
    head = [html.Span(title, className="em-panel-title")]
    if extra is not None:
        head.append(extra)
    return html.Section(
        className=f"em-panel {cls}", children=[html.Div(head, className="em-panel-head"), *children]
    )


def _pane(*children: Any) -> html.Div:
    """A tab's content: fixed rows on top, the last (scrolling) one filling the rest."""
    return html.Div(list(children), className="em-pane")


def _legend(lang: str) -> html.Div:
    """What the map's colours mean: incident levels and drills, unit statuses, cameras."""

    def row(items: Any) -> html.Div:
        return html.Div(
            [
                html.Span(
                    [html.I(style={"background": f"rgb{tuple(i.rgb)}"}), i.label],
                    className="em-key",
                )
                for i in items
            ],
            className="em-keys",
        )

    cameras = [LegendItem(t("emergency.tab_cameras", lang), (0, 220, 230))]
    return html.Div(
        [row(incident_level_legend(lang)), row([*resource_status_legend(lang), *cameras])],
        className="em-legend",
    )


def _hidden_unless(allowed: bool) -> str:
    return "" if allowed else " hidden"


def _new_form(lang: str, allowed: bool) -> html.Details:
    return html.Details(
        id=ids.NEW_BOX,
        className="em-new" + _hidden_unless(allowed),
        children=[
            html.Summary(t("emergency.new", lang)),
            dcc.Dropdown(
                id=ids.NEW_TYPE,
                options=[
                    {"label": t(f"incident_type.{k}", lang), "value": k} for k in INCIDENT_TYPES
                ],  # fmt: skip
                value="flood",
                clearable=False,
                className="em-dd",
            ),
            dcc.Dropdown(
                id=ids.NEW_LEVEL,
                options=[
                    {"label": t(f"incident_level.{k}", lang), "value": k} for k in INCIDENT_LEVELS
                ],  # fmt: skip
                value="IV",
                clearable=False,
                className="em-dd",
            ),
            dcc.Input(
                id=ids.NEW_TITLE,
                type="text",
                maxLength=200,
                className="em-input",
                placeholder=t("emergency.new_title", lang),
            ),  # fmt: skip
            html.Div(
                className="em-row",
                children=[
                    dcc.Input(
                        id=ids.NEW_LON,
                        type="text",
                        inputMode="decimal",
                        maxLength=20,
                        className="em-input",
                        placeholder=t("emergency.lon", lang),
                    ),
                    dcc.Input(
                        id=ids.NEW_LAT,
                        type="text",
                        inputMode="decimal",
                        maxLength=20,
                        className="em-input",
                        placeholder=t("emergency.lat", lang),
                    ),
                ],  # fmt: skip
            ),
            html.Div(t("emergency.new_point_hint", lang), className="em-item-sub"),
            dcc.Checklist(
                id=ids.NEW_EXERCISE,
                options=[{"label": t("emergency.new_exercise", lang), "value": "exercise"}],
                value=[],
                className="em-check",
            ),
            html.Button(
                t("emergency.new_submit", lang), id=ids.NEW_SUBMIT, n_clicks=0, className="primary"
            ),  # fmt: skip
        ],
    )


def _area_options(lang: str) -> list[dict[str, str]]:
    store = get_context().store
    out = []
    for level in ("district", "street"):
        areas = load_admin_areas(store, level)
        name = "name_en" if lang == "en" and "name_en" in areas else "name_zh"
        for code, label in zip(areas["code"], areas[name], strict=True):
            out.append({"label": f"{label or code} ({code})", "value": str(code)})
    return out


def _incident_side(lang: str, command: bool, note: bool, compose: bool) -> Any:
    controls = html.Div(
        className="em-row em-controls" + _hidden_unless(command),
        children=[
            dcc.Dropdown(
                id=ids.LEVEL,
                options=[
                    {"label": t(f"incident_level.{k}", lang), "value": k} for k in INCIDENT_LEVELS
                ],  # fmt: skip
                clearable=False,
                className="em-dd em-level-dd",
            ),
            html.Button(t("emergency.set_level", lang), id=ids.LEVEL_SET, n_clicks=0),
            html.Button(t("emergency.close", lang), id=ids.CLOSE, n_clicks=0, className="danger"),
            html.Button(t("emergency.reopen", lang), id=ids.REOPEN, n_clicks=0),
            html.A(
                t("emergency.sitrep", lang),
                id=ids.SITREP,
                href="",
                target="_blank",
                className="em-link hidden",
            ),  # fmt: skip
        ],
    )
    notes = html.Div(
        className="em-row em-note" + _hidden_unless(note),
        children=[
            dcc.Input(
                id=ids.NOTE,
                type="text",
                maxLength=2000,
                className="em-input",
                placeholder=t("emergency.note_hint", lang),
            ),  # fmt: skip
            html.Button(t("emergency.note_add", lang), id=ids.NOTE_ADD, n_clicks=0),
        ],
    )
    tab = dict(className="em-tab", selected_className="em-tab-on")
    tasks = dcc.Tab(
        label=t("emergency.tab_plan", lang),
        value="plan",
        **tab,
        children=_pane(
            html.Button(
                t("emergency.plan_activate", lang),
                id=ids.PLAN_ACTIVATE,
                n_clicks=0,
                className="primary" + _hidden_unless(command),
            ),  # fmt: skip
            html.Div(id=ids.TASKS, className="em-scroll"),
        ),
    )
    nearest = dcc.Tab(
        label=t("emergency.tab_units", lang),
        value="units",
        **tab,
        children=_pane(
            html.Div(
                className="em-filters",
                children=[
                    dcc.Dropdown(
                        id=ids.NEAREST_KIND,
                        options=[{"label": t("emergency.kind_all", lang), "value": "all"}]
                        + [
                            {"label": t(f"resource_kind.{k}", lang), "value": k}
                            for k in RESOURCE_KINDS
                        ],  # fmt: skip
                        value="team",
                        clearable=False,
                        className="em-dd",
                    ),
                    dcc.Dropdown(
                        id=ids.NEAREST_NEED,
                        options=[],
                        value=None,
                        placeholder=t("emergency.need_hint", lang),
                        className="em-dd",
                    ),  # fmt: skip
                ],
            ),
            html.Div(id=ids.NEAREST, className="em-scroll"),
        ),
    )
    words = "emergency.w_city_only" if command else "emergency.w_read_only"
    warning_body = [
        html.Div(t(words, lang), className="em-item-sub" + _hidden_unless(not compose)),
        html.Div(
            composer(lang, _area_options(lang) if compose else []),
            className="em-compose" + _hidden_unless(compose),
        ),  # fmt: skip
        html.Div(id=ids.W_MESSAGE),
        html.Div(t("emergency.w_list", lang), className="em-sub-title"),
        html.Div(id=ids.W_LIST, className="em-wlist"),
    ]
    warnings = dcc.Tab(
        label=t("emergency.tab_warning", lang),
        value="warning",
        **tab,
        children=_pane(html.Div(warning_body, className="em-scroll em-composer")),
    )
    timeline = dcc.Tab(
        label=t("emergency.tab_timeline", lang),
        value="timeline",
        **tab,
        children=_pane(
            html.A(t("emergency.csv", lang), id=ids.TIMELINE_CSV, href="", className="em-link"),
            html.Div(id=ids.TIMELINE, className="em-scroll"),
        ),
    )
    cameras = dcc.Tab(
        label=t("emergency.tab_cameras", lang),
        value="cameras",
        **tab,
        children=_pane(html.Div(id=ids.CAMERAS, className="em-scroll")),
    )
    return html.Div(
        className="em-right",
        children=[
            html.Section(
                className="em-panel em-summary-panel",
                children=[html.Div(id=ids.SUMMARY, className="em-summary"), controls, notes],
            ),
            dcc.Tabs(
                id=ids.TABS,
                value="plan",
                className="em-tabs",
                parent_className="em-tabs-parent",
                content_className="em-tab-content",
                children=[tasks, nearest, warnings, timeline, cameras],
            ),
        ],
    )


def layout(incident: str | None = None, **_query: str) -> html.Div:
    actor = acting_user()
    if actor is None:
        # the gate refuses the page URL; the Pages callback can still ask by pathname
        return html.Div()
    lang = page_language()
    try:
        selected = checked_id(incident) if incident else None
    except Invalid:
        selected = None
    command, note = may_command(actor), may_open_incidents(actor)
    interval = max(2000, 2 * get_context().config.settings.refresh.live_ms)
    left = html.Div(
        className="em-left",
        children=[
            _panel(
                t("emergency.incidents", lang),
                html.Div(id=ids.LIST, className="em-scroll em-list"),
                cls="em-list-panel",
                extra=dcc.RadioItems(
                    id=ids.LIST_FILTER,
                    options=[
                        {"label": t(f"emergency.filter_{k}", lang), "value": k}
                        for k in ("open", "all")
                    ],  # fmt: skip
                    value="open",
                    inline=True,
                    className="em-radio",
                ),
            ),
            _new_form(lang, note),
            _panel(
                t("emergency.cap_in", lang),
                html.Div(id=ids.CAP_LIST, className="em-scroll"),
                cls="em-cap-panel",
            ),
        ],
    )
    centre = html.Div(
        className="em-centre",
        children=[
            html.Div(
                [html.Div(id=ids.MAP, className="em-map"), _legend(lang)], className="em-map-wrap"
            ),  # fmt: skip
            html.Div(
                className="em-bottom",
                children=[
                    _panel(
                        t("emergency.board", lang), html.Div(id=ids.BOARD), cls="em-board-panel"
                    ),
                    _panel(
                        t("emergency.orders", lang),
                        html.Div(id=ids.ORDERS, className="em-scroll"),
                        cls="em-orders-panel",
                    ),  # fmt: skip
                ],
            ),
        ],
    )
    right = _incident_side(lang, command, note, may_compose(actor))
    return html.Div(
        className="emergency",
        **{"data-role": actor.role},
        children=[
            html.Div(
                className="em-bar",
                children=[
                    html.H2(t("emergency.title", lang)),
                    html.Span(id=ids.COUNT, className="em-count"),
                    html.Div(id=ids.MESSAGE, className="em-message"),
                ],
            ),
            html.Div(className="em-body", children=[left, centre, right]),
            dcc.Store(id=ids.SELECTED, data=selected),
            dcc.Store(id=ids.REFRESH, data={"n": 0}),
            dcc.Store(id=ids.MAP_CONFIG),
            dcc.Store(id=ids.MAP_LAYERS),
            dcc.Store(id=ids.MAP_MOUNTED),
            dcc.Store(id=ids.MAP_SELECTION),
            dcc.Store(id=ids.MAP_SINK),
            dcc.Store(id=ids.W_REACH_AREA),
            *[dcc.Store(id=store) for store in ids.ACT_STORES],
            dcc.Interval(id=ids.TICK, interval=interval),
        ],
    )
