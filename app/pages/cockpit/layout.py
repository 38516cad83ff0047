"""Layout of the leader cockpit (/cockpit): the period picker; the city score, the dimension
radar and tiles; each dimension's indicators; trend, category and heat charts; the rankings
with their weights; the reports; and the drill-down panel (cases behind a figure, a case's
card). On a 1920×1080 wall the page fits without scrolling (panels scroll inside); narrower
desks stack the panels and scroll down, never sideways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dash_ag_grid as dag
from dash import dcc, html

from app.auth import current_language, current_user
from app.context import get_context
from app.i18n import t
from app.pages.cockpit import charts, ids
from app.pages.cockpit.logic import RANK_GROUPS, default_value, report_links
from app.pages.cockpit.panels import reports_list, weights_block
from app.reports.store import BadReport, list_reports, scope_district
from models.clock import utcnow
from models.indicators.periods import KINDS
from models.security import Scope, may_open


def report_panel(folder: Path, scope: Scope, lang: str) -> Any:
    """The reports kept for the user's city or district (none for other scopes)."""
    try:
        items = list_reports(folder, district=scope_district(scope))
    except (BadReport, OSError):
        items = []
    return reports_list(report_links(items), lang)


def case_grid(lang: str) -> dag.AgGrid:
    def col(field: str, key: str, **extra: Any) -> dict[str, Any]:
        return {"field": field, "headerName": t(key, lang), **extra}

    return dag.AgGrid(
        id=ids.CASES,
        rowData=[],
        columnDefs=[
            col("case_id", "cockpit.col_case", width=170, pinned="left"),
            col("category", "cockpit.col_category", width=130),
            col("stage", "cockpit.col_stage", width=90),
            col("place", "cockpit.col_place", flex=1, minWidth=140),
            col("registered", "cockpit.col_time", width=112),
            col("counted", "cockpit.col_counted", width=86),
        ],
        defaultColDef={"resizable": True, "sortable": True, "suppressHeaderMenuButton": True},
        getRowId="params.data.case_id",
        dashGridOptions={
            "rowHeight": 30,
            "headerHeight": 32,
            "animateRows": False,
            "localeText": {"noRowsToShow": t("cockpit.drill_pick", lang)},
        },
        className="ag-theme-quartz ck-cases",
        style={"height": "100%", "width": "100%"},
    )


def _picker(lang: str, tz: str) -> list[Any]:
    label, first, last = default_value("month", utcnow(), tz)
    return [
        html.H2(t("cockpit.title", lang)),
        dcc.RadioItems(
            id=ids.KIND,
            options=[{"label": t(f"cockpit.kind_{k}", lang), "value": k} for k in KINDS],
            value="month",
            inline=True,
            className="ck-kinds",
        ),
        dcc.Input(
            id=ids.VALUE,
            type="text",
            value=label,
            debounce=True,
            maxLength=40,
            className="ck-value",
            placeholder=t("cockpit.value_hint", lang),
        ),
        html.Span(
            id=ids.CUSTOM_BOX,
            className="ck-custom hidden",
            children=[
                html.Label(t("cockpit.from", lang)),
                dcc.Input(id=ids.FROM, type="date", value=first, className="ck-date"),
                html.Label(t("cockpit.to", lang)),
                dcc.Input(id=ids.TO, type="date", value=last, className="ck-date"),
            ],
        ),
        html.Button(t("cockpit.apply", lang), id=ids.APPLY, n_clicks=0, className="primary"),
        html.Span(id=ids.PERIOD_LABEL, className="ck-period"),
        html.Span(id=ids.MESSAGE, className="ck-message"),
        dcc.Store(id=ids.PERIOD, data={"label": label}),
    ]


def _graph(id_: str, class_name: str) -> dcc.Graph:
    return dcc.Graph(
        id=id_,
        figure=charts.empty_figure(""),
        config=charts.CONFIG,
        className=class_name,
        responsive=True,
    )


def _panel(title_key: str, lang: str, *children: Any, class_name: str = "") -> html.Section:
    return html.Section(
        className=f"ck-panel {class_name}",
        children=[html.Div(t(title_key, lang), className="ck-panel-title"), *children],
    )


def layout(**_query: str) -> html.Div:
    ctx = get_context()
    user = current_user()
    if user is None or not may_open(user.role, "cockpit"):
        # the gate refuses the page URL; the Pages callback can still ask by pathname
        return html.Div()
    lang = current_language(ctx.config)
    tz = ctx.config.settings.calendar.timezone
    weights = ctx.config.settings.cockpit.ranking_weights
    summary = _panel(
        "cockpit.dimensions",
        lang,
        dcc.Loading(html.Div(id=ids.SCORE, className="ck-score"), type="dot", color="#4fc3ff"),
        _graph(ids.RADAR, "ck-radar"),
        class_name="ck-summary",
    )
    indicators = _panel(
        "cockpit.indicators",
        lang,
        html.Div(id=ids.INDICATORS, className="ck-indicators"),
        class_name="ck-ind-panel",
    )
    chart_panels = html.Div(
        className="ck-charts",
        children=[
            _panel("cockpit.trends", lang, _graph(ids.TRENDS, "ck-chart")),
            _panel("cockpit.categories", lang, _graph(ids.CATEGORIES, "ck-chart")),
            _panel("cockpit.heat", lang, _graph(ids.HEAT, "ck-chart ck-heat")),
        ],
    )
    side = html.Div(
        className="ck-side",
        children=[
            _panel(
                "cockpit.rankings",
                lang,
                dcc.RadioItems(
                    id=ids.RANK_BY,
                    options=[
                        {"label": t(f"cockpit.by_{b}", lang), "value": b} for b in RANK_GROUPS
                    ],  # fmt: skip
                    value="district" if user.scope.kind == "city" else "street",
                    inline=True,
                    className="ck-kinds",
                ),
                html.Div(id=ids.RANKING, className="ck-ranking-box"),
                html.Div(weights_block(weights, lang), id=ids.WEIGHTS, className="ck-weights"),
                class_name="ck-rank-panel",
            ),
            _panel(
                "cockpit.reports",
                lang,
                html.Div(report_panel(ctx.config.report_dir, user.scope, lang), id=ids.REPORTS),
                class_name="ck-report-panel",
            ),
        ],
    )
    drill = html.Div(
        id=ids.DRILL,
        className="ck-drill hidden",
        children=[
            html.Div(
                className="ck-drill-bar",
                children=[
                    html.Div(id=ids.DRILL_HEAD, className="ck-drill-head"),
                    html.Button(
                        "×",
                        id=ids.DRILL_CLOSE,
                        n_clicks=0,
                        className="ck-close",
                        title=t("cockpit.close", lang),
                    ),  # fmt: skip
                ],
            ),
            html.Div(case_grid(lang), className="ck-drill-list"),
            html.Div(t("cockpit.card_pick", lang), id=ids.CARD, className="ck-card"),
        ],
    )
    return html.Div(
        className="cockpit",
        children=[
            html.Div(_picker(lang, tz), className="ck-bar"),
            html.Div(className="ck-body", children=[summary, indicators, chart_panels, side]),
            drill,
        ],
    )
