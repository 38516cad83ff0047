"""/api/v1/incidents and /api/v1/cameras: open an incident (from a place, a case, an alarm or
an imported CAP alert), the list, one incident with its tasks, timeline and nearby cameras,
the timeline as CSV, and the cameras around a point.

Roles: open and read: emergency, admin, operator (leaders read); a district's users see
their district's incidents only (404 elsewhere). Bad input is 400 with the reason.
"""

from __future__ import annotations

import math
from typing import Any

import flask

from app.api.errors import ApiError, actor, json_body
from app.api.incidents.common import (
    check_fields,
    incident_json,
    path_id,
    plain,
    plan_book,
    refusals,
)
from app.api.limits import take_write
from app.context import get_context
from app.i18n import t
from models.clock import utcnow
from models.emergency.cameras import cameras_near, radius_problem
from models.emergency.incident_rules import OPEN_ROLES, READ_ROLES, IncidentError, check_point
from models.emergency.incident_sources import open_from_alarm, open_from_cap, open_from_case
from models.emergency.incidents import MAX_LIST, incident_detail, list_incidents, open_incident
from models.emergency.timeline import KINDS
from models.emergency.timeline_export import readable_timeline, timeline_csv

#: Fields of ``POST /incidents``: a place (lon/lat or area) or one source to open from.
OPEN_FIELDS = frozenset(
    {"type", "level", "lon", "lat", "area", "title", "exercise", "case_id", "alarm_id",
     "cap_identifier"}
)  # fmt: skip
SOURCES = {"case_id": open_from_case, "alarm_id": open_from_alarm, "cap_identifier": open_from_cap}
LIST_PARAMS = frozenset({"status", "type", "exercise", "limit"})
CAMERA_PARAMS = frozenset({"lon", "lat", "radius"})
#: Who may look up cameras: the incident readers and the dispatch centre (a case's card).
CAMERA_ROLES = READ_ROLES | {"dispatcher"}


def incident_create() -> tuple[flask.Response, int]:
    """POST /api/v1/incidents: a new incident; answers 201 ``{"id": ...}``."""
    who = actor()
    if who.role not in OPEN_ROLES:  # before the body, and before a write is counted
        raise ApiError(403, f"role {who.role!r} may not open incidents")
    data = json_body()
    check_fields(data, OPEN_FIELDS)
    sources = [name for name in SOURCES if data.get(name) is not None]
    if len(sources) > 1:
        raise ApiError(400, "name at most one of case_id, alarm_id, cap_identifier")
    take_write(who.username)
    ctx = get_context()
    tz = ctx.config.settings.calendar.timezone
    now = utcnow()
    if sources:
        if {"lon", "lat", "area", "exercise"} & set(data):
            raise ApiError(400, "an incident opened from a source takes its place and exercise")
        name = sources[0]
        kwargs: dict[str, Any] = {"incident_type": data.get("type"), "title": data.get("title")}
        if data.get("level") is not None:
            kwargs["level"] = data["level"]
        incident_id = refusals(SOURCES[name], ctx.store, who, data[name], now=now, tz=tz,
                               **kwargs)  # fmt: skip
        return flask.jsonify(id=incident_id), 201
    incident_id = refusals(
        open_incident, ctx.store, who, now=now, tz=tz, incident_type=data.get("type"),
        level=data.get("level"), title=data.get("title"), lon=data.get("lon"),
        lat=data.get("lat"), area=data.get("area"), exercise=data.get("exercise", False),
        source_kind="api",
    )  # fmt: skip
    return flask.jsonify(id=incident_id), 201


def _flag(name: str) -> bool | None:
    value = flask.request.args.get(name)
    if value is None or value == "":
        return None
    if value.lower() not in ("true", "false", "1", "0"):
        raise ApiError(400, f"{name} must be true or false")
    return value.lower() in ("true", "1")


def _unknown_params(known: frozenset[str]) -> None:
    if unknown := sorted(set(flask.request.args) - known):
        raise ApiError(400, f"unknown parameters: {', '.join(unknown)[:200]}")


def incidents_list() -> tuple[flask.Response, int]:
    """GET /api/v1/incidents[?status=open|closed][&type=flood,typhoon][&exercise=][&limit=]:
    open incidents first (most severe first), then closed ones, newest first."""
    who = actor()
    _unknown_params(LIST_PARAMS)
    types: list[str] = []
    for raw in flask.request.args.getlist("type"):
        types += [v.strip() for v in raw.split(",") if v.strip()]
    limit = flask.request.args.get("limit", "200")
    if not (limit.isascii() and limit.isdigit()) or not 1 <= int(limit) <= MAX_LIST:
        raise ApiError(400, f"limit must be a whole number 1-{MAX_LIST}")
    rows = refusals(
        list_incidents, get_context().store, who, now=utcnow(),
        status=flask.request.args.get("status") or None, types=tuple(types[:20]),
        exercise=_flag("exercise"), limit=int(limit),
    )  # fmt: skip
    return flask.jsonify(items=[incident_json(r) for r in rows]), 200


def incident_get(incident_id: str) -> tuple[flask.Response, int]:
    """GET /api/v1/incidents/{id}: the incident with its tasks (owner names, overdue flags),
    timeline and the cameras within ``emergency.camera_radius_m``."""
    who = actor()
    ctx = get_context()
    detail = refusals(incident_detail, ctx.store, who, path_id(incident_id), now=utcnow())
    book = plan_book()
    for task in detail["tasks"]:
        task["owner_name_zh"] = book.owner_name(task["owner"], "zh")
        task["owner_name_en"] = book.owner_name(task["owner"], "en")
    radius = ctx.config.settings.emergency.camera_radius_m
    detail["cameras"] = cameras_near(ctx.store, detail["lon"], detail["lat"], radius_m=radius)
    detail["camera_radius_m"] = radius
    return flask.jsonify(incident_json(detail)), 200


def incident_timeline_csv(incident_id: str) -> flask.Response:
    """GET /api/v1/incidents/{id}/timeline.csv[?lang=en]: the timeline for Excel (UTF-8
    with BOM, local times of ``calendar.timezone``)."""
    who = actor()
    lang = flask.request.args.get("lang", "zh")
    _unknown_params(frozenset({"lang"}))
    if lang not in ("zh", "en"):
        raise ApiError(400, "lang must be zh or en")
    ctx = get_context()
    target = path_id(incident_id)
    entries = refusals(readable_timeline, ctx.store, who, target)
    labels = {kind: t(f"incident.event.{kind}", lang) for kind in KINDS}
    body = timeline_csv(entries, tz=ctx.config.settings.calendar.timezone, lang=lang,
                        kind_labels=labels)  # fmt: skip
    response = flask.Response(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{target}-timeline.csv"'
    return response


def _number(name: str) -> float | None:
    value = flask.request.args.get(name)
    if value is None or value == "":
        return None
    try:
        number = float(value) if len(value) <= 40 else math.nan
    except ValueError:
        raise ApiError(400, f"{name} must be a number") from None
    return number


def cameras_list() -> tuple[flask.Response, int]:
    """GET /api/v1/cameras?lon=&lat=[&radius=]: cameras within ``radius`` metres (default
    ``emergency.camera_radius_m``), nearest first, with their distance and stream link."""
    who = actor()
    if who.role not in CAMERA_ROLES:
        raise ApiError(403, f"role {who.role!r} may not look up cameras")
    _unknown_params(CAMERA_PARAMS)
    lon, lat = _number("lon"), _number("lat")
    if lon is None or lat is None:
        raise ApiError(400, "lon and lat are required")
    try:
        check_point(lon, lat)
    except IncidentError as exc:
        raise ApiError(400, exc.message) from None
    ctx = get_context()
    radius = _number("radius")
    radius = ctx.config.settings.emergency.camera_radius_m if radius is None else radius
    if problem := radius_problem(radius):
        raise ApiError(400, problem)
    items = cameras_near(ctx.store, lon, lat, radius_m=radius)
    return flask.jsonify(items=plain(items), radius_m=radius), 200
