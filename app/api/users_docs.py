"""The users' part of the one OpenAPI document (/users): paths and schemas, built from the
same constants the views check."""

from __future__ import annotations

from typing import Any

from app.api.openapi_schemas import ref
from app.api.users import CREATE_FIELDS, PATCH_FIELDS
from models.security import ROLES
from models.users import MAX_DISPLAY_NAME

_JSON = "application/json"
_NAME = {
    "name": "username",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{3,64}$"},
    "description": "the user's log-in name",
}
_MEANING = {
    400: "malformed JSON, or a bad query parameter",
    401: "no or bad credentials (session cookie or bearer token)",
    403: "not an admin of the whole city, or a cookie write without the CSRF header",
    404: "no such user",
    409: "a user of that name exists already",
    413: "the body is too large",
    415: "the body is not application/json",
    422: "bad values: every problem is listed in `problems` (unknown role or scope codes, "
    "a password too short, an admin disabling or demoting themselves, the last enabled "
    "admin taken away, unknown fields)",
}
_SCOPE = {
    "type": "string",
    "description": "as the CLI writes it: `city`, `district:445102`, `street:445102007`, "
    "`cells:CODE,CODE` (15-digit cells of the current grid), `unit:CODE` (a handler's units)",
    "examples": ["district:445102"],
}
_PASSWORD = {
    "type": "string",
    "description": "the generated password, in this answer only (stored as an argon2 hash)",
}


def _errors(*codes: int) -> dict[str, Any]:
    return {
        str(code): {"description": _MEANING[code], "content": {_JSON: {"schema": ref("Error")}}}
        for code in sorted({401, 403, *codes})
    }


def _ok(description: str, schema: dict[str, Any], code: str = "200") -> dict[str, Any]:
    return {code: {"description": description, "content": {_JSON: {"schema": schema}}}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}  # fmt: skip


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {_JSON: {"schema": schema}}}


def user_paths() -> dict[str, Any]:
    """The /users paths of the document (admins only; every change ends the user's
    sessions at once)."""
    with_password = {"allOf": [ref("User"), {"properties": {"password": _PASSWORD}}]}
    return {
        "/users": {
            "get": {
                "summary": "Users, by role and name (admins only)",
                "parameters": [
                    _query("role", {"type": "string", "enum": list(ROLES)}, "one role's users"),
                    _query("disabled", {"type": "boolean"}, "disabled ones, or enabled ones"),
                ],
                "responses": {
                    **_ok(
                        "users",
                        {
                            "type": "object",
                            "properties": {"items": {"type": "array", "items": ref("User")}},
                        },
                    ),
                    **_errors(400),
                },  # fmt: skip
            },
            "post": {
                "summary": "Create a user; without `password` one is generated and answered "
                "once as `password`",
                "requestBody": _body(ref("UserNew")),
                "responses": {
                    **_ok("created", with_password, "201"),
                    **_errors(400, 409, 413, 415, 422),
                },
            },
        },
        "/users/{username}": {
            "get": {
                "summary": "One user (admins only)",
                "parameters": [_NAME],
                "responses": {**_ok("the user", ref("User")), **_errors(404)},
            },
            "patch": {
                "summary": "Change a user: disable or enable, role, scope, display name, a new "
                "password (`reset_password: true`, answered once as `password`). Every change "
                "ends the user's sessions at once",
                "parameters": [_NAME],
                "requestBody": _body(ref("UserChange")),
                "responses": {
                    **_ok("the user as changed", with_password),
                    **_errors(400, 404, 413, 415, 422),
                },
            },
        },
    }


_PROPS: dict[str, Any] = {
    "username": {"type": "string"},
    "display_name": {"type": "string", "maxLength": MAX_DISPLAY_NAME},
    "role": {"type": "string", "enum": list(ROLES)},
    "scope": _SCOPE,
    "language": {"type": ["string", "null"], "enum": ["zh", "en", None]},
    "disabled": {"type": "boolean"},
}

USER_SCHEMAS: dict[str, Any] = {
    "User": {
        "type": "object",
        "required": ["username", "display_name", "role", "scope", "disabled", "active_tokens"],
        "properties": {
            **_PROPS,
            "active_tokens": {"type": "integer", "description": "API tokens not revoked"},
        },
    },
    "UserNew": {
        "type": "object",
        "description": "Fields: " + ", ".join(sorted(CREATE_FIELDS)),
        "required": ["username", "role"],
        "properties": {
            **{k: v for k, v in _PROPS.items() if k != "disabled"},
            "scope": {**_SCOPE, "default": "city"},
            "password": {"type": "string", "description": "omit it to have one generated"},
        },
        "additionalProperties": False,
    },
    "UserChange": {
        "type": "object",
        "description": "Fields: " + ", ".join(sorted(PATCH_FIELDS)) + " (absent: kept)",
        "properties": {
            "disabled": {"type": "boolean"},
            "role": _PROPS["role"],
            "scope": _SCOPE,
            "display_name": _PROPS["display_name"],
            "reset_password": {"type": "boolean", "const": True},
        },
        "additionalProperties": False,
    },
}
