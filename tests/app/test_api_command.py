"""The command endpoints of an incident: the nearest available units, dispatch orders and the
situation report; every endpoint called as each role that must be refused and from another
district; bad input answered 400 JSON, never 500."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.api_tokens import create_token
from models.security import parse_scope
from models.users import add_user
from tests.app.api_support import ApiWorld, build_world

PAIFANG = (116.6465, 23.6707)  # 牌坊街, 湘桥区 445102
EXTRA = {"xq_emergency": ("emergency", "district:445102"),
         "rp_emergency": ("emergency", "district:445122")}  # fmt: skip
#: Roles that may not read an incident's command data / may not dispatch.
NO_READ = ("dispatcher", "gridworker", "street_handler")
NO_DISPATCH = ("operator", "leader", "dispatcher", "gridworker")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@pytest.fixture(scope="module")
def world(demo_copy) -> ApiWorld:
    w = build_world(demo_copy)
    for username, (role, scope) in EXTRA.items():
        add_user(w.store, username, f"pw-12345-{len(username)}-x", role=role,
                 scope=parse_scope(scope), actor="admin")  # fmt: skip
        w.passwords[username] = f"pw-12345-{len(username)}-x"
    for username in (*EXTRA, "leader", "operator"):
        w.tokens[username] = create_token(w.store, username, label="t", created_by="admin",
                                          at=_now())[1]  # fmt: skip
    # the units report where they are (as the simulator's AVL would)
    w.store.write(
        lambda tx: tx.execute(
            "UPDATE resources SET position_at = ? WHERE kind IN ('team', 'vehicle')", [_now()]
        )
    )
    yield w
    w.store.close()


@pytest.fixture(scope="module")
def incident(world) -> str:
    body = {"type": "flood", "level": 3, "lon": PAIFANG[0], "lat": PAIFANG[1],
            "title": "西湖路内涝", "exercise": True}  # fmt: skip
    r = world.bearer("emergency").post("/api/v1/incidents", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def _nearest(world, who, incident, **params):
    return world.bearer(who).get(f"/api/v1/incidents/{incident}/nearest", query_string=params)


def test_the_nearest_available_units_with_reasons_and_exclusions(world, incident) -> None:
    body = _nearest(world, "emergency", incident, kind="team").get_json()
    cands = body["candidates"]
    assert cands and all(c["kind"] == "team" for c in cands)
    etas = [c["eta_s"] for c in cands]
    assert etas == sorted(etas) and all(c["reasons"] for c in cands)
    assert any("可用" in " ".join(c["reasons"]) or c["reasons"] for c in cands)
    english = _nearest(world, "leader", incident, kind="team", lang="en").get_json()
    assert [c["unit"] for c in english["candidates"]] == [c["unit"] for c in cands]
    # a stale position and an out-of-service unit are excluded with why
    stale = cands[0]["unit"]
    world.store.write(lambda tx: tx.execute(
        "UPDATE resources SET position_at = ? WHERE resource_id = ?",
        [_now() - timedelta(minutes=14, seconds=5), stale]))  # fmt: skip
    again = _nearest(world, "emergency", incident, kind="team").get_json()
    why = {e["unit"]: e for e in again["excluded"]}
    assert stale in why and why[stale]["why_code"] == "stale_position"
    assert "14" in why[stale]["why"]
    assert any(e["why_code"] == "out_of_service" for e in again["excluded"])
    world.store.write(
        lambda tx: tx.execute(
            "UPDATE resources SET position_at = ? WHERE resource_id = ?", [_now(), stale]
        )
    )


def test_orders_issue_list_cancel(world, incident) -> None:
    unit = _nearest(world, "emergency", incident, kind="vehicle").get_json()["candidates"][0]
    client = world.session("emergency")
    r = client.post(f"/api/v1/incidents/{incident}/orders", json={"unit": unit["unit"]})
    assert r.status_code == 201, r.get_json()
    order_id = r.get_json()["id"]
    again = client.post(f"/api/v1/incidents/{incident}/orders", json={"unit": unit["unit"]})
    assert again.status_code == 409 and "available" in again.get_json()["error"]
    listed = world.bearer("leader").get(f"/api/v1/incidents/{incident}/orders").get_json()
    assert [o["order_id"] for o in listed["items"]] == [order_id]
    assert listed["items"][0]["status"] == "sent" and listed["items"][0]["issued_at"].endswith("Z")
    (topic,) = world.store.query_rows(
        "SELECT topic FROM mqtt_outbox WHERE decode(payload) LIKE ?", [f"%{order_id}%"]
    )[0]
    assert topic == f"cityops/v1/dispatch/{unit['unit']}"
    ranked = _nearest(world, "emergency", incident, kind="vehicle").get_json()
    assert unit["unit"] not in [c["unit"] for c in ranked["candidates"]]
    cancel = f"/api/v1/incidents/{incident}/orders/{order_id}/cancel"
    assert client.post(cancel).status_code == 200
    assert client.post(cancel).status_code == 409
    assert client.post(f"/api/v1/incidents/{incident}/orders/O-nope/cancel").status_code == 404


@pytest.mark.parametrize(
    "body",
    [{}, {"unit": 7}, {"unit": ""}, {"unit": "x" * 65}, {"unit": "TM-001", "extra": 1},
     {"unit": "NOPE-1"}, {"unit": "TM-001", "note": ["a"]}, {"unit": "TM-001", "note": "长" * 501}],
)  # fmt: skip
def test_bad_orders_are_4xx_json(world, incident, body) -> None:
    r = world.bearer("emergency").post(f"/api/v1/incidents/{incident}/orders", json=body)
    assert r.status_code in (400, 404, 409) and r.is_json and r.get_json()["error"]


def test_bad_nearest_parameters_are_400(world, incident) -> None:
    for params in ({"kind": "tank"}, {"lang": "fr"}, {"colour": "red"},
                   {"requires": "x" * 201}):  # fmt: skip
        r = _nearest(world, "emergency", incident, **params)
        assert r.status_code == 400 and r.is_json, params


@pytest.mark.parametrize("who", NO_READ)
def test_roles_without_incidents_may_not_rank_list_or_report(world, incident, who) -> None:
    client = world.bearer(who)
    for path in ("nearest", "orders", "sitrep.pdf"):
        r = client.get(f"/api/v1/incidents/{incident}/{path}")
        assert r.status_code == 403 and r.is_json, (who, path, r.status_code)


@pytest.mark.parametrize("who", NO_DISPATCH)
def test_only_the_command_dispatches(world, incident, who) -> None:
    client = world.bearer(who)
    r = client.post(f"/api/v1/incidents/{incident}/orders", json={"unit": "TM-001"})
    assert r.status_code == 403 and r.is_json
    r = client.post(f"/api/v1/incidents/{incident}/orders/O-1/cancel")
    assert r.status_code == 403 and r.is_json


def test_another_district_sees_nothing_and_dispatches_nothing(world, incident) -> None:
    client = world.bearer("rp_emergency")
    for path in ("nearest", "orders", "sitrep.pdf"):
        assert client.get(f"/api/v1/incidents/{incident}/{path}").status_code == 404
    r = client.post(f"/api/v1/incidents/{incident}/orders", json={"unit": "TM-001"})
    assert r.status_code == 404
    # the district's own command may not send another district's unit
    other = world.store.query_value(
        "SELECT min(resource_id) FROM resources WHERE kind = 'team' AND status = 'available' "
        "AND district_code = '445122'")  # fmt: skip
    r = world.bearer("xq_emergency").post(
        f"/api/v1/incidents/{incident}/orders", json={"unit": other}
    )
    assert r.status_code == 403 and "district" in r.get_json()["error"]


def test_no_credentials_no_answer(world, incident) -> None:
    client = world.app.server.test_client()
    assert client.get(f"/api/v1/incidents/{incident}/nearest").status_code == 401
    assert client.post(f"/api/v1/incidents/{incident}/orders", json={}).status_code in (401, 403)


def test_the_sitrep_pdf(world, incident) -> None:
    r = world.bearer("leader").get(f"/api/v1/incidents/{incident}/sitrep.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.data.startswith(b"%PDF") and "attachment" in r.headers["Content-Disposition"]


def test_mutual_aid_is_marked_by_the_scene_points_district(world) -> None:
    # an incident whose area lies mostly in 潮安区 but whose point (where units go) is in
    # 湘桥区: 湘桥区's units are not "mutual aid", 潮安区's are
    ring = [[116.40, 23.60], [116.66, 23.60], [116.66, 23.75], [116.40, 23.75], [116.40, 23.60]]
    body = {"type": "flood", "level": 4, "lon": PAIFANG[0], "lat": PAIFANG[1], "title": "大片区",
            "area": {"type": "Polygon", "coordinates": [ring]}, "exercise": True}  # fmt: skip
    r = world.bearer("emergency").post("/api/v1/incidents", json=body)
    assert r.status_code == 201, r.get_json()
    detail = world.bearer("emergency").get(f"/api/v1/incidents/{r.get_json()['id']}").get_json()
    assert detail["district_code"] != "445102"  # the area's largest part
    ranked = _nearest(world, "emergency", r.get_json()["id"], kind="team").get_json()
    marks = {c["district"]: "other_district" in c["reason_codes"] for c in ranked["candidates"]}
    assert marks.get("445102") is False
    assert any(marks.get(d) for d in marks if d != "445102") or len(marks) == 1


def test_an_incident_with_units_on_their_way_does_not_close(world) -> None:
    # found by the independent tester: closing left the order live and the unit dispatched
    body = {"type": "fire", "level": 4, "lon": PAIFANG[0], "lat": PAIFANG[1],
            "title": "仓库冒烟", "exercise": True}  # fmt: skip
    client = world.bearer("emergency")
    incident = client.post("/api/v1/incidents", json=body).get_json()["id"]
    unit = _nearest(world, "emergency", incident, kind="team").get_json()["candidates"][0]["unit"]
    order = client.post(f"/api/v1/incidents/{incident}/orders", json={"unit": unit}).get_json()
    closing = client.post(f"/api/v1/incidents/{incident}/actions", json={"action": "close"})
    assert closing.status_code == 409 and unit in closing.get_json()["error"]
    client.post(f"/api/v1/incidents/{incident}/orders/{order['id']}/cancel")
    closing = client.post(f"/api/v1/incidents/{incident}/actions", json={"action": "close"})
    assert closing.status_code == 200


def test_pdfs_are_made_few_at_a_time_the_rest_are_told_to_retry(world, incident) -> None:
    # found by the independent tester: 12 users' sitreps at once held the server's threads
    # for half a minute (/health took 18 s); beyond the few admitted, 503 with Retry-After
    from app.reports import pdf

    held = [pdf.PDF_ADMISSION.acquire(blocking=False) for _ in range(pdf.PDF_AT_ONCE)]
    try:
        assert all(held)
        r = world.bearer("leader").get(f"/api/v1/incidents/{incident}/sitrep.pdf")
        assert r.status_code == 503 and r.is_json and int(r.headers["Retry-After"]) > 0
    finally:
        for _ in held:
            pdf.PDF_ADMISSION.release()
    assert world.bearer("leader").get(f"/api/v1/incidents/{incident}/sitrep.pdf").status_code == 200
