"""The case API described in OpenAPI 3.1, built from the same constants the views check."""

from __future__ import annotations

import functools
from typing import Any

import flask

from app.api.actions import DATA_KEYS, MAX_BULK
from app.api.cases import REPORT_FIELDS
from app.api.errors import MAX_EXTENSION_HOURS, MAX_JSON_BYTES
from app.api.queue import DEFAULT_PAGE, MAX_PAGE
from app.auth import API_CSRF_HEADER
from models.case_queue import DUE_FILTERS, SORTABLE
from models.vocabulary import REPORT_SOURCES
from models.workflow import ACTIONS, STAGES

_JSON = "application/json"
_ID = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "string"}}
_ACTIONS = [a for a in ACTIONS if a != "report"]
_STRINGS = {"type": "array", "items": {"type": "string"}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _body(schema: dict[str, Any], media: str = _JSON) -> dict[str, Any]:
    return {"required": True, "content": {media: {"schema": schema}}}


def _ok(description: str, schema: dict[str, Any], code: str = "200") -> dict[str, Any]:
    return {code: {"description": description, "content": {_JSON: {"schema": schema}}}}


def _errors(*codes: int) -> dict[str, Any]:
    meaning = {
        400: "malformed JSON",
        401: "no or bad credentials (session cookie or bearer token)",
        403: "the role may not, or a cookie write without the CSRF header",
        404: "no such case in the caller's scope",
        405: "method not allowed",
        409: "the case's stage does not allow it, or it changed meanwhile",
        413: "the body is too large",
        415: "the body is not application/json",
        422: "missing or bad data",
        429: "too many requests",
    }
    out = {}
    for code in sorted({401, *codes}):
        out[str(code)] = {
            "description": meaning[code],
            "content": {_JSON: {"schema": _ref("Error")}},
        }
    return out


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


_LIST_PARAMS = [
    _query("stage", {"type": "string"}, "stages, comma-separated or repeated (default: open)"),
    _query("include_closed", {"type": "boolean"}, "with closed and void cases"),
    _query("category", {"type": "string"}, "category codes, comma-separated or repeated"),
    _query("district", {"type": "string", "pattern": "^[0-9]{6}$"}, "district code"),
    _query("street", {"type": "string", "pattern": "^[0-9]{9}$"}, "street code"),
    _query("source", {"type": "string"}, "report sources, comma-separated or repeated"),
    _query("due", {"type": "string", "enum": list(DUE_FILTERS)}, "by deadline standing"),
    _query("exercise", {"type": "boolean"}, "drills only (true) or real cases only (false)"),
    _query("q", {"type": "string", "maxLength": 200}, "text in id, description, address"),
    _query("claimed_by", {"type": "string"}, "'me' or a username: on whose to-do list"),
    _query("unit", {"type": "string"}, "the assigned unit"),
    _query(
        "sort",
        {"type": "string"},
        f"columns, comma-separated, '-' for descending: {', '.join(SORTABLE)}",
    ),
    _query("offset", {"type": "integer", "minimum": 0, "default": 0}, "rows to skip"),
    _query(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": DEFAULT_PAGE},
        "rows per page",
    ),
]

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string"},
            "allowed_actions": {**_STRINGS, "description": "what the caller could do instead"},
        },
    },
    "Case": {
        "type": "object",
        "description": "A case as the dispatch console shows it (times ISO 8601 UTC, Z).",
        "required": ["id", "stage", "category", "lon", "lat", "unit", "due_at", "photos"],
        "properties": {
            "id": {"type": "string"},
            "stage": {"type": "string", "enum": list(STAGES)},
            "category": {"type": "object", "additionalProperties": True},
            "lon": {"type": ["number", "null"]},
            "lat": {"type": ["number", "null"]},
            "unit": {"type": ["string", "null"], "description": "the assigned unit"},
            "due_at": {"type": ["string", "null"], "format": "date-time"},
            "duplicate_of": {"type": ["string", "null"]},
            "claimed_by": {"type": ["string", "null"]},
            "photos": {"type": "array", "items": {"type": "object"}},
            "history": {"type": "array", "items": {"type": "object"}},
            "routing": {
                "type": ["object", "null"],
                "description": "the latest routing suggestion: unit, basis and reasons",
            },
            "allowed_actions": _STRINGS,
            "version": {"type": "integer"},
        },
        "additionalProperties": True,
    },
    "QueuePage": {
        "type": "object",
        "required": ["items", "total", "offset", "limit", "next"],
        "properties": {
            "items": {"type": "array", "items": {"type": "object", "required": ["id", "stage"]}},
            "total": {"type": "integer"},
            "offset": {"type": "integer"},
            "limit": {"type": "integer"},
            "next": {"type": ["integer", "null"], "description": "offset of the next page"},
            "max_seq": {"type": "integer", "description": "change cursor of the scope"},
        },
    },
    "Report": {
        "type": "object",
        "required": ["category", "lon", "lat"],
        "additionalProperties": False,
        "properties": {
            "category": {"type": "string"},
            "lon": {"type": "number", "minimum": -180, "maximum": 180},
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "text": {"type": "string", "maxLength": 4000},
            "source": {
                "type": "string",
                "enum": list(REPORT_SOURCES),
                "description": "default: grid_worker for a grid worker, else hotline",
            },
            "external_id": {
                "type": "string",
                "maxLength": 128,
                "description": "idempotency: a second report with the same external_id "
                "answers 200 with the existing case (created false), or 409 when that "
                "case is outside the caller's scope",
            },
            "exercise": {"type": "boolean"},
        },
    },
    "Reported": {
        "type": "object",
        "required": ["id", "stage", "created"],
        "properties": {
            "id": {"type": "string"},
            "stage": {"type": "string"},
            "created": {"type": "boolean"},
            "route": {"type": "object"},
            "duplicates": _STRINGS,
        },
    },
    "Action": {
        "type": "object",
        "required": ["action"],
        "additionalProperties": False,
        "properties": {
            "action": {"type": "string", "enum": _ACTIONS},
            "note": {"type": "string", "maxLength": 2000},
            "override_reason": {
                "type": "string",
                "description": "dispatch to another unit than the suggestion",
            },
            "unit": {"type": "string", "description": "dispatch: omitted takes the suggestion"},
            "reason": {"type": "string"},
            "category": {"type": "string", "description": "recategorise: the new code"},
            "into": {"type": "string", "description": "merge: the case this one repeats"},
            "extension": {
                "type": ["number", "string"],
                "description": "working hours (8, 1.5) or an ISO 8601 duration of hours/"
                f"minutes/seconds (PT8H, PT1H30M); days are refused; at most "
                f"{MAX_EXTENSION_HOURS:g} h",
            },
        },
    },
    "BulkAction": {
        "allOf": [
            {
                "type": "object",
                "required": ["case_ids"],
                "properties": {
                    "case_ids": {**_STRINGS, "minItems": 1, "maxItems": MAX_BULK},
                },
            },
            _ref("Action"),
        ],
    },
    "Acted": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "action": {"type": "string"},
            "stage": {"type": "string"},
            "unit": {"type": ["string", "null"]},
            "allowed_actions": _STRINGS,
        },
    },
    "BulkOutcome": {
        "type": "object",
        "properties": {
            "action": {"type": "string"},
            "ok": {"type": "integer"},
            "failed": {"type": "integer"},
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "ok": {"type": "boolean"},
                        "stage": {"type": ["string", "null"]},
                        "status": {"type": "integer"},
                        "error": {"type": "string"},
                    },
                },
            },
        },
    },
    "Claim": {
        "type": "object",
        "properties": {"id": {"type": "string"}, "claimed_by": {"type": ["string", "null"]}},
    },
    "Category": {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "kind": {"type": "string", "enum": ["component", "event"]},
            "name_zh": {"type": "string"},
            "name_en": {"type": "string"},
            "limit": {
                "type": "object",
                "properties": {
                    "value": {"type": "number"},
                    "unit": {"type": "string", "enum": ["working_hours", "working_days"]},
                },
            },
            "owner": {"type": "string"},
        },
    },
}


def _paths() -> dict[str, Any]:
    claim = {
        "parameters": [_ID],
        "responses": {**_ok("the case's holder", _ref("Claim")), **_errors(403, 404, 409)},
    }
    return {
        "/cases": {
            "get": {
                "summary": "A page of the cases in the caller's scope (filters as the queue)",
                "parameters": _LIST_PARAMS,
                "responses": {**_ok("one page", _ref("QueuePage")), **_errors(422)},
            },
            "post": {
                "summary": "Report a case (located and routed by the case builder)",
                "requestBody": _body(_ref("Report")),
                "responses": {
                    **_ok("made", _ref("Reported"), "201"),
                    **_ok("made before from this external_id", _ref("Reported")),
                    **_errors(400, 403, 409, 413, 415, 422),
                },
            },
        },
        "/cases/actions": {
            "post": {
                "summary": f"One action on up to {MAX_BULK} cases, each case's own outcome",
                "requestBody": _body(_ref("BulkAction")),
                "responses": {
                    **_ok("per-case outcomes", _ref("BulkOutcome")),
                    **_errors(400, 403, 413, 415, 422),
                },
            },
        },
        "/cases/{case_id}": {
            "get": {
                "summary": "One case with history, routing reasons, photos, allowed actions",
                "parameters": [_ID],
                "responses": {**_ok("the case", _ref("Case")), **_errors(404)},
            },
        },
        "/cases/{case_id}/actions": {
            "post": {
                "summary": "A workflow action on the case (dispatch without unit: suggested)",
                "parameters": [_ID],
                "requestBody": _body(_ref("Action")),
                "responses": {
                    **_ok("done", _ref("Acted")),
                    **_errors(400, 403, 404, 409, 413, 415, 422),
                },
            },
        },
        "/cases/{case_id}/claim": {
            "post": {**claim, "summary": "Put the case on my to-do list (assign to me)"},
            "delete": {**claim, "summary": "Give the case back"},
        },
        "/categories": {
            "get": {
                "summary": "The enabled categories",
                "responses": _ok(
                    "categories",
                    {"type": "object", "properties": {"items": {"items": _ref("Category")}}},
                ),
            },
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": _ok("OpenAPI 3.1", {"type": "object"}),
            },
        },
    }


@functools.cache
def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of /api/v1."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "CityOps case API",
            "version": "1.0.0",
            "description": (
                "Cases of the city operations center as JSON for integrations (the 12345 "
                "hotline, other clients). The caller's role and scope apply as on the "
                "screens. Credentials: a bearer token (`cityops token create USER`, shown "
                "once, stored hashed, revocable) or the session cookie; a cookie write "
                f"(POST, DELETE) needs the `{API_CSRF_HEADER}` header and no foreign "
                f"Origin. JSON bodies: at most {MAX_JSON_BYTES} bytes. Action data keys: "
                f"{', '.join(DATA_KEYS)}; report fields: {', '.join(sorted(REPORT_FIELDS))}."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"cookie": []}],
        "paths": _paths(),
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


def serve_document() -> tuple[flask.Response, int]:
    """GET /api/v1/openapi.json."""
    return flask.jsonify(document()), 200
