"""/api/v1/alerts and the public CAP feed over HTTP on the demo city: compose, approve by a
second user, publish, the XML valid and read back equal, the outbox, the Atom feed and the
alert URL serving the same bytes, Update/Cancel, every endpoint refused for each role that
may not use it, and bad input answered 400 JSON (never 500)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from ingest.cap import CapAlertRecord, parse_cap
from models.cap_schema import cap_schema_problems
from tests.app.api_support import ApiWorld, build_world

ATOM = "{http://www.w3.org/2005/Atom}"
CST = timedelta(hours=8)
OLD_CITY = [[116.640, 23.660], [116.660, 23.660], [116.660, 23.675], [116.640, 23.675],
            [116.640, 23.660]]  # fmt: skip
XQ_EMERGENCY = "xq_emergency"


def _at(hours: float) -> str:
    """A time ``hours`` from now in Chaozhou time (+08:00)."""
    local = datetime.now(UTC) + timedelta(hours=hours) + CST
    return local.strftime("%Y-%m-%dT%H:%M:%S+08:00")


def content(**changes):
    out = {
        "event": "rainstorm",
        "urgency": "Immediate",
        "severity": "Severe",
        "certainty": "Observed",
        "headline": {"zh": "【演练】古城区暴雨橙色预警", "en": "[Exercise] Old city rainstorm"},
        "description": {"zh": "古城区1小时降雨量将达50毫米以上。", "en": "Over 50 mm of rain."},
        "instruction": {"zh": "远离低洼地带。", "en": "Keep off low ground."},
        "area": {"polygons": [OLD_CITY], "codes": ["445102"]},
        "onset": _at(0.5),
        "expires": _at(12),
        "status": "Exercise",
    }  # fmt: skip
    out.update(changes)
    return out


@pytest.fixture(scope="module")
def world(demo_copy) -> ApiWorld:
    from models.api_tokens import create_token
    from models.security import parse_scope
    from models.users import add_user

    w = build_world(demo_copy)
    add_user(w.store, XQ_EMERGENCY, "xq-emergency-pw-123", role="emergency",
             scope=parse_scope("district:445102"), actor="admin")  # fmt: skip
    w.passwords[XQ_EMERGENCY] = "xq-emergency-pw-123"
    now = datetime.now(UTC).replace(tzinfo=None)
    w.tokens[XQ_EMERGENCY] = create_token(w.store, XQ_EMERGENCY, label="t", created_by="admin",
                                          at=now)[1]  # fmt: skip
    yield w
    w.store.close()


def _draft(world, data=None) -> str:
    response = world.bearer("emergency").post("/api/v1/alerts", json=data or content())
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _publish(world, data=None) -> str:
    identifier = _draft(world, data)
    assert world.bearer("leader").post(f"/api/v1/alerts/{identifier}/approve").status_code == 200
    response = world.bearer("emergency").post(f"/api/v1/alerts/{identifier}/publish")
    assert response.status_code == 200, response.get_json()
    return identifier


def test_the_demo_cells_carry_a_synthetic_population(world):
    total, unknown = world.store.query_rows(
        "SELECT sum(population), count(*) FILTER (WHERE population IS NULL) FROM grid_cells"
    )[0]
    assert total == 2_568_387 and unknown == 0


def test_compose_approve_publish_export_and_feed_over_http(world):
    emergency = world.session("emergency")
    response = emergency.post("/api/v1/alerts", json=content())
    assert response.status_code == 201, response.get_json()
    identifier = response.get_json()["id"]
    assert identifier.startswith("CN-445100-")

    before = world.bearer("operator").get(f"/api/v1/alerts/{identifier}").get_json()
    assert before["state"] == "draft" and before["xml"] is None
    reach = before["reach"]
    assert reach["cell_count"] > 100 and reach["cells_without_population"] == 0
    # the whole of 湘桥区 (its synthetic total), give or take its simplified outline's edge
    assert reach["population"] == pytest.approx(577_000, rel=0.01)
    assert before["geometry"]["type"] in ("Polygon", "MultiPolygon")

    own = emergency.post(f"/api/v1/alerts/{identifier}/approve")
    assert own.status_code == 403 and "second person" in own.get_json()["error"]
    assert emergency.post(f"/api/v1/alerts/{identifier}/publish").status_code == 409
    assert world.session("leader").post(f"/api/v1/alerts/{identifier}/approve").status_code == 200
    published = emergency.post(f"/api/v1/alerts/{identifier}/publish")
    assert published.status_code == 200, published.get_json()
    assert published.get_json()["topic"] == "cityops/v1/alerts/out"

    body = world.bearer("operator").get(f"/api/v1/alerts/{identifier}").get_json()
    xml = body["xml"]
    assert body["state"] == "published" and body["approved_by"] == "leader"
    assert cap_schema_problems(xml) == []
    record = parse_cap(xml)
    assert isinstance(record, CapAlertRecord) and record.status == "Exercise"
    assert [i.headline for i in record.infos] == [content()["headline"]["zh"],
                                                  content()["headline"]["en"]]  # fmt: skip
    assert record.infos[0].areas[0].geocodes == (("GB/T 2260", "445102"),)

    payload = world.store.query_rows(
        "SELECT payload FROM mqtt_outbox WHERE topic = 'cityops/v1/alerts/out' AND payload = ?",
        [xml.encode("utf-8")],
    )
    assert len(payload) == 1

    public = world.app.server.test_client()  # no log-in
    feed = public.get("/cap/feed.xml")
    assert feed.status_code == 200 and feed.mimetype == "application/atom+xml"
    root = ET.fromstring(feed.data)
    entries = {
        e.find(f"{ATOM}link").get("href").rsplit("/", 1)[1]: e for e in root.iter(f"{ATOM}entry")
    }
    assert f"{identifier}.xml" in entries
    entry = entries[f"{identifier}.xml"]
    assert "演练" in entry.find(f"{ATOM}title").text
    assert "Exercise" in {c.get("term") for c in entry.iter(f"{ATOM}category")}
    alert = public.get(f"/cap/alerts/{identifier}.xml")
    assert alert.status_code == 200 and alert.mimetype == "application/cap+xml"
    assert alert.data == bytes(payload[0][0])  # the same bytes as sent on MQTT


def test_drafts_and_unknown_alerts_are_never_public(world):
    draft = _draft(world)
    public = world.app.server.test_client()
    for path in (f"/cap/alerts/{draft}.xml", "/cap/alerts/nothing.xml", "/cap/alerts/a%20b.xml",
                 "/cap/other", "/cap/"):  # fmt: skip
        response = public.get(path)
        assert response.status_code == 404, path
        assert b"<html" not in response.data.lower()
    assert draft.encode() not in public.get("/cap/feed.xml").data


def test_update_and_cancel_over_http(world):
    first = _publish(world)
    emergency = world.bearer("emergency")
    update = emergency.post(f"/api/v1/alerts/{first}/update", json={"severity": "Extreme"})
    assert update.status_code == 201, update.get_json()
    new = update.get_json()
    assert new["references"] == first and new["msg_type"] == "Update"
    draft = new["id"]
    refused = emergency.post(f"/api/v1/alerts/{draft}/cancel")
    assert refused.status_code == 409 and "not published" in refused.get_json()["error"]
    assert world.bearer("admin").post(f"/api/v1/alerts/{draft}/approve").status_code == 200
    assert emergency.post(f"/api/v1/alerts/{draft}/publish").status_code == 200
    xml = world.bearer("emergency").get(f"/api/v1/alerts/{draft}").get_json()["xml"]
    assert cap_schema_problems(xml) == []
    assert f",{first}," in parse_cap(xml).references
    feed = world.app.server.test_client().get("/cap/feed.xml").data.decode()
    assert f"{draft}.xml" in feed and f"{first}.xml" not in feed  # replaced by its Update
    again = emergency.post(f"/api/v1/alerts/{first}/cancel", json={})
    assert again.status_code == 409 and "already updated" in again.get_json()["error"]


def test_edits_send_an_approved_warning_back_to_draft(world):
    identifier = _draft(world)
    assert world.bearer("leader").post(f"/api/v1/alerts/{identifier}/approve").status_code == 200
    response = world.bearer("admin").patch(
        f"/api/v1/alerts/{identifier}", json={"severity": "Moderate"}
    )
    assert response.status_code == 200, response.get_json()
    body = world.bearer("leader").get(f"/api/v1/alerts/{identifier}").get_json()
    assert body["state"] == "draft" and body["colour"] == "yellow"
    assert body["allowed_actions"] == ["approve"]
    assert world.bearer("admin").post(f"/api/v1/alerts/{identifier}/approve").status_code == 403


# -- every endpoint refused for each role that may not use it ------------------------------

WRITERS = ("emergency", "admin")
APPROVERS = ("emergency", "leader", "admin")
READERS = ("emergency", "leader", "admin", "operator")
USERS = ("operator", "dispatcher", "gridworker", "leader", "emergency", "admin", "xq_cg",
         "street_handler")  # fmt: skip


@pytest.fixture(scope="module")
def targets(world) -> dict[str, str]:
    return {"draft": _draft(world), "published": _publish(world)}


def _endpoints(targets):
    d, p = targets["draft"], targets["published"]
    return [
        ("POST", "/api/v1/alerts", content(), WRITERS),
        ("GET", "/api/v1/alerts", None, READERS),
        ("GET", f"/api/v1/alerts/{d}", None, READERS),
        ("PATCH", f"/api/v1/alerts/{d}", {"certainty": "Likely"}, WRITERS),
        ("POST", f"/api/v1/alerts/{d}/approve", None, APPROVERS),
        ("POST", f"/api/v1/alerts/{d}/publish", None, WRITERS),
        ("POST", f"/api/v1/alerts/{p}/update", {"severity": "Minor"}, WRITERS),
        ("POST", f"/api/v1/alerts/{p}/cancel", None, WRITERS),
    ]


@pytest.mark.parametrize("way", ["session", "bearer"])
def test_every_endpoint_refuses_each_role_that_may_not_use_it(world, targets, way):
    refused = 0
    for username in USERS:
        client = world.session(username) if way == "session" else world.bearer(username)
        for method, path, body, roles in _endpoints(targets):
            if world_role(username) in roles:
                continue
            response = client.open(path, method=method, json=body)
            assert response.status_code == 403, (username, method, path, response.get_json())
            assert "may not" in response.get_json()["error"]
            refused += 1
    assert refused >= 30


def world_role(username: str) -> str:
    from tests.app.api_support import ROLES

    return ROLES[username]


def test_a_district_scoped_emergency_user_reads_but_does_not_issue(world, targets):
    client = world.bearer(XQ_EMERGENCY)
    assert client.get(f"/api/v1/alerts/{targets['draft']}").status_code == 200
    for method, path, body, _roles in _endpoints(targets):
        if method == "GET":
            continue
        response = client.open(path, method=method, json=body)
        assert response.status_code == 403, (path, response.get_json())
        assert "city-wide scope" in response.get_json()["error"]


def test_without_credentials_every_endpoint_is_401(world, targets):
    client = world.app.server.test_client()
    for method, path, body, _roles in _endpoints(targets):
        assert client.open(path, method=method, json=body).status_code == 401, path


# -- bad input: 400 JSON with the reason, never 500 ----------------------------------------

HUGE = [[115.5, 23.0], [117.5, 23.0], [117.5, 25.0], [115.5, 25.0], [115.5, 23.0]]
BOW_TIE = [[116.64, 23.66], [116.66, 23.675], [116.66, 23.66], [116.64, 23.675], [116.64, 23.66]]
BAD = [
    ({"area": {"polygons": [OLD_CITY[:-1]]}}, "not closed"),
    ({"area": {"polygons": [BOW_TIE]}}, "self-intersecting"),
    ({"area": {"polygons": [[[116.6, 23.6], [116.7]]]}}, "pair"),
    ({"area": {"polygons": [HUGE]}}, "km²"),
    ({"area": {"codes": ["445199"]}}, "no district or street 445199"),
    ({"area": {"codes": ["445102999"]}}, "no district or street"),
    ({"area": {"circles": [{"lon": 116.6, "lat": 23.6, "radius_km": -1}]}}, "radius_km"),
    ({"onset": "yesterday"}, "ISO 8601"),
    ({"expires": "2026-13-45T99:00:00+08:00"}, "ISO 8601"),
    ({"expires": "2030-01-01T00:00:00"}, "time zone"),
    ({"onset": _at(5), "expires": _at(2)}, "expires must be after onset"),
    ({"expires": _at(-1), "onset": None}, "not in the future"),
    ({"description": {"zh": "长" * 4001, "en": "x"}}, "longer than 4000"),
    ({"headline": {"zh": "x", "en": "y" * 201}}, "longer than 200"),
    ({"severity": "Red"}, "severity"),
    ({"status": "Test"}, "status"),
    ({"incident_id": "INC-NOT-THERE"}, "no incident"),
    ({"area": "all of it"}, "area must be an object"),
    ({"nonsense": 1}, "unknown fields"),
    # found by the independent tester: a warning at 0°, 0° was drafted, approved and published
    ({"area": {"circles": [{"lon": 0, "lat": 0, "radius_km": 1}]}}, "does not reach the city"),
    (
        {"area": {"polygons": [[[120, 30], [120.1, 30], [120.1, 30.1], [120, 30]]]}},
        "does not reach the city",
    ),
]


@pytest.mark.parametrize(("change", "reason"), BAD)
def test_bad_content_is_400_with_the_reason(world, change, reason):
    response = world.bearer("emergency").post("/api/v1/alerts", json=content(**change))
    assert response.status_code == 400, response.get_json()
    assert reason in response.get_json()["error"]
    assert response.get_json()["code"] == "bad_request"


def test_bad_edits_unknown_ids_and_broken_bodies_are_4xx_json(world, targets):
    client = world.bearer("emergency")
    draft = targets["draft"]
    response = client.patch(f"/api/v1/alerts/{draft}", json={"area": {"polygons": [BOW_TIE]}})
    assert response.status_code == 400 and "self-intersecting" in response.get_json()["error"]
    for method, path in (
        ("GET", "/api/v1/alerts/CN-445100-0-0"),
        ("POST", "/api/v1/alerts/CN-445100-0-0/approve"),
        ("GET", "/api/v1/alerts/" + "x" * 300),
        ("POST", "/api/v1/alerts/a%20b/publish"),
    ):
        response = world.bearer("admin").open(path, method=method)
        assert response.status_code == 404, (path, response.status_code)
        assert response.get_json()["error"]
    for data, kind, status in (
        ("{not json", "application/json", 400),
        ("[1, 2]", "application/json", 422),
        ("event=typhoon", "application/x-www-form-urlencoded", 415),
    ):
        response = client.post("/api/v1/alerts", data=data, content_type=kind)
        assert response.status_code == status, (data, response.get_json())
    assert client.get("/api/v1/alerts?state=gone").status_code == 400
    assert client.get("/api/v1/alerts?limit=0").status_code == 400
    listed = client.get("/api/v1/alerts?state=draft&limit=5")
    assert listed.status_code == 200 and all(
        i["state"] == "draft" for i in listed.get_json()["items"]
    )


def test_the_feed_never_takes_its_links_from_the_host_header(world):
    # found by the independent tester: Host: evil.example made every <id> and link point
    # there, cached publicly for 30 s
    _publish(world)
    client = world.app.server.test_client()
    body = client.get("/cap/feed.xml", headers={"Host": "evil.example"}).data.decode()
    assert "evil.example" not in body
    assert "http://127.0.0.1:8050/cap/feed.xml" in body  # server.public_url, else host:port
