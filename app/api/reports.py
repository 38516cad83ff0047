"""GET /api/v1/reports and GET /api/v1/reports/{kind}/{period}.pdf|.xlsx.

Who: the roles of :data:`app.api.indicators.ROLES` (leader, admin, operator); others 403.
Scope: a city-scoped caller gets the city's reports, or one district's with
``?district=445102``; a caller scoped to one district gets that district's reports
(files ``monthly-2026-11-445102.pdf``) and 403 for another's; street, cell and unit
scopes, and several districts, get 403 (reports are made for the city or one district).
A report not made yet is made on request once its period is over (404 before) and while
it is younger than ``reports.keep_days`` (404 after: it would be removed at once).
A district that does not exist is 404 (no empty report is made for it).
"""

from __future__ import annotations

import logging
import re

import flask

from app.api.errors import ApiError
from app.api.indicators import reader
from app.bounds import expensive
from app.context import get_context
from app.reports.make import make_report, past_retention, period_over
from app.reports.pdf import PDF_ADMISSION, PDF_RETRY_AFTER_S
from app.reports.store import (
    FORMATS,
    MEDIA,
    BadReport,
    ReportKey,
    check_period,
    list_reports,
    scope_district,
)
from models.case_service import Actor
from models.clock import utcnow
from models.report_queries import area_names

log = logging.getLogger(__name__)

_FILE = re.compile(r"^(?P<period>[0-9-]{7,10})\.(?P<fmt>pdf|xlsx)$")
_DISTRICT = re.compile(r"^[0-9]{6}$")


def _district(who: Actor) -> str | None:
    """The district the caller's reports are for (None: the city); 403 for other scopes."""
    try:
        own = scope_district(who.scope)
    except BadReport as exc:
        raise ApiError(403, str(exc)) from None
    asked = flask.request.args.get("district")
    unknown = sorted(set(flask.request.args) - {"district"})
    if unknown:
        raise ApiError(400, f"unknown parameters: {', '.join(unknown)[:200]}")
    if asked is None or asked == "":
        return own
    if not _DISTRICT.match(asked):
        raise ApiError(400, "district must be a 6-digit district code")
    if own is not None and asked != own:
        raise ApiError(403, f"district {asked} is outside your scope")
    if asked not in area_names(get_context().store, [asked]):
        raise ApiError(404, f"no district {asked}")
    return asked


def _url(item: dict) -> str:
    """The file's download URL; a district's report names its district (``?district=``),
    without which the same path is the city's report."""
    extra = {"district": item["district"]} if item.get("district") else {}
    return flask.url_for(
        ".report_file", kind=item["kind"], file=f"{item['period']}.{item['format']}", **extra
    )


def list_all() -> tuple[flask.Response, int]:
    """GET /api/v1/reports: the kept reports of the caller's city or district."""
    who = reader()
    district = _district(who)
    items = list_reports(get_context().config.report_dir, district=district)
    for item in items:
        item["url"] = _url(item)
    return flask.jsonify(items=items, district=district), 200


def report_file(kind: str, file: str) -> flask.Response:
    """GET /api/v1/reports/{kind}/{period}.{pdf|xlsx}: the file, made now when missing."""
    who = reader()
    match = _FILE.match(file)
    if kind not in ("daily", "monthly") or match is None:
        raise ApiError(404, "no such report: /reports/daily|monthly/<period>.pdf|.xlsx")
    fmt = match["fmt"]
    try:
        period = check_period(kind, match["period"])
    except BadReport as exc:
        raise ApiError(400, str(exc)) from None
    key = ReportKey(kind, period, _district(who))
    ctx = get_context()
    path = key.path(ctx.config.report_dir, fmt)
    if not path.is_file():
        now = utcnow()
        if not period_over(ctx.config, key, now):
            raise ApiError(404, f"the period {period} is not over yet: no report")
        if past_retention(ctx.config, key, now):
            raise ApiError(404, f"the period {period} is older than reports are kept")
        with expensive(who.username):
            if not PDF_ADMISSION.acquire(blocking=False):  # others' reports take their turn
                raise ApiError(503, "reports are being made for others; retry shortly",
                               headers={"Retry-After": str(PDF_RETRY_AFTER_S)})  # fmt: skip
            try:
                path = make_report(ctx.store, ctx.config, key, now=now)[fmt]
            except BadReport as exc:
                raise ApiError(404, str(exc)) from None
            except Exception:  # a disk, font or data problem: logged, the client may retry
                log.exception("report %s could not be made", key.file_name(fmt))
                raise ApiError(
                    503,
                    "the report could not be made now; try again later",
                    headers={"Retry-After": "60"},
                ) from None
            finally:
                PDF_ADMISSION.release()
        ctx.store.audit("api.report_made", actor=who.username, target=key.file_name(fmt))
    assert fmt in FORMATS
    response = flask.send_file(
        path, mimetype=MEDIA[fmt], as_attachment=True, download_name=path.name, max_age=0
    )
    response.headers["Cache-Control"] = "private, no-cache"
    return response
