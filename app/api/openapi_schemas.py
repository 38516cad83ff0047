"""The schemas of the case API's OpenAPI document (Case, Error, QueuePage, Action, ...)."""

from __future__ import annotations

from typing import Any

from app.api.actions import MAX_BULK
from app.api.errors import ALL_CODES, MAX_EXTENSION_HOURS
from models.config import Open311Settings
from models.config_sections import DIMENSIONS
from models.vocabulary import REPORT_SOURCES
from models.workflow import ACTIONS, STAGES

_ACTIONS = [a for a in ACTIONS if a != "report"]
#: Sources the API takes: not the public channels (their cases are published on Open311;
#: the default list, a deployment's ``open311.public_sources`` is refused too).
_SOURCES = [s for s in REPORT_SOURCES if s not in Open311Settings().public_sources]
_STRINGS = {"type": "array", "items": {"type": "string"}}


def ref(name: str) -> dict[str, str]:
    """A reference to one of :data:`SCHEMAS`."""
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "code"],
        "properties": {
            "error": {"type": "string", "description": "what went wrong, in English"},
            "code": {
                "type": "string",
                "enum": list(ALL_CODES),
                "description": "a stable machine code: bad_request (malformed JSON), "
                "unauthorized, forbidden (the role may not), not_found (no such case in "
                "your scope, or no such path), method_not_allowed, conflict (the case "
                "moved), wrong_stage (the stage does not allow the action: see "
                "allowed_actions), changed (version is not the case's), exists "
                "(external_id used for another report), too_large, "
                "unsupported_media_type, bad_data (missing or bad data; 422), "
                "rate_limited (429, see Retry-After)",
            },
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
                "enum": _SOURCES,
                "description": "default: grid_worker for a grid worker, else hotline; the "
                "public channels (open311.public_sources) are refused",
            },
            "external_id": {
                "type": "string",
                "minLength": 1,
                "maxLength": 128,
                "pattern": "^\\S(.*\\S)?$",
                "description": "idempotency key, 1-128 printable characters: the same "
                "request again (the same user, category, text and position within about "
                "1 m) answers 200 with the case it made (created false); any other report "
                "with this id answers 409 'external_id already used for another report', "
                "which does not tell whether or for whom the id exists",
            },
            "exercise": {"type": "boolean"},
            "reported_at": {
                "type": "string",
                "format": "date-time",
                "description": "when the problem was seen (a report kept offline is sent "
                "later); default now; refused 422 ahead of the server clock by more than "
                "ingest.max_clock_skew_s or older than ingest.max_age_days",
            },
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
            "version": {
                "type": "integer",
                "description": "optional: the case's version as read; 409 if it changed since "
                "(one case only, not in bulk)",
            },
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
            ref("Action"),
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
    "Photo": {
        "type": "object",
        "description": "a photo as the case view shows it, with its image and thumb URLs",
        "additionalProperties": True,
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
    "Indicator": {
        "type": "object",
        "description": "One indicator of the period and scope (the cockpit's figures).",
        "required": ["id", "name", "dimension", "value", "unit", "target", "status", "trend"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string", "description": "the Chinese name (name_zh)"},
            "name_zh": {"type": "string"},
            "name_en": {"type": "string"},
            "dimension": {"type": "string", "enum": list(DIMENSIONS)},
            "value": {"type": ["number", "null"], "description": "null: no data"},
            "unit": {"type": "string"},
            "target": {"type": ["number", "null"]},
            "direction": {"type": "string", "enum": ["higher", "lower"]},
            "status": {"type": ["string", "null"], "enum": ["green", "yellow", "red", None]},
            "previous": {"type": ["number", "null"], "description": "the previous period's"},
            "change": {"type": ["number", "null"], "description": "value - previous"},
            "trend": {
                "type": "array",
                "items": {"type": ["number", "null"]},
                "description": "the last periods' values, oldest first, this period last",
            },
            "case_based": {"type": "boolean"},
            "source_dept": {"type": ["string", "null"]},
            "frequency": {"type": ["string", "null"]},
        },
    },
    "ReportFile": {
        "type": "object",
        "required": ["kind", "period", "format", "name", "url"],
        "properties": {
            "kind": {"type": "string", "enum": ["daily", "monthly"]},
            "period": {"type": "string", "description": "YYYY-MM-DD (daily), YYYY-MM (monthly)"},
            "district": {"type": ["string", "null"], "description": "null: the city's"},
            "format": {"type": "string", "enum": ["pdf", "xlsx"]},
            "name": {"type": "string"},
            "bytes": {"type": "integer"},
            "made_at": {"type": "string", "format": "date-time"},
            "url": {"type": "string"},
        },
    },
}
