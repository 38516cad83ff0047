"""/api/v1/users: user administration for admins — list, create (a generated password is
answered once), read, and change (disable, role, scope, display name, a new password).

Admins of the whole city only (403 for every other role and for a scoped admin). A scope
is written as the CLI writes it:
``city``, ``district:445102``, ``street:445102007``, ``cells:CODE,CODE``, ``unit:CODE``.
Every change ends the changed user's sessions at once. Bad values are 422 with every
problem listed in ``problems``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import flask

from app.api.errors import ApiError, actor, json_body
from app.context import get_context
from models.api_tokens import active_token_counts
from models.case_service import Actor
from models.security import (
    ROLES,
    USERNAME_RE,
    Scope,
    generate_password,
    is_city_admin,
    parse_scope,
)
from models.users import (
    MAX_DISPLAY_NAME,
    UnknownUser,
    User,
    UserError,
    add_user,
    change_user,
    existing_name,
    get_user,
    list_users,
)

CREATE_FIELDS = frozenset({"username", "role", "scope", "display_name", "language", "password"})
PATCH_FIELDS = frozenset({"disabled", "role", "scope", "display_name", "reset_password"})
LIST_PARAMS = frozenset({"role", "disabled"})
#: Longest scope text taken (a grid worker's cells, comma-separated, fit many times over).
MAX_SCOPE_TEXT = 20_000


@dataclass
class Problems(ApiError):
    """422 with the list of what is wrong (``problems``) beside the joined message."""

    problems: list[str] = field(default_factory=list)

    def response(self) -> flask.Response:
        answer = super().response()
        body = answer.get_json()
        body["problems"] = self.problems
        answer.set_data(flask.json.dumps(body))
        return answer


def _problems(items: list[str]) -> Problems:
    return Problems(422, "; ".join(items)[:2000], problems=items)


def _admin() -> Actor:
    who = actor()
    if not is_city_admin(who.role, who.scope):
        # a district's admin granting users (themselves) the city is not theirs to do
        raise ApiError(403, "user administration is for admins of the whole city only")
    return who


def _min_length() -> int:
    return get_context().config.settings.security.min_password_length


def user_json(user: User, tokens: Mapping[str, int]) -> dict[str, Any]:
    """A user as the API shows it (never the password hash)."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "scope": user.scope.label(),
        "language": user.language,
        "disabled": user.disabled,
        "active_tokens": tokens.get(user.username, 0),
    }


def _scope(value: Any, problems: list[str]) -> Scope | None:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_SCOPE_TEXT:
        problems.append(f"scope must be text like district:445102 (at most {MAX_SCOPE_TEXT})")
        return None
    try:
        return parse_scope(value)
    except ValueError as exc:
        problems.append(str(exc)[:500])
        return None


def _role(value: Any, problems: list[str]) -> str | None:
    if not isinstance(value, str) or value not in ROLES:
        problems.append(f"role must be one of {', '.join(ROLES)}")
        return None
    return value


def _text(data: Mapping[str, Any], name: str, problems: list[str], max_len: int) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_len:
        problems.append(f"{name} must be text of at most {max_len} characters")
        return None
    return value


def _unknown_fields(data: Mapping[str, Any], known: frozenset[str]) -> None:
    if unknown := sorted(set(data) - known):
        raise _problems([f"unknown field {name[:60]!r}" for name in unknown[:20]])


def _path_user(name: str) -> User:
    user = get_user(get_context().store, name) if USERNAME_RE.match(name) else None
    if user is None:
        raise ApiError(404, "no such user")
    return user


def users_list() -> tuple[flask.Response, int]:
    """GET /api/v1/users[?role=][&disabled=true|false]: every user, by role and name."""
    _admin()
    args = flask.request.args
    if unknown := sorted(set(args) - LIST_PARAMS):
        raise ApiError(400, f"unknown parameters: {', '.join(unknown)[:200]}")
    role = args.get("role")
    if role is not None and role not in ROLES:
        raise ApiError(400, f"role must be one of {', '.join(ROLES)}")
    disabled = args.get("disabled")
    if disabled is not None and disabled not in ("true", "false"):
        raise ApiError(400, "disabled must be true or false")
    store = get_context().store
    tokens = active_token_counts(store)
    items = [
        user_json(u, tokens)
        for u in list_users(store)
        if (role is None or u.role == role)
        and (disabled is None or u.disabled == (disabled == "true"))
    ]
    return flask.jsonify(items=items), 200


def user_get(username: str) -> tuple[flask.Response, int]:
    """GET /api/v1/users/{username}."""
    _admin()
    user = _path_user(username)
    return flask.jsonify(user_json(user, active_token_counts(get_context().store))), 200


def user_create() -> tuple[flask.Response, int]:
    """POST /api/v1/users: a new user; without ``password`` one is generated and answered
    once (``password`` in the answer), never stored in clear."""
    who = _admin()
    data = json_body()
    _unknown_fields(data, CREATE_FIELDS)
    problems: list[str] = []
    username = _text(data, "username", problems, 64)
    if username is None and "username" not in data:
        problems.append("username is required")
    role = _role(data.get("role"), problems)
    scope = _scope(data.get("scope", "city"), problems)
    display = _text(data, "display_name", problems, MAX_DISPLAY_NAME)
    language = data.get("language")
    if language not in (None, "zh", "en"):
        problems.append("language must be zh or en")
        language = None
    given = _text(data, "password", problems, 1024)
    if problems:
        raise _problems(problems)
    store = get_context().store
    assert username is not None and role is not None and scope is not None
    if (same := existing_name(store, username)) is not None:
        raise ApiError(409, f"user {same!r} exists already (names are compared ignoring case)",
                       code="exists")  # fmt: skip
    password = given if given is not None else generate_password(min_length=_min_length())
    try:
        made = add_user(
            store, username, password, role=role, scope=scope, display_name=display,
            language=language, min_password_length=_min_length(), actor=who.username,
        )  # fmt: skip
    except UserError as exc:
        raise _problems(str(exc).split("; ")) from None
    body = user_json(made, {})
    if given is None:
        body["password"] = password
    return flask.jsonify(body), 201


def user_patch(username: str) -> tuple[flask.Response, int]:
    """PATCH /api/v1/users/{username}: change fields; ``reset_password: true`` answers a new
    password once. The user's sessions end."""
    who = _admin()
    user = _path_user(username)
    data = json_body()
    _unknown_fields(data, PATCH_FIELDS)
    problems: list[str] = []
    changes: dict[str, Any] = {}
    if "disabled" in data:
        if not isinstance(data["disabled"], bool):
            problems.append("disabled must be true or false")
        changes["disabled"] = data["disabled"]
    if "role" in data:
        changes["role"] = _role(data["role"], problems)
    if "scope" in data:
        changes["scope"] = _scope(data["scope"], problems)
    if "display_name" in data:
        if data["display_name"] is None:
            problems.append("display_name must be text")
        changes["display_name"] = _text(data, "display_name", problems, MAX_DISPLAY_NAME)
    password = None
    if "reset_password" in data:
        if data["reset_password"] is not True:
            problems.append("reset_password takes only true")
        password = generate_password(min_length=_min_length())
        changes["password"] = password
    if problems:
        raise _problems(problems)
    if not changes:
        raise _problems(["nothing to change"])
    store = get_context().store
    try:
        changed = change_user(
            store, user.username, actor=who.username, min_password_length=_min_length(), **changes
        )
    except UnknownUser:
        raise ApiError(404, "no such user") from None
    except UserError as exc:
        raise _problems(str(exc).split("; ")) from None
    body = user_json(changed, active_token_counts(store))
    if password is not None:
        body["password"] = password
    return flask.jsonify(body), 200
