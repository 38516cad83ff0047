"""The case API against an independent tester's findings: lone surrogates, public sources
named through the API, external ids as a global namespace, a report flood, duplicates
outside the reporter's scope, loose parameters, huge numbers, and machine error codes."""

from __future__ import annotations

import json

import pytest

from tests.app.api_support import ApiWorld, build_world, report, roomy_write_limit
from tests.app.test_request_bounds import kpi_body

SURROGATE = "\ud800"


@pytest.fixture(scope="module")
def world(demo_copy) -> ApiWorld:
    w = build_world(demo_copy)
    yield w
    w.store.close()


def _point(world: ApiWorld, where: str = "worker") -> dict:
    lon, lat = world.spots[where]
    return {"category": "0201", "lon": lon, "lat": lat}


def _raw(client, path: str, body: dict):
    # json.dumps escapes a lone surrogate as \ud800: valid JSON that Python reads back
    return client.post(path, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("name", ["text", "external_id", "category"])
def test_a_lone_surrogate_in_a_report_is_422_json_naming_the_field(world, name):
    body = {**_point(world), name: "a" + SURROGATE}
    response = _raw(world.bearer("operator"), "/api/v1/cases", body)
    assert response.status_code == 422, response.get_data(as_text=True)[:200]
    assert response.is_json and name in response.get_json()["error"]
    assert response.get_json()["code"] == "bad_data"


def test_a_lone_surrogate_in_a_note_is_422_single_and_bulk(world):
    case_id = report(world, "worker", text="surrogate-note")
    desk = world.bearer("dispatcher")
    one = _raw(desk, f"/api/v1/cases/{case_id}/actions", {"action": "supervise", "note": SURROGATE})
    assert one.status_code == 422 and "note" in one.get_json()["error"]
    bulk = _raw(
        desk, "/api/v1/cases/actions",
        {"action": "supervise", "note": SURROGATE, "case_ids": [case_id]},
    )  # fmt: skip
    assert bulk.status_code == 422 and "note" in bulk.get_json()["error"]
    key = _raw(desk, f"/api/v1/cases/{case_id}/actions", {"action": "accept", SURROGATE: 1})
    assert key.status_code == 422 and key.is_json


def test_a_callback_body_with_a_lone_surrogate_is_400_json(world):
    client = world.session("operator")
    body = kpi_body({"at": "2026-11-24T04:00:00Z", "note": "a" + SURROGATE})
    response = _raw(client, "/_dash-update-component", body)
    assert response.status_code == 400 and response.is_json


@pytest.mark.parametrize("source", ["public", "open311"])
def test_public_sources_cannot_be_named_through_the_api(world, source):
    response = world.bearer("operator").post(
        "/api/v1/cases", json={**_point(world), "text": "not public", "source": source}
    )
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["code"] == "bad_data"


def test_an_external_id_is_the_same_request_again_or_409(world):
    body = {**_point(world), "text": "idem", "external_id": "hotline:777", "source": "hotline"}
    first = world.bearer("operator").post("/api/v1/cases", json=body)
    assert first.status_code == 201
    made = first.get_json()["id"]
    again = world.bearer("operator").post("/api/v1/cases", json=body)
    assert again.status_code == 200 and again.get_json()["id"] == made
    assert again.get_json()["created"] is False
    # another user who may see the case, the same body: not theirs
    other = world.bearer("dispatcher").post("/api/v1/cases", json=body)
    hidden = world.bearer("rp_dispatcher").post("/api/v1/cases", json=body)
    changed = world.bearer("operator").post("/api/v1/cases", json={**body, "text": "other"})
    moved = world.bearer("operator").post(
        "/api/v1/cases", json={**body, "lat": body["lat"] + 0.001}
    )
    recat = world.bearer("operator").post("/api/v1/cases", json={**body, "category": "0202"})
    answers = [r.get_json() for r in (other, hidden, changed, moved, recat)]
    assert [r.status_code for r in (other, hidden, changed, moved, recat)] == [409] * 5, answers
    assert len({a["error"] for a in answers}) == 1  # one message: nothing told apart
    assert all(made not in json.dumps(a) for a in answers)
    assert world.store.query_value(
        "SELECT count(*) FROM cases WHERE external_id = 'hotline:777'"
    ) == 1  # fmt: skip


@pytest.mark.parametrize("bad", ["", " ", "a\tb", "x" * 129, "line\nbreak", 5])
def test_bad_external_ids_are_422(world, bad):
    response = world.bearer("operator").post(
        "/api/v1/cases", json={**_point(world), "external_id": bad}
    )
    assert response.status_code == 422, (bad, response.get_json())
    assert "external_id" in response.get_json()["error"]


def test_reports_are_rate_limited_per_user(world):
    from app.api.limits import REPORT_BURST, REPORT_PER_MINUTE, set_write_limit

    assert (REPORT_BURST, REPORT_PER_MINUTE) == (20, 60)
    # the real burst; the refill slowed to one an hour, so the burst's own time refills none
    set_write_limit(world.app.server, burst=REPORT_BURST, per_minute=1 / 60)
    client = world.bearer("leader")
    body = {**_point(world, "xiangqiao"), "category": "0103"}
    codes = [
        client.post("/api/v1/cases", json={**body, "text": f"flood {i}"}).status_code
        for i in range(REPORT_BURST)
    ]
    assert codes == [201] * REPORT_BURST, codes
    limited = client.post("/api/v1/cases", json={**body, "text": "one more"})
    assert limited.status_code == 429 and limited.get_json()["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1  # a whole second or more
    # a photo is a write that makes something too: the same bucket
    photo = client.post("/api/v1/cases/C-none/photos", data={})
    assert photo.status_code == 429
    # another user is not slowed by it
    other = world.bearer("operator").post("/api/v1/cases", json={**body, "text": "mine"})
    assert other.status_code == 201
    roomy_write_limit(world.app)


def test_duplicates_in_the_answer_are_in_the_reporters_scope(world):
    # a case in 饶平县, then a grid worker's report of the same thing at the same spot
    body = {**_point(world, "other_district"), "text": "dup-scope"}
    original = world.bearer("admin").post("/api/v1/cases", json=body)
    assert original.status_code == 201
    seen = world.bearer("admin").post("/api/v1/cases", json=body)
    assert original.get_json()["id"] in seen.get_json()["duplicates"]  # admin sees all
    outside = world.bearer("gridworker").post("/api/v1/cases", json=body)
    assert outside.status_code == 201, outside.get_json()
    assert outside.get_json()["duplicates"] == []


def test_claimed_by_other_than_me_is_422(world):
    client = world.bearer("dispatcher")
    assert client.get("/api/v1/cases?claimed_by=me").status_code == 200
    response = client.get("/api/v1/cases?claimed_by=admin")
    assert response.status_code == 422 and response.get_json()["code"] == "bad_data"


def test_a_huge_number_is_422_without_python_internals(world):
    raw = '{"category": "0201", "lon": ' + "9" * 5000 + ', "lat": 23.6}'
    response = world.bearer("operator").post(
        "/api/v1/cases", data=raw, content_type="application/json"
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert "number too large" in error and "sys." not in error and "digits" not in error


def test_a_huge_extension_is_a_range_error(world):
    case_id = report(world, "worker", text="ext")
    response = world.bearer("dispatcher").post(  # the data is read before the stage
        f"/api/v1/cases/{case_id}/actions",
        json={"action": "request_extension", "reason": "r", "extension": "PT999999999H"},
    )
    assert response.status_code == 422
    assert "at most" in response.get_json()["error"]


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [
        ("GET", "/api/v1/cases/NO-SUCH", "not_found"),
        ("GET", "/api/v1/nothing", "not_found"),
        ("DELETE", "/api/v1/categories", "method_not_allowed"),
        ("POST", "/api/v1/cases", "unsupported_media_type"),
    ],
)
def test_every_error_has_a_machine_code(world, method, path, code):
    response = world.bearer("operator").open(path, method=method, data="x")
    assert response.is_json and response.get_json()["code"] == code, response.get_json()


def test_stage_and_role_refusals_have_codes(world):
    case_id = report(world, "worker", text="codes")
    stage = world.bearer("dispatcher").post(
        f"/api/v1/cases/{case_id}/actions", json={"action": "close"}
    )
    assert stage.status_code == 409 and stage.get_json()["code"] == "wrong_stage"
    role = world.bearer("xq_cg").post("/api/v1/cases", json=_point(world))
    assert role.status_code == 403 and role.get_json()["code"] == "forbidden"


def test_the_openapi_error_schema_documents_the_codes(world):
    doc = world.bearer("operator").get("/api/v1/openapi.json").get_json()
    error = doc["components"]["schemas"]["Error"]
    assert "code" in error["properties"] and "code" in error["required"]
    assert {"not_found", "forbidden", "wrong_stage", "bad_data", "rate_limited"} <= set(
        error["properties"]["code"]["enum"]
    )
    report_op = doc["paths"]["/cases"]["post"]
    assert "external_id" in json.dumps(report_op) and "409" in report_op["responses"]


@pytest.mark.parametrize("path", ["/api/v2/cases", "/api/", "/api/other/thing"])
def test_unknown_api_paths_are_json_404_for_a_valid_token(world, path):
    response = world.bearer("operator").get(path)
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"
    session = world.session("operator").get(path)
    assert session.status_code == 404 and session.is_json
    bad = world.app.server.test_client().get(path, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.get_json()["code"] == "unauthorized"
    anonymous = world.app.server.test_client().get(path)
    assert anonymous.status_code == 401


def test_a_token_still_authenticates_nothing_outside_api_v1(world):
    client = world.bearer("admin")
    for path in ("/screen/api/base", "/health/details", "/_dash-layout"):
        assert client.get(path).status_code == 401, path
