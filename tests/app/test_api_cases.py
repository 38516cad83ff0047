"""Case API behaviour: the loop through actions, reads with filters and pages, idempotent
reports, bulk and claims, and bad input answered 4xx JSON (never a 500)."""

from __future__ import annotations

import json

import pytest

from tests.app.api_support import ApiWorld, build_world, report, result_photo


@pytest.fixture(scope="module")
def world(demo_copy) -> ApiWorld:
    w = build_world(demo_copy)
    yield w
    w.store.close()


def _act(client, case_id: str, **body):
    return client.post(f"/api/v1/cases/{case_id}/actions", json=body)


def test_the_loop_through_the_api(world):
    case_id = report(world, "worker", text="loop")
    desk, unit, worker = (
        world.bearer("dispatcher"),
        world.bearer("xq_cg"),
        world.bearer("gridworker"),
    )
    for client, body, stage in (
        (desk, {"action": "accept"}, "accepted"),
        (desk, {"action": "register", "note": "立案"}, "registered"),
        (desk, {"action": "dispatch"}, "dispatched"),  # the routing suggestion
        (unit, {"action": "start"}, "handling"),
        (unit, {"action": "request_extension", "reason": "rain", "extension": "PT4H"},
         "extension_requested"),
        (desk, {"action": "approve_extension"}, "handling"),
        (unit, {"action": "feedback", "note": "done"}, "handled"),
        (worker, {"action": "verify_ok"}, "verified"),
        (desk, {"action": "close"}, "closed"),
    ):  # fmt: skip
        if body["action"] == "feedback":
            result_photo(client, case_id)  # 处置后照片: asked for by the server
        response = _act(client, case_id, **body)
        assert response.status_code == 200, (body, response.get_json())
        assert response.get_json()["stage"] == stage
    case = desk.get(f"/api/v1/cases/{case_id}").get_json()
    assert case["stage"] == "closed" and case["unit"] == "CG-445102"
    for key in ("id", "category", "lon", "lat", "due_at", "photos", "history", "routing"):
        assert key in case, key
    assert case["routing"]["reasons"]
    assert [h["action"] for h in case["history"]][:4] == [
        "report",
        "accept",
        "register",
        "dispatch",
    ]
    extension = next(h for h in case["history"] if h["action"] == "request_extension")
    assert extension["data"]["extension"] in (4 * 3600, 4 * 3600.0, "PT4H", "4:00:00")


def test_dispatch_with_another_unit_needs_an_override_reason(world):
    case_id = report(world, "worker")
    desk = world.bearer("dispatcher")
    for action in ("accept", "register"):
        assert _act(desk, case_id, action=action).status_code == 200
    refused = _act(desk, case_id, action="dispatch", unit="CG-445122")
    assert refused.status_code == 422 and "override" in refused.get_json()["error"]
    ok = _act(desk, case_id, action="dispatch", unit="CG-445122", override_reason="主责在饶平")
    assert ok.status_code == 200 and ok.get_json()["unit"] == "CG-445122"


def test_stage_refusals_are_409_with_the_allowed_actions(world):
    case_id = report(world, "worker")
    response = _act(world.bearer("dispatcher"), case_id, action="close")
    assert response.status_code == 409
    body = response.get_json()
    assert "accept" in body["allowed_actions"] and "close" not in body["allowed_actions"]


def test_merge_keeps_the_link(world):
    original = report(world, "worker", text="original")
    duplicate = report(world, "worker", text="duplicate")
    desk = world.bearer("dispatcher")
    assert _act(desk, duplicate, action="merge", into=duplicate).status_code == 422
    merged = _act(desk, duplicate, action="merge", into=original)
    assert merged.status_code == 200 and merged.get_json()["stage"] == "void"
    assert desk.get(f"/api/v1/cases/{duplicate}").get_json()["duplicate_of"] == original
    assert duplicate in desk.get(f"/api/v1/cases/{original}").get_json()["duplicates"]


def test_an_external_id_makes_one_case(world):
    lon, lat = world.spots["worker"]
    body = {"category": "0201", "lon": lon, "lat": lat, "external_id": "12345-0001",
            "source": "hotline"}  # fmt: skip
    first = world.bearer("operator").post("/api/v1/cases", json=body)
    assert first.status_code == 201 and first.get_json()["created"]
    again = world.bearer("operator").post("/api/v1/cases", json=body)
    assert again.status_code == 200
    assert again.get_json() == {"id": first.get_json()["id"], "stage": "reported", "created": False}
    count = world.store.query_value("SELECT count(*) FROM cases WHERE external_id = '12345-0001'")
    assert count == 1
    # a reporter who may not see the case learns only that the id is taken
    hidden = world.bearer("rp_dispatcher").post("/api/v1/cases", json=body)
    assert hidden.status_code == 409 and first.get_json()["id"] not in hidden.get_data(as_text=True)


def test_list_filters_sorts_and_pages(world):
    made = [report(world, "xiangqiao", category="0103", text=f"page-{i}") for i in range(5)]
    client = world.bearer("dispatcher")
    first = client.get("/api/v1/cases", query_string={"category": "0103", "limit": 2,
                                                      "sort": "-reported_at"})  # fmt: skip
    body = first.get_json()
    assert first.status_code == 200 and body["total"] == 5 and body["next"] == 2
    seen = [item["id"] for item in body["items"]]
    while body["next"] is not None:
        body = client.get("/api/v1/cases", query_string={"category": "0103", "limit": 2,
                          "sort": "-reported_at", "offset": body["next"]}).get_json()  # fmt: skip
        seen += [item["id"] for item in body["items"]]
    assert seen == sorted(made, reverse=True)
    q = client.get("/api/v1/cases", query_string={"q": "page-3", "category": "0103"}).get_json()
    assert [i["id"] for i in q["items"]] == [made[3]]
    assert client.post("/api/v1/cases/" + made[0] + "/claim").status_code == 200
    mine = client.get("/api/v1/cases", query_string={"claimed_by": "me"}).get_json()
    assert [i["id"] for i in mine["items"]] == [made[0]]
    assert world.bearer("admin").post(f"/api/v1/cases/{made[0]}/claim").status_code == 409
    assert client.delete(f"/api/v1/cases/{made[0]}/claim").get_json()["claimed_by"] is None
    stage = client.get("/api/v1/cases", query_string={"stage": "closed,void"}).get_json()
    assert all(i["stage"] in ("closed", "void") for i in stage["items"])


def test_bulk_dispatch_as_suggested(world):
    ids = [report(world, "worker", text=f"bulk-{i}") for i in range(3)]
    desk = world.bearer("dispatcher")
    for action in ("accept", "register"):
        body = desk.post("/api/v1/cases/actions", json={"action": action, "case_ids": ids})
        assert body.get_json()["ok"] == 3, body.get_json()
    mixed = [*ids, "C20990101-999999"]
    answer = desk.post("/api/v1/cases/actions", json={"action": "dispatch", "case_ids": mixed})
    body = answer.get_json()
    assert answer.status_code == 200 and body["ok"] == 3 and body["failed"] == 1
    assert [r["stage"] for r in body["results"][:3]] == ["dispatched"] * 3
    assert body["results"][3]["status"] == 404


POINT = {"category": "0201", "lon": 116.65, "lat": 23.67}
BAD_REPORTS = [
    ("not json", 400),
    ('{"category": "0201", "lon": NaN, "lat": 23.6}', 400),
    ('{"category": "0201", "lon": Infinity, "lat": 23.6}', 400),
    ("[1, 2]", 422),
    ('"x"', 422),
    ("null", 422),
    ("[" * 100_000, 400),
    (json.dumps({**POINT, "lon": "116.65"}), 422),
    (json.dumps({**POINT, "lon": True}), 422),
    (json.dumps({**POINT, "lon": None}), 422),
    ('{"category": "0201", "lon": 1e999, "lat": 23.6}', 422),
    ('{"category": "0201", "lon": ' + "9" * 5000 + ', "lat": 23.6}', 422),  # number too large
    ('{"category": "0201", "lon": ' + "9" * 400 + ', "lat": 23.6}', 422),
    (json.dumps({**POINT, "lat": 90.5}), 422),
    (json.dumps({**POINT, "lon": -181}), 422),
    (json.dumps({"lon": 116.65, "lat": 23.67}), 422),
    (json.dumps({**POINT, "category": "9999"}), 422),
    (json.dumps({**POINT, "category": 201}), 422),
    (json.dumps({**POINT, "text": ["x"]}), 422),
    (json.dumps({**POINT, "text": "x" * 5000}), 422),
    (json.dumps({**POINT, "text": "a\x00b"}), 422),
    (json.dumps({**POINT, "source": "telepathy"}), 422),
    (json.dumps({**POINT, "exercise": "yes"}), 422),
    (json.dumps({**POINT, "colour": "red"}), 422),
    (json.dumps({**POINT, "external_id": {"a": 1}}), 422),
]


@pytest.mark.parametrize(("raw", "status"), BAD_REPORTS)
def test_bad_reports_are_4xx_json(world, raw, status):
    response = world.bearer("operator").post(
        "/api/v1/cases", data=raw, content_type="application/json"
    )
    assert response.status_code == status, (raw[:80], response.get_data(as_text=True)[:300])
    assert response.get_json()["error"]


def test_bodies_too_big_or_not_json_are_refused(world):
    client = world.bearer("operator")
    big = json.dumps({**POINT, "text": "x" * 300_000})
    assert (
        client.post("/api/v1/cases", data=big, content_type="application/json").status_code == 413
    )
    assert client.post("/api/v1/cases", data=POINT).status_code == 415  # a form
    ids = [f"C{i}" for i in range(501)]
    many = client.post("/api/v1/cases/actions", json={"action": "accept", "case_ids": ids})
    assert many.status_code in (403, 413)  # an operator may not accept at all
    many = world.bearer("dispatcher").post(
        "/api/v1/cases/actions", json={"action": "accept", "case_ids": ids}
    )
    assert many.status_code == 413


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"action": "fly"}, 422),
        ({"action": "report"}, 422),
        ({"action": 7}, 422),
        ({"action": "void"}, 422),  # no reason
        ({"action": "void", "reason": 5}, 422),
        ({"action": "accept", "unit": "CG-445102"}, 422),  # accept takes no unit
        ({"action": "accept", "override_reason": "x"}, 422),
        ({"action": "accept", "wings": 2}, 422),
        ({"action": "merge"}, 422),
        ({"action": "merge", "into": "C20990101-000001"}, 422),
        ({"action": "recategorise", "category": "0202"}, 422),  # no reason
        ({"action": "recategorise", "category": "9999", "reason": "x"}, 422),
        ({"action": "accept", "note": "x" * 3000}, 422),
    ],
)
def test_bad_actions_are_4xx_json_with_the_allowed_actions(world, body, status):
    case_id = report(world, "worker")
    response = _act(world.bearer("dispatcher"), case_id, **body)
    assert response.status_code == status, (body, response.get_json())
    answer = response.get_json()
    assert answer["error"]
    assert "accept" in answer["allowed_actions"]  # the case is reported: what may be sent


@pytest.mark.parametrize(
    "extension", ["P1D", "PT0H", -4, 0, 1e308, "4 hours", True, "PTH", None, 241, "PT241H"]
)
def test_bad_extensions_are_422(world, extension):
    case_id = report(world, "worker")
    desk = world.bearer("dispatcher")
    for action in ("accept", "register", "dispatch"):
        assert _act(desk, case_id, action=action).status_code == 200
    assert _act(world.bearer("xq_cg"), case_id, action="start").status_code == 200
    response = _act(world.bearer("xq_cg"), case_id, action="request_extension", reason="rain",
                    extension=extension)  # fmt: skip
    assert response.status_code == 422, (extension, response.get_json())


@pytest.mark.parametrize(
    "query",
    [
        {"limit": 0},
        {"limit": 201},
        {"limit": "ten"},
        {"offset": -1},
        {"offset": "1e9"},
        {"sort": "password_hash"},
        {"due": "tomorrow"},
        {"stage": "nirvana"},
        {"district": "4451"},
        {"exercise": "maybe"},
        {"colour": "red"},
        {"q": "x" * 500},
        {"category": ",".join(["0201"] * 60)},
    ],
)
def test_bad_list_queries_are_422(world, query):
    response = world.bearer("dispatcher").get("/api/v1/cases", query_string=query)
    assert response.status_code == 422, (query, response.get_json())
    assert response.get_json()["error"]


def test_injection_strings_in_filters_are_plain_text(world):
    client = world.bearer("dispatcher")
    for text in ("' OR 1=1 --", "%", "_", "'); DELETE FROM cases; --"):
        response = client.get("/api/v1/cases", query_string={"q": text, "category": text})
        assert response.status_code == 200 and response.get_json()["total"] == 0, text
    assert world.store.query_value("SELECT count(*) FROM cases") > 0


def test_heavy_requests_past_the_users_bound_are_429(world):
    from app.bounds import expensive_slots

    slots = expensive_slots(world.app.server)
    taken = 0
    while slots.acquire("leader"):
        taken += 1
    try:
        response = world.bearer("leader").get("/api/v1/cases")
        assert response.status_code == 429 and response.headers["Retry-After"]
        assert response.get_json()["error"]
        assert world.bearer("dispatcher").get("/api/v1/cases").status_code == 200  # others go on
    finally:
        for _ in range(taken):
            slots.release("leader")
    assert world.bearer("leader").get("/api/v1/cases").status_code == 200


def test_a_stale_version_is_409_and_the_current_one_acts(world):
    case_id = report(world, "worker")
    desk = world.bearer("dispatcher")
    version = desk.get(f"/api/v1/cases/{case_id}").get_json()["version"]
    assert _act(desk, case_id, action="accept", version=version).status_code == 200
    stale = _act(desk, case_id, action="register", version=version)
    assert stale.status_code == 409 and "changed meanwhile" in stale.get_json()["error"]
    assert "register" in stale.get_json()["allowed_actions"]
    assert _act(desk, case_id, action="register", version="1").status_code == 422
    current = desk.get(f"/api/v1/cases/{case_id}").get_json()["version"]
    assert _act(desk, case_id, action="register", version=current).status_code == 200
    bulk = desk.post(
        "/api/v1/cases/actions", json={"action": "dispatch", "case_ids": [case_id], "version": 1}
    )
    assert bulk.status_code == 422  # a version names one case
