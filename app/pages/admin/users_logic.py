"""Pure helpers of the admin 'users' tab: the table's filter, values of the forms read
totally (a callback called with odd values gets a refusal, never an exception), and how a
scope reads in a row."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.i18n import t
from models.security import ROLES, SCOPE_KINDS
from models.user_scopes import Area, area_path
from models.users import User

#: Codes a row shows before "… (N)".
ROW_CODES = 3


def text_value(value: Any, *, max_len: int = 200) -> str:
    """A text field's value, stripped; "" when it is not text or too long to be one."""
    if not isinstance(value, str) or len(value) > max_len:
        return ""
    return value.strip()


def role_value(value: Any) -> str | None:
    return value if isinstance(value, str) and value in ROLES else None


def kind_value(value: Any) -> str | None:
    return value if isinstance(value, str) and value in SCOPE_KINDS else None


def codes_value(value: Any) -> list[str]:
    """A multi-select's values (one value alone is taken as a list of one)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [v.strip() for v in value if isinstance(v, str) and v.strip()][:20_000]


def filter_users(users: Iterable[User], text: Any = "", role: Any = None) -> list[User]:
    """Users whose name, display name or scope codes hold ``text`` (case-folded), of
    ``role`` when one is chosen."""
    needle = text_value(text).casefold()
    wanted = role_value(role)
    out = []
    for user in users:
        if wanted is not None and user.role != wanted:
            continue
        haystack = " ".join([user.username, user.display_name, *user.scope.codes]).casefold()
        if needle and needle not in haystack:
            continue
        out.append(user)
    return out


def scope_summary(user: User, tree: dict[str, Area]) -> str:
    """``district 湘桥区`` / ``cells 桥东社区 #001, … (12)``: the kind and its first places."""
    codes = user.scope.codes
    if not codes:
        return ""
    if user.scope.kind == "unit":
        names = list(codes[:ROW_CODES])
    else:
        names = [area_path(tree, c).rsplit(" › ", 1)[-1] for c in codes[:ROW_CODES]]
        if user.scope.kind == "cells":
            names = [f"{area_path(tree, c[:12]).rsplit(' › ', 1)[-1]} {n}" for c, n in
                     zip(codes, names, strict=False)]  # fmt: skip
    more = f" … ({len(codes)})" if len(codes) > ROW_CODES else ""
    return ", ".join(names) + more


#: Fragments of the models' refusals (English) → the catalog's words for them.
_REFUSALS = {
    "cannot disable yourself": "admin.users.err.self_disable",
    "your own role": "admin.users.err.self_role",
    "your own scope": "admin.users.err.self_scope",
    "last enabled city-wide admin": "admin.users.err.last_city_admin",
    "contain the username": "admin.users.err.password_username",
    "token label takes": "admin.users.err.token_label",
    "last enabled admin": "admin.users.err.last_admin",
    "exists already": "admin.users.err.exists",
    "the username takes": "admin.users.err.username",
    "password needs at least": "admin.users.err.password_short",
    "letters and digits": "admin.users.err.password_mix",
    "role must be": "admin.users.err.role",
    "a grid worker's scope": "admin.users.err.grid_worker_city",
    "only a handler": "admin.users.err.handler_unit",
    "unknown ": "admin.users.err.unknown_codes",
    "needs at least one code": "admin.users.err.no_codes",
    "display name": "admin.users.err.display_name",
    "scope kind must be": "admin.users.err.kind",
}


def refusal_text(reasons: str, lang: str) -> str:
    """The models' reasons (``; ``-joined, English) in the page's words; a reason the
    catalog has no words for is shown as given."""
    out = []
    for reason in reasons.split("; "):
        key = next((k for fragment, k in _REFUSALS.items() if fragment in reason), None)
        if key is None:
            out.append(reason)
        elif key == "admin.users.err.unknown_codes":  # the codes themselves matter
            out.append(f"{t(key, lang)}: {reason.rpartition(': ')[2][:300]}")
        else:
            out.append(t(key, lang))
    return "；".join(out) if lang == "zh" else "; ".join(out)
