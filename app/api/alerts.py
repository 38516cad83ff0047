"""/api/v1/alerts: warnings (CAP 1.2 out) — draft, read, edit, approve by a second person,
publish, and Update or Cancel of a published one (new drafts referring to it).

Roles: draft, edit, publish, update and cancel: emergency and admin; approve: emergency,
leader and admin, never one who wrote the warning; read: those and operators. Writes need a
city-wide scope (warnings go out in the city's name). Bad content is 400 with the reason.
"""

from __future__ import annotations

import re
from typing import Any

import flask

from app.api.errors import ApiError, actor, json_body
from app.api.limits import take_write
from app.bounds import expensive
from app.context import get_context
from app.emergency import warnings_service as ws
from models.case_service import Actor
from models.clock import utcnow
from models.emergency.warning_records import STATES

#: What an identifier in a path may look like (anything else is no warning: 404).
IDENTIFIER = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
LIST_PARAMS = frozenset({"state", "incident_id", "limit"})
MAX_LIST = 500


def _refusals(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a service call; its refusals become the API's answers."""
    try:
        return call(*args, **kwargs)
    except ws.WarningInvalid as exc:
        raise ApiError(400, str(exc)[:500]) from None
    except ws.WarningRefused as exc:
        raise ApiError(exc.status, exc.message[:500]) from None


def _caller(action: str) -> Actor:
    who = actor()
    _refusals(ws.require, who, action)
    return who


def _identifier(value: str) -> str:
    if not IDENTIFIER.match(value):
        raise ApiError(404, "no such warning")
    return value


def _optional_body() -> dict[str, Any]:
    """The JSON object sent, or {} when the request has no body."""
    request = flask.request
    if not request.content_length and not request.get_data(cache=True):
        return {}
    return json_body()


def create_alert() -> tuple[flask.Response, int]:
    """POST /api/v1/alerts: a new warning as a draft."""
    who = _caller("draft")
    data = json_body()
    take_write(who.username)
    ctx = get_context()
    identifier = _refusals(ws.draft, ctx.store, ctx.config, who, data, now=utcnow())
    return flask.jsonify(id=identifier, state="draft"), 201


def _states() -> tuple[str, ...]:
    out = []
    for raw in flask.request.args.getlist("state"):
        out += [v.strip() for v in raw.split(",") if v.strip()]
    if unknown := sorted(set(out) - set(STATES)):
        raise ApiError(400, f"state must be among {', '.join(STATES)}, not {unknown[0][:20]!r}")
    return tuple(out) or STATES


def list_alerts() -> tuple[flask.Response, int]:
    """GET /api/v1/alerts[?state=draft,approved][&incident_id=][&limit=]: newest first."""
    who = _caller("read")
    if unknown := sorted(set(flask.request.args) - LIST_PARAMS):
        raise ApiError(400, f"unknown parameters: {', '.join(unknown)[:200]}")
    limit_text = flask.request.args.get("limit", "100")
    if not (limit_text.isascii() and limit_text.isdigit()) or not 1 <= int(limit_text) <= MAX_LIST:
        raise ApiError(400, f"limit must be a whole number 1-{MAX_LIST}")
    incident = flask.request.args.get("incident_id") or None
    if incident is not None and not IDENTIFIER.match(incident):
        raise ApiError(400, "incident_id is not an incident's id")
    items = _refusals(
        ws.listing, get_context().store, who, now=utcnow(), states=_states(),
        incident_id=incident, limit=int(limit_text),
    )  # fmt: skip
    return flask.jsonify(items=items), 200


def get_alert(identifier: str) -> tuple[flask.Response, int]:
    """GET /api/v1/alerts/{id}: content, state, reach before publishing, XML once published."""
    who = _caller("read")
    ctx = get_context()
    with expensive(who.username):  # the reach intersects the grid
        body = _refusals(ws.view, ctx.store, ctx.config, who, _identifier(identifier), now=utcnow())
    return flask.jsonify(body), 200


def edit_alert(identifier: str) -> tuple[flask.Response, int]:
    """PATCH /api/v1/alerts/{id}: change fields of a draft (an approved one back to draft)."""
    who = _caller("edit")
    data = json_body()
    ctx = get_context()
    target = _identifier(identifier)
    _refusals(ws.edit, ctx.store, ctx.config, who, target, data, now=utcnow())
    return flask.jsonify(id=target, state="draft"), 200


def approve_alert(identifier: str) -> tuple[flask.Response, int]:
    """POST /api/v1/alerts/{id}/approve: a second person approves the draft."""
    who = _caller("approve")
    if _optional_body():
        raise ApiError(400, "approve takes no body")
    ctx = get_context()
    target = _identifier(identifier)
    _refusals(ws.approve, ctx.store, ctx.config, who, target, now=utcnow())
    return flask.jsonify(id=target, state="approved", approved_by=who.username), 200


def publish_alert(identifier: str) -> tuple[flask.Response, int]:
    """POST /api/v1/alerts/{id}/publish: the approved warning goes out (MQTT and the feed)."""
    who = _caller("publish")
    if _optional_body():
        raise ApiError(400, "publish takes no body")
    ctx = get_context()
    target = _identifier(identifier)
    _refusals(ws.publish, ctx.store, ctx.config, who, target, now=utcnow())
    topic = f"{ctx.config.settings.mqtt.topic_prefix}/alerts/out"
    return flask.jsonify(
        id=target, state="published", xml_url=f"/cap/alerts/{target}.xml", topic=topic
    ), 200


def _follow_up(identifier: str, msg_type: str) -> tuple[flask.Response, int]:
    who = _caller(msg_type.lower())
    changes = _optional_body()
    take_write(who.username)
    ctx = get_context()
    original = _identifier(identifier)
    new = _refusals(
        ws.follow_up, ctx.store, ctx.config, who, original, msg_type, changes, now=utcnow()
    )
    return flask.jsonify(id=new, state="draft", msg_type=msg_type, references=original), 201


def update_alert(identifier: str) -> tuple[flask.Response, int]:
    """POST /api/v1/alerts/{id}/update: a draft Update of the published warning."""
    return _follow_up(identifier, "Update")


def cancel_alert(identifier: str) -> tuple[flask.Response, int]:
    """POST /api/v1/alerts/{id}/cancel: a draft Cancel of the published warning."""
    return _follow_up(identifier, "Cancel")
