"""The command part of the incident API in the one OpenAPI document: the nearest available
units, dispatch orders and the situation report."""

from __future__ import annotations

from typing import Any

from app.api.incidents.command import ORDER_FIELDS
from app.api.incidents.docs import _ID, _errors, _ok, _query
from app.api.openapi_schemas import ref
from models.vocabulary import RESOURCE_KINDS

_JSON = "application/json"
_ORDER_ID = {"name": "order_id", "in": "path", "required": True,
             "schema": {"type": "string", "maxLength": 64}}  # fmt: skip


def command_paths() -> dict[str, Any]:
    """Paths of /incidents/{id}/nearest, /orders, /orders/{order_id}/cancel, /sitrep.pdf."""
    return {
        "/incidents/{incident_id}/nearest": {
            "get": {
                "summary": "Available units ranked by travel time to the scene on the road "
                "network (straight line where off it), each with its ETA and reasons; every "
                "unit left out with why (position 14 min old, out of service, no capacity, "
                "wrong type for the requirement)",
                "parameters": [
                    _ID,
                    _query("kind", {"type": "string", "enum": list(RESOURCE_KINDS)},
                           "only this kind of resource"),
                    _query("requires", {"type": "string", "maxLength": 200},
                           "a plan step's requirement, e.g. team:flood_control "
                           "(alternatives with |)"),
                    _query("lang", {"type": "string", "enum": ["zh", "en"]},
                           "the reasons' language (default zh)"),
                ],  # fmt: skip
                "responses": {
                    **_ok("the ranking", ref("NearestRanking")),
                    **_errors(400, 404, 429),
                },
            },
        },
        "/incidents/{incident_id}/orders": {
            "get": {
                "summary": "The incident's dispatch orders, newest first: order, ack and "
                "arrival times, re-sent and unacknowledged (red) flags, the unit's status",
                "parameters": [_ID],
                "responses": {
                    **_ok("orders", {"type": "object", "properties": {
                        "id": {"type": "string"},
                        "items": {"type": "array", "items": ref("DispatchOrder")}}}),
                    **_errors(404),
                },  # fmt: skip
            },
            "post": {
                "summary": "Dispatch an available mobile unit to the incident's scene: the "
                "order is published to {prefix}/dispatch/{unit} after it is committed; the "
                "unit acks on …/ack; re-sent once after emergency.ack_timeout_s, then red",
                "parameters": [_ID],
                "requestBody": {"required": True, "content": {_JSON: {"schema": ref("OrderNew")}}},
                "responses": {
                    **_ok("issued", {"type": "object", "required": ["id"],
                                     "properties": {"id": {"type": "string"}}}, "201"),
                    **_errors(400, 404, 409, 413, 415, 422, 429),
                },  # fmt: skip
            },
        },
        "/incidents/{incident_id}/orders/{order_id}/cancel": {
            "post": {
                "summary": "Stand an open order down (the unit is available again)",
                "parameters": [_ID, _ORDER_ID],
                "responses": {
                    **_ok("cancelled", {"type": "object", "properties": {
                        "id": {"type": "string"}, "status": {"const": "cancelled"}}}),
                    **_errors(404, 409),
                },  # fmt: skip
            },
        },
        "/incidents/{incident_id}/sitrep.pdf": {
            "get": {
                "summary": "The situation report made now: summary, map, plan tasks, units "
                "and orders, resources, warnings, related cases, timeline",
                "parameters": [_ID],
                "responses": {
                    "200": {"description": "the PDF",
                            "content": {"application/pdf": {"schema": {"type": "string"}}}},
                    **_errors(404, 429),
                    "503": {"description": "the report could not be made now (retry)",
                            "content": {_JSON: {"schema": ref("Error")}}},
                },  # fmt: skip
            },
        },
    }


_TIME = {"type": ["string", "null"], "format": "date-time"}
COMMAND_SCHEMAS: dict[str, Any] = {
    "NearestRanking": {
        "type": "object",
        "required": ["candidates", "excluded"],
        "properties": {
            "id": {"type": "string"},
            "candidates": {"type": "array", "items": {
                "type": "object", "required": ["unit", "eta_s", "reasons"],
                "properties": {
                    "unit": {"type": "string"}, "name": {"type": ["string", "null"]},
                    "kind": {"type": "string"}, "subtype": {"type": ["string", "null"]},
                    "eta_s": {"type": "number"}, "distance_m": {"type": ["number", "null"]},
                    "via": {"type": "string", "enum": ["road", "straight_line"]},
                    "reasons": {"type": "array", "items": {"type": "string"}},
                }}},
            "excluded": {"type": "array", "items": {
                "type": "object", "required": ["unit", "why"],
                "properties": {"unit": {"type": "string"}, "why": {"type": "string"},
                               "why_code": {"type": "string"}}}},
            "problem": {"type": ["string", "null"]},
        },
    },  # fmt: skip
    "OrderNew": {
        "type": "object",
        "required": ["unit"],
        "properties": {"unit": {"type": "string", "maxLength": 64},
                       "note": {"type": "string", "maxLength": 500}},
        "additionalProperties": False,
    },  # fmt: skip
    "DispatchOrder": {
        "type": "object",
        "properties": {
            "order_id": {"type": "string"}, "unit": {"type": "string"},
            "status": {"type": "string",
                       "enum": ["sent", "acked", "arrived", "unacked", "cancelled"]},
            "issued_at": _TIME, "acked_at": _TIME, "arrived_at": _TIME, "resent_at": _TIME,
            "unacked_at": _TIME, "eta_s": {"type": ["number", "null"]},
            "unit_status": {"type": ["string", "null"]}, "exercise": {"type": "boolean"},
        },
    },  # fmt: skip
}
assert set(COMMAND_SCHEMAS["OrderNew"]["properties"]) == set(ORDER_FIELDS)
