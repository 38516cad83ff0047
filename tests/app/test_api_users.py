"""/api/v1/users: admins of the whole city list, create, read and change users; every other
role (and a district's admin) is 403, no credentials 401; bad values 422 with the problems
listed, bad JSON 400, unknown users 404, never 500; the changed user's session ends."""

from __future__ import annotations

import pytest

from models.security import Scope, parse_scope, verify_password
from models.users import add_user, get_user
from tests.app.api_support import ApiWorld, build_world

REFUSED = ("operator", "dispatcher", "gridworker", "leader", "emergency", "xq_cg",
           "street_handler", "rp_dispatcher")  # fmt: skip
DISTRICT_ADMIN = "xq_admin"


@pytest.fixture(scope="module")
def world(demo_copy) -> ApiWorld:
    w = build_world(demo_copy)
    add_user(w.store, DISTRICT_ADMIN, "district-admin-pw-1", role="admin",
             scope=parse_scope("district:445102"), actor="test")  # fmt: skip
    w.passwords[DISTRICT_ADMIN] = "district-admin-pw-1"
    yield w
    w.store.close()


def _calls():
    return [
        ("get", "/api/v1/users", None),
        ("post", "/api/v1/users", {"username": "sneaky", "role": "admin"}),
        ("get", "/api/v1/users/dispatcher", None),
        ("patch", "/api/v1/users/admin", {"disabled": True}),
        ("patch", "/api/v1/users/dispatcher", {"role": "admin"}),
    ]


def test_without_credentials_every_users_endpoint_is_401(world):
    client = world.app.server.test_client()
    for method, path, body in _calls():
        response = client.open(path, method=method.upper(), json=body)
        assert response.status_code == 401, (method, path)
        assert response.is_json


@pytest.mark.parametrize("username", [*REFUSED, DISTRICT_ADMIN])
def test_every_other_role_and_a_district_admin_are_refused_and_change_nothing(world, username):
    before = get_user(world.store, "dispatcher")
    clients = [world.session(username)]
    if username in world.tokens:
        clients.append(world.bearer(username))
    for client in clients:
        for method, path, body in _calls():
            response = client.open(path, method=method.upper(), json=body)
            assert response.status_code == 403, (username, method, path, response.get_json())
            assert response.get_json()["code"] == "forbidden"
    assert get_user(world.store, "sneaky") is None
    assert get_user(world.store, "dispatcher") == before
    assert not get_user(world.store, "admin").disabled


def test_admin_lists_and_filters_users(world):
    client = world.bearer("admin")
    items = client.get("/api/v1/users").get_json()["items"]
    names = {u["username"]: u for u in items}
    assert names["gridworker"]["scope"].startswith("cells:")
    assert names["admin"]["active_tokens"] >= 1
    assert all("password" not in str(u.keys()) for u in items)
    handlers = client.get("/api/v1/users?role=handler").get_json()["items"]
    assert {u["role"] for u in handlers} == {"handler"}
    assert client.get("/api/v1/users?disabled=true").get_json()["items"] == [] or all(
        u["disabled"] for u in client.get("/api/v1/users?disabled=true").get_json()["items"]
    )
    for bad in ("role=king", "disabled=maybe", "x=1"):
        response = client.get(f"/api/v1/users?{bad}")
        assert response.status_code == 400, bad
    assert client.get("/api/v1/users/nobody_here").status_code == 404
    assert client.get("/api/v1/users/" + "x" * 300).status_code == 404
    one = client.get("/api/v1/users/xq_cg").get_json()
    assert (one["role"], one["scope"]) == ("handler", "unit:CG-445102")


def test_create_answers_the_generated_password_once_and_it_opens_the_account(world):
    client = world.bearer("admin")
    response = client.post("/api/v1/users", json={
        "username": "api_made", "role": "operator", "scope": "district:445102",
        "display_name": "接线员甲", "language": "zh"})  # fmt: skip
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    password = body["password"]
    assert body["scope"] == "district:445102" and body["display_name"] == "接线员甲"
    assert verify_password(get_user(world.store, "api_made").password_hash, password)
    assert "password" not in client.get("/api/v1/users/api_made").get_json()
    world.passwords["api_made"] = password
    assert world.session("api_made").get("/screen").status_code == 200
    typed = client.post("/api/v1/users", json={"username": "api_typed", "role": "leader",
                                               "password": "Typed-pass-2026"})  # fmt: skip
    assert typed.status_code == 201 and "password" not in typed.get_json()
    again = client.post("/api/v1/users", json={"username": "api_made", "role": "operator"})
    assert again.status_code == 409 and again.get_json()["code"] == "exists"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"role": "operator"}, "username is required"),
        ({"username": "a b", "role": "operator"}, "username takes"),
        ({"username": "bad_role", "role": "king"}, "role must be"),
        ({"username": "bad_scope", "role": "operator", "scope": "district:999999"}, "unknown"),
        ({"username": "bad_scope2", "role": "operator", "scope": "planet:1"}, "scope kind"),
        ({"username": "bad_scope3", "role": "operator", "scope": ["district"]}, "scope must"),
        ({"username": "gw_city", "role": "grid_worker"}, "grid worker"),
        ({"username": "short_pw", "role": "operator", "password": "abc"}, "at least"),
        ({"username": "lang", "role": "operator", "language": "fr"}, "language"),
        ({"username": "extra", "role": "operator", "is_admin": True}, "unknown field"),
        ({"username": 5, "role": None, "display_name": ["x"]}, "role must be"),
    ],
)
def test_bad_creates_are_422_with_the_problems(world, body, fragment):
    response = world.bearer("admin").post("/api/v1/users", json=body)
    assert response.status_code == 422, response.get_json()
    answer = response.get_json()
    assert answer["code"] == "bad_data" and any(fragment in p for p in answer["problems"]), answer
    if isinstance(body.get("username"), str):
        assert get_user(world.store, body["username"]) is None


def test_bad_json_is_400_and_a_non_object_422(world):
    client = world.bearer("admin")
    for method, path in (("POST", "/api/v1/users"), ("PATCH", "/api/v1/users/operator")):
        response = client.open(path, method=method, data="{nope",
                               content_type="application/json")  # fmt: skip
        assert response.status_code == 400
        assert client.open(path, method=method, json=[1]).status_code == 422
        assert client.open(path, method=method, data="x").status_code == 415


def _made(world, name: str, role: str = "operator", scope: str = "city") -> None:
    add_user(world.store, name, "Start-pass-2026", role=role, scope=parse_scope(scope),
             actor="test")  # fmt: skip
    world.passwords[name] = "Start-pass-2026"


def test_each_patch_ends_the_users_session_at_once(world):
    client = world.bearer("admin")
    _made(world, "patched")
    for change in (
        {"display_name": "改名"},
        {"role": "leader"},
        {"scope": "street:445102007"},
        {"reset_password": True},
        {"disabled": True},
    ):
        session = world.session("patched")
        assert session.get("/api/v1/users/patched").status_code == 403  # logged in, not admin
        response = client.patch("/api/v1/users/patched", json=change)
        assert response.status_code == 200, (change, response.get_json())
        if "reset_password" in change:
            world.passwords["patched"] = response.get_json()["password"]
        else:
            assert "password" not in response.get_json()
        assert session.get("/api/v1/users/patched").status_code == 401, change  # cookie refused
    assert client.patch("/api/v1/users/patched", json={"disabled": False}).status_code == 200
    world.session("patched")  # enabled again, they log in anew
    user = get_user(world.store, "patched")
    assert (user.display_name, user.role, user.scope) == (
        "改名", "leader", Scope("street", ("445102007",)))  # fmt: skip
    assert not user.disabled


def test_a_disabled_user_cannot_log_in_and_their_token_is_refused(world):
    _made(world, "to_disable", role="dispatcher")
    from datetime import UTC, datetime

    from models.api_tokens import create_token

    _r, secret = create_token(world.store, "to_disable", label=None, created_by="admin",
                              at=datetime.now(UTC).replace(tzinfo=None))  # fmt: skip
    response = world.bearer("admin").patch("/api/v1/users/to_disable", json={"disabled": True})
    assert response.status_code == 200 and response.get_json()["disabled"] is True
    other = world.app.server.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert other.get("/api/v1/categories", headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "nothing to change"),
        ({"disabled": "yes"}, "disabled must be"),
        ({"role": "king"}, "role must be"),
        ({"scope": "cells:1"}, "15-digit"),
        ({"role": "handler"}, "handler"),
        ({"display_name": ""}, "display name"),
        ({"display_name": None}, "display_name must be"),
        ({"display_name": "x" * 500}, "at most"),
        ({"reset_password": False}, "only true"),
        ({"password": "Direct-pass-2026"}, "unknown field"),
    ],
)
def test_bad_patches_are_422_and_change_nothing(world, body, fragment):
    before = get_user(world.store, "operator")
    response = world.bearer("admin").patch("/api/v1/users/operator", json=body)
    assert response.status_code == 422, response.get_json()
    assert any(fragment in p for p in response.get_json()["problems"]), response.get_json()
    assert get_user(world.store, "operator") == before


def test_the_admin_cannot_lock_themselves_or_the_city_out(world):
    client = world.bearer("admin")
    for body, fragment in (
        ({"disabled": True}, "cannot disable yourself"),
        ({"role": "leader"}, "your own role"),
    ):
        response = client.patch("/api/v1/users/admin", json=body)
        assert response.status_code == 422
        assert any(fragment in p for p in response.get_json()["problems"])
    assert client.patch("/api/v1/users/nobody_here", json={"disabled": True}).status_code == 404
    assert not get_user(world.store, "admin").disabled
