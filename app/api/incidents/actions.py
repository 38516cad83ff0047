"""POST /api/v1/incidents/{id}/actions: what the command does to an incident.

``{"action": "activate_plan", "level"?}``, ``{"action": "set_level", "level", "note"?}``,
``{"action": "note", "text"}``, ``{"action": "close", "note"?}``, ``{"action": "reopen",
"note"?}``, ``{"action": "task_done", "task", "note"?}``. Notes: emergency, admin, operator;
the others: emergency and admin. Each answers 200 with what changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask

from app.api.errors import ApiError, actor, json_body
from app.api.incidents.common import check_fields, path_id, plain, plan_book, refusals
from app.context import get_context
from models.case_service import Actor
from models.clock import utcnow
from models.emergency.incidents import (
    add_note,
    close_incident,
    reopen_incident,
    set_level,
)
from models.emergency.plan_tasks import activate_plan, complete_task
from models.store import Store

#: Each action's fields besides ``action`` (required ones first in the docs).
FIELDS: dict[str, frozenset[str]] = {
    "activate_plan": frozenset({"level"}),
    "set_level": frozenset({"level", "note"}),
    "note": frozenset({"text"}),
    "close": frozenset({"note"}),
    "reopen": frozenset({"note"}),
    "task_done": frozenset({"task", "note"}),
}
ACTIONS = tuple(FIELDS)


def _activate(store: Store, who: Actor, incident_id: str, data: dict[str, Any], now) -> Any:
    return activate_plan(store, who, incident_id, plans=plan_book(), now=now,
                         level=data.get("level"))  # fmt: skip


def _set_level(store: Store, who: Actor, incident_id: str, data: dict[str, Any], now) -> Any:
    if data.get("level") is None:
        raise ApiError(400, "set_level needs level (I-IV or 1-4)")
    return set_level(store, who, incident_id, data["level"], now=now, note=data.get("note"),
                     plans=plan_book())  # fmt: skip


def _note(store: Store, who: Actor, incident_id: str, data: dict[str, Any], now) -> Any:
    return {"seq": add_note(store, who, incident_id, data.get("text"), now=now)}


def _close(store: Store, who: Actor, incident_id: str, data: dict[str, Any], now) -> Any:
    close_incident(store, who, incident_id, now=now, note=data.get("note"))
    return {"status": "closed"}


def _reopen(store: Store, who: Actor, incident_id: str, data: dict[str, Any], now) -> Any:
    reopen_incident(store, who, incident_id, now=now, note=data.get("note"))
    return {"status": "open"}


def _task_done(store: Store, who: Actor, incident_id: str, data: dict[str, Any], now) -> Any:
    if data.get("task") is None:
        raise ApiError(400, "task_done needs task (the task number)")
    return complete_task(store, who, incident_id, data["task"], now=now, note=data.get("note"))


_HANDLERS: dict[str, Callable[..., Any]] = {
    "activate_plan": _activate,
    "set_level": _set_level,
    "note": _note,
    "close": _close,
    "reopen": _reopen,
    "task_done": _task_done,
}


def incident_action(incident_id: str) -> tuple[flask.Response, int]:
    """POST /api/v1/incidents/{id}/actions."""
    who = actor()
    data = json_body()
    action = data.get("action")
    if not isinstance(action, str) or action not in FIELDS:
        raise ApiError(400, f"action must be one of {', '.join(ACTIONS)}")
    fields = {k: v for k, v in data.items() if k != "action"}
    check_fields(fields, FIELDS[action])
    target = path_id(incident_id)
    result = refusals(_HANDLERS[action], get_context().store, who, target, fields, utcnow())
    return flask.jsonify(id=target, action=action, result=plain(result)), 200
