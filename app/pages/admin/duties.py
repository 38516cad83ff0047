"""Admin tab 'duties' (权责清单): category → owner department, department → its district
counterparts, cell → responsible body and grid workers, shown as three grids, exported and
imported as one XLSX workbook. Callbacks in duties_callbacks.py."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
from dash import dcc, html

from app.context import get_context
from app.i18n import t
from app.pages.admin import ids
from models.duties import SHEETS, DutyTables, Problem
from models.duties_store import load_duties

#: Heights of the grids (px): the two short lists side by side, the cells below.
_HEIGHTS = {"categories": 300, "departments": 300, "cells": 360}


def problem_text(problem: Problem, lang: str) -> str:
    """One problem in words: the sheet, the row and what is wrong."""
    sheet = t(f"admin.duties.sheet.{problem.sheet}", lang)
    what = t(f"admin.duties.problem.{problem.code}", lang, **problem.values)
    if problem.row is None:
        return t("admin.duties.where_sheet", lang, sheet=sheet, what=what)
    return t("admin.duties.where_row", lang, sheet=sheet, row=problem.row, what=what)


def problem_list(problems: list[Problem], lang: str) -> html.Div:
    """A refusal: how many problems, then each on its own line (sheet, row, reason)."""
    return html.Div(
        className="msg err admin-duty-problems",
        role="status",
        children=[
            html.P(t("admin.duties.refused", lang, n=len(problems))),
            html.Ul([html.Li(problem_text(p, lang)) for p in problems[:200]]),
        ],
    )


def _grid(name: str, tables: DutyTables, lang: str) -> html.Div:
    columns = [
        {"field": c, "headerName": t(f"admin.duties.col.{c}", lang), "sortable": True,
         "filter": True, "flex": 1, "minWidth": 90}
        for c in SHEETS[name]
    ]  # fmt: skip
    rows = [r.values for r in tables.sheet(name)]
    return html.Div(
        className=f"admin-duty-part admin-duty-{name}",
        children=[
            html.H3(t(f"admin.duties.sheet.{name}", lang) + f" ({len(rows)})"),
            dag.AgGrid(
                id=ids.DUTY_GRID + name,
                rowData=rows,
                columnDefs=columns,
                defaultColDef={"resizable": True, "suppressHeaderMenuButton": True},
                dashGridOptions={
                    "rowHeight": 30,
                    "headerHeight": 32,
                    "pagination": name == "cells",
                    "paginationPageSize": 100,
                },  # fmt: skip
                className="ag-theme-quartz dispatch-grid",
                style={"height": f"{_HEIGHTS[name]}px", "width": "100%"},
            ),
        ],
    )


def duty_tables(tables: DutyTables, lang: str) -> list[Any]:
    return [
        html.Div(
            className="admin-duty-pair",
            children=[_grid("categories", tables, lang), _grid("departments", tables, lang)],
        ),
        _grid("cells", tables, lang),
    ]


def panel(lang: str, query: dict[str, str]) -> Any:
    tables = load_duties(get_context().store)
    return html.Div(
        className="admin-duties",
        children=[
            html.H2(t("admin.tab.duties", lang)),
            html.P(t("admin.duties.intro", lang), className="muted"),
            dcc.Store(id=ids.DUTY_VERSION, data=0),
            html.Div(
                className="admin-duty-actions",
                children=[
                    html.Button(t("admin.duties.export", lang), id=ids.DUTY_EXPORT, n_clicks=0),
                    dcc.Download(id=ids.DUTY_DOWNLOAD),
                    dcc.Upload(
                        id=ids.DUTY_UPLOAD,
                        children=html.Button(t("admin.duties.import", lang)),
                        accept=".xlsx",
                        multiple=False,
                        max_size=20 * 1024 * 1024,
                    ),
                    html.Span(t("admin.duties.import_hint", lang), className="muted"),
                ],
            ),
            html.Div(id=ids.DUTY_MESSAGE),
            html.Div(id=ids.DUTY_TABLES, children=duty_tables(tables, lang)),
        ],
    )
