"""Callbacks of the admin tab 'categories': filter the grid, fill the form from the chosen row,
save an edit or add a category (validated by models.category_edits), show the history.
Each checks the acting admin itself: called by another role it changes nothing."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, callback, ctx, no_update
from dash.exceptions import MissingCallbackContextException

from app.context import get_context
from app.i18n import t
from app.pages.admin import ids
from app.pages.admin.acting import acting_admin, forbidden, message, page_language
from app.pages.admin.categories import FLAGS, FORM_FIELDS, filter_rows, grid_rows, history_table
from models.categories import CategoryTableError
from models.category_edits import (
    add_category,
    category_history,
    list_category_rows,
    update_category,
)

_FORM_OUTPUTS = (ids.CAT_MAJOR, ids.CAT_MINOR, ids.CAT_KIND, ids.CAT_NAME_ZH, ids.CAT_NAME_EN,
                 ids.CAT_OWNER, ids.CAT_REGISTER, ids.CAT_CLOSE, ids.CAT_LIMIT_VALUE,
                 ids.CAT_LIMIT_UNIT, ids.CAT_FLAGS)  # fmt: skip


def _code(major: Any, minor: Any) -> str:
    return "".join(v.strip() for v in (major, minor) if isinstance(v, str))


@callback(
    Output(ids.CAT_GRID, "rowData"),
    Input(ids.CAT_KIND_FILTER, "value"),
    Input(ids.CAT_TEXT_FILTER, "value"),
    Input(ids.CAT_VERSION, "data"),
    prevent_initial_call=True,
)
def show_rows(kind: Any, text: Any, version: Any) -> Any:
    """The grid's rows of the chosen kind containing the text (every row: an admin only)."""
    if acting_admin() is None:
        return []
    lang = page_language()
    rows = grid_rows(list_category_rows(get_context().store), lang)
    return filter_rows(rows, kind if isinstance(kind, str) else None, text)


@callback(
    *[Output(i, "value") for i in _FORM_OUTPUTS],
    Input(ids.CAT_GRID, "selectedRows"),
    prevent_initial_call=True,
)
def fill_form(selected: Any) -> Any:
    """The chosen category's values in the form (as stored now, not as the grid had them)."""
    if acting_admin() is None or not isinstance(selected, list) or not selected:
        return (no_update,) * len(_FORM_OUTPUTS)
    first = selected[0]
    code = first.get("category_code") if isinstance(first, dict) else None
    rows = {r["category_code"]: r for r in list_category_rows(get_context().store)}
    row = rows.get(code) if isinstance(code, str) else None
    if row is None:
        return (no_update,) * len(_FORM_OUTPUTS)
    flags = [f for f in FLAGS if row[f]]
    return (row["major_code"], row["minor_code"], *(row[f] for f in FORM_FIELDS), flags)


def _values(fields: tuple[Any, ...], flags: Any) -> dict[str, Any]:
    values = dict(zip(FORM_FIELDS, fields, strict=True))
    chosen = flags if isinstance(flags, list) else []
    values.update({f: f in chosen for f in FLAGS})
    return values


@callback(
    Output(ids.CAT_MESSAGE, "children"),
    Output(ids.CAT_VERSION, "data"),
    Input(ids.CAT_SAVE, "n_clicks"),
    Input(ids.CAT_ADD, "n_clicks"),
    State(ids.CAT_MAJOR, "value"),
    State(ids.CAT_MINOR, "value"),
    *[State(i, "value") for i in _FORM_OUTPUTS[2:-1]],
    State(ids.CAT_FLAGS, "value"),
    State(ids.CAT_VERSION, "data"),
    prevent_initial_call=True,
)
def save_category(save: Any, add: Any, major: Any, minor: Any, *rest: Any) -> Any:
    """Save the form as an edit of category major+minor (保存) or as a new one (新增)."""
    try:
        adding = ctx.triggered_id == ids.CAT_ADD
    except MissingCallbackContextException:  # called as a plain function: the save button
        adding = False
    return submit_form("add" if adding else "save", major, minor, *rest)


def submit_form(action: str, major: Any, minor: Any, *rest: Any) -> Any:
    """The save button's work (``action`` "save") or the add button's ("add"): the message
    and the next version stamp (no_update when nothing was written)."""
    lang = page_language()
    admin = acting_admin()
    if admin is None:
        return forbidden(lang), no_update
    if len(rest) != len(FORM_FIELDS) + 2:
        return message(t("admin.categories.refused", lang, problems="?"), False), no_update
    *fields, flags, version = rest
    values = _values(tuple(fields), flags)
    code = _code(major, minor)
    store = get_context().store
    try:
        if action == "add":
            row = {"category_code": code, "major_code": major, "minor_code": minor, **values}
            add_category(store, row, actor=admin.user.username)
        else:
            update_category(store, code, actor=admin.user.username, **values)
    except CategoryTableError as exc:
        problems = "; ".join(exc.problems)
        return message(t("admin.categories.refused", lang, problems=problems), False), no_update
    done = "admin.categories.added" if action == "add" else "admin.categories.saved"
    stamp = version + 1 if isinstance(version, int) and not isinstance(version, bool) else 1
    return message(t(done, lang, code=code), True), stamp


@callback(
    Output(ids.CAT_HISTORY, "children"),
    Input(ids.CAT_MAJOR, "value"),
    Input(ids.CAT_MINOR, "value"),
    Input(ids.CAT_VERSION, "data"),
    prevent_initial_call=True,
)
def show_history(major: Any, minor: Any, version: Any) -> Any:
    """The history of the category in the form, newest first."""
    lang = page_language()
    if acting_admin() is None:
        return forbidden(lang)
    code = _code(major, minor)
    if not (len(code) == 4 and (code.isascii() and code.isdigit())):
        return history_table([], "", lang)
    return history_table(category_history(get_context().store, code), code, lang)
