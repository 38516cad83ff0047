"""API bearer tokens of users: made once and shown once, stored only as a hash, revocable."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.store import Store
from models.users import UserError, end_sessions, get_user

#: What every token starts with, so a leaked one is recognisable (secret scanners, logs).
TOKEN_PREFIX = "cityops_"
#: ``last_used_at`` is written at most this often per token: a busy integration would
#: otherwise cost a write for every request it makes.
LAST_USED_EVERY = timedelta(minutes=5)
#: Longest label taken (a longer one is refused, not cut).
MAX_LABEL = 100
_TOKEN_RE = re.compile(r"^cityops_[A-Za-z0-9_-]{43}$")
_COLUMNS = "token_id, username, label, created_at, created_by, last_used_at, revoked_at"


@dataclass(frozen=True)
class ApiToken:
    """A token's record (never its secret)."""

    token_id: str
    username: str
    label: str | None
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None


def token_hash(token: str) -> str:
    """The stored form of a token: SHA-256 of its 256-bit secret, hex.

    A fast hash is enough here (unlike passwords): the secret is random, not guessable, so
    there is nothing for a slow hash to protect against; the lookup is by this hash.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    store: Store, username: str, *, label: str | None, created_by: str, at: datetime
) -> tuple[ApiToken, str]:
    """Make a token for ``username``; returns its record and the secret (shown once).

    Raises
    ------
    UserError
        Unknown user, or a label longer than :data:`MAX_LABEL` characters.
    """
    if get_user(store, username) is None:
        raise UserError(f"unknown user {username!r}")
    label = (label or "").strip()
    if len(label) > MAX_LABEL:
        raise UserError(f"the token label takes at most {MAX_LABEL} characters")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        token_id="tok-" + secrets.token_hex(6),
        username=username,
        label=label or None,
        created_at=at,
        created_by=created_by,
        last_used_at=None,
        revoked_at=None,
    )
    store.write(
        lambda tx: tx.execute(
            "INSERT INTO api_tokens (token_id, username, token_hash, label, created_at, "
            "created_by) VALUES (?, ?, ?, ?, ?, ?)",
            [
                record.token_id,
                username,
                token_hash(secret),
                record.label,
                at,
                created_by,
            ],
        )
    )
    store.audit("token.create", actor=created_by, target=username, detail=record.token_id)
    return record, secret


def list_tokens(store: Store, username: str | None = None) -> list[ApiToken]:
    """Every token (or one user's), oldest first, revoked ones included."""
    where, params = ("WHERE username = ?", [username]) if username else ("", [])
    rows = store.query_rows(
        f"SELECT {_COLUMNS} FROM api_tokens {where} ORDER BY created_at, token_id", params
    )
    return [ApiToken(*row) for row in rows]


def active_token_counts(store: Store) -> dict[str, int]:
    """Username → how many tokens they hold that are not revoked (users without: absent)."""
    rows = store.query_rows(
        "SELECT username, count(*) FROM api_tokens WHERE revoked_at IS NULL GROUP BY username"
    )
    return {str(name): int(n) for name, n in rows}


def revoke_token(
    store: Store, token_id: str, *, actor: str, at: datetime, username: str | None = None
) -> ApiToken:
    """Revoke a token: the next request carrying it is refused, and the sessions of its
    user end too (a revoked token is usually a leaked one: whoever holds it may hold the
    session as well).

    ``username``, when given, must be the token's user (a token id of another user is
    then unknown: a form for one user cannot revoke another's token).

    Raises
    ------
    UserError
        No such token, or revoked already.
    """
    rows = store.query_rows(f"SELECT {_COLUMNS} FROM api_tokens WHERE token_id = ?", [token_id])
    if not rows or (username is not None and rows[0][1] != username):
        raise UserError(f"unknown token {token_id!r}")
    if rows[0][-1] is not None:
        raise UserError(f"token {token_id} is revoked already")
    store.write(
        lambda tx: tx.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
            [at, token_id],
        )
    )
    end_sessions(store, rows[0][1])
    store.audit("token.revoke", actor=actor, target=rows[0][1], detail=token_id)
    return ApiToken(*rows[0][:-1], at)


def token_user(store: Store, token: str, *, at: datetime) -> str | None:
    """The username a presented token acts for, or None (malformed, unknown or revoked).

    The user's own state (disabled, role, scope) is the caller's to check, as for a
    session. ``last_used_at`` moves on at most every :data:`LAST_USED_EVERY`.
    """
    if not _TOKEN_RE.match(token):
        return None
    # looked up by the hash of the secret: the comparison is on a digest an attacker cannot
    # steer byte by byte, so its timing says nothing about any stored secret
    rows = store.query_rows(
        "SELECT token_id, username, last_used_at FROM api_tokens "
        "WHERE token_hash = ? AND revoked_at IS NULL",
        [token_hash(token)],
    )
    if not rows:
        return None
    token_id, username, last_used = rows[0]
    if last_used is None or at - last_used >= LAST_USED_EVERY:
        store.write(
            lambda tx: tx.execute(
                "UPDATE api_tokens SET last_used_at = ? WHERE token_id = ?", [at, token_id]
            )
        )
    return str(username)
