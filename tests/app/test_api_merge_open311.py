"""A case merged into another (a duplicate) shows its reporter's channel the original's
status: Open311 GET requests/{id} follows the case it was merged into."""

from __future__ import annotations

import pytest

from tests.app.api_support import ApiWorld, build_world, public_report, report, result_photo


@pytest.fixture(scope="module")
def world(demo_copy) -> ApiWorld:
    w = build_world(demo_copy)
    yield w
    w.store.close()


def _public(world: ApiWorld, case_id: str) -> dict:
    response = world.app.server.test_client().get(f"/open311/v2/requests/{case_id}.json")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()[0]


def test_a_merged_case_shows_the_originals_status_on_open311(world):
    original = report(world, "worker", text="original by phone")  # hotline: not published
    duplicate = public_report(world, "worker", text="again")  # the API names no public source
    desk = world.bearer("dispatcher")

    def act(case_id: str, **body) -> None:
        response = desk.post(f"/api/v1/cases/{case_id}/actions", json=body)
        assert response.status_code == 200, response.get_json()

    act(duplicate, action="merge", into=original)
    merged = _public(world, duplicate)
    assert merged["status"] == "open"  # the original is open: the citizen's matter is too
    assert merged["status_notes"].startswith("reported")
    for action in ("accept", "register", "dispatch"):
        act(original, action=action)
    unit = world.store.query_value("SELECT assigned_unit FROM cases WHERE case_id = ?", [original])
    merged = _public(world, duplicate)
    assert merged["status"] == "open" and merged["status_notes"].startswith("dispatched")
    assert merged["agency_responsible"] == unit
    assert merged["expected_datetime"] is not None  # the original's deadline
    assert merged["service_request_id"] == duplicate
    handler, worker = world.bearer("xq_cg"), world.bearer("gridworker")
    for client, action in ((handler, "start"), (handler, "feedback"), (worker, "verify_ok")):
        if action == "feedback":
            result_photo(client, original)
        response = client.post(f"/api/v1/cases/{original}/actions", json={"action": action})
        assert response.status_code == 200, response.get_json()
    act(original, action="close")
    closed = _public(world, duplicate)
    assert closed["status"] == "closed" and closed["status_notes"].startswith("closed")
    listed = world.app.server.test_client().get("/open311/v2/requests.json").get_json()
    row = next(r for r in listed if r["service_request_id"] == duplicate)
    assert row["status"] == "closed"
    assert original not in {r["service_request_id"] for r in listed}  # still not published


def test_a_plain_void_case_stays_closed_on_open311(world):
    made = public_report(world, "xiangqiao", category="0202")
    response = world.bearer("dispatcher").post(
        f"/api/v1/cases/{made}/actions", json={"action": "void", "reason": "no_problem_found"}
    )
    assert response.status_code == 200
    shown = _public(world, made)
    assert shown["status"] == "closed" and shown["status_notes"].startswith("void")
