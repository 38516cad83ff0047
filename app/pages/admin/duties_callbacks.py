"""Callbacks of the admin tab 'duties' (权责清单): export the list as one XLSX workbook, import
one (all rows or none, every bad row reported with its sheet and row), redraw the tables.
Each checks the acting admin itself: called by another role it changes nothing."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, callback, dcc, no_update

from app.context import get_context
from app.i18n import t
from app.pages.admin import ids
from app.pages.admin.acting import acting_admin, forbidden, message, page_language
from app.pages.admin.duties import duty_tables, problem_list
from app.pages.field.logic import decode_upload
from ingest.files.duties_xlsx import read_duties_xlsx, write_duties_xlsx
from models.clock import utcnow
from models.duties import Problem
from models.duties_store import DutiesRejected, import_duties, load_duties


@callback(
    Output(ids.DUTY_DOWNLOAD, "data"),
    Output(ids.DUTY_MESSAGE, "children", allow_duplicate=True),
    Input(ids.DUTY_EXPORT, "n_clicks"),
    prevent_initial_call=True,
)
def export_duties(n_clicks: Any) -> Any:
    """The whole list as ``duties-<date>.xlsx`` (audited)."""
    admin = acting_admin()
    if admin is None:
        return no_update, forbidden(page_language())
    store = get_context().store
    data = write_duties_xlsx(load_duties(store))
    store.audit("duties.export", actor=admin.user.username, target="duties")
    name = f"duties-{utcnow():%Y%m%d}.xlsx"
    return dcc.send_bytes(data, name), no_update


@callback(
    Output(ids.DUTY_MESSAGE, "children"),
    Output(ids.DUTY_VERSION, "data"),
    Input(ids.DUTY_UPLOAD, "contents"),
    State(ids.DUTY_UPLOAD, "filename"),
    State(ids.DUTY_VERSION, "data"),
    prevent_initial_call=True,
)
def import_workbook(contents: Any, filename: Any, version: Any) -> Any:
    """Validate the uploaded workbook and write it whole, or refuse it with every bad row."""
    lang = page_language()
    admin = acting_admin()
    if admin is None:
        return forbidden(lang), no_update
    data = decode_upload(contents)
    if data is None:
        return problem_list([Problem("workbook", None, "not_xlsx")], lang), no_update
    tables, problems = read_duties_xlsx(data)
    if problems:
        return problem_list(problems, lang), no_update
    try:
        result = import_duties(get_context().store, tables, actor=admin.user.username)
    except DutiesRejected as exc:
        return problem_list(exc.problems, lang), no_update
    text = t("admin.duties.imported", lang, categories=result.categories,
             departments=result.departments, cells=result.cells)  # fmt: skip
    stamp = version + 1 if isinstance(version, int) and not isinstance(version, bool) else 1
    return message(text, True), stamp


@callback(
    Output(ids.DUTY_TABLES, "children"),
    Input(ids.DUTY_VERSION, "data"),
    prevent_initial_call=True,
)
def redraw_tables(version: Any) -> Any:
    """The three tables as stored now (after an import)."""
    lang = page_language()
    if acting_admin() is None:
        return forbidden(lang)
    return duty_tables(load_duties(get_context().store), lang)
