"""Callbacks of the grids tab: an upload checked and reported, its confirmation (the file
importer writes the new version), its discarding, and the diff of two versions. Each checks
the acting admin on the server and answers bad values with a message, never an exception."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import dash
from dash import Input, Output, State, no_update

from app.context import get_context
from app.i18n import t
from app.pages.admin import ids
from app.pages.admin.acting import acting_admin, forbidden, message, page_language
from app.pages.admin.grids import diff_view, upload_limit, version_options, versions_table
from app.pages.admin.grids_map import DIFF_KINDS, PREVIEW_KINDS, legend, preview_config
from app.pages.admin.grids_report import duties_view, report_view
from app.pages.admin.grids_upload import (
    check_type,
    decode_upload,
    discard,
    stage,
    staged,
    topology_report,
)
from ingest.files.runner import ingest_file
from models.clock import utcnow
from models.grid_versions import current_valid_from, record_import, version_ids

#: A chosen start this far ahead of the server clock is still "now" (clock skew, typing).
FUTURE_SLACK = timedelta(minutes=5)

dash.clientside_callback(
    """function (config) {
        const nu = window.dash_clientside.no_update;
        const maps = window.cityopsMap;
        if (!config || !maps) return nu;
        const el = document.getElementById(config.elementId);
        const cur = maps.current;
        if (el && cur && cur.el === el) {
            cur.config = config;
            cur.load().then(() => {
                cur.flyTo(config.bounds, undefined, 0);
                el.dataset.view = config.key || "";
            });
            return Date.now();
        }
        const mounted = window.dash_clientside.cityops.mountMap(config);
        const mark = (left) => {
            const e = document.getElementById(config.elementId);
            if (e && maps.current && maps.current.el === e) e.dataset.view = config.key || "";
            else if (left > 0) setTimeout(() => mark(left - 1), 100);
        };
        mark(50);
        return mounted;
    }""",
    Output(ids.GRIDS_MAP_MOUNTED, "data"),
    Input(ids.GRIDS_MAP_CONFIG, "data"),
)


def staging_root() -> Path:
    """Uploads wait here (beside the database, under var/ in a deployment)."""
    return get_context().config.database_path.parent / "staging" / "grids"


def _metric_crs() -> str:
    return str(get_context().config.settings.map.metric_crs)


def _max_bytes() -> int:
    return upload_limit()


@dash.callback(
    Output(ids.GRIDS_REPORT, "children"),
    Output(ids.GRIDS_STAGED, "data"),
    Output(ids.GRIDS_CONFIRM, "disabled"),
    Output(ids.GRIDS_MAP_CONFIG, "data", allow_duplicate=True),
    Output(ids.GRIDS_MAP_LEGEND, "children", allow_duplicate=True),
    Input(ids.GRIDS_UPLOAD, "contents"),
    State(ids.GRIDS_UPLOAD, "filename"),
    prevent_initial_call=True,
)
def upload(contents: Any, filename: Any) -> tuple[Any, Any, bool, Any, Any]:
    """Check, stage and report on an uploaded grid; only a file without blocking problems
    stays staged (and may be confirmed)."""
    lang = page_language()
    actor = acting_admin()
    if actor is None:
        return forbidden(lang), None, True, no_update, no_update
    if contents is None:
        return no_update, no_update, no_update, no_update, no_update
    data = decode_upload(contents, max_bytes=_max_bytes())
    if isinstance(data, str):
        return (
            message(t(data, lang, mb=_max_bytes() // 2**20), False),
            None,
            True,
            *(no_update,) * 2,
        )
    refusal = check_type(filename, data)
    if refusal is not None:
        return message(t(refusal, lang), False), None, True, no_update, no_update
    ctx = get_context()
    try:
        upload_ = stage(staging_root(), data, str(filename), actor=actor.user.username)
    except OSError as exc:
        return (
            message(t("admin.grids.stage_failed", lang, reason=str(exc)[:200]), False),
            None,
            True,
            no_update,
            no_update,
        )
    report = topology_report(ctx.store, upload_, now=utcnow(), metric_crs=_metric_crs())
    view = report_view(report, upload_.filename, lang)
    if report.failure is not None:
        discard(staging_root(), upload_.token, actor=actor.user.username)
        return view, None, True, no_update, no_update
    config = preview_config(ctx.store, report, f"preview:{upload_.token}", lang)
    token = None if report.blocking else upload_.token
    if report.blocking:
        discard(staging_root(), upload_.token, actor=actor.user.username)
    return view, token, report.blocking, config, legend(PREVIEW_KINDS, lang)


def parse_valid_from(value: Any, *, now: datetime, zone: str) -> datetime | str:
    """A chosen local start (``YYYY-MM-DDTHH:MM``) as UTC-naive; empty is ``now``; else the
    message key of the refusal (not a time, in the future)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return now
    if not isinstance(value, str) or len(value) > 40:
        return "admin.grids.bad_date"
    try:
        local = datetime.fromisoformat(value.strip())
    except ValueError:
        return "admin.grids.bad_date"
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(zone))
    at = local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    if at > now + FUTURE_SLACK:
        return "admin.grids.future_date"
    return min(at, now)


@dash.callback(
    Output(ids.GRIDS_MESSAGE, "children"),
    Output(ids.GRIDS_STAGED, "data", allow_duplicate=True),
    Output(ids.GRIDS_CONFIRM, "disabled", allow_duplicate=True),
    Output(ids.GRIDS_VERSIONS, "children"),
    Output(ids.GRIDS_DIFF_FROM, "options"),
    Output(ids.GRIDS_DIFF_FROM, "value"),
    Output(ids.GRIDS_DIFF_TO, "options"),
    Output(ids.GRIDS_DIFF_TO, "value"),
    Output(ids.GRIDS_DIFF_RESULT, "children"),
    Output(ids.GRIDS_MAP_CONFIG, "data", allow_duplicate=True),
    Output(ids.GRIDS_MAP_LEGEND, "children", allow_duplicate=True),
    Output(ids.GRIDS_REPORT, "children", allow_duplicate=True),
    Input(ids.GRIDS_CONFIRM, "n_clicks"),
    State(ids.GRIDS_STAGED, "data"),
    State(ids.GRIDS_VALID_FROM, "value"),
    prevent_initial_call=True,
)
def confirm(n_clicks: Any, token: Any, valid_from: Any) -> tuple[Any, ...]:
    """Write the staged grid as the new version through the file importer (its checks run
    again; bad rows refuse it), close the previous one, show the list and the diff."""
    lang = page_language()
    actor = acting_admin()
    keep = (no_update,) * 9
    if actor is None:
        return forbidden(lang), None, True, *keep
    if not n_clicks:
        return (no_update,) * 12
    upload_ = staged(staging_root(), token, actor=actor.user.username)
    if upload_ is None:
        return message(t("admin.grids.nothing_staged", lang), False), None, True, *keep
    ctx = get_context()
    now = utcnow()
    start = parse_valid_from(valid_from, now=now, zone=ctx.config.settings.calendar.timezone)
    if isinstance(start, str):
        return message(t(start, lang), False), no_update, False, *keep
    previous_start = current_valid_from(ctx.store)
    if previous_start is not None and start <= previous_start:
        shown = previous_start.strftime("%Y-%m-%d %H:%M")
        return message(t("admin.grids.too_early", lang, at=shown), False), no_update, False, *keep
    before = set(version_ids(ctx.store))
    result = ingest_file(
        ctx.store,
        upload_.path,
        kind="grid",
        now=now,
        valid_from=start,
        metric_crs=_metric_crs(),
        max_bytes=_max_bytes(),
        actor=actor.user.username,
        report_dir=upload_.path.parent,
    )
    version = result.details.get("grid_version")
    if result.duplicate_of is not None or not result.ok or not isinstance(version, int):
        reason = (
            t("admin.grids.duplicate", lang, file=result.duplicate_of)
            if result.duplicate_of is not None
            else str(result.reason or result.summary)
        )
        record_import(ctx.store, None, actor=actor.user.username, outcome="refused", detail=reason)
        discard(staging_root(), upload_.token, actor=actor.user.username)
        return message(t("admin.grids.refused", lang, reason=reason), False), None, True, *keep
    record_import(
        ctx.store,
        version,
        actor=actor.user.username,
        outcome="ok",
        detail=f"{upload_.filename}: {result.rows_loaded} cells, from {start:%Y-%m-%d %H:%M} UTC",
    )
    discard(staging_root(), upload_.token, actor=actor.user.username)
    options, _older, _newer = version_options(ctx.store)
    older = max((v for v in before if v < version), default=version)
    counts, config = diff_view(ctx.store, older, version, lang)
    done: Any = message(
        t("admin.grids.done", lang, version=version, cells=result.rows_loaded), True
    )
    carried = duties_view(result.details, lang, prefix="admin-grids-done")
    if carried is not None:  # what the cells kept of the 权责清单, what is left to fill in
        done = [done, carried]
    return (
        done,
        None,
        True,
        versions_table(ctx.store, lang),
        options,
        older,
        options,
        version,
        counts,
        config,
        legend(DIFF_KINDS, lang),
        None,  # the report was of the staged file, now imported
    )


@dash.callback(
    Output(ids.GRIDS_REPORT, "children", allow_duplicate=True),
    Output(ids.GRIDS_STAGED, "data", allow_duplicate=True),
    Output(ids.GRIDS_CONFIRM, "disabled", allow_duplicate=True),
    Input(ids.GRIDS_DISCARD, "n_clicks"),
    State(ids.GRIDS_STAGED, "data"),
    prevent_initial_call=True,
)
def discard_upload(n_clicks: Any, token: Any) -> tuple[Any, Any, bool]:
    lang = page_language()
    actor = acting_admin()
    if actor is None:
        return forbidden(lang), None, True
    discard(staging_root(), token, actor=actor.user.username)
    return message(t("admin.grids.discarded", lang), True), None, True


@dash.callback(
    Output(ids.GRIDS_DIFF_RESULT, "children", allow_duplicate=True),
    Output(ids.GRIDS_MAP_CONFIG, "data", allow_duplicate=True),
    Output(ids.GRIDS_MAP_LEGEND, "children", allow_duplicate=True),
    Input(ids.GRIDS_DIFF_SHOW, "n_clicks"),
    State(ids.GRIDS_DIFF_FROM, "value"),
    State(ids.GRIDS_DIFF_TO, "value"),
    prevent_initial_call=True,
)
def show_diff(n_clicks: Any, older: Any, newer: Any) -> tuple[Any, Any, Any]:
    """The diff of two chosen versions (any order: the older is the lower number)."""
    lang = page_language()
    actor = acting_admin()
    if actor is None:
        return forbidden(lang), no_update, no_update
    known = set(version_ids(get_context().store))
    picked = [v for v in (older, newer) if isinstance(v, int) and not isinstance(v, bool)]
    if len(picked) != 2 or not set(picked) <= known:
        return message(t("admin.grids.bad_versions", lang), False), no_update, no_update
    a, b = sorted(picked)
    counts, config = diff_view(get_context().store, a, b, lang)
    return counts, config, legend(DIFF_KINDS, lang)
