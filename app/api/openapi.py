"""The case API described in OpenAPI 3.1, built from the same constants the views check."""

from __future__ import annotations

import functools
from typing import Any

import flask

from app.api.actions import DATA_KEYS, MAX_BULK
from app.api.cases import REPORT_FIELDS
from app.api.errors import MAX_JSON_BYTES
from app.api.incidents.command_docs import COMMAND_SCHEMAS, command_paths
from app.api.incidents.docs import INCIDENT_SCHEMAS, incident_paths
from app.api.openapi_alerts import ALERT_SCHEMAS, alert_paths
from app.api.openapi_exports import export_paths
from app.api.openapi_schemas import SCHEMAS, ref
from app.api.queue import DEFAULT_PAGE, MAX_PAGE
from app.api.users_docs import USER_SCHEMAS, user_paths
from app.auth import API_CSRF_HEADER
from app.reports.store import MEDIA as REPORT_MEDIA
from models.attachments import KINDS as PHOTO_KINDS
from models.case_queue import DUE_FILTERS, SORTABLE
from models.workflow import ACTIONS

_JSON = "application/json"
_ID = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "string"}}
_ACTIONS = [a for a in ACTIONS if a != "report"]
_STRINGS = {"type": "array", "items": {"type": "string"}}


def _body(schema: dict[str, Any], media: str = _JSON) -> dict[str, Any]:
    return {"required": True, "content": {media: {"schema": schema}}}


def _ok(description: str, schema: dict[str, Any], code: str = "200") -> dict[str, Any]:
    return {code: {"description": description, "content": {_JSON: {"schema": schema}}}}


def _errors(*codes: int) -> dict[str, Any]:
    meaning = {
        400: "malformed JSON, or a bad query parameter (period, scope, district)",
        401: "no or bad credentials (session cookie or bearer token)",
        403: "the role may not, the scope asked is outside the caller's, or a cookie write "
        "without the CSRF header",
        404: "no such case in the caller's scope (a report: no such report, or its "
        "period is not over; indicators: no such district or street)",
        405: "method not allowed",
        409: "the case's stage does not allow it, it changed meanwhile, or (a report) "
        "the external_id was used for another report",
        413: "the body is too large",
        415: "the body is not application/json",
        422: "missing or bad data",
        429: "too many requests (Retry-After says when to try again)",
        503: "the report could not be made now (Retry-After says when to try again)",
    }
    out = {}
    for code in sorted({401, *codes}):
        out[str(code)] = {
            "description": meaning[code],
            "content": {_JSON: {"schema": ref("Error")}},
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
    _query("claimed_by", {"type": "string", "enum": ["me"]}, "me: your own to-do list"),
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


_DISTRICT_PARAM = _query(
    "district",
    {"type": "string", "pattern": "^[0-9]{6}$"},
    "a district's reports (a city-scoped caller; a district's caller only their own)",
)


def _paths() -> dict[str, Any]:
    claim = {
        "parameters": [_ID],
        "responses": {**_ok("the case's holder", ref("Claim")), **_errors(403, 404, 409)},
    }
    return {
        "/cases": {
            "get": {
                "summary": "A page of the cases in the caller's scope (filters as the queue)",
                "parameters": _LIST_PARAMS,
                "responses": {**_ok("one page", ref("QueuePage")), **_errors(422)},
            },
            "post": {
                "summary": "Report a case (located and routed by the case builder)",
                "requestBody": _body(ref("Report")),
                "responses": {
                    **_ok("made", ref("Reported"), "201"),
                    **_ok("made before from this external_id", ref("Reported")),
                    **_errors(400, 403, 409, 413, 415, 422, 429),
                },
            },
        },
        "/cases/actions": {
            "post": {
                "summary": f"One action on up to {MAX_BULK} cases, each case's own outcome",
                "requestBody": _body(ref("BulkAction")),
                "responses": {
                    **_ok("per-case outcomes", ref("BulkOutcome")),
                    **_errors(400, 403, 413, 415, 422),
                },
            },
        },
        "/cases/{case_id}": {
            "get": {
                "summary": "One case with history, routing reasons, photos, allowed actions",
                "parameters": [_ID],
                "responses": {**_ok("the case", ref("Case")), **_errors(404)},
            },
        },
        "/cases/{case_id}/actions": {
            "post": {
                "summary": "A workflow action on the case (dispatch without unit: suggested)",
                "parameters": [_ID],
                "requestBody": _body(ref("Action")),
                "responses": {
                    **_ok("done", ref("Acted")),
                    **_errors(400, 403, 404, 409, 413, 415, 422),
                },
            },
        },
        "/cases/{case_id}/claim": {
            "post": {**claim, "summary": "Put the case on my to-do list (assign to me)"},
            "delete": {**claim, "summary": "Give the case back"},
        },
        "/cases/{case_id}/photos": {
            "post": {
                "summary": "Keep a photo with the case (type checked by content, EXIF "
                "position kept as data and stripped from the image, resized, thumbnail)",
                "parameters": [_ID],
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["photo"],
                        "properties": {
                            "photo": {"type": "string", "contentMediaType": "image/*"},
                            "kind": {
                                "type": "string",
                                "enum": list(PHOTO_KINDS),
                                "description": "default: report for a grid worker, handled "
                                "for a handler, else other",
                            },
                            "transition_seq": {"type": "integer", "minimum": 1},
                        },
                    },
                    "multipart/form-data",
                ),
                "responses": {
                    **_ok("kept", ref("Photo"), "201"),
                    **_errors(403, 404, 409, 413, 415, 422, 429),
                },
            },
        },
        "/categories": {
            "get": {
                "summary": "The enabled categories",
                "responses": _ok(
                    "categories",
                    {"type": "object", "properties": {"items": {"items": ref("Category")}}},
                ),
            },
        },
        "/indicators": {
            "get": {
                "summary": "The indicators of a period (value, target, traffic light, trend) in "
                "the caller's scope or a narrower one; roles leader, admin, operator",
                "parameters": [
                    _query(
                        "period",
                        {"type": "string", "maxLength": 40},
                        "2026-11, 2026-11-05, 2026-W45, 2026-Q4, 2026 or 2026-11-01..2026-11-15 "
                        "(default: the current local month)",
                    ),
                    _query(
                        "scope",
                        {"type": "string", "maxLength": 200},
                        "district:445102 or street:445102007, inside the caller's scope",
                    ),
                ],
                "responses": {
                    **_ok("one object per indicator", {"type": "array", "items": ref("Indicator")}),
                    **_errors(400, 403, 404, 429),
                },
            },
        },
        "/reports": {
            "get": {
                "summary": "The kept daily and monthly reports of the caller's city or district "
                "(roles leader, admin, operator; city or one-district scopes)",
                "parameters": [_DISTRICT_PARAM],
                "responses": {
                    **_ok(
                        "the report files, newest period first",
                        {
                            "type": "object",
                            "properties": {
                                "items": {"type": "array", "items": ref("ReportFile")},
                                "district": {"type": ["string", "null"]},
                            },
                        },
                    ),
                    **_errors(400, 403, 404),
                },
            },
        },
        "/reports/{kind}/{file}": {
            "get": {
                "summary": "A report as PDF or XLSX, made on request when missing and its "
                "period is over (a district-scoped caller gets the district's)",
                "parameters": [
                    {
                        "name": "kind",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": ["daily", "monthly"]},
                    },
                    {
                        "name": "file",
                        "in": "path",
                        "required": True,
                        "schema": {
                            "type": "string",
                            "pattern": "^[0-9]{4}-[0-9]{2}(-[0-9]{2})?\\.(pdf|xlsx)$",
                        },
                        "description": "the period and format: 2026-12-06.pdf (daily), "
                        "2026-11.xlsx (monthly)",
                    },
                    _DISTRICT_PARAM,
                ],  # fmt: skip
                "responses": {
                    "200": {
                        "description": "the file",
                        "content": {
                            media: {"schema": {"type": "string", "contentMediaType": media}}
                            for media in REPORT_MEDIA.values()
                        },
                    },
                    **_errors(400, 403, 404, 429, 503),
                },
            },
        },
        **alert_paths(),
        **incident_paths(),
        **command_paths(),
        **export_paths(_LIST_PARAMS),
        **user_paths(),
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
            "schemas": {
                **SCHEMAS,
                **ALERT_SCHEMAS,
                **INCIDENT_SCHEMAS,
                **COMMAND_SCHEMAS,
                **USER_SCHEMAS,
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


def serve_document() -> tuple[flask.Response, int]:
    """GET /api/v1/openapi.json."""
    return flask.jsonify(document()), 200
