"""The incidents' and cameras' part of the one OpenAPI document: paths and schemas, built
from the same constants the views and the models check."""

from __future__ import annotations

from typing import Any

from app.api.incidents.actions import ACTIONS
from app.api.incidents.views import OPEN_FIELDS
from app.api.openapi_schemas import ref
from models.emergency.cameras import MAX_RADIUS_M, URL_MAX
from models.emergency.incident_rules import (
    AREA_MAX_VERTICES,
    NOTE_MAX,
    SOURCE_KINDS,
    STATUSES,
    TITLE_MAX,
)
from models.emergency.incidents import MAX_LIST
from models.emergency.timeline import KINDS
from models.vocabulary import INCIDENT_LEVELS, INCIDENT_TYPES

_JSON = "application/json"
_ID = {
    "name": "incident_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "maxLength": 64},
    "description": "the incident's id, e.g. INC-20261124-0001",
}
_MEANING = {
    400: "bad input, with the reason: unknown type or level, coordinates not numbers or "
    "outside the city, an area that is not a valid polygon, a title too long, unknown "
    "fields or parameters, a case or alert that suggests no type",
    401: "no or bad credentials (session cookie or bearer token)",
    403: "the role may not (open and note: emergency, admin, operator; plan, level, tasks, "
    "close: emergency, admin; read: those and leader), or the place is outside the "
    "caller's scope, or a cookie write without the CSRF header",
    404: "no such incident (or case, alarm, alert, task) in the caller's scope",
    409: "the incident's state does not allow it (closed, open already, a task done "
    "already, no plan for its type, a source with an open incident already)",
    413: "the body is too large",
    415: "the body is not application/json",
    422: "the body is not a JSON object",
    429: "too many requests (Retry-After says when to try again)",
}
_LEVEL = {
    "oneOf": [
        {"type": "string", "enum": [*INCIDENT_LEVELS, "1", "2", "3", "4"]},
        {"type": "integer", "minimum": 1, "maximum": 4},
    ],
    "description": "I 特别重大 (red) .. IV 一般 (blue); 1-4 are taken as I-IV",
}
_TIME = {"type": ["string", "null"], "format": "date-time"}


def _errors(*codes: int) -> dict[str, Any]:
    return {
        str(code): {"description": _MEANING[code], "content": {_JSON: {"schema": ref("Error")}}}
        for code in sorted({401, 403, *codes})
    }


def _ok(description: str, schema: dict[str, Any], code: str = "200") -> dict[str, Any]:
    return {code: {"description": description, "content": {_JSON: {"schema": schema}}}}


def _query(name: str, schema: dict[str, Any], description: str, *, required: bool = False):
    return {"name": name, "in": "query", "required": required, "schema": schema,
            "description": description}  # fmt: skip


def incident_paths() -> dict[str, Any]:
    """The /incidents and /cameras paths of the document."""
    return {
        "/incidents": {
            "get": {
                "summary": "Incidents of the caller's scope: open ones first (most severe "
                "first), then closed, newest first; with task counts",
                "parameters": [
                    _query("status", {"type": "string", "enum": list(STATUSES)}, "open or closed"),
                    _query("type", {"type": "string"}, "incident types, comma-separated"),
                    _query("exercise", {"type": "boolean"}, "drills only, or real ones only"),
                    _query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": MAX_LIST},
                        "most incidents returned (default 200)",
                    ),
                ],  # fmt: skip
                "responses": {
                    **_ok(
                        "incidents",
                        {"type": "object", "properties": {"items": {"items": ref("Incident")}}},
                    ),
                    **_errors(400),
                },  # fmt: skip
            },
            "post": {
                "summary": "Open an incident at a point or an area, or from a case "
                "(escalation), an alarm or an imported CAP alert",
                "requestBody": {
                    "required": True,
                    "content": {_JSON: {"schema": ref("IncidentNew")}},
                },
                "responses": {
                    **_ok(
                        "opened",
                        {
                            "type": "object",
                            "required": ["id"],
                            "properties": {"id": {"type": "string"}},
                        },
                        "201",
                    ),
                    **_errors(400, 404, 409, 413, 415, 422, 429),
                },  # fmt: skip
            },
        },
        "/incidents/{incident_id}": {
            "get": {
                "summary": "One incident with its plan tasks (overdue flagged), timeline and "
                "the cameras within emergency.camera_radius_m",
                "parameters": [_ID],
                "responses": {**_ok("the incident", ref("IncidentDetail")), **_errors(404)},
            },
        },
        "/incidents/{incident_id}/actions": {
            "post": {
                "summary": "activate_plan (run cards: the level's and every less severe "
                "level's tasks, none twice), set_level, note, close, reopen, task_done",
                "parameters": [_ID],
                "requestBody": {
                    "required": True,
                    "content": {_JSON: {"schema": ref("IncidentAction")}},
                },
                "responses": {
                    **_ok(
                        "done",
                        {
                            "type": "object",
                            "required": ["id", "action", "result"],
                            "properties": {
                                "id": {"type": "string"},
                                "action": {"type": "string", "enum": list(ACTIONS)},
                                "result": {"type": "object"},
                            },
                        },
                    ),
                    **_errors(400, 404, 409, 413, 415, 422),
                },  # fmt: skip
            },
        },
        "/incidents/{incident_id}/timeline.csv": {
            "get": {
                "summary": "The timeline as CSV for Excel: UTF-8 with BOM, local times",
                "parameters": [
                    _ID,
                    _query(
                        "lang",
                        {"type": "string", "enum": ["zh", "en"]},
                        "headers and kinds in Chinese (default) or English",
                    ),
                ],
                "responses": {
                    "200": {
                        "description": "the CSV file",
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    },
                    **_errors(400, 404),
                },  # fmt: skip
            },
        },
        "/cameras": {
            "get": {
                "summary": "Cameras within a radius of a point, nearest first (调取周边视频); "
                "roles emergency, admin, operator, leader, dispatcher",
                "parameters": [
                    _query("lon", {"type": "number"}, "longitude (WGS 84)", required=True),
                    _query("lat", {"type": "number"}, "latitude (WGS 84)", required=True),
                    _query(
                        "radius",
                        {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_RADIUS_M},
                        "metres; default emergency.camera_radius_m",
                    ),
                ],  # fmt: skip
                "responses": {
                    **_ok(
                        "cameras",
                        {
                            "type": "object",
                            "properties": {
                                "items": {"type": "array", "items": ref("Camera")},
                                "radius_m": {"type": "number"},
                            },
                        },
                    ),
                    **_errors(400),
                },  # fmt: skip
            },
        },
    }


_POLYGON = {
    "type": "object",
    "required": ["type", "coordinates"],
    "description": f"a GeoJSON Polygon or MultiPolygon (lon, lat), at most "
    f"{AREA_MAX_VERTICES} vertices, inside the city",
    "properties": {
        "type": {"type": "string", "enum": ["Polygon", "MultiPolygon"]},
        "coordinates": {"type": "array"},
    },
}
_INCIDENT_PROPERTIES: dict[str, Any] = {
    "id": {"type": "string"},
    "type": {"type": "string", "enum": list(INCIDENT_TYPES)},
    "level": {"type": "string", "enum": list(INCIDENT_LEVELS)},
    "title": {"type": "string"},
    "lon": {"type": "number"},
    "lat": {"type": "number"},
    "status": {"type": "string", "enum": list(STATUSES)},
    "exercise": {"type": "boolean"},
    "opened_at": _TIME,
    "opened_by": {"type": ["string", "null"]},
    "closed_at": _TIME,
    "closed_by": {"type": ["string", "null"]},
    "updated_at": _TIME,
    "source_kind": {"type": ["string", "null"], "enum": [*SOURCE_KINDS, None]},
    "source_ref": {"type": ["string", "null"]},
    "district_code": {"type": ["string", "null"]},
    "tasks_total": {"type": "integer"},
    "tasks_done": {"type": "integer"},
    "tasks_overdue": {"type": "integer"},
}
INCIDENT_SCHEMAS: dict[str, Any] = {
    "IncidentNew": {
        "type": "object",
        "description": "A place (lon and lat, or area) or one source (case_id, alarm_id, "
        "cap_identifier: type, level and title then default from the source). Fields: "
        + ", ".join(sorted(OPEN_FIELDS)),
        "properties": {
            "type": {"type": "string", "enum": list(INCIDENT_TYPES)},
            "level": _LEVEL,
            "lon": {"type": "number", "minimum": -180, "maximum": 180},
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "area": _POLYGON,
            "title": {"type": "string", "minLength": 1, "maxLength": TITLE_MAX},
            "exercise": {"type": "boolean", "default": False},
            "case_id": {"type": "string"},
            "alarm_id": {"type": "string"},
            "cap_identifier": {"type": "string"},
        },
        "additionalProperties": False,
    },
    "Incident": {
        "type": "object",
        "required": ["id", "type", "level", "title", "status", "exercise"],
        "properties": _INCIDENT_PROPERTIES,
    },
    "IncidentDetail": {
        "type": "object",
        "required": ["id", "type", "level", "status", "tasks", "timeline", "cameras"],
        "properties": {
            **_INCIDENT_PROPERTIES,
            "area": {"type": ["object", "null"], "description": "GeoJSON geometry"},
            "tasks": {"type": "array", "items": ref("IncidentTask")},
            "timeline": {"type": "array", "items": ref("TimelineEntry")},
            "cameras": {"type": "array", "items": ref("Camera")},
            "camera_radius_m": {"type": "number"},
        },
    },
    "IncidentTask": {
        "type": "object",
        "properties": {
            "task_no": {"type": "integer"},
            "plan_id": {"type": "string"},
            "plan_level": {"type": "string", "enum": list(INCIDENT_LEVELS)},
            "step_no": {"type": "integer"},
            "action_zh": {"type": "string"},
            "action_en": {"type": ["string", "null"]},
            "owner": {
                "type": ["string", "null"],
                "description": "a department code, an agency code or role:<role>",
            },
            "owner_name_zh": {"type": "string"},
            "owner_name_en": {"type": "string"},
            "requires": {"type": ["string", "null"], "description": "resource kind:subtype"},
            "created_at": _TIME,
            "due_at": _TIME,
            "done_at": _TIME,
            "done_by": {"type": ["string", "null"]},
            "overdue": {"type": "boolean"},
            "overdue_s": {"type": "integer"},
        },  # fmt: skip
    },
    "TimelineEntry": {
        "type": "object",
        "properties": {
            "seq": {"type": "integer"},
            "at": _TIME,
            "actor": {"type": ["string", "null"]},
            "kind": {"type": "string", "enum": list(KINDS)},
            "detail": {"type": "object"},
        },
    },
    "IncidentAction": {
        "type": "object",
        "required": ["action"],
        "properties": {
            "action": {"type": "string", "enum": list(ACTIONS)},
            "level": {
                **_LEVEL,
                "description": "activate_plan (default: the incident's) and set_level (required)",
            },
            "text": {"type": "string", "maxLength": NOTE_MAX, "description": "note: required"},
            "note": {"type": "string", "maxLength": NOTE_MAX},
            "task": {"type": "integer", "minimum": 1, "description": "task_done: required"},
        },  # fmt: skip
        "additionalProperties": False,
    },
    "Camera": {
        "type": "object",
        "properties": {
            "camera_id": {"type": "string"},
            "name": {"type": ["string", "null"]},
            "lon": {"type": "number"},
            "lat": {"type": "number"},
            "camera_class": {"type": "integer", "enum": [1, 2, 3]},
            "stream_url": {
                "type": ["string", "null"],
                "maxLength": URL_MAX,
                "description": "http, https or rtsp; a link only, never fetched",
            },
            "owner": {"type": ["string", "null"]},
            "synthetic": {"type": "boolean"},
            "distance_m": {"type": "number"},
        },  # fmt: skip
    },
}
