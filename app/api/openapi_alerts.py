"""The warnings' (CAP 1.2 out) part of the one OpenAPI document: paths under /alerts and
their schemas, built from the same constants the content check uses."""

from __future__ import annotations

from typing import Any

from app.api.alerts import MAX_LIST
from app.api.openapi_schemas import ref
from models.emergency.warning_content import (
    CERTAINTIES,
    EVENTS,
    MAX_AREA_DESC,
    MAX_CIRCLES,
    MAX_CODES,
    MAX_DESCRIPTION,
    MAX_HEADLINE,
    MAX_INSTRUCTION,
    MAX_POLYGONS,
    MAX_RADIUS_KM,
    MAX_VERTICES,
    RESPONSE_TYPES,
    SEVERITIES,
    STATUSES,
    URGENCIES,
)
from models.emergency.warning_records import STATES

_JSON = "application/json"
_ID = {
    "name": "identifier",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "maxLength": 128},
    "description": "the warning's CAP identifier, e.g. CN-445100-20261124080000-1",
}
_MEANING = {
    400: "bad content (the reason says which value: a ring not closed or crossing itself, an "
    "unknown district code, expires before onset, text too long...) or a bad parameter",
    401: "no or bad credentials (session cookie or bearer token)",
    403: "the role or scope may not, or the caller wrote the warning and may not approve it",
    404: "no such warning (drafts of others are warnings too; inbound alerts are not)",
    409: "the warning's state does not allow it (publish a draft, edit a published one, "
    "update or cancel one that is not published, another sender's, or already ended)",
    413: "the body is too large",
    415: "the body is not application/json",
    422: "the body is not a JSON object or has unknown fields; or (publish) the composed "
    "alert does not validate against the OASIS CAP 1.2 schema",
    429: "too many requests (Retry-After says when to try again)",
}


def _errors(*codes: int) -> dict[str, Any]:
    return {
        str(code): {"description": _MEANING[code], "content": {_JSON: {"schema": ref("Error")}}}
        for code in sorted({401, 403, *codes})
    }


def _ok(description: str, schema: dict[str, Any], code: str = "200") -> dict[str, Any]:
    return {code: {"description": description, "content": {_JSON: {"schema": schema}}}}


def _body(schema: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {_JSON: {"schema": schema}}}


_MADE = {
    "type": "object",
    "required": ["id", "state"],
    "properties": {
        "id": {"type": "string"},
        "state": {"type": "string", "enum": list(STATES)},
        "msg_type": {"type": "string", "enum": ["Update", "Cancel"]},
        "references": {"type": "string"},
        "approved_by": {"type": "string"},
        "xml_url": {"type": "string"},
        "topic": {"type": "string"},
    },
}
_WRITE = (400, 404, 409, 413, 415, 422)


def alert_paths() -> dict[str, Any]:
    """The /alerts paths of the document."""
    follow = {
        "parameters": [_ID],
        "requestBody": _body(ref("WarningChanges"), required=False),
        "responses": {**_ok("the new draft", _MADE, "201"), **_errors(*_WRITE, 429)},
    }
    return {
        "/alerts": {
            "get": {
                "summary": "Warnings (CAP 1.2 out), newest first; roles emergency, leader, "
                "admin, operator",
                "parameters": [
                    {
                        "name": "state",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "states, comma-separated: " + ", ".join(STATES),
                    },
                    {
                        "name": "incident_id",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIST},
                    },
                ],  # fmt: skip
                "responses": {
                    **_ok(
                        "warnings (without reach)",
                        {"type": "object", "properties": {"items": {"items": ref("Warning")}}},
                    ),
                    **_errors(400),
                },
            },
            "post": {
                "summary": "Compose a warning as a draft (roles emergency, admin; city scope)",
                "requestBody": _body(ref("WarningContent")),
                "responses": {**_ok("the draft", _MADE, "201"), **_errors(*_WRITE, 429)},
            },
        },
        "/alerts/{identifier}": {
            "get": {
                "summary": "A warning: content, state, allowed actions, reach (cells of the "
                "current grid, share inside, population estimate), the XML once published",
                "parameters": [_ID],
                "responses": {**_ok("the warning", ref("Warning")), **_errors(404, 429)},
            },
            "patch": {
                "summary": "Change fields of a draft or approved warning (an approved one goes "
                "back to draft and needs approval again)",
                "parameters": [_ID],
                "requestBody": _body(ref("WarningChanges")),
                "responses": {**_ok("changed", _MADE), **_errors(*_WRITE)},
            },
        },
        "/alerts/{identifier}/approve": {
            "post": {
                "summary": "Approve a draft: a second person (roles emergency, leader, admin), "
                "never one who wrote it",
                "parameters": [_ID],
                "responses": {**_ok("approved", _MADE), **_errors(400, 404, 409)},
            },
        },
        "/alerts/{identifier}/publish": {
            "post": {
                "summary": "Publish an approved warning: the CAP XML checked against the OASIS "
                "schema, sent on MQTT {prefix}/alerts/out and listed on /cap/feed.xml",
                "parameters": [_ID],
                "responses": {**_ok("published", _MADE), **_errors(400, 404, 409, 422)},
            },
        },
        "/alerts/{identifier}/update": {
            "post": {
                **follow,
                "summary": "Draft an Update of a published warning (its "
                "content with the fields given replaced); <references> names it",
            },
        },  # fmt: skip
        "/alerts/{identifier}/cancel": {
            "post": {
                **follow,
                "summary": "Draft a Cancel of a published warning (optionally "
                "with new texts); <references> names it",
            },
        },  # fmt: skip
    }


def _lang(max_len: int) -> dict[str, Any]:
    text = {"type": "string", "minLength": 1, "maxLength": max_len}
    return {
        "type": "object",
        "required": ["zh", "en"],
        "properties": {"zh": text, "en": text},
        "additionalProperties": False,
    }


_POINT = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
_CONTENT_PROPERTIES: dict[str, Any] = {
    "event": {"type": "string", "enum": list(EVENTS)},
    "urgency": {"type": "string", "enum": list(URGENCIES)},
    "severity": {
        "type": "string",
        "enum": list(SEVERITIES),
        "description": "Extreme 红 red, Severe 橙 orange, Moderate 黄 yellow, Minor 蓝 blue",
    },
    "certainty": {"type": "string", "enum": list(CERTAINTIES)},
    "headline": _lang(MAX_HEADLINE),
    "description": _lang(MAX_DESCRIPTION),
    "instruction": {"oneOf": [_lang(MAX_INSTRUCTION), {"type": "null"}]},
    "area": {
        "type": "object",
        "description": "at least one of polygons, circles, codes",
        "properties": {
            "polygons": {
                "type": "array",
                "maxItems": MAX_POLYGONS,
                "items": {
                    "type": "array",
                    "items": _POINT,
                    "minItems": 4,
                    "maxItems": MAX_VERTICES,
                },
                "description": "closed rings of [lon, lat] (first point = last), not crossing",
            },  # fmt: skip
            "circles": {
                "type": "array",
                "maxItems": MAX_CIRCLES,
                "items": {
                    "type": "object",
                    "required": ["lon", "lat", "radius_km"],
                    "properties": {
                        "lon": {"type": "number"},
                        "lat": {"type": "number"},
                        "radius_km": {
                            "type": "number",
                            "exclusiveMinimum": 0,
                            "maximum": MAX_RADIUS_KM,
                        },
                    },  # fmt: skip
                },
            },
            "codes": {
                "type": "array",
                "maxItems": MAX_CODES,
                "items": {"type": "string", "pattern": "^([0-9]{6}|[0-9]{9})$"},
                "description": "district (6-digit) or street (9-digit) codes",
            },
            "description": {"oneOf": [_lang(MAX_AREA_DESC), {"type": "null"}]},
        },
        "additionalProperties": False,
    },
    "onset": {"type": ["string", "null"], "format": "date-time"},
    "expires": {"type": "string", "format": "date-time", "description": "after onset, ahead"},
    "status": {"type": "string", "enum": list(STATUSES)},
    "incident_id": {"type": ["string", "null"]},
    "response_types": {"type": "array", "items": {"type": "string", "enum": list(RESPONSE_TYPES)}},
}

ALERT_SCHEMAS: dict[str, Any] = {
    "WarningContent": {
        "type": "object",
        "description": "A composed warning; times ISO 8601 with a zone.",
        "required": [
            "event",
            "urgency",
            "severity",
            "certainty",
            "headline",
            "description",
            "area",
            "expires",
            "status",
        ],
        "properties": _CONTENT_PROPERTIES,
        "additionalProperties": False,
    },  # fmt: skip
    "WarningChanges": {
        "type": "object",
        "description": "Fields of WarningContent to replace (top level).",
        "properties": _CONTENT_PROPERTIES,
        "additionalProperties": False,
    },
    "Warning": {
        "type": "object",
        "required": ["id", "state", "msg_type", "status", "content", "allowed_actions"],
        "properties": {
            "id": {"type": "string"},
            "state": {"type": "string", "enum": list(STATES)},
            "msg_type": {"type": "string", "enum": ["Alert", "Update", "Cancel"]},
            "status": {"type": "string", "enum": list(STATUSES)},
            "exercise": {"type": "boolean"},
            "colour": {"type": "string", "enum": ["red", "orange", "yellow", "blue"]},
            "content": ref("WarningContent"),
            "area": {"type": "object", "description": "the area as CAP carries it"},
            "geometry": {"type": "object", "description": "the area as GeoJSON"},
            "references": {"type": ["string", "null"]},
            "current": {"type": "boolean"},
            "allowed_actions": {"type": "array", "items": {"type": "string"}},
            "reach": {
                "type": "object",
                "properties": {
                    "grid_version": {"type": ["integer", "null"]},
                    "cell_count": {"type": "integer"},
                    "population": {"type": ["integer", "null"]},
                    "cells_without_population": {"type": "integer"},
                    "cells": {"type": "array", "items": {"type": "object"}},
                },
            },
            "xml": {"type": ["string", "null"], "description": "the CAP XML once published"},
            "xml_url": {"type": ["string", "null"]},
        },
        "additionalProperties": True,
    },
}
