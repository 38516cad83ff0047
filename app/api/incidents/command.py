"""/api/v1/incidents/{id}/nearest, /orders and /sitrep.pdf: the nearest available units with
their reasons, dispatch orders (issue, list, cancel) and the situation report.

Roles: the ranking, the orders' list and the sitrep for the incident's readers (emergency,
admin, operator, leader); issuing and cancelling orders for the command (emergency, admin).
The incident must be in the caller's scope (404 elsewhere); a district's command dispatches
its district's units and the city's own (another district's units: ask the city, 403).
"""

from __future__ import annotations

import logging
from typing import Any

import flask

from app.api.errors import ApiError, actor, json_body
from app.api.incidents.common import check_fields, path_id, plain, refusals
from app.api.limits import take_write
from app.bounds import expensive
from app.context import get_context
from app.reports.pdf import PDF_ADMISSION, PDF_RETRY_AFTER_S
from app.reports.sitrep_pdf import render_sitrep_pdf, sitrep_file_name
from models.case_service import Actor
from models.clock import utcnow
from models.emergency.incident_access import require_role, visible_row
from models.emergency.incident_rules import COMMAND_ROLES, READ_ROLES
from models.emergency.nearest import nearest_for
from models.emergency.orders import OrderRefused, cancel_order, issue_order, orders_of
from models.emergency.resources import sendable_units
from models.emergency.sitrep import gather_sitrep
from models.store import Store

log = logging.getLogger(__name__)

NEAREST_PARAMS = frozenset({"kind", "requires", "lang"})
ORDER_FIELDS = frozenset({"unit", "note"})
#: A refused order's answer: 404 for what is not there, 409 for a state that forbids it.
ORDER_STATUS = {
    "unknown_incident": 404, "unknown_unit": 404, "unknown_order": 404, "note_too_long": 400,
    "closed": 409, "no_scene": 409, "not_mobile": 409, "unavailable": 409, "not_open": 409,
}  # fmt: skip


def _incident(store: Store, who: Actor, incident_id: str) -> dict[str, Any]:
    row: dict[str, Any] = refusals(visible_row, store, who, path_id(incident_id))
    return row


def _params(known: frozenset[str]) -> None:
    if unknown := sorted(set(flask.request.args) - known):
        raise ApiError(400, f"unknown parameters: {', '.join(unknown)[:200]}")


def incident_nearest(incident_id: str) -> tuple[flask.Response, int]:
    """GET /api/v1/incidents/{id}/nearest[?kind=team][&requires=team:flood_control][&lang=en]:
    ``{"candidates": [{"unit", "eta_s", "reasons", …}], "excluded": [{"unit", "why", …}]}``."""
    who = actor()
    refusals(require_role, who, READ_ROLES, "read incidents")
    _params(NEAREST_PARAMS)
    lang = flask.request.args.get("lang", "zh")
    if lang not in ("zh", "en"):
        raise ApiError(400, "lang must be zh or en")
    kind = flask.request.args.get("kind") or None
    requires = flask.request.args.get("requires") or None
    if requires is not None and len(requires) > 200:
        raise ApiError(400, "requires is longer than 200 characters")
    ctx = get_context()
    row = _incident(ctx.store, who, incident_id)
    settings = ctx.config.settings
    with expensive(who.username):
        ranking = nearest_for(
            ctx.store, row["lon"], row["lat"], now=utcnow(), settings=settings.emergency,
            metric_crs=settings.map.metric_crs, kind=kind, requires=requires,
        )  # fmt: skip
    body = ranking.to_json(lang)
    if body.get("problem_code") in ("unknown_kind", "bad_requirement"):
        raise ApiError(400, str(body.get("problem")))
    return flask.jsonify(id=row["incident_id"], **plain(body)), 200


def incident_orders(incident_id: str) -> tuple[flask.Response, int]:
    """GET /api/v1/incidents/{id}/orders: the incident's orders, newest first."""
    who = actor()
    refusals(require_role, who, READ_ROLES, "read incidents")
    store = get_context().store
    row = _incident(store, who, incident_id)
    items = plain(orders_of(store, row["incident_id"]))
    return flask.jsonify(id=row["incident_id"], items=items), 200


def _may_send(store: Store, who: Actor, unit_id: str) -> None:
    allowed = sendable_units(store, who.scope)
    if allowed is not None and unit_id not in allowed:
        raise ApiError(403, "a unit of another district: the city's command dispatches it")


def order_create(incident_id: str) -> tuple[flask.Response, int]:
    """POST /api/v1/incidents/{id}/orders ``{"unit", "note"?}`` → 201 ``{"id": order_id}``:
    the order goes to ``{prefix}/dispatch/{unit}`` once committed."""
    who = actor()
    refusals(require_role, who, COMMAND_ROLES, "dispatch units")
    data = json_body()
    check_fields(data, ORDER_FIELDS)
    unit = data.get("unit")
    if not isinstance(unit, str) or not 0 < len(unit) <= 64:
        raise ApiError(400, "unit must be a resource id")
    note = data.get("note")
    if note is not None and not isinstance(note, str):
        raise ApiError(400, "note must be text")
    ctx = get_context()
    row = _incident(ctx.store, who, incident_id)
    _may_send(ctx.store, who, unit)
    take_write(who.username)
    prefix = ctx.config.settings.mqtt.topic_prefix
    try:
        order_id = ctx.store.write(
            lambda tx: issue_order(
                tx, incident_id=row["incident_id"], unit_id=unit, actor=who.username,
                now=utcnow(), prefix=prefix, note=note,
            )
        )  # fmt: skip
    except OrderRefused as exc:
        raise ApiError(ORDER_STATUS.get(exc.code, 409), str(exc)) from None
    return flask.jsonify(id=order_id), 201


def order_cancel(incident_id: str, order_id: str) -> tuple[flask.Response, int]:
    """POST /api/v1/incidents/{id}/orders/{order_id}/cancel: stand an open order down."""
    who = actor()
    refusals(require_role, who, COMMAND_ROLES, "dispatch units")
    ctx = get_context()
    row = _incident(ctx.store, who, incident_id)
    if len(order_id) > 64 or not any(
        o["order_id"] == order_id for o in orders_of(ctx.store, row["incident_id"])
    ):
        raise ApiError(404, "no such order of this incident")
    prefix = ctx.config.settings.mqtt.topic_prefix
    try:
        ctx.store.write(
            lambda tx: cancel_order(tx, order_id, actor=who.username, now=utcnow(), prefix=prefix)
        )
    except OrderRefused as exc:
        raise ApiError(ORDER_STATUS.get(exc.code, 409), str(exc)) from None
    return flask.jsonify(id=order_id, status="cancelled"), 200


def incident_sitrep(incident_id: str) -> flask.Response:
    """GET /api/v1/incidents/{id}/sitrep.pdf: the situation report, made now."""
    who = actor()
    ctx = get_context()
    settings = ctx.config.settings
    target = path_id(incident_id)
    with expensive(who.username):
        content = refusals(gather_sitrep, ctx.store, who, target, now=utcnow())
        if not PDF_ADMISSION.acquire(blocking=False):  # others' reports take their turn
            raise ApiError(503, "reports are being made for others; retry shortly",
                           headers={"Retry-After": str(PDF_RETRY_AFTER_S)})  # fmt: skip
        try:
            pdf = render_sitrep_pdf(
                content, city_zh=settings.city.name_zh, tz=settings.calendar.timezone
            )
        except Exception:
            log.exception("sitrep failed", extra={"incident": target})
            raise ApiError(503, "the report could not be made now; try again") from None
        finally:
            PDF_ADMISSION.release()
    response = flask.make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{sitrep_file_name(content)}"'
    return response
