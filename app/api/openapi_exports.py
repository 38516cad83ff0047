"""The exports' part of the one OpenAPI document: map layers as GeoJSON and GeoPackage,
tables as CSV and XLSX, built from the same constants the views check."""

from __future__ import annotations

from typing import Any

from app.api.exports import (
    AUDIT_PARAMS,
    EVALUATION_COLUMNS,
    INDICATOR_COLUMNS,
    XLSX,
)
from app.api.openapi_schemas import ref
from app.exports.layer_files import LAYERS, MEDIA
from models.audit_export import AUDIT_EXPORT_COLUMNS
from models.case_export import CASE_EXPORT_COLUMNS
from models.evaluation import GROUPS

_JSON = "application/json"
_CSV = "text/csv"
_MEANING = {
    400: "a bad query parameter (an unknown one, `at` not an instant with a zone or outside "
    "the replay window, a period, scope, `by` or day that is not one)",
    401: "no or bad credentials (session cookie or bearer token)",
    403: "the role may not export this (see the summary), or a scope asked outside the "
    "caller's, or a unit scope asking for the map",
    404: "no such layer (the body lists the layers), or no such district or street",
    422: "a bad filter value of the case queue, or offset/limit (an export takes every row)",
    429: "the caller's heavy requests are all running (Retry-After says when to try again)",
}
_AT = {
    "name": "at",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "format": "date-time"},
    "description": "the instant to rebuild the layer at (replay, with a zone: "
    "2026-11-24T04:00:00Z); at most 90 days back, never the future; default now",
}
_LAYER = {
    "name": "layer",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": list(LAYERS)},
    "description": "; ".join(f"{name}: {layer.about}" for name, layer in LAYERS.items()),
}
_PERIOD = {
    "name": "period",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "maxLength": 40},
    "description": "2026-11, 2026-11-05, 2026-W45, 2026-Q4, 2026 or 2026-11-01..2026-11-15 "
    "(local calendar); default the current month",
}


def _errors(*codes: int) -> dict[str, Any]:
    return {
        str(code): {"description": _MEANING[code], "content": {_JSON: {"schema": ref("Error")}}}
        for code in sorted({400, 401, 403, 429, *codes})
    }


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}  # fmt: skip


def _file(media: str, what: str) -> dict[str, Any]:
    return {
        "200": {
            "description": f"{what} (Content-Disposition: attachment with a file name)",
            "content": {media: {"schema": {"type": "string", "contentMediaType": media}}},
        }
    }


def _table(
    name: str, summary: str, parameters: list[dict[str, Any]], columns: tuple[str, ...],
    errors: tuple[int, ...] = (),
) -> dict[str, Any]:  # fmt: skip
    what = f"columns: {', '.join(columns)}"
    return {
        f"/exports/{name}.csv": {
            "get": {
                "summary": f"{summary} as CSV (UTF-8 with BOM, streamed; times UTC, "
                "text that looks like a formula starts with ')",
                "parameters": parameters,
                "responses": {**_file(_CSV, f"the CSV file; {what}"), **_errors(*errors)},
            }
        },
        f"/exports/{name}.xlsx": {
            "get": {
                "summary": f"{summary} as XLSX (one sheet; times UTC)",
                "parameters": parameters,
                "responses": {**_file(XLSX, f"the workbook; {what}"), **_errors(*errors)},
            }
        },
    }


def export_paths(case_params: list[dict[str, Any]]) -> dict[str, Any]:
    """The /layers and /exports paths; ``case_params`` are ``GET /cases``'s parameters
    (the case exports take the same filters, without paging)."""
    filters = [p for p in case_params if p["name"] not in ("offset", "limit")]
    layer_roles = (
        "every role whose scope is a place, in that scope as the wall draws it (cases, "
        "sensors, grid cells: the scope's; resources and shelters: the scope's districts' "
        "and the city's; incidents, warning areas, traffic, cameras: city-wide)"
    )
    return {
        "/layers/{layer}.geojson": {
            "get": {
                "summary": "A map layer as RFC 7946 GeoJSON (WGS 84 lon/lat, no crs, "
                f"counter-clockwise exteriors, 6 decimals), now or replayed; {layer_roles}",
                "parameters": [_LAYER, _AT],
                "responses": {**_file(MEDIA["geojson"], "a FeatureCollection"), **_errors(404)},
            }
        },
        "/layers/{layer}.gpkg": {
            "get": {
                "summary": f"A map layer as a GeoPackage (EPSG:4326), now or replayed; "
                f"{layer_roles}",
                "parameters": [_LAYER, _AT],
                "responses": {**_file(MEDIA["gpkg"], "the GeoPackage"), **_errors(404)},
            }
        },
        **_table(
            "cases",
            "The cases of the caller's scope matching the queue's filters (every role; "
            "no reporter, free text with personal data redacted)",
            filters,
            CASE_EXPORT_COLUMNS,
            (422,),
        ),
        **_table(
            "evaluation",
            "The evaluation (考核) of a period by district, street, department or post in "
            "the caller's scope (leader, admin: the cockpit's roles)",
            [_PERIOD, _query("by", {"type": "string", "enum": list(GROUPS)}, "default district")],
            EVALUATION_COLUMNS,
        ),
        **_table(
            "indicators",
            "The indicators of a period (leader, admin, operator: as GET /indicators)",
            [
                _PERIOD,
                _query(
                    "scope",
                    {"type": "string", "maxLength": 200},
                    "a part of the caller's scope: district:445102, street:445102007",
                ),
            ],
            INDICATOR_COLUMNS,
            (404,),
        ),
        **_table(
            "audit",
            "The audit log, oldest first (admins of the whole city only)",
            [
                _query(
                    name,
                    {"type": "string", "maxLength": 200},
                    {
                        "actor": "a part of the user name",
                        "who": "the same as actor",
                        "action": "an action prefix (case. finds every case action)",
                        "target": "a part of the object",
                        "outcome": "ok, denied, failed …",
                        "from": "first local day, YYYY-MM-DD",
                        "to": "last local day (included), YYYY-MM-DD",
                    }[name],
                )
                for name in sorted(AUDIT_PARAMS)
            ],
            AUDIT_EXPORT_COLUMNS,
        ),
    }
