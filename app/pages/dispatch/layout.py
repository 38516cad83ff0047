"""Layout of the dispatch console (/dispatch): filters, the queue grid, bulk bar, case pane with
its actions and small map, and the keyboard help."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
from dash import dcc, html

from app.auth import current_language, current_user
from app.context import get_context
from app.i18n import t
from app.pages.dispatch import ids
from app.pages.dispatch.forms import actions_box, bulk_bar
from app.pages.dispatch.logic import DUE_FILTERS, EXERCISE_FILTERS, shown_actions
from models.case_queries import list_categories
from models.category_edits import reference_version
from models.geography import current_grid_version, load_admin_areas
from models.security import Scope, may_open
from models.units import known_units
from models.vocabulary import REPORT_SOURCES
from models.workflow import STAGES, stage_label

#: Keyboard shortcuts of the help overlay (key, message key); assets/dispatch.js binds them.
SHORTCUTS = (
    ("j / ↓", "dispatch.key_next"),
    ("k / ↑", "dispatch.key_prev"),
    ("a", "dispatch.key_accept"),
    ("r", "dispatch.key_register"),
    ("d", "dispatch.key_dispatch"),
    ("m", "dispatch.key_mine"),
    ("x", "dispatch.key_select"),
    ("/", "dispatch.key_search"),
    ("?", "dispatch.key_help"),
    ("Esc", "dispatch.key_escape"),
)


def _time_left_rules() -> dict[str, str]:
    return {f"sla-{lvl}": f"params.data && params.data.sla_level == '{lvl}'"
            for lvl in ("green", "yellow", "red")}  # fmt: skip


def column_defs(lang: str) -> list[dict[str, Any]]:
    def col(field: str, key: str, **extra: Any) -> dict[str, Any]:
        return {"field": field, "headerName": t(key, lang), "sortable": False, **extra}

    return [
        col("case_id", "dispatch.col_id", width=168, sortable=True, pinned="left"),
        col(
            "stage_label", "dispatch.col_stage", width=96, sortable=True, cellClass="stage-cell"
        ),  # fmt: skip
        col("category", "dispatch.col_category", width=130, sortable=True),
        col(
            "time_left",
            "dispatch.col_time_left",
            width=152,
            sortable=True,
            cellClassRules=_time_left_rules(),
        ),  # fmt: skip
        col("place", "dispatch.col_place", width=150, sortable=True),
        col("source_label", "dispatch.col_source", width=74, sortable=True),
        col("reported", "dispatch.col_reported", width=112, sortable=True),
        col("unit", "dispatch.col_unit", width=150, sortable=True),
        col("claimed_by", "dispatch.col_claimed", width=80, sortable=True),
        col("description", "dispatch.col_description", flex=1, minWidth=160),
    ]


def queue_grid(lang: str) -> dag.AgGrid:
    return dag.AgGrid(
        id=ids.GRID,
        rowModelType="infinite",
        columnDefs=column_defs(lang),
        defaultColDef={"resizable": True, "suppressHeaderMenuButton": True},
        getRowId="params.data.case_id",
        dashGridOptions={
            "rowSelection": {
                "mode": "multiRow",
                "checkboxes": True,
                "headerCheckbox": False,
                "enableClickSelection": False,
            },
            "selectionColumnDef": {"pinned": "left", "width": 44, "suppressHeaderMenuButton": True},
            "cacheBlockSize": 100,
            # dash-ag-grid keeps one pending request: a second at once would strand the first
            "maxConcurrentDatasourceRequests": 1,
            "maxBlocksInCache": 20,
            "infiniteInitialRowCount": 1,
            "rowHeight": 34,
            "headerHeight": 36,
            "rowClassRules": {"row-exercise": "params.data && params.data.exercise"},
            "localeText": {"noRowsToShow": t("dispatch.no_rows", lang)},
        },
        className="ag-theme-quartz dispatch-grid",
        style={"height": "100%", "width": "100%"},
    )


def filter_options(store: Any, scope: Scope, lang: str) -> dict[str, list[dict[str, Any]]]:
    ctx = get_context()
    version = current_grid_version(ctx.store)

    def areas(level: str) -> list[dict[str, Any]]:
        frame = load_admin_areas(store, level, scope=scope)
        names = frame["name_zh"] if lang == "zh" else frame["name_en"].fillna(frame["name_zh"])
        return [{"label": str(n), "value": str(c)} for c, n in zip(frame["code"], names)]

    def build() -> dict[str, list[dict[str, Any]]]:
        categories = [
            {"label": f"{row[0]} {row[2]}", "value": row[0]}
            for row in list_categories(store)
            if row[6]
        ]
        units = [{"label": name if name == code else f"{name} ({code})", "value": code}
                 for code, name in sorted(known_units(store).items())]  # fmt: skip
        return {
            "categories": categories,
            "districts": areas("district"),
            "streets": areas("street"),
            "units": units,
        }

    # keyed on the categories' and duties' version too: an admin's edit shows at once
    key = ("dispatch-options", version, reference_version(ctx.store), scope.label(), lang)
    return ctx.cached(key, build)


def filters(lang: str, options: dict[str, list[dict[str, Any]]]) -> html.Div:
    def multi(id_: str, opts: list[dict[str, Any]], key: str) -> Any:
        return dcc.Dropdown(id=id_, options=opts, multi=True, placeholder=t(key, lang))

    return html.Div(
        className="dispatch-filters",
        children=[
            html.Div(
                dcc.Input(
                    id=ids.F_TEXT,
                    type="text",
                    debounce=True,  # on Enter or blur: a timed debounce moved the caret
                    className="flt-text",
                    placeholder=t("dispatch.search", lang),
                    maxLength=100,
                ),
                title=t("dispatch.search_hint", lang),
                className="flt-text-wrap",
            ),
            multi(
                ids.F_STAGE,
                [{"label": stage_label(s, lang), "value": s} for s in STAGES],
                "dispatch.f_stage",
            ),  # fmt: skip
            multi(ids.F_CATEGORY, options["categories"], "dispatch.f_category"),
            dcc.Dropdown(
                id=ids.F_DISTRICT,
                options=options["districts"],
                placeholder=t("dispatch.f_district", lang),
            ),  # fmt: skip
            dcc.Dropdown(
                id=ids.F_STREET,
                options=options["streets"],
                placeholder=t("dispatch.f_street", lang),
            ),  # fmt: skip
            multi(
                ids.F_SOURCE,
                [{"label": t(f"source.{s}", lang), "value": s} for s in REPORT_SOURCES],
                "dispatch.f_source",
            ),  # fmt: skip
            dcc.Dropdown(
                id=ids.F_DUE,
                placeholder=t("dispatch.f_due", lang),
                options=[{"label": t(f"dispatch.due_{d}", lang), "value": d} for d in DUE_FILTERS],
            ),  # fmt: skip
            dcc.Dropdown(
                id=ids.F_EXERCISE,
                value="all",
                clearable=False,
                options=[
                    {"label": t(f"dispatch.exercise_{e}", lang), "value": e}
                    for e in EXERCISE_FILTERS
                ],
            ),  # fmt: skip
            dcc.Checklist(
                id=ids.F_FLAGS,
                options=[
                    {"label": t(f"dispatch.flag_{f}", lang), "value": f} for f in ("mine", "closed")
                ],  # fmt: skip
                value=[],
                inline=True,
                className="flt-flags",
            ),
        ],
    )


def case_pane(lang: str, options: dict[str, list[dict[str, Any]]]) -> html.Div:
    return html.Div(
        id=ids.PANE,
        className="dispatch-pane",
        children=[
            html.Div(
                className="pane-top",
                children=[
                    html.Div(
                        t("dispatch.pick_case", lang), id=ids.PANE_HEAD, className="pane-head"
                    ),
                    html.Div(
                        id="dispatch-claim-box",
                        className="claim-box",
                        children=[
                            html.Button(t("dispatch.claim", lang), id=ids.CLAIM, n_clicks=0),
                            html.Button(t("dispatch.unclaim", lang), id=ids.UNCLAIM, n_clicks=0),
                        ],
                    ),
                ],
            ),
            actions_box(lang, options),
            html.Div(id=ids.MESSAGE, className="dispatch-message", role="status"),
            html.Div(
                className="pane-scroll",
                children=[
                    html.Div(id=ids.MAP, className="case-map"),
                    html.Div(id=ids.PANE_BODY, className="pane-body"),
                ],
            ),
        ],
    )


def help_overlay(lang: str) -> html.Div:
    return html.Div(
        id=ids.HELP,
        className="dispatch-help hidden",
        children=html.Div(
            className="help-box",
            children=[
                html.H3(t("dispatch.help_title", lang)),
                html.Dl(
                    [
                        item
                        for key, text in SHORTCUTS
                        for item in (html.Dt(html.Kbd(key)), html.Dd(t(text, lang)))
                    ]
                ),
                html.P(t("dispatch.help_typing", lang), className="muted"),
            ],  # fmt: skip
        ),
    )


def layout(**_query: str) -> html.Div:
    ctx = get_context()
    user = current_user()
    if user is None or not may_open(user.role, "dispatch"):
        # the gate refuses the page URL; the Pages callback can still ask by pathname
        return html.Div()
    lang = current_language(ctx.config)
    options = filter_options(ctx.store, user.scope, lang)
    return html.Div(
        className="dispatch desk",
        **{"data-shown-actions": ",".join(shown_actions([]))},
        children=[
            html.Div(
                className="dispatch-header",
                children=[
                    html.H2(t("nav.dispatch", lang)),
                    html.Span(id=ids.COUNT, className="queue-count"),
                    html.Span(id=ids.NEW_BADGE, className="new-badge"),
                    html.Button(
                        "?",
                        id="dispatch-help-button",
                        className="help-button",
                        title=t("dispatch.help_title", lang),
                    ),  # fmt: skip
                ],
            ),
            html.Div(
                className="dispatch-body",
                children=[
                    html.Div(
                        className="dispatch-queue",
                        children=[
                            filters(lang, options),
                            bulk_bar(lang),
                            html.Div(queue_grid(lang), className="grid-wrap"),
                        ],
                    ),
                    case_pane(lang, options),
                ],
            ),
            help_overlay(lang),
            dcc.Store(id=ids.OPEN),
            dcc.Store(id=ids.CASE),
            dcc.Store(id=ids.SEQ),
            dcc.Store(id=ids.REFRESH),
            dcc.Store(id=ids.UI_SINK),
            dcc.Store(id=ids.MAP_CONFIG),
            dcc.Store(id=ids.MAP_MOUNTED),
            dcc.Store(id=ids.MAP_SELECTION),
            dcc.Interval(id=ids.TICK, interval=max(3 * ctx.config.settings.refresh.live_ms, 2000)),
        ],
    )
