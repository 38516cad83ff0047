import pytest

from models.security import (
    HOME_PAGE,
    PAGE_ROLES,
    ROLES,
    LoginThrottle,
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


def test_throttle_blocks_then_forgets():
    th = LoginThrottle(max_failures=3, window_s=60)
    for i in range(3):
        assert not th.blocked("u", now=i)
        th.failed("u", now=i)
    assert th.blocked("u", now=10)
    assert not th.blocked("other", now=10)
    assert not th.blocked("u", now=100)  # the window has passed
    th.failed("u", now=100)
    th.succeeded("u")
    assert not th.blocked("u", now=101)
