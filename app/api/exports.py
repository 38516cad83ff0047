"""GET /api/v1/layers/{layer}.geojson|.gpkg and /api/v1/exports/{table}.csv|.xlsx.

Who may export what (the rules of the data's own API or screen):

- layers: every role whose scope is a place (city, district, street, a grid worker's cells;
  a handler's unit scope holds none: 403), in that scope as the wall draws it;
- cases: every role, the caller's scope (as ``GET /api/v1/cases``), the queue's filters;
- evaluation: the cockpit's roles (leader, admin), the caller's scope;
- indicators: the indicator API's roles (leader, admin, operator) and scope rule;
- audit: admins of the whole city only.

Heavy work takes one of the caller's expensive-request slots (429 past them); a streamed
CSV keeps its slot until the response is closed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import flask

from app.api.errors import ApiError, actor
from app.api.indicators import FIELDS, reader, requested_period, requested_scope
from app.api.queue import queue_filter, queue_sort
from app.bounds import RETRY_AFTER_S, expensive, expensive_slots
from app.context import get_context
from app.exports.layer_files import LAYERS, MEDIA, Moment, layer_geojson, layer_gpkg
from app.exports.tables import csv_stream, xlsx_file
from app.pages.admin.audit_logic import Refusal, audit_filter
from app.validation import Rejected, replay_instant
from layers.export import json_safe
from models.audit_export import AUDIT_EXPORT_COLUMNS, audit_export_batches
from models.case_export import CASE_EXPORT_COLUMNS, case_export_batches
from models.case_service import Actor
from models.clock import utcnow
from models.evaluation import GROUPS, evaluate
from models.indicators.compute import compute_indicators
from models.security import is_city_admin, may_open

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Query parameters of each table export (the cases': the queue's, see app.api.queue).
EVALUATION_PARAMS = frozenset({"period", "by"})
INDICATOR_PARAMS = frozenset({"period", "scope"})
AUDIT_PARAMS = frozenset({"actor", "who", "action", "target", "outcome", "from", "to"})
EVALUATION_COLUMNS = (
    "period", "group_value", "group_name", "registered", "dispatched", "dispatch_due",
    "on_time_dispatch", "on_time_dispatch_rate", "handled", "handling_due", "on_time_handling",
    "on_time_handling_rate", "closure_due", "closed", "closure_rate", "reworked", "rework_rate",
    "overdue_count", "handling_timed", "mean_handling_hours", "rated", "satisfied",
    "satisfaction_rate", "score",
)  # fmt: skip
INDICATOR_COLUMNS = ("period", "scope", *(f for f in FIELDS if f != "trend"))
Batches = Iterable[Sequence[dict[str, Any]]]


def _unknown(allowed: frozenset[str]) -> None:
    unknown = sorted(set(flask.request.args) - allowed)
    if unknown:
        raise ApiError(400, f"unknown parameters: {', '.join(unknown)[:200]}")


def _stamp(now: datetime) -> str:
    return now.strftime("%Y%m%d-%H%M")


def _attachment(response: flask.Response, filename: str) -> flask.Response:
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# -- layers ---------------------------------------------------------------------------------


def _moment(who: Actor) -> tuple[Moment, datetime]:
    if who.scope.kind == "unit":
        raise ApiError(403, "a unit scope holds no place on the map")
    _unknown(frozenset({"at"}))
    now = utcnow()
    try:
        at = replay_instant(flask.request.args.get("at"), now=now, zoned=True)
    except Rejected as exc:
        raise ApiError(400, str(exc)[:300]) from None
    ctx = get_context()
    moment = at or now
    tz = ctx.config.settings.calendar.timezone
    return Moment(ctx.store, who.scope, moment, ctx.calendar(), tz), moment


def _layer(name: str, fmt: str) -> flask.Response:
    who = actor()
    if name not in LAYERS:
        body = flask.jsonify(
            error=f"no layer {name[:64]!r}; one of {', '.join(LAYERS)}",
            code="not_found",
            layers=list(LAYERS),
        )
        body.status_code = 404
        return body
    moment, at = _moment(who)
    filename = f"{name}-{_stamp(at)}.{fmt}"
    with expensive(who.username):
        if fmt == "geojson":
            response = flask.Response(layer_geojson(name, moment), mimetype=MEDIA["geojson"])
            return _attachment(response, filename)
        handle = layer_gpkg(name, moment)
    response = flask.send_file(handle, mimetype=MEDIA["gpkg"], download_name=filename)
    return _attachment(response, filename)


def layer_as_geojson(layer: str) -> flask.Response:
    """GET /api/v1/layers/{layer}.geojson[?at=ISO]."""
    return _layer(layer, "geojson")


def layer_as_gpkg(layer: str) -> flask.Response:
    """GET /api/v1/layers/{layer}.gpkg[?at=ISO]."""
    return _layer(layer, "gpkg")


# -- tables ---------------------------------------------------------------------------------


def _send_table(
    who: Actor,
    fmt: str,
    name: str,
    columns: Sequence[str],
    batches: Callable[[], Batches],
) -> flask.Response:
    """The table as a streamed CSV (the user's slot held until it is sent) or an XLSX
    written first, then sent from its temporary file."""
    filename = f"{name}-{_stamp(utcnow())}.{fmt}"
    if fmt == "xlsx":
        with expensive(who.username):
            handle = xlsx_file(columns, batches(), sheet=name)
        response = flask.send_file(handle, mimetype=XLSX, download_name=filename)
        return _attachment(response, filename)
    slots = expensive_slots(flask.current_app)
    if not slots.acquire(who.username):
        raise ApiError(
            429, f"at most {slots.per_user} such requests at once per user; retry shortly",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )  # fmt: skip
    released = []

    def release() -> None:
        if not released:
            released.append(True)
            slots.release(who.username)

    try:
        pieces = csv_stream(columns, batches())
    except BaseException:
        release()
        raise
    response = flask.Response(_closing(pieces, release), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.call_on_close(release)
    return _attachment(response, filename)


def _closing(pieces: Iterator[bytes], release: Callable[[], None]) -> Iterator[bytes]:
    try:
        yield from pieces
    finally:
        release()


def _frame_batches(records: list[dict[str, Any]]) -> Batches:
    return [[json_safe(r) for r in records]]


def _cases(fmt: str) -> flask.Response:
    who = actor()
    for name in ("offset", "limit"):
        if name in flask.request.args:
            raise ApiError(422, f"an export takes every matching case: no {name}")
    flt = queue_filter(who)
    sort = queue_sort()
    ctx = get_context()
    store, calendar, now = ctx.store, ctx.calendar(), utcnow()
    try:  # the filter and sort are read here, before anything is sent; rows only when sent
        rows = case_export_batches(store, who.scope, flt, now=now, calendar=calendar, sort=sort)
    except ValueError as exc:
        raise ApiError(422, str(exc)[:300]) from None
    return _send_table(who, fmt, "cases", CASE_EXPORT_COLUMNS, lambda: rows)


def _evaluation(fmt: str) -> flask.Response:
    who = actor()
    if not may_open(who.role, "cockpit"):
        raise ApiError(403, f"role {who.role!r} may not read the evaluation (the cockpit's)")
    _unknown(EVALUATION_PARAMS)
    ctx = get_context()
    period = requested_period(
        flask.request.args.get("period"), ctx.config.settings.calendar.timezone
    )
    by = flask.request.args.get("by") or "district"
    if by not in GROUPS:
        raise ApiError(400, f"by must be one of {', '.join(GROUPS)}")
    with expensive(who.username):
        frame = evaluate(
            ctx.store, period_start=period.start, period_end=period.end, by=by,
            weights=ctx.config.settings.cockpit.ranking_weights, now=utcnow(), scope=who.scope,
        )  # fmt: skip
    records = [{"period": period.label, **r} for r in frame.to_dict("records")]
    return _send_table(
        who, fmt, f"evaluation-{by}-{period.label}", EVALUATION_COLUMNS,
        lambda: _frame_batches(records),
    )  # fmt: skip


def _indicators(fmt: str) -> flask.Response:
    who = reader()
    _unknown(INDICATOR_PARAMS)
    ctx = get_context()
    settings = ctx.config.settings
    period = requested_period(flask.request.args.get("period"), settings.calendar.timezone)
    scope = requested_scope(who, flask.request.args.get("scope"))
    with expensive(who.username):
        rows = compute_indicators(
            ctx.store, period=period, scope=scope, now=utcnow(),
            trend_periods=settings.cockpit.trend_periods,
        )  # fmt: skip
    records = [{"period": period.label, "scope": scope.label(), **r} for r in rows]
    for record in records:
        record["name"] = record.get("name_zh")
    return _send_table(
        who, fmt, f"indicators-{period.label}", INDICATOR_COLUMNS, lambda: _frame_batches(records)
    )


def _audit(fmt: str) -> flask.Response:
    who = actor()
    if not is_city_admin(who.role, who.scope):
        raise ApiError(403, "the audit log is for admins of the whole city only")
    _unknown(AUDIT_PARAMS)
    args = flask.request.args
    if args.get("who") and args.get("actor"):
        raise ApiError(400, "give who or actor (the same filter), not both")
    ctx = get_context()
    got = audit_filter(
        actor=args.get("who") or args.get("actor"), action=args.get("action"),
        target=args.get("target"), outcome=args.get("outcome"), since=args.get("from"),
        until=args.get("to"), tz=ctx.config.settings.calendar.timezone,
    )  # fmt: skip
    if isinstance(got, Refusal):
        reason = got.key.rsplit(".", 1)[-1].replace("_", " ")
        raise ApiError(
            400, f"{reason}{': ' + got.value if got.value else ''} (from/to: YYYY-MM-DD)"
        )
    store = ctx.store
    return _send_table(
        who, fmt, "audit", AUDIT_EXPORT_COLUMNS, lambda: audit_export_batches(store, got)
    )


def cases_csv() -> flask.Response:
    """GET /api/v1/exports/cases.csv (the queue's filters)."""
    return _cases("csv")


def cases_xlsx() -> flask.Response:
    """GET /api/v1/exports/cases.xlsx (the queue's filters)."""
    return _cases("xlsx")


def evaluation_csv() -> flask.Response:
    """GET /api/v1/exports/evaluation.csv?period=&by=."""
    return _evaluation("csv")


def evaluation_xlsx() -> flask.Response:
    """GET /api/v1/exports/evaluation.xlsx?period=&by=."""
    return _evaluation("xlsx")


def indicators_csv() -> flask.Response:
    """GET /api/v1/exports/indicators.csv?period=&scope=."""
    return _indicators("csv")


def indicators_xlsx() -> flask.Response:
    """GET /api/v1/exports/indicators.xlsx?period=&scope=."""
    return _indicators("xlsx")


def audit_csv() -> flask.Response:
    """GET /api/v1/exports/audit.csv?actor=&action=&target=&from=&to= (admin)."""
    return _audit("csv")


def audit_xlsx() -> flask.Response:
    """GET /api/v1/exports/audit.xlsx?actor=&action=&target=&from=&to= (admin)."""
    return _audit("xlsx")


#: (path under /api/v1, methods, view) of the exports, added to the API's routes.
ROUTES: tuple[tuple[str, tuple[str, ...], Callable[..., Any]], ...] = (
    ("/layers/<layer>.geojson", ("GET",), layer_as_geojson),
    ("/layers/<layer>.gpkg", ("GET",), layer_as_gpkg),
    ("/exports/cases.csv", ("GET",), cases_csv),
    ("/exports/cases.xlsx", ("GET",), cases_xlsx),
    ("/exports/evaluation.csv", ("GET",), evaluation_csv),
    ("/exports/evaluation.xlsx", ("GET",), evaluation_xlsx),
    ("/exports/indicators.csv", ("GET",), indicators_csv),
    ("/exports/indicators.xlsx", ("GET",), indicators_xlsx),
    ("/exports/audit.csv", ("GET",), audit_csv),
    ("/exports/audit.xlsx", ("GET",), audit_xlsx),
)
