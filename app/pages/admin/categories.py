"""Admin tab 'categories' (类别与时限): the 部件/事件 table in a grid filtered by kind and text,
a form that edits the chosen category or adds a new one, and the chosen category's history.
Callbacks in categories_callbacks.py."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import dash_ag_grid as dag
from dash import dcc, html

from app.context import get_context
from app.i18n import t
from app.pages.admin import ids
from app.reports.tables import local_time
from models.categories import KINDS, LIMIT_UNITS
from models.category_edits import CategoryChange, list_category_rows
from models.duties_store import list_departments

#: Form fields in the order the save callback takes them (after major and minor codes).
FORM_FIELDS = (
    "kind",
    "name_zh",
    "name_en",
    "owner_dept",
    "register_condition",
    "close_condition",
    "limit_value",
    "limit_unit",
)
FLAGS = ("grid_level", "enabled")


def _key(field: str) -> str:
    return f"admin.categories.field.{field}"


def grid_rows(rows: Iterable[Mapping[str, Any]], lang: str) -> list[dict[str, Any]]:
    """The grid's rows: stored values plus the kind and unit in words (JSON-friendly)."""
    out = []
    for r in rows:
        row = dict(r)
        row["kind_label"] = t(f"admin.categories.kind.{r['kind']}", lang)
        unit = t(f"admin.categories.unit.{r['limit_unit']}", lang)
        row["limit_label"] = f"{_number(r['limit_value'])} {unit}"
        row["owner_label"] = f"{r.get('owner_name') or ''} ({r['owner_dept']})"
        row["grid_level"] = bool(r["grid_level"])
        row["enabled"] = bool(r["enabled"])
        row["limit_value"] = float(r["limit_value"])
        out.append(row)
    return out


def _number(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def filter_rows(rows: list[dict[str, Any]], kind: str | None, text: str | None) -> list[dict]:
    """Rows of ``kind`` (None or "all": every kind) whose code, names or owner contain
    ``text`` (case-insensitive)."""
    needle = (text or "").strip().lower() if isinstance(text, str) else ""
    out = []
    for row in rows:
        if kind in KINDS and row["kind"] != kind:
            continue
        haystack = " ".join(
            str(row.get(k) or "")
            for k in ("category_code", "name_zh", "name_en", "owner_dept", "owner_name")
        ).lower()
        if needle and needle not in haystack:
            continue
        out.append(row)
    return out


def column_defs(lang: str) -> list[dict[str, Any]]:
    def col(field: str, key: str, **kw: Any) -> dict[str, Any]:
        return {"field": field, "headerName": t(key, lang), "sortable": True, **kw}

    return [
        col("category_code", _key("category_code"), width=90, pinned="left"),
        col("kind_label", _key("kind"), width=80),
        col("major_code", _key("major_code"), width=80),
        col("minor_code", _key("minor_code"), width=80),
        col("name_zh", _key("name_zh"), width=150),
        col("name_en", _key("name_en"), width=180),
        col("owner_label", _key("owner_dept"), width=200),
        col("limit_label", _key("limit"), width=110),
        col("grid_level", _key("grid_level"), width=90),
        col("enabled", _key("enabled"), width=80),
        col("register_condition", _key("register_condition"), width=220,
            tooltipField="register_condition"),
        col("close_condition", _key("close_condition"), flex=1, minWidth=200,
            tooltipField="close_condition"),
    ]  # fmt: skip


def category_grid(rows: list[dict[str, Any]], lang: str) -> dag.AgGrid:
    return dag.AgGrid(
        id=ids.CAT_GRID,
        rowData=rows,
        columnDefs=column_defs(lang),
        defaultColDef={"resizable": True, "suppressHeaderMenuButton": True},
        getRowId="params.data.category_code",
        dashGridOptions={
            "rowSelection": {
                "mode": "singleRow",
                "checkboxes": False,
                "enableClickSelection": True,
            },
            "rowHeight": 32,
            "headerHeight": 34,
            "tooltipShowDelay": 300,
            "localeText": {"noRowsToShow": t("admin.categories.no_rows", lang)},
        },
        className="ag-theme-quartz dispatch-grid admin-cat-grid",
        style={"height": "380px", "width": "100%"},
    )


def _options(values: Iterable[str], prefix: str, lang: str) -> list[dict[str, str]]:
    return [{"label": t(f"{prefix}.{v}", lang), "value": v} for v in values]


def _field(label_key: str, control: Any, lang: str, wide: bool = False) -> html.Label:
    return html.Label(
        [html.Span(t(label_key, lang)), control],
        className="admin-cat-field wide" if wide else "admin-cat-field",
    )


def edit_form(lang: str, departments: list[tuple[str, str]]) -> html.Div:
    owners = [{"label": f"{name} ({code})", "value": code} for code, name in departments]
    text = lambda i, **kw: dcc.Input(id=i, type="text", debounce=False, **kw)  # noqa: E731
    return html.Div(
        className="admin-cat-form",
        children=[
            html.H3(t("admin.categories.form_title", lang), id=ids.CAT_FORM_TITLE),
            html.P(t("admin.categories.form_hint", lang), className="muted"),
            html.Div(
                className="admin-cat-fields",
                children=[
                    _field(_key("major_code"), text(ids.CAT_MAJOR, maxLength=2), lang),
                    _field(_key("minor_code"), text(ids.CAT_MINOR, maxLength=2), lang),
                    _field(
                        _key("kind"),
                        dcc.Dropdown(
                            id=ids.CAT_KIND,
                            options=_options(KINDS, "admin.categories.kind", lang),
                            clearable=False,
                        ),
                        lang,
                    ),
                    _field(_key("name_zh"), text(ids.CAT_NAME_ZH), lang),
                    _field(_key("name_en"), text(ids.CAT_NAME_EN), lang),
                    _field(
                        _key("owner_dept"),
                        dcc.Dropdown(id=ids.CAT_OWNER, options=owners, clearable=False),
                        lang,
                        wide=True,
                    ),
                    _field(
                        _key("limit_value"),
                        dcc.Input(id=ids.CAT_LIMIT_VALUE, type="number", min=0, step="any"),
                        lang,
                    ),
                    _field(
                        _key("limit_unit"),
                        dcc.Dropdown(
                            id=ids.CAT_LIMIT_UNIT,
                            options=_options(LIMIT_UNITS, "admin.categories.unit", lang),
                            clearable=False,
                        ),
                        lang,
                    ),
                    _field(
                        _key("register_condition"),
                        dcc.Textarea(id=ids.CAT_REGISTER, rows=2),
                        lang,
                        wide=True,
                    ),
                    _field(
                        _key("close_condition"),
                        dcc.Textarea(id=ids.CAT_CLOSE, rows=2),
                        lang,
                        wide=True,
                    ),
                    dcc.Checklist(
                        id=ids.CAT_FLAGS,
                        options=_options(FLAGS, "admin.categories.field", lang),
                        value=["enabled"],
                        className="admin-cat-flags",
                        inline=True,
                    ),
                ],
            ),
            html.Div(
                className="admin-cat-buttons",
                children=[
                    html.Button(t("admin.categories.save", lang), id=ids.CAT_SAVE, n_clicks=0),
                    html.Button(t("admin.categories.add", lang), id=ids.CAT_ADD, n_clicks=0),
                ],
            ),
            html.Div(id=ids.CAT_MESSAGE, className="admin-cat-message"),
        ],
    )


def history_table(changes: list[CategoryChange], code: str, lang: str) -> html.Div:
    """The history of one category, newest first (one line per changed field)."""
    title = html.H3(t("admin.categories.history_title", lang, code=code or "—"))
    if not changes:
        return html.Div([title, html.P(t("admin.categories.no_history", lang), className="muted")])
    head = ("changed_at", "actor", "field", "old_value", "new_value")
    tz = get_context().config.settings.calendar.timezone
    rows = [
        html.Tr(
            [
                html.Td(f"{local_time(c.changed_at, tz):%Y-%m-%d %H:%M:%S}"),
                html.Td(c.actor),
                html.Td(t(_key(c.field), lang)),
                html.Td(c.old_value if c.old_value is not None else "—"),
                html.Td(c.new_value if c.new_value is not None else "—"),
            ]
        )
        for c in changes
    ]
    return html.Div(
        [
            title,
            html.Table(
                className="table admin-cat-history-table",
                children=[
                    html.Thead(
                        html.Tr([html.Th(t(f"admin.categories.history.{h}", lang)) for h in head])
                    ),
                    html.Tbody(rows),
                ],
            ),
        ]
    )


def panel(lang: str, query: dict[str, str]) -> Any:
    store = get_context().store
    rows = grid_rows(list_category_rows(store), lang)
    kinds = [{"label": t("admin.categories.kind.all", lang), "value": "all"}]
    kinds += _options(KINDS, "admin.categories.kind", lang)
    return html.Div(
        className="admin-categories",
        children=[
            html.H2(t("admin.tab.categories", lang)),
            html.P(t("admin.categories.intro", lang), className="muted"),
            dcc.Store(id=ids.CAT_VERSION, data=0),
            html.Div(
                className="admin-cat-filters",
                children=[
                    dcc.Dropdown(
                        id=ids.CAT_KIND_FILTER,
                        options=kinds,
                        value="all",
                        clearable=False,
                        className="admin-cat-kind-filter",
                    ),
                    dcc.Input(
                        id=ids.CAT_TEXT_FILTER,
                        type="search",
                        placeholder=t("admin.categories.search", lang),
                        debounce=True,
                    ),
                    html.Span(t("admin.categories.count", lang, n=len(rows)), className="muted"),
                ],
            ),
            category_grid(rows, lang),
            html.Div(
                className="admin-cat-lower",
                children=[
                    edit_form(lang, list_departments(store)),
                    html.Div(id=ids.CAT_HISTORY, className="admin-cat-history"),
                ],
            ),
        ],
    )
