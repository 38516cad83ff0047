"""Case API permission matrix: every endpoint, called directly with a session cookie and with a
bearer token, refused for each role that may not use it and for scoped users outside their
scope (a district dispatcher elsewhere, a handler on another unit's case, a grid worker
outside its cells)."""

from __future__ import annotations

import pytest

from tests.app.api_support import OTHER_DISPATCHER, ApiWorld, build_world, report

WAYS = ("session", "bearer")


@pytest.fixture(scope="module")
def world(demo_copy) -> ApiWorld:
    w = build_world(demo_copy)
    yield w
    w.store.close()


@pytest.fixture(scope="module")
def cases(world) -> dict[str, str]:
    """A reported case in the grid worker's cells (routed to CG-445102), one there
    dispatched to CG-445102 (the handler xq_cg's unit), one in 湘桥区 outside the cells, and
    one in the other district."""
    made = {
        "worker": report(world, "worker", text="perm-worker"),
        "dispatched": report(world, "worker", text="perm-dispatched"),
        "xiangqiao": report(world, "xiangqiao", text="perm-xiangqiao"),
        "other": report(world, "other_district", text="perm-other"),
    }
    desk = world.bearer("dispatcher")
    for action in ("accept", "register", "dispatch"):
        response = desk.post(f"/api/v1/cases/{made['dispatched']}/actions", json={"action": action})
        assert response.status_code == 200, response.get_json()
    return made


def _client(world: ApiWorld, username: str, way: str):
    return world.session(username) if way == "session" else world.bearer(username)


def _unit(world: ApiWorld, case_id: str) -> str:
    return str(world.store.query_value("SELECT assigned_unit FROM cases WHERE case_id = ?",
                                       [case_id]))  # fmt: skip


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("username", ["emergency", "xq_cg", "street_handler"])
def test_roles_that_may_not_report_are_403(world, way, username):
    lon, lat = world.spots["worker"]
    response = _client(world, username, way).post(
        "/api/v1/cases", json={"category": "0201", "lon": lon, "lat": lat}
    )
    assert response.status_code == 403, response.get_json()
    assert "may not report" in response.get_json()["error"]


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("username", ["operator", "leader", "gridworker", "dispatcher"])
def test_roles_that_may_report_do(world, way, username):
    lon, lat = world.spots["worker"]
    response = _client(world, username, way).post(
        "/api/v1/cases", json={"category": "0202", "lon": lon, "lat": lat, "text": username}
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["stage"] == "reported" and body["route"]["reasons"]
    source = world.store.query_value("SELECT source FROM cases WHERE case_id = ?", [body["id"]])
    assert source == ("grid_worker" if username == "gridworker" else "hotline")


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize(
    "username", ["operator", "leader", "emergency", "gridworker", "xq_cg"]
)  # fmt: skip
def test_roles_that_may_not_accept_are_403_with_the_allowed_actions(world, cases, way, username):
    assert _unit(world, cases["dispatched"]) == "CG-445102"  # the handler has it in scope
    response = _client(world, username, way).post(
        f"/api/v1/cases/{cases['dispatched']}/actions", json={"action": "accept"}
    )
    assert response.status_code == 403, (username, response.get_json())
    body = response.get_json()
    assert body["error"] and isinstance(body["allowed_actions"], list)
    assert "accept" not in body["allowed_actions"]


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize(
    ("username", "case"),
    [
        (OTHER_DISPATCHER, "worker"),
        (OTHER_DISPATCHER, "dispatched"),
        ("street_handler", "dispatched"),
        ("xq_cg", "worker"),  # routed to its unit, but not dispatched: not the unit's yet
        ("xq_cg", "other"),
        ("gridworker", "xiangqiao"),
        ("gridworker", "other"),
    ],
)
def test_users_outside_their_scope_get_404_everywhere(world, cases, way, username, case):
    client = _client(world, username, way)
    case_id = cases[case]
    for method, path, body in (
        ("GET", f"/api/v1/cases/{case_id}", None),
        ("POST", f"/api/v1/cases/{case_id}/actions", {"action": "accept"}),
        ("POST", f"/api/v1/cases/{case_id}/actions", {"action": "verify_ok"}),
        ("POST", f"/api/v1/cases/{case_id}/actions", {"action": "start"}),
    ):
        response = client.open(path, method=method, json=body)
        assert response.status_code == 404, (username, path, response.get_json())
        assert case_id in response.get_json()["error"]
    listed = client.get("/api/v1/cases", query_string={"limit": 200, "include_closed": "true"})
    assert listed.status_code == 200
    assert case_id not in {item["id"] for item in listed.get_json()["items"]}
    text = listed.get_data(as_text=True)
    assert f"perm-{case}" not in text


@pytest.mark.parametrize("way", WAYS)
def test_scoped_users_see_their_own(world, cases, way):
    for username, case in (
        (OTHER_DISPATCHER, "other"),
        ("gridworker", "worker"),
        ("xq_cg", "dispatched"),
        ("dispatcher", "xiangqiao"),
    ):
        client = _client(world, username, way)
        response = client.get(f"/api/v1/cases/{cases[case]}")
        assert response.status_code == 200, (username, response.get_json())
        listed = client.get("/api/v1/cases", query_string={"limit": 200})
        assert cases[case] in {item["id"] for item in listed.get_json()["items"]}, username


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize(
    "username", ["operator", "leader", "emergency", "gridworker", "xq_cg", "street_handler"]
)
def test_roles_without_a_to_do_list_may_not_claim(world, cases, way, username):
    client = _client(world, username, way)
    for method in ("POST", "DELETE"):
        response = client.open(f"/api/v1/cases/{cases['worker']}/claim", method=method)
        assert response.status_code == 403, (username, method, response.get_json())


@pytest.mark.parametrize("way", WAYS)
def test_a_district_dispatcher_cannot_claim_elsewhere(world, cases, way):
    client = _client(world, OTHER_DISPATCHER, way)
    response = client.post(f"/api/v1/cases/{cases['worker']}/claim")
    assert response.status_code == 404


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize(
    "username", ["operator", "leader", "emergency", "gridworker", "xq_cg", "street_handler"]
)
def test_roles_that_may_not_dispatch_cannot_bulk(world, cases, way, username):
    response = _client(world, username, way).post(
        "/api/v1/cases/actions", json={"action": "accept", "case_ids": [cases["worker"]]}
    )
    assert response.status_code == 403, (username, response.get_json())


def test_bulk_by_a_district_dispatcher_refuses_cases_elsewhere_one_by_one(world, cases):
    response = world.bearer(OTHER_DISPATCHER).post(
        "/api/v1/cases/actions",
        json={"action": "accept", "case_ids": [cases["worker"], cases["other"]]},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] == 1 and body["failed"] == 1
    by_id = {r["id"]: r for r in body["results"]}
    assert by_id[cases["worker"]]["status"] == 404 and not by_id[cases["worker"]]["ok"]
    assert by_id[cases["other"]]["ok"] and by_id[cases["other"]]["stage"] == "accepted"
    stage = world.store.query_value("SELECT stage FROM cases WHERE case_id = ?", [cases["worker"]])
    assert stage == "reported"


@pytest.mark.parametrize("way", WAYS)
def test_every_role_reads_categories_and_the_description(world, way):
    for username in ("operator", "gridworker", "xq_cg", "emergency"):
        client = _client(world, username, way)
        assert client.get("/api/v1/categories").status_code == 200
        assert client.get("/api/v1/openapi.json").status_code == 200
