"""User accounts in the store: create, read, enable/disable, check scope codes against the
geography, and resolve who acts (a named, enabled user with the role asked for)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from models.clock import utcnow
from models.security import (
    ROLES,
    USERNAME_RE,
    Scope,
    hash_password,
    password_problems,
)
from models.store import Store, WriteTx


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: str
    scope: Scope
    language: str | None
    disabled: bool
    password_hash: str


class UserError(ValueError):
    """A user cannot be created or changed as asked; the message lists why."""


class AccessDenied(UserError):
    """The named user may not do what was asked (unknown, disabled, or another role)."""


def _unknown_scope_codes(store: Store, scope: Scope) -> list[str]:
    if scope.kind == "city":
        return []
    if scope.kind == "cells":
        sql = (
            "SELECT DISTINCT cell_code AS code FROM grid_cells c JOIN grid_versions v "
            "USING (version_id) WHERE v.valid_to IS NULL"
        )
    else:
        sql = f"SELECT code FROM admin_areas WHERE level = '{scope.kind}'"
    known = {row[0] for row in store.query_rows(sql)}
    return [code for code in scope.codes if code not in known]


def add_user(
    store: Store,
    username: str,
    password: str,
    *,
    role: str,
    scope: Scope,
    display_name: str | None = None,
    language: str | None = None,
    min_password_length: int = 10,
    actor: str = "cli",
) -> User:
    """Create a user with an argon2 password hash; every problem is reported at once."""
    problems = []
    if not USERNAME_RE.match(username):
        problems.append("the username takes 3-64 letters, digits, '_', '.' or '-'")
    if role not in ROLES:
        problems.append(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    problems += password_problems(password, min_length=min_password_length)
    unknown = _unknown_scope_codes(store, scope)
    if unknown:
        problems.append(f"unknown {scope.kind} codes in scope: {', '.join(unknown)}")
    if role == "grid_worker" and scope.kind == "city":
        problems.append("a grid worker's scope is their cells or street, not the whole city")
    if language not in (None, "zh", "en"):
        problems.append("language must be zh or en")
    if get_user(store, username) is not None:
        problems.append(f"user {username!r} exists already")
    if problems:
        raise UserError("; ".join(problems))
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        scope=scope,
        language=language,
        disabled=False,
        password_hash=hash_password(password),
    )

    def insert(tx: WriteTx) -> None:
        tx.execute(
            "INSERT INTO users (username, display_name, password_hash, role, scope_kind, "
            "scope_codes, language, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, FALSE, ?)",
            [
                user.username,
                user.display_name,
                user.password_hash,
                user.role,
                scope.kind,
                list(scope.codes),
                language,
                utcnow(),
            ],
        )

    store.write(insert)
    store.audit(
        "user.add", actor=actor, target=username, detail=f"role={role} scope={scope.label()}"
    )
    return user


_COLUMNS = (
    "username, display_name, role, scope_kind, scope_codes, language, disabled, password_hash"
)


def _user_from_row(row: tuple) -> User:
    username, display, role, kind, codes, language, disabled, pw_hash = row
    return User(
        username=username,
        display_name=display or username,
        role=role,
        scope=Scope(kind, tuple(codes or ())),
        language=language,
        disabled=bool(disabled),
        password_hash=pw_hash,
    )


def get_user(store: Store, username: str) -> User | None:
    rows = store.query_rows(f"SELECT {_COLUMNS} FROM users WHERE username = ?", [username])
    return _user_from_row(rows[0]) if rows else None


def list_users(store: Store) -> list[User]:
    rows = store.query_rows(f"SELECT {_COLUMNS} FROM users ORDER BY role, username")
    return [_user_from_row(r) for r in rows]


def acting_user(
    store: Store, username: str | None, *, roles: Collection[str] | None = None, what: str
) -> User:
    """The user who acts, as the users table has them: role and scope come from there.

    Parameters
    ----------
    username
        The name given by the caller (``--user`` or ``CITYOPS_USER`` on the command line).
    roles
        Roles allowed to do ``what``; None admits every role.
    what
        What is asked, for the refusal message (``"category set"``).

    Raises
    ------
    AccessDenied
        No name, an unknown or disabled user, or a role outside ``roles``.
    """
    if not username:
        raise AccessDenied(f"{what} needs a user: --user NAME or CITYOPS_USER")
    user = get_user(store, username)
    if user is None:
        raise AccessDenied(f"unknown user {username!r}")
    if user.disabled:
        raise AccessDenied(f"user {username} is disabled")
    if roles is not None and user.role not in roles:
        raise AccessDenied(
            f"{what} needs the role {' or '.join(sorted(roles))}; {username} is {user.role}"
        )
    return user


def set_user_disabled(store: Store, username: str, disabled: bool, *, actor: str) -> None:
    """Disable (or enable again) a user: a disabled user can neither log in nor act."""
    if get_user(store, username) is None:
        raise UserError(f"unknown user {username!r}")
    store.write(
        lambda tx: tx.execute(
            "UPDATE users SET disabled = ? WHERE username = ?", [disabled, username]
        )
    )
    store.audit("user.disable" if disabled else "user.enable", actor=actor, target=username)
