"""API tokens: made once, stored only as a hash, looked up, throttled last use, revoked."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from models.api_tokens import (
    LAST_USED_EVERY,
    create_token,
    list_tokens,
    revoke_token,
    token_hash,
    token_user,
)
from models.security import parse_scope
from models.store import Store
from models.users import UserError, add_user

T0 = datetime(2026, 12, 7, 8, 0)


@pytest.fixture
def users_store(store: Store) -> Store:
    add_user(store, "admin", "Chaozhou-2026-pw1", role="admin", scope=parse_scope("city"),
             actor="bootstrap")  # fmt: skip
    add_user(store, "hotline", "Chaozhou-2026-pw2", role="operator",
             scope=parse_scope("city"), actor="admin")  # fmt: skip
    return store


def _last_used(store: Store, token_id: str) -> datetime | None:
    return store.query_value("SELECT last_used_at FROM api_tokens WHERE token_id = ?", [token_id])


def test_a_token_is_shown_once_and_stored_only_as_its_hash(users_store):
    made, secret = create_token(users_store, "hotline", label="12345", created_by="admin", at=T0)
    assert secret.startswith("cityops_") and len(secret) > 40
    stored = users_store.query_rows("SELECT token_hash, label, created_by FROM api_tokens")
    assert stored == [(token_hash(secret), "12345", "admin")]
    assert secret not in str(users_store.query_rows("SELECT * FROM api_tokens"))
    assert token_user(users_store, secret, at=T0) == "hotline"
    assert [t.token_id for t in list_tokens(users_store, "hotline")] == [made.token_id]
    assert list_tokens(users_store, "admin") == []
    audit = users_store.query_rows("SELECT action, actor, target FROM audit_log")
    assert ("token.create", "admin", "hotline") in audit


def test_unknown_malformed_and_revoked_tokens_act_for_nobody(users_store):
    made, secret = create_token(users_store, "hotline", label=None, created_by="admin", at=T0)
    for bad in ("", "cityops_", secret[:-1], secret + "x", "Bearer " + secret, "x" * 5000,
                "cityops_" + "A" * 43, secret.upper()):  # fmt: skip
        assert token_user(users_store, bad, at=T0) is None, bad
    revoke_token(users_store, made.token_id, actor="admin", at=T0)
    assert token_user(users_store, secret, at=T0) is None
    assert list_tokens(users_store)[0].revoked_at == T0
    with pytest.raises(UserError, match="revoked already"):
        revoke_token(users_store, made.token_id, actor="admin", at=T0)
    with pytest.raises(UserError, match="unknown token"):
        revoke_token(users_store, "tok-nope", actor="admin", at=T0)


def test_a_token_for_an_unknown_user_is_refused(users_store):
    with pytest.raises(UserError, match="unknown user"):
        create_token(users_store, "nobody", label=None, created_by="admin", at=T0)


def test_last_use_is_written_at_most_every_few_minutes(users_store):
    made, secret = create_token(users_store, "hotline", label=None, created_by="admin", at=T0)
    assert _last_used(users_store, made.token_id) is None
    token_user(users_store, secret, at=T0)
    assert _last_used(users_store, made.token_id) == T0
    soon = T0 + LAST_USED_EVERY - timedelta(seconds=1)
    token_user(users_store, secret, at=soon)
    assert _last_used(users_store, made.token_id) == T0  # no write for every request
    later = T0 + LAST_USED_EVERY
    token_user(users_store, secret, at=later)
    assert _last_used(users_store, made.token_id) == later
