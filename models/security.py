"""Roles, page access, user scopes, password hashing and log-in throttling (pure rules)."""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

Role = Literal["operator", "dispatcher", "grid_worker", "handler", "leader", "emergency", "admin"]
#: ``handler`` (处置人员) acts for one handling unit: its scope is ``unit:<unit>``, the unit
#: code routing assigns (a department such as ``CG-445102``, a street or community body).
ROLES: tuple[Role, ...] = (
    "operator",
    "dispatcher",
    "grid_worker",
    "handler",
    "leader",
    "emergency",
    "admin",
)
ScopeKind = Literal["city", "district", "street", "cells", "unit"]
SCOPE_KINDS: tuple[ScopeKind, ...] = ("city", "district", "street", "cells", "unit")

#: Which roles may open which page. Admin may open all of them.
PAGE_ROLES: dict[str, frozenset[str]] = {
    "screen": frozenset({"operator", "dispatcher", "leader", "emergency", "admin"}),
    "dispatch": frozenset({"dispatcher", "admin"}),
    "field": frozenset({"grid_worker", "handler", "admin"}),
    "cockpit": frozenset({"leader", "admin"}),
    # the emergency staff command; operators open incidents and add notes; leaders read
    # and approve warnings (the emergency models check each action)
    "emergency": frozenset({"emergency", "operator", "leader", "admin"}),
    "admin": frozenset({"admin"}),
}
HOME_PAGE: dict[str, str] = {
    "operator": "screen",
    "dispatcher": "dispatch",
    "grid_worker": "field",
    "handler": "field",
    "leader": "cockpit",
    "emergency": "emergency",
    "admin": "screen",
}
_CODE_LENGTH = {"district": 6, "street": 9, "cells": 15}
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")


def is_city_admin(role: str, scope: Scope) -> bool:
    """Whether a user administers the city: role admin with the whole city as scope.

    The one rule of the /admin page, the users API, the audit export and the CLI's admin
    commands: a district's admin may open every page of their district, but users, the
    category table, rules, calendar, targets, backups and the audit log are the city's.
    """
    return role == "admin" and scope.kind == "city"


def may_open(role: str, page: str) -> bool:
    """Whether ``role`` may open ``page`` (a key of :data:`PAGE_ROLES`)."""
    return role in PAGE_ROLES.get(page, frozenset())


@dataclass(frozen=True)
class Scope:
    """The part of the city a user sees and acts in.

    ``city`` has no codes; ``district`` holds 6-digit district codes, ``street`` 9-digit
    street codes, ``cells`` 15-digit cell codes (a grid worker's cells); ``unit`` holds the
    handling units a handler acts for, and sees cases by their assigned unit, not by place.
    """

    kind: ScopeKind
    codes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problems = scope_problems(self.kind, self.codes)
        if problems:
            raise ValueError("; ".join(problems))

    def contains_cell(self, cell_code: str) -> bool:
        if self.kind == "city":
            return True
        if self.kind == "unit":
            return False  # a unit's reach is its assigned cases, not a place
        return cell_code[: _CODE_LENGTH[self.kind]] in self.codes

    def contains_case(
        self, cell_code: str | None, assigned_unit: str | None, *, dispatched: bool
    ) -> bool:
        """Whether a case (its cell, assigned unit, whether it was ever dispatched) lies in
        this scope. A unit's cases are those dispatched to it: before dispatch the unit on
        the row is only routing's suggestion and the case is the dispatch centre's."""
        if self.kind == "city":
            return True
        if self.kind == "unit":
            return dispatched and assigned_unit is not None and assigned_unit in self.codes
        return bool(cell_code) and self.contains_cell(cell_code)  # type: ignore[arg-type]

    def sql_filter(self, column: str = "cell_code") -> tuple[str, list[str]]:
        """A SQL condition on a cell-code column and its parameters (a unit scope holds no
        place: nothing matches; cases use :meth:`case_filter`)."""
        if self.kind == "city":
            return "TRUE", []
        if self.kind == "unit":
            return "FALSE", []
        marks = ", ".join("?" for _ in self.codes)
        length = _CODE_LENGTH[self.kind]
        return f"substr({column}, 1, {length}) IN ({marks})", list(self.codes)

    def case_filter(
        self, cell_column: str = "cell_code", unit_column: str = "assigned_unit"
    ) -> tuple[str, list[str]]:
        """A SQL condition selecting the cases of this scope, and its parameters (a unit's
        cases: dispatched to it once, ``dispatched_at`` of the same table set)."""
        if self.kind == "unit":
            marks = ", ".join("?" for _ in self.codes)
            table = unit_column.rpartition(".")[0]
            dispatched = f"{table}.dispatched_at" if table else "dispatched_at"
            return f"({unit_column} IN ({marks}) AND {dispatched} IS NOT NULL)", list(self.codes)
        return self.sql_filter(cell_column)

    def label(self) -> str:
        return self.kind if self.kind == "city" else f"{self.kind}:{','.join(self.codes)}"


def scope_problems(kind: str, codes: tuple[str, ...] | list[str]) -> list[str]:
    """Reasons why (kind, codes) is not a well-formed scope; empty when it is."""
    if kind not in SCOPE_KINDS:
        return [f"scope kind must be one of {', '.join(SCOPE_KINDS)}, not {kind!r}"]
    if kind == "city":
        return [] if not codes else ["a city scope takes no codes"]
    if not codes:
        return [f"a {kind} scope needs at least one code"]
    if kind == "unit":
        return [
            f"{code!r} is not a unit code (1-100 characters, no comma or control character)"
            for code in codes
            if not (0 < len(code) <= 100 and code.isprintable() and "," not in code)
        ]
    length = _CODE_LENGTH[kind]
    return [
        f"{code!r} is not a {length}-digit {kind} code"
        for code in codes
        if not (len(code) == length and (code.isascii() and code.isdigit()))
    ]


def parse_scope(text: str) -> Scope:
    """Parse ``city``, ``district:445102``, ``street:445102007`` or ``cells:C1,C2``."""
    kind, _, rest = text.partition(":")
    codes = tuple(c.strip() for c in rest.split(",") if c.strip())
    return Scope(kind.strip(), codes)  # type: ignore[arg-type]


_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """Argon2id hash of ``password``."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; False on mismatch or a malformed hash."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    # made once, with the same parameters as real hashes, so checking it costs the same
    return hash_password(secrets.token_urlsafe(32))


def check_login(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` opens an account whose hash is ``password_hash``.

    Exactly one hash verification whatever is given: for an unknown name (``None``) the
    password is checked against a dummy hash, so the answer's timing does not tell whether
    the name exists.
    """
    dummy = _dummy_hash()  # made on the first call whoever logs in, so even that one matches
    if password_hash is None:
        verify_password(dummy, password)
        return False
    return verify_password(password_hash, password)


def password_problems(password: str, *, min_length: int, username: str) -> list[str]:
    """Why ``password`` is too weak for ``username`` (empty when it is not); ``username``
    may be "" for a password of no one yet (a generated one)."""
    problems = []
    if len(password) < min_length:
        problems.append(f"the password needs at least {min_length} characters")
    if password.isdigit() or password.isalpha():
        problems.append("the password needs both letters and digits or symbols")
    if username and username.casefold() in password.casefold():
        problems.append("the password must not contain the username")
    return problems


#: Letters and digits of generated passwords, without look-alikes (0/O, 1/l/I) that a
#: password read out or copied from a screen gets wrong.
_PASSWORD_ALPHABET = "".join(
    c for c in "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789" if c not in "lIO"
)


def generate_password(*, min_length: int = 10) -> str:
    """A random password (at least 16 characters, ~5.8 bits each) of letters and digits
    that passes :func:`password_problems`: shown once to whoever passes it on, never stored
    in clear."""
    length = max(16, min_length)
    while True:
        password = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))
        has_digit = any(c.isdigit() for c in password)
        if has_digit and not password_problems(password, min_length=min_length, username=""):
            return password


@dataclass
class LoginThrottle:
    """Slows further tries for a key after a few failures, with delays that double.

    The first ``free_failures`` failures cost nothing; then each try must wait
    ``base_delay_s * 2**(failures - free_failures)`` seconds (capped at ``max_delay_s``) after
    the last failure. A key is forgotten ``window_s`` after its last failure, or on success.
    At most ``max_entries`` keys are kept (least recently failed dropped first), so a flood
    of names or addresses cannot grow memory. Time is passed in (seconds, monotonic), so the
    rule is testable without sleeping.
    """

    free_failures: int
    window_s: float
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0
    max_entries: int = 10_000
    #: key -> (failures, time of the last failure), oldest failure first
    _failures: OrderedDict[Hashable, tuple[int, float]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __len__(self) -> int:
        return len(self._failures)

    def _delay(self, failures: int) -> float:
        if failures < self.free_failures:
            return 0.0
        steps = min(failures - self.free_failures, 62)  # 2**62 s is past any cap
        return float(min(self.base_delay_s * 2**steps, self.max_delay_s))

    def _drop_expired(self, now: float) -> None:
        while self._failures:
            key, (_n, last) = next(iter(self._failures.items()))
            if now - last <= self.window_s:
                return
            del self._failures[key]

    def retry_after(self, key: Hashable, now: float) -> float:
        """Seconds ``key`` must still wait before its next try; 0 when it may try now."""
        with self._lock:
            entry = self._failures.get(key)
            if entry is None or now - entry[1] > self.window_s:
                return 0.0
            failures, last = entry
            return max(0.0, last + self._delay(failures) - now)

    def failed(self, key: Hashable, now: float) -> None:
        """Count a failed try of ``key`` at ``now``."""
        with self._lock:
            self._drop_expired(now)
            failures, last = self._failures.pop(key, (0, now))
            if now - last > self.window_s:
                failures = 0
            self._failures[key] = (failures + 1, now)
            while len(self._failures) > self.max_entries:
                self._failures.popitem(last=False)

    def succeeded(self, key: Hashable) -> None:
        """Forget the failures of ``key``."""
        with self._lock:
            self._failures.pop(key, None)
