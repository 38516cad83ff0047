"""Roles, page access, user scopes, password hashing and log-in throttling (pure rules)."""

from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

Role = Literal["operator", "dispatcher", "grid_worker", "leader", "emergency", "admin"]
ROLES: tuple[Role, ...] = ("operator", "dispatcher", "grid_worker", "leader", "emergency", "admin")
ScopeKind = Literal["city", "district", "street", "cells"]
SCOPE_KINDS: tuple[ScopeKind, ...] = ("city", "district", "street", "cells")

#: Which roles may open which page. Admin may open all of them.
PAGE_ROLES: dict[str, frozenset[str]] = {
    "screen": frozenset({"operator", "dispatcher", "leader", "emergency", "admin"}),
    "dispatch": frozenset({"dispatcher", "admin"}),
    "field": frozenset({"grid_worker", "admin"}),
    "cockpit": frozenset({"leader", "admin"}),
    "emergency": frozenset({"emergency", "admin"}),
    "admin": frozenset({"admin"}),
}
HOME_PAGE: dict[str, str] = {
    "operator": "screen",
    "dispatcher": "dispatch",
    "grid_worker": "field",
    "leader": "cockpit",
    "emergency": "emergency",
    "admin": "screen",
}
_CODE_LENGTH = {"district": 6, "street": 9, "cells": 15}
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")


def may_open(role: str, page: str) -> bool:
    """Whether ``role`` may open ``page`` (a key of :data:`PAGE_ROLES`)."""
    return role in PAGE_ROLES.get(page, frozenset())


@dataclass(frozen=True)
class Scope:
    """The part of the city a user sees and acts in.

    ``city`` has no codes; ``district`` holds 6-digit district codes, ``street`` 9-digit
    street codes, ``cells`` 15-digit cell codes (a grid worker's cells).
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
        return cell_code[: _CODE_LENGTH[self.kind]] in self.codes

    def sql_filter(self, column: str = "cell_code") -> tuple[str, list[str]]:
        """A SQL condition on a cell-code column and its parameters."""
        if self.kind == "city":
            return "TRUE", []
        marks = ", ".join("?" for _ in self.codes)
        length = _CODE_LENGTH[self.kind]
        return f"substr({column}, 1, {length}) IN ({marks})", list(self.codes)

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
    length = _CODE_LENGTH[kind]
    return [
        f"{code!r} is not a {length}-digit {kind} code"
        for code in codes
        if not (len(code) == length and code.isdigit())
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


def password_problems(password: str, *, min_length: int) -> list[str]:
    problems = []
    if len(password) < min_length:
        problems.append(f"the password needs at least {min_length} characters")
    if password.isdigit() or password.isalpha():
        problems.append("the password needs both letters and digits or symbols")
    return problems


@dataclass
class LoginThrottle:
    """Refuses further attempts for a key after too many failures within a window.

    Time is passed in (seconds, monotonic), so the rule is testable without sleeping.
    """

    max_failures: int
    window_s: float
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, key: str, now: float) -> deque[float]:
        entries = self._failures.setdefault(key, deque())
        while entries and now - entries[0] > self.window_s:
            entries.popleft()
        return entries

    def blocked(self, key: str, now: float) -> bool:
        with self._lock:
            return len(self._recent(key, now)) >= self.max_failures

    def failed(self, key: str, now: float) -> None:
        with self._lock:
            self._recent(key, now).append(now)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
