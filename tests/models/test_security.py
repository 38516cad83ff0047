import pytest
from argon2 import PasswordHasher

from models.security import (
    HOME_PAGE,
    PAGE_ROLES,
    ROLES,
    LoginThrottle,
    check_login,
    hash_password,
    may_open,
    parse_scope,
    verify_password,
)


def test_password_hash_is_argon2_and_verifies():
    h = hash_password("correct horse 42")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "correct horse 42")
    assert not verify_password(h, "correct horse 43")
    assert not verify_password("not-a-hash", "x")


def test_every_role_has_a_home_it_may_open():
    for role in ROLES:
        assert may_open(role, HOME_PAGE[role])
    assert may_open("admin", "admin") and not may_open("operator", "admin")
    assert not may_open("grid_worker", "screen")
    assert set(PAGE_ROLES) == {"screen", "dispatch", "field", "cockpit", "emergency", "admin"}


@pytest.mark.parametrize(
    "text,cell,inside",
    [
        ("city", "445102007002001", True),
        ("district:445102", "445102007002001", True),
        ("district:445102", "445103100001001", False),
        ("street:445102007", "445102007002001", True),
        ("street:445102007", "445102008001001", False),
        ("cells:445102007002001,445102007002002", "445102007002002", True),
        ("cells:445102007002001", "445102007002003", False),
    ],
)
def test_scope_contains(text, cell, inside):
    assert parse_scope(text).contains_cell(cell) is inside


def test_scope_sql_filter_matches_contains(store):
    cells = ["445102007002001", "445102008001001", "445103100001001"]
    for text in ("city", "district:445102", "street:445102008", "cells:445103100001001"):
        scope = parse_scope(text)
        where, params = scope.sql_filter("c")
        got = [
            r[0]
            for r in store.query_rows(
                f"SELECT c FROM (SELECT unnest(?) AS c) WHERE {where} ORDER BY c", [cells, *params]
            )
        ]
        assert got == [c for c in cells if scope.contains_cell(c)]


@pytest.mark.parametrize(
    "text", ["district:4451", "street:445102", "cells:", "planet:1", "city:445100"]
)
def test_malformed_scopes_are_refused(text):
    with pytest.raises(ValueError):
        parse_scope(text)


def test_throttle_lets_a_few_failures_through_then_delays_more_and_more():
    th = LoginThrottle(free_failures=3, window_s=60, base_delay_s=1, max_delay_s=8)
    for i in range(3):
        assert th.retry_after("u", now=i) == 0
        th.failed("u", now=i)
    assert th.retry_after("u", now=2) == 1  # the fourth try waits a second
    assert th.retry_after("other", now=2) == 0
    assert th.retry_after("u", now=3) == 0
    waits = []
    now = 3.0
    for _ in range(5):
        th.failed("u", now=now)
        waits.append(th.retry_after("u", now=now))
        now += waits[-1]
    assert waits == [2, 4, 8, 8, 8]  # doubling, capped
    # remembered for the window after the last failure, then forgotten
    assert th.retry_after("u", now=now + 59) == 0
    th.failed("u", now=now + 200)
    assert th.retry_after("u", now=now + 200) == 0  # counting starts again
    th.succeeded("u")
    assert len(th) == 0


def test_a_success_forgets_the_failures():
    th = LoginThrottle(free_failures=1, window_s=60)
    th.failed("u", now=0)
    assert th.retry_after("u", now=0) > 0
    th.succeeded("u")
    assert th.retry_after("u", now=0) == 0


def test_throttle_memory_is_bounded():
    th = LoginThrottle(free_failures=5, window_s=300, max_entries=1000)
    for i in range(100_000):
        th.failed((f"user{i}", f"10.{i // 65536}.{i // 256 % 256}.{i % 256}"), now=i / 1000)
    assert len(th) <= 1000
    # the newest entries are the ones kept
    for _ in range(5):
        th.failed(("user99999", "10.1.134.159"), now=100)
    assert th.retry_after(("user99999", "10.1.134.159"), now=100) > 0


def test_expired_entries_are_dropped():
    th = LoginThrottle(free_failures=5, window_s=10, max_entries=1000)
    for i in range(500):
        th.failed(f"k{i}", now=0)
    th.failed("late", now=100)
    assert len(th) == 1


def test_unknown_names_cost_one_verification_like_known_ones(monkeypatch):
    import models.security as security

    counting = CountingHasher()
    monkeypatch.setattr(security, "_HASHER", counting)
    good = hash_password("correct horse 42")
    for stored, password, expected in (
        (good, "correct horse 42", True),
        (good, "wrong", False),
        (None, "correct horse 42", False),  # unknown user: checked against a dummy hash
        (None, "", False),
    ):
        counting.calls = 0
        assert check_login(stored, password) is expected
        assert counting.calls == 1


class CountingHasher(PasswordHasher):
    """Argon2 as the app uses it, counting verifications (how much work a log-in did)."""

    calls = 0

    def verify(self, hash, password):
        self.calls += 1
        return super().verify(hash, password)
