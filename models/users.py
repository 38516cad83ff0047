"""User accounts in the store: create, read, change (each change that must end the user's
sessions moves their session epoch on), check scope codes against the geography, and resolve
who acts (a named, enabled user with the role asked for)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from models.clock import utcnow
from models.security import (
    ROLES,
    USERNAME_RE,
    Scope,
    hash_password,
    is_city_admin,
    password_problems,
)
from models.store import Store, WriteTx
from models.units import known_units

#: Longest display name kept.
MAX_DISPLAY_NAME = 100


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: str
    scope: Scope
    language: str | None
    disabled: bool
    password_hash: str
    #: Moved on by log-out and by every change that must end the user's sessions; a session
    #: opened in an older epoch is refused.
    session_epoch: int = 0


class UserError(ValueError):
    """A user cannot be created or changed as asked; the message lists why."""


class UnknownUser(UserError):
    """No user of that name."""


class AccessDenied(UserError):
    """The named user may not do what was asked (unknown, disabled, or another role)."""


def unknown_scope_codes(store: Store, scope: Scope) -> list[str]:
    """The codes of ``scope`` that name no known place, cell or unit (empty for the city)."""
    if scope.kind == "city":
        return []
    if scope.kind == "unit":
        known_unit = known_units(store)
        return [code for code in scope.codes if code not in known_unit]
    if scope.kind == "cells":
        sql = (
            "SELECT DISTINCT cell_code AS code FROM grid_cells c JOIN grid_versions v "
            "USING (version_id) WHERE v.valid_to IS NULL"
        )
    else:
        sql = f"SELECT code FROM admin_areas WHERE level = '{scope.kind}'"
    known = {row[0] for row in store.query_rows(sql)}
    return [code for code in scope.codes if code not in known]


def _role_scope_problems(store: Store, role: str, scope: Scope) -> list[str]:
    problems = []
    if role not in ROLES:
        problems.append(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    unknown = unknown_scope_codes(store, scope)
    if unknown:
        problems.append(f"unknown {scope.kind} codes in scope: {', '.join(unknown)}")
    if role == "grid_worker" and scope.kind == "city":
        problems.append("a grid worker's scope is their cells or street, not the whole city")
    if (role == "handler") != (scope.kind == "unit"):
        problems.append("a handler, and only a handler, is scoped to units (unit:CODE)")
    return problems


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
    problems += _role_scope_problems(store, role, scope)
    problems += password_problems(password, min_length=min_password_length, username=username)
    if language not in (None, "zh", "en"):
        problems.append("language must be zh or en")
    if display_name is not None:
        problems += _name_problems(display_name)
    same = existing_name(store, username)
    if same is not None:
        problems.append(f"user {same!r} exists already (names are compared ignoring case)")
    if problems:
        raise UserError("; ".join(problems))
    user = User(
        username=username,
        display_name=(display_name or "").strip() or username,
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
    "username, display_name, role, scope_kind, scope_codes, language, disabled, password_hash, "
    "session_epoch"
)


def _user_from_row(row: tuple) -> User:
    username, display, role, kind, codes, language, disabled, pw_hash, epoch = row
    return User(
        username=username,
        display_name=display or username,
        role=role,
        scope=Scope(kind, tuple(codes or ())),
        language=language,
        disabled=bool(disabled),
        password_hash=pw_hash,
        session_epoch=int(epoch or 0),
    )


def existing_name(store: Store, username: str) -> str | None:
    """The existing username equal to ``username`` ignoring case (``ADMIN`` beside
    ``admin`` would be two accounts a person cannot tell apart), or None."""
    rows = store.query_rows(
        "SELECT username FROM users WHERE lower(username) = lower(?) LIMIT 1", [username]
    )
    return str(rows[0][0]) if rows else None


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


def _existing(store: Store, username: str) -> User:
    user = get_user(store, username)
    if user is None:
        raise UnknownUser(f"unknown user {username!r}")
    return user


def _update_ending_sessions(store: Store, username: str, assignments: str, params: list) -> None:
    """One UPDATE of the user's row that also moves the session epoch on (same transaction)."""
    store.write(
        lambda tx: tx.execute(
            f"UPDATE users SET {assignments}session_epoch = session_epoch + 1 WHERE username = ?",
            [*params, username],
        )
    )


def end_sessions(store: Store, username: str) -> None:
    """End every session of ``username`` (log-out): sessions opened before are refused.

    Returns once the change is committed, so the next request with an old cookie is refused.
    An unknown name changes nothing.
    """
    _update_ending_sessions(store, username, "", [])


def _name_problems(display_name: str) -> list[str]:
    if not display_name.strip() or len(display_name) > MAX_DISPLAY_NAME:
        return [f"the display name takes 1-{MAX_DISPLAY_NAME} characters"]
    if not display_name.isprintable():
        return ["the display name must not contain control characters"]
    return []


def _guard_problems(
    user: User, actor: str, disabled: bool, role: str, scope: Scope, admins: tuple[int, int]
) -> list[str]:
    """Why the change would lock the city out of its admin page: an admin disabling,
    demoting or narrowing themselves, or the last enabled admin (``admins``: enabled
    admins, enabled admins of the whole city) or the last city-wide one taken away."""
    problems = []
    if user.username == actor and disabled and not user.disabled:
        problems.append("you cannot disable yourself")
    if user.username == actor and role != user.role:
        problems.append("you cannot change your own role")
    if user.username == actor and (scope.kind, set(scope.codes)) != (
        user.scope.kind,
        set(user.scope.codes),
    ):
        problems.append("you cannot change your own scope")
    enabled, city_wide = admins
    was_admin = user.role == "admin" and not user.disabled
    if was_admin and (disabled or role != "admin") and enabled <= 1:
        problems.append("the last enabled admin cannot be disabled or lose the admin role")
    elif (
        was_admin
        and is_city_admin(user.role, user.scope)
        and (disabled or not is_city_admin(role, scope))
        and city_wide <= 1
    ):
        problems.append(
            "the last enabled city-wide admin cannot be disabled, lose the admin role or "
            "the whole city as scope"
        )
    return problems


def _enabled_admins(rows: list[tuple]) -> tuple[int, int]:
    return (int(rows[0][0]), int(rows[0][1])) if rows else (0, 0)


_ENABLED_ADMINS = (
    "SELECT count(*), count(*) FILTER (WHERE scope_kind = 'city') FROM users "
    "WHERE role = 'admin' AND NOT disabled"
)


def change_user(
    store: Store,
    username: str,
    *,
    actor: str,
    disabled: bool | None = None,
    role: str | None = None,
    scope: Scope | None = None,
    display_name: str | None = None,
    password: str | None = None,
    min_password_length: int = 10,
) -> User:
    """Change a user (None keeps a field) in one transaction that ends every session they
    have; each changed part is audited.

    Every problem is reported at once. An admin may not disable themselves or change their
    own role or scope, and the last enabled admin (and the last enabled admin of the whole
    city) may not be disabled or lose the role or the city (checked again
    inside the writer's transaction, so two admins disabling each other at once cannot both
    succeed).

    Raises
    ------
    UnknownUser
        No such user.
    UserError
        Nothing to change, or the change breaks a rule (the message lists why).
    """
    user = _existing(store, username)
    if (disabled, role, scope, display_name, password) == (None,) * 5:
        raise UserError("nothing to change")
    new_disabled = user.disabled if disabled is None else bool(disabled)
    new_role, new_scope = role or user.role, scope or user.scope
    problems = []
    if role is not None or scope is not None:
        problems += _role_scope_problems(store, new_role, new_scope)
    if display_name is not None:
        display_name = display_name.strip()
        problems += _name_problems(display_name)
    if password is not None:
        problems += password_problems(password, min_length=min_password_length, username=username)
    admins = _enabled_admins(store.query_rows(_ENABLED_ADMINS))
    problems += _guard_problems(user, actor, new_disabled, new_role, new_scope, admins)
    if problems:
        raise UserError("; ".join(problems))
    sets = {"disabled": new_disabled, "role": new_role, "scope_kind": new_scope.kind,
            "scope_codes": list(new_scope.codes)}  # fmt: skip
    if display_name is not None:
        sets["display_name"] = display_name
    if password is not None:
        sets["password_hash"] = hash_password(password)

    def update(tx: WriteTx) -> None:
        again = _guard_problems(user, actor, new_disabled, new_role, new_scope,
                                _enabled_admins(tx.fetch(_ENABLED_ADMINS)))  # fmt: skip
        if again:
            raise UserError("; ".join(again))
        assignments = "".join(f"{column} = ?, " for column in sets)
        tx.execute(
            f"UPDATE users SET {assignments}session_epoch = session_epoch + 1 WHERE username = ?",
            [*sets.values(), username],
        )

    store.write(update)
    if disabled is not None:
        store.audit("user.disable" if new_disabled else "user.enable", actor=actor, target=username)
    if role is not None or scope is not None:
        detail = f"role={new_role} scope={new_scope.label()}"
        store.audit("user.role", actor=actor, target=username, detail=detail)
    if display_name is not None:
        store.audit("user.name", actor=actor, target=username, detail=display_name)
    if password is not None:
        store.audit("user.password", actor=actor, target=username)
    return get_user(store, username) or user


def set_user_disabled(store: Store, username: str, disabled: bool, *, actor: str) -> None:
    """Disable (or enable again) a user and end their sessions (see :func:`change_user`).

    A disabled user can neither log in nor act; enabled again, they log in anew.
    """
    change_user(store, username, disabled=disabled, actor=actor)


def set_password(
    store: Store, username: str, password: str, *, actor: str, min_password_length: int = 10
) -> None:
    """Give ``username`` a new password (argon2id) and end every session they have.

    Raises
    ------
    UserError
        Unknown user, or a password that breaks the rules (every problem at once).
    """
    change_user(
        store, username, password=password, actor=actor, min_password_length=min_password_length
    )


def set_role_scope(
    store: Store,
    username: str,
    *,
    role: str | None = None,
    scope: Scope | None = None,
    actor: str,
) -> User:
    """Change a user's role and/or scope (None keeps it) and end every session they have.

    Raises
    ------
    UserError
        Unknown user, unknown role or scope codes, or a grid worker with the whole city.
    """
    return change_user(store, username, role=role, scope=scope, actor=actor)
