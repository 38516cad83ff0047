"""The sensor registry on /admin?tab=sensors: the filtered table, the edit form of one sensor
(checked like a row of a registry file; a moved sensor gets its cell again) and the import
of a registry file through the file importer, with its report of bad rows."""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update

from app.context import get_context
from app.i18n import t
from app.pages.admin import ids
from app.pages.admin.acting import acting_admin, forbidden, message, page_language
from app.pages.admin.sensors_logic import (
    MAX_UPLOAD_BYTES,
    check_edit,
    import_registry,
    locate,
    owner_name,
)
from app.pages.dispatch.logic import local_time
from app.pages.field.logic import decode_upload
from ingest.files import FileResult
from models.sensors import EDITABLE_COLUMNS, registry_rows, sensor_row, update_sensor
from models.vocabulary import SENSOR_KINDS

#: Rows of the registry table shown at once (a filter narrows the rest).
TABLE_ROWS = 200
#: Bad rows of an import listed on screen (the report file has them all).
BAD_ROWS_SHOWN = 50
_FIELDS = {
    "lon": ids.SEN_LON,
    "lat": ids.SEN_LAT,
    "owner": ids.SEN_OWNER,
    "interval_s": ids.SEN_INTERVAL,
    "zone": ids.SEN_ZONE,
    "warning_level": ids.SEN_WARNING,
    "danger_level": ids.SEN_DANGER,
}
assert tuple(sorted(_FIELDS)) == tuple(sorted(EDITABLE_COLUMNS))
_HEAD = (
    "sensor_id",
    "kind",
    "position",
    "cell",
    "owner",
    "interval",
    "zone",
    "warning",
    "danger",
    "last_seen",
)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):  # round-trip: an unchanged form is an unchanged sensor
        text = repr(float(value))
        return text.removesuffix(".0")
    return str(value)


def _tz() -> str:
    return get_context().config.settings.calendar.timezone


def registry_table(kind: Any, text: Any, lang: str) -> tuple[html.Table, str]:
    """The registry table for a filter, and the line saying how many rows match."""
    kind = kind if kind in SENSOR_KINDS else None
    text = text.strip()[:100] if isinstance(text, str) and text.strip() else None
    df, total = registry_rows(get_context().store, kind=kind, text=text, limit=TABLE_ROWS)
    tz = _tz()
    rows = [
        html.Tr(
            [
                html.Td(r.sensor_id),
                html.Td(t(f"sensor_kind.{r.kind}", lang)),
                html.Td(f"{r.lon:.5f}, {r.lat:.5f}"),
                html.Td(_cell(r.cell_code)),
                html.Td(_cell(owner_name(r.owner, lang))),
                html.Td(_cell(r.interval_s)),
                html.Td(_cell(r.zone)),
                html.Td(_cell(r.warning_level)),
                html.Td(_cell(r.danger_level)),
                html.Td(local_time(None if pd.isna(r.last_seen) else r.last_seen, tz)),
            ]
        )
        for r in df.itertuples()
    ]
    table = html.Table(
        className="table admin-sen-table",
        children=[
            html.Thead(html.Tr([html.Th(t(f"admin.sensors.col.{h}", lang)) for h in _HEAD])),
            html.Tbody(rows),
        ],
    )
    return table, t("admin.sensors.count", lang, shown=len(df), total=total)


def _field(label: str, id_: str, lang: str, **props: Any) -> html.Label:
    return html.Label(
        [t(f"admin.sensors.col.{label}", lang), dcc.Input(id=id_, type="text", **props)],
        className="admin-field",
    )


def registry_section(lang: str) -> html.Section:
    """The registry part of the tab (filled by its callbacks)."""
    store = get_context().store
    every, _ = registry_rows(store, limit=100_000)
    table, count = registry_table(None, None, lang)
    kinds = [{"label": t(f"sensor_kind.{k}", lang), "value": k} for k in SENSOR_KINDS]
    return html.Section(
        className="admin-sen-registry",
        children=[
            html.H2(t("admin.sensors.registry", lang)),
            html.Div(
                className="admin-filters",
                children=[
                    html.Label(
                        [
                            t("admin.sensors.col.kind", lang),
                            dcc.Dropdown(
                                id=ids.SEN_KIND, options=kinds, className="admin-dropdown"
                            ),
                        ],
                        className="admin-field",
                    ),
                    html.Label(
                        [
                            t("admin.sensors.search", lang),
                            dcc.Input(id=ids.SEN_TEXT, type="text", debounce=True, maxLength=100),
                        ],
                        className="admin-field",
                    ),
                    html.Span(count, id=ids.SEN_COUNT, className="muted"),
                ],
            ),
            html.Div(table, id=ids.SEN_TABLE, className="admin-scroll admin-sen-scroll"),
            dcc.Store(id=ids.SEN_CHANGED, data=0),
            html.H3(t("admin.sensors.edit", lang)),
            html.Div(
                className="admin-filters",
                children=[
                    html.Label(
                        [
                            t("admin.sensors.col.sensor_id", lang),
                            dcc.Dropdown(
                                id=ids.SEN_PICK,
                                options=list(every["sensor_id"]),
                                className="admin-dropdown",
                                placeholder=t("admin.sensors.pick", lang),
                            ),
                        ],
                        className="admin-field",
                    ),
                    _field("lon", ids.SEN_LON, lang, size="10"),
                    _field("lat", ids.SEN_LAT, lang, size="10"),
                    _field("owner", ids.SEN_OWNER, lang, maxLength=100),
                    _field("interval", ids.SEN_INTERVAL, lang, size="6"),
                    _field("zone", ids.SEN_ZONE, lang, size="6", maxLength=20),
                    _field("warning", ids.SEN_WARNING, lang, size="6"),
                    _field("danger", ids.SEN_DANGER, lang, size="6"),
                    html.Button(t("admin.sensors.save", lang), id=ids.SEN_SAVE, n_clicks=0),
                ],
            ),
            html.Div(id=ids.SEN_MESSAGE),
            html.H3(t("admin.sensors.import", lang)),
            dcc.Upload(
                id=ids.SEN_UPLOAD,
                className="admin-sen-upload",
                max_size=MAX_UPLOAD_BYTES,
                accept=".csv,.xlsx",
                children=html.Div(
                    t("admin.sensors.import_hint", lang, mb=MAX_UPLOAD_BYTES // 2**20)
                ),
            ),
            html.Div(id=ids.SEN_UPLOAD_REPORT),
        ],
    )


@callback(
    Output(ids.SEN_TABLE, "children"),
    Output(ids.SEN_COUNT, "children"),
    Input(ids.SEN_KIND, "value"),
    Input(ids.SEN_TEXT, "value"),
    Input(ids.SEN_CHANGED, "data"),
    prevent_initial_call=True,
)
def filter_registry(kind: Any, text: Any, _changed: Any) -> tuple[Any, Any]:
    lang = page_language()
    if acting_admin() is None:
        return forbidden(lang), ""
    return registry_table(kind, text, lang)


@callback(
    *(Output(id_, "value") for id_ in _FIELDS.values()),
    Input(ids.SEN_PICK, "value"),
    prevent_initial_call=True,
)
def fill_form(sensor_id: Any) -> tuple[Any, ...]:
    """The picked sensor's editable fields into the form."""
    if acting_admin() is None or not isinstance(sensor_id, str):
        return tuple("" for _ in _FIELDS)
    row = sensor_row(get_context().store, sensor_id)
    if row is None:
        return tuple("" for _ in _FIELDS)
    return tuple(_cell(row.get(column)) for column in _FIELDS)


@callback(
    Output(ids.SEN_MESSAGE, "children"),
    Output(ids.SEN_CHANGED, "data"),
    Input(ids.SEN_SAVE, "n_clicks"),
    State(ids.SEN_PICK, "value"),
    *(State(id_, "value") for id_ in _FIELDS.values()),
    State(ids.SEN_CHANGED, "data"),
    prevent_initial_call=True,
)
def save_sensor(_clicks: Any, sensor_id: Any, *values: Any) -> tuple[Any, Any]:
    """Save the edited fields of one sensor (checked, audited); a moved sensor is placed in
    its cell of the current grid again."""
    lang = page_language()
    admin = acting_admin()
    if admin is None:
        return forbidden(lang), no_update
    *fields, changed = values
    ctx = get_context()
    current = sensor_row(ctx.store, sensor_id) if isinstance(sensor_id, str) else None
    if current is None:
        return message(t("admin.sensors.pick_first", lang), False), no_update
    edit = check_edit(current, dict(zip(_FIELDS, fields, strict=True)))
    if edit.problem is not None:
        column = t(f"admin.sensors.field.{edit.column}", lang)
        return message(
            t("admin.sensors.refused", lang, field=column, reason=edit.problem), False
        ), no_update
    if not edit.changes:
        return message(t("admin.sensors.unchanged", lang), True), no_update
    changes = dict(edit.changes)
    note = ""
    if edit.moved:
        crs = ctx.config.settings.map.metric_crs
        cell, version = locate(
            ctx.store,
            changes.get("lon", current["lon"]),
            changes.get("lat", current["lat"]),
            metric_crs=crs,
        )
        changes.update(cell_code=cell, grid_version=version)
        note = " " + (
            t("admin.sensors.moved", lang, cell=cell) if cell else t("admin.sensors.outside", lang)
        )
    update_sensor(ctx.store, sensor_id, changes, actor=admin.user.username)
    done = t("admin.sensors.saved", lang, id=sensor_id, n=len(edit.changes)) + note
    return message(done, True), (changed or 0) + 1


def import_report(result: FileResult | str, lang: str) -> html.Div:
    """What the importer said about the file: loaded or not, and its bad rows."""
    if isinstance(result, str):
        return message(t("admin.sensors.import_refused", lang, reason=result), False)
    if result.ok:
        details = result.details
        line = t(
            "admin.sensors.import_ok",
            lang,
            inserted=details.get("inserted", 0),
            updated=details.get("updated", 0),
            unchanged=details.get("unchanged", 0),
        )
        if result.duplicate_of is not None:
            line = t("admin.sensors.import_same", lang, file=result.duplicate_of)
        return html.Div(
            [message(line, True), *[html.P(w, className="muted") for w in result.warnings]]
        )
    parts: list[Any] = [
        message(
            t("admin.sensors.import_failed", lang, reason=result.reason or result.summary), False
        )
    ]
    if result.bad_rows:
        head = ("line", "column", "value", "reason")
        parts.append(
            html.Table(
                className="table admin-sen-bad",
                children=[
                    html.Thead(html.Tr([html.Th(t(f"admin.sensors.bad.{h}", lang)) for h in head])),
                    html.Tbody(
                        [
                            html.Tr(
                                [
                                    html.Td(b.line),
                                    html.Td(b.column or ""),
                                    html.Td(_cell(b.value)),
                                    html.Td(b.reason),
                                ]
                            )
                            for b in result.bad_rows[:BAD_ROWS_SHOWN]
                        ]
                    ),
                ],
            )
        )
        if len(result.bad_rows) > BAD_ROWS_SHOWN:
            more = len(result.bad_rows) - BAD_ROWS_SHOWN
            parts.append(html.P(t("admin.sensors.bad_more", lang, n=more), className="muted"))
    return html.Div(parts)


@callback(
    Output(ids.SEN_UPLOAD_REPORT, "children"),
    Output(ids.SEN_CHANGED, "data", allow_duplicate=True),
    Input(ids.SEN_UPLOAD, "contents"),
    State(ids.SEN_UPLOAD, "filename"),
    State(ids.SEN_CHANGED, "data"),
    prevent_initial_call=True,
)
def upload_registry(contents: Any, filename: Any, changed: Any) -> tuple[Any, Any]:
    """Import an uploaded registry file (CSV/XLSX) through the importer."""
    lang = page_language()
    admin = acting_admin()
    if admin is None:
        return forbidden(lang), no_update
    data = decode_upload(contents)
    if data is None:
        return import_report("not an uploaded file", lang), no_update
    ctx = get_context()
    result = import_registry(
        ctx.store,
        data,
        filename,
        actor=admin.user.username,
        metric_crs=ctx.config.settings.map.metric_crs,
    )
    loaded = isinstance(result, FileResult) and result.ok
    return import_report(result, lang), ((changed or 0) + 1) if loaded else no_update
