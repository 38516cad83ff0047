"""Log-in tells nothing (one hash check whoever is named) and locks nobody out from elsewhere."""

import itertools

import flask
import pytest

import models.security as security
from app.auth import install_auth
from models.config import load_config
from models.security import Scope
from models.users import add_user, set_user_disabled
from tests.app.test_auth import login
from tests.conftest import SECRET, write_config
from tests.models.test_security import CountingHasher

PASSWORD = "Throttle-test-2026"
_n = itertools.count()


def _user(store):
    name = f"thr-{next(_n)}"
    add_user(store, name, PASSWORD, role="operator", scope=Scope("city"), actor="test")
    return name


def _client(app, addr):
    c = app.server.test_client()
    c.environ_base["REMOTE_ADDR"] = addr
    return c


def test_every_name_costs_one_hash_check(demo_app, monkeypatch):
    app, _pw, store = demo_app
    known, disabled = _user(store), _user(store)
    set_user_disabled(store, disabled, True, actor="test")
    counting = CountingHasher()
    monkeypatch.setattr(security, "_HASHER", counting)
    c = _client(app, "10.30.0.1")
    for name, password, status in (
        ("no-such-user-here", "Whatever-123", 401),
        (disabled, PASSWORD, 401),
        (known, "Wrong-pass-123", 401),
        (known, PASSWORD, 302),
    ):
        counting.calls = 0
        assert login(c, name, password).status_code == status
        assert counting.calls == 1, name


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def gate(store, tmp_path):
    """The log-in routes and gate on a bare Flask server, with a clock the test moves."""
    config = load_config(write_config(tmp_path), environ={"CITYOPS_SECRET_KEY": SECRET})
    server, clock = flask.Flask("throttle-test"), _Clock()
    install_auth(server, config=config, store=store, clock=clock)

    def client(addr="10.30.9.9"):
        c = server.test_client()
        c.environ_base["REMOTE_ADDR"] = addr
        return c

    return client, clock, store


def test_wrong_passwords_from_one_address_do_not_lock_out_another(gate):
    client, _clock, store = gate
    name = _user(store)
    attacker, desk = client("10.30.1.1"), client("10.30.1.2")
    assert [login(attacker, name, f"Bad-guess-{i}").status_code for i in range(5)] == [401] * 5
    refused = login(attacker, name, PASSWORD)  # even the right password waits
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert login(desk, name, PASSWORD).status_code == 302
    store.flush()
    assert store.query_rows(
        "SELECT remote FROM audit_log WHERE action = 'login' AND outcome = 'throttled' "
        "AND actor = ?",
        [name],
    ) == [("10.30.1.1",)]


def test_one_address_spraying_many_accounts_is_slowed(gate):
    client, _clock, store = gate
    c = client("10.30.2.1")
    cap = 50  # ten times security.login_max_failures (5)
    codes = [login(c, f"spray-{i}", "Spring-2026").status_code for i in range(cap)]
    assert codes == [401] * cap
    refused = login(c, _user(store), PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert login(client("10.30.2.2"), f"spray-{cap}", "Spring-2026").status_code == 401


def test_the_wait_grows_and_ends_as_the_clock_moves(gate):
    client, clock, store = gate
    name = _user(store)
    c = client()
    for _ in range(5):
        assert login(c, name, "Bad-guess-1").status_code == 401
    waits = []
    for _ in range(3):
        refused = login(c, name, PASSWORD)
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        clock.now += waits[-1]
        assert login(c, name, "Bad-guess-2").status_code == 401  # allowed again, and wrong
    assert waits == [1, 2, 4]
    clock.now += 8
    assert login(c, name, PASSWORD).status_code == 302
    assert login(c, name, "Bad-guess-3").status_code == 401  # a success forgot the failures
