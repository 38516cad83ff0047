"""The incident API end to end over the demo city: open, plan, tasks, level, notes, close,
the timeline as CSV, cameras nearby; every endpoint refused for each role that may not use
it and outside a district user's scope; bad input answered 400 with JSON."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from models.api_tokens import create_token
from models.security import parse_scope
from models.users import add_user
from tests.app.api_support import ApiWorld, build_world

PAIFANG = (116.6465, 23.6707)  # 牌坊街, the old city (湘桥区 445102)
RAOPING = (117.0, 23.67)  # 黄冈, 饶平县 445122
WAYS = ("session", "bearer")
#: Users made here: a district's emergency officer (湘桥区) and the demo's district operator.
EXTRA = {
    "xq_emergency": ("emergency", "district:445102"),
    "rp_emergency": ("emergency", "district:445122"),
}


@pytest.fixture(scope="module")
def world(demo_copy) -> ApiWorld:
    w = build_world(demo_copy)
    now = datetime.now(UTC).replace(tzinfo=None)
    for username, (role, scope) in EXTRA.items():
        password = f"pw-12345-{len(username)}-x"
        add_user(w.store, username, password, role=role, scope=parse_scope(scope), actor="admin")
        w.passwords[username] = password
        w.tokens[username] = create_token(w.store, username, label="t", created_by="admin",
                                          at=now)[1]  # fmt: skip
    for username in ("xq_operator", "district_leader"):
        w.tokens[username] = create_token(w.store, username, label="t", created_by="admin",
                                          at=now)[1]  # fmt: skip
    yield w
    w.store.close()


def _client(world: ApiWorld, username: str, way: str = "bearer"):
    return world.session(username) if way == "session" else world.bearer(username)


def _open(world: ApiWorld, who: str = "emergency", *, at=PAIFANG, **fields) -> str:
    body = {"type": "flood", "level": 4, "lon": at[0], "lat": at[1], "title": "古城区内涝",
            **fields}  # fmt: skip
    response = world.bearer(who).post("/api/v1/incidents", json=body)
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


def _act(world: ApiWorld, incident_id: str, who: str = "emergency", way: str = "bearer", **body):
    return _client(world, who, way).post(f"/api/v1/incidents/{incident_id}/actions", json=body)


@pytest.fixture(scope="module")
def incidents(world) -> dict[str, str]:
    """One incident in the old city (湘桥区) and one in 饶平县."""
    return {"xq": _open(world), "rp": _open(world, at=RAOPING, title="黄冈镇内涝")}


def test_a_response_from_opening_to_closing(world):
    incident_id = _open(world, level="II", exercise=True)
    client = world.bearer("emergency")
    detail = client.get(f"/api/v1/incidents/{incident_id}").get_json()
    assert (detail["id"], detail["type"], detail["level"]) == (incident_id, "flood", "II")
    assert detail["exercise"] is True and detail["source_kind"] == "api"
    assert detail["district_code"] == "445102" and detail["opened_at"].endswith("Z")
    assert detail["cameras"] and detail["cameras"][0]["stream_url"].startswith("rtsp://")
    distances = [c["distance_m"] for c in detail["cameras"]]
    assert distances == sorted(distances) and distances[-1] <= detail["camera_radius_m"]

    done = _act(world, incident_id, action="activate_plan").get_json()
    assert done["result"]["plan_id"] == "flood_typhoon" and len(done["result"]["added"]) > 20
    assert _act(world, incident_id, action="activate_plan").get_json()["result"]["added"] == []
    tasks = client.get(f"/api/v1/incidents/{incident_id}").get_json()["tasks"]
    assert tasks[0]["owner_name_zh"] and tasks[0]["due_at"].endswith("Z")
    assert {t["plan_level"] for t in tasks} == {"IV", "III", "II"}
    assert _act(world, incident_id, action="task_done", task=1, note="已发布").status_code == 200
    again = _act(world, incident_id, action="task_done", task=1)
    assert again.status_code == 409 and again.get_json()["error"]
    up = _act(world, incident_id, action="set_level", level="I", note="全市启动").get_json()
    assert up["result"]["from"] == "II" and up["result"]["tasks_added"]
    assert _act(world, incident_id, "operator", action="note", text="现场水深 40 cm").status_code
    closed = _act(world, incident_id, action="close", note="退水")
    assert closed.get_json()["result"] == {"status": "closed"}
    assert _act(world, incident_id, action="set_level", level=2).status_code == 409
    assert _act(world, incident_id, action="reopen").status_code == 200

    kinds = [e["kind"] for e in client.get(f"/api/v1/incidents/{incident_id}").get_json()[
        "timeline"]]  # fmt: skip
    assert kinds == ["opened", "plan", "task_done", "level", "plan", "note", "closed", "reopened"]
    response = client.get(f"/api/v1/incidents/{incident_id}/timeline.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "序号" and [r[2] for r in rows[1:3]] == ["事件开启", "预案启动"]
    english = client.get(f"/api/v1/incidents/{incident_id}/timeline.csv?lang=en")
    assert english.data.decode("utf-8-sig").startswith("No.,Time,Kind")
    listed = client.get("/api/v1/incidents?exercise=true").get_json()["items"]
    assert incident_id in [i["id"] for i in listed]


def test_an_area_and_escalation_of_a_case(world):
    x, y = PAIFANG
    square = {"type": "Polygon", "coordinates": [[[x - .004, y - .004], [x + .004, y - .004],
              [x + .004, y + .004], [x - .004, y + .004], [x - .004, y - .004]]]}  # fmt: skip
    incident_id = _open(world, area=square, lon=None, lat=None, type="typhoon")
    detail = world.bearer("leader").get(f"/api/v1/incidents/{incident_id}").get_json()
    assert detail["area"]["type"] == "Polygon"
    lon, lat = world.spots["worker"]
    case = world.bearer("admin").post(
        "/api/v1/cases", json={"category": "0401", "lon": lon, "lat": lat, "text": "积水"}
    )
    case_id = case.get_json()["id"]  # fmt: skip
    made = world.bearer("operator").post("/api/v1/incidents", json={"case_id": case_id})
    assert made.status_code == 201, made.get_json()
    escalated = world.bearer("operator").get(f"/api/v1/incidents/{made.get_json()['id']}")
    assert escalated.get_json()["source_ref"] == case_id
    assert escalated.get_json()["type"] == "flood"
    twice = world.bearer("operator").post("/api/v1/incidents", json={"case_id": case_id})
    assert twice.status_code == 409
    history = world.bearer("admin").get(f"/api/v1/cases/{case_id}").get_json()
    assert any(e["kind"] == "incident" for e in history.get("events", [])), history.keys()


@pytest.mark.parametrize(
    "body",
    [
        {"type": "meteor"},
        {"level": 5},
        {"level": "V"},
        {"level": True},
        {"lon": 113.26, "lat": 23.13},  # Guangzhou: outside the city
        {"lon": 200},
        {"lon": "116.6"},
        {"lat": None, "lon": None},
        {"title": "x" * 201},
        {"title": ""},
        {"exercise": "yes"},
        {"area": {"type": "Point", "coordinates": [116.6, 23.6]}},
        {"area": {"type": "Polygon", "coordinates": [[[116.6, 23.6]]]}},
        {"colour": "red"},
        {"case_id": "C1", "alarm_id": "A1"},
        {"case_id": "C-none", "lon": 116.6},
    ],
)
def test_bad_input_to_open_is_400_json(world, body):
    payload = {"type": "flood", "level": 4, "lon": PAIFANG[0], "lat": PAIFANG[1], "title": "t",
               **body}  # fmt: skip
    response = world.bearer("emergency").post("/api/v1/incidents", json=payload)
    assert response.status_code == 400, (body, response.get_json())
    assert response.get_json()["error"] and response.get_json()["code"] == "bad_request"


def test_nan_and_non_json_bodies_are_refused(world):
    client = world.bearer("emergency")
    nan = client.post("/api/v1/incidents", data='{"type": "flood", "lon": NaN}',
                      content_type="application/json")  # fmt: skip
    assert nan.status_code == 400 and "error" in nan.get_json()
    assert client.post("/api/v1/incidents", data="x", content_type="text/plain").status_code == 415
    assert client.post("/api/v1/incidents", json=[1]).status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"action": "launch"},
        {"action": None},
        {"action": "set_level"},
        {"action": "set_level", "level": "VI"},
        {"action": "note"},
        {"action": "note", "text": "x" * 2001},
        {"action": "task_done"},
        {"action": "task_done", "task": "one"},
        {"action": "close", "reason": "typo"},
        {"action": "activate_plan", "level": 0},
    ],
)
def test_bad_actions_are_400_json(world, incidents, body):
    response = _act(world, incidents["xq"], **body)
    assert response.status_code == 400, (body, response.get_json())
    assert response.get_json()["error"]


@pytest.mark.parametrize(
    "query",
    [
        "status=gone", "type=meteor", "limit=0", "limit=x", "exercise=maybe", "colour=red",
    ],
)  # fmt: skip
def test_bad_list_parameters_are_400(world, query):
    response = world.bearer("emergency").get(f"/api/v1/incidents?{query}")
    assert response.status_code == 400 and response.get_json()["error"]


@pytest.mark.parametrize(
    "query",
    [
        "", "lon=116.6", "lon=abc&lat=23.6", "lon=nan&lat=23.6", "lon=116.6&lat=123",
        "lon=116.6&lat=23.6&radius=0", "lon=116.6&lat=23.6&radius=1e9",
        "lon=116.6&lat=23.6&radius=inf", "lon=116.6&lat=23.6&zoom=3",
    ],
)  # fmt: skip
def test_bad_camera_queries_are_400(world, query):
    response = world.bearer("dispatcher").get(f"/api/v1/cameras?{query}")
    assert response.status_code == 400, (query, response.get_json())


def test_cameras_around_a_point(world):
    response = world.bearer("dispatcher").get(
        f"/api/v1/cameras?lon={PAIFANG[0]}&lat={PAIFANG[1]}&radius=300"
    )
    body = response.get_json()  # fmt: skip
    assert response.status_code == 200 and body["radius_m"] == 300
    assert body["items"] and all(c["distance_m"] <= 300 for c in body["items"])
    assert all(c["synthetic"] for c in body["items"])
    default = world.bearer("leader").get(f"/api/v1/cameras?lon={PAIFANG[0]}&lat={PAIFANG[1]}")
    assert default.get_json()["radius_m"] == 500.0


# -- permissions ----------------------------------------------------------------------------
READ_REFUSED = ("dispatcher", "gridworker", "xq_cg")
OPEN_REFUSED = ("leader", *READ_REFUSED)
COMMAND_REFUSED = ("operator", *OPEN_REFUSED)
COMMANDS = (
    {"action": "activate_plan"},
    {"action": "set_level", "level": "III"},
    {"action": "close"},
    {"action": "reopen"},
    {"action": "task_done", "task": 1},
)


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("username", OPEN_REFUSED)
def test_roles_that_may_not_open_are_403(world, way, username):
    body = {"type": "flood", "level": 4, "lon": PAIFANG[0], "lat": PAIFANG[1], "title": "t"}
    response = _client(world, username, way).post("/api/v1/incidents", json=body)
    assert response.status_code == 403, response.get_json()
    assert response.get_json()["code"] == "forbidden"


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("username", READ_REFUSED)
def test_roles_that_may_not_read_are_403(world, incidents, way, username):
    client = _client(world, username, way)
    incident_id = incidents["xq"]
    for path in (
        "/api/v1/incidents",
        f"/api/v1/incidents/{incident_id}",
        f"/api/v1/incidents/{incident_id}/timeline.csv",
    ):
        response = client.get(path)
        assert response.status_code == 403, (path, response.get_json())  # fmt: skip


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("username", COMMAND_REFUSED)
def test_roles_that_may_not_command_are_403(world, incidents, way, username):
    for body in COMMANDS:
        response = _act(world, incidents["xq"], username, way, **body)
        assert response.status_code == 403, (body, response.get_json())


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("username", OPEN_REFUSED)
def test_roles_that_may_not_note_are_403(world, incidents, way, username):
    response = _act(world, incidents["xq"], username, way, action="note", text="x")
    assert response.status_code == 403


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("username", ("gridworker", "xq_cg"))
def test_roles_that_may_not_look_up_cameras_are_403(world, way, username):
    response = _client(world, username, way).get("/api/v1/cameras?lon=116.6&lat=23.6")
    assert response.status_code == 403


def test_readers_may_read(world, incidents):
    for username in ("leader", "operator", "admin", "emergency"):
        client = world.bearer(username)
        assert client.get(f"/api/v1/incidents/{incidents['xq']}").status_code == 200
        assert client.get(f"/api/v1/incidents/{incidents['xq']}/timeline.csv").status_code == 200


@pytest.mark.parametrize("username", ("xq_emergency", "xq_operator", "district_leader"))
def test_a_district_user_sees_only_their_district(world, incidents, username):
    client = world.bearer(username)
    listed = {i["id"] for i in client.get("/api/v1/incidents").get_json()["items"]}
    assert incidents["xq"] in listed and incidents["rp"] not in listed
    other = incidents["rp"]
    for path in (f"/api/v1/incidents/{other}", f"/api/v1/incidents/{other}/timeline.csv"):
        response = client.get(path)
        assert response.status_code == 404 and response.get_json()["code"] == "not_found"
    assert client.get(f"/api/v1/incidents/{incidents['xq']}").status_code == 200


def test_a_district_user_acts_only_in_their_district(world, incidents):
    other = incidents["rp"]
    for body in ({"action": "note", "text": "x"}, *COMMANDS):
        response = _act(world, other, "xq_emergency", **body)
        assert response.status_code == 404, (body, response.get_json())
    outside = world.bearer("xq_operator").post(
        "/api/v1/incidents",
        json={"type": "fire", "level": 4, "lon": RAOPING[0], "lat": RAOPING[1], "title": "t"},
    )
    assert outside.status_code == 403  # fmt: skip
    rp = world.bearer("rp_emergency")
    assert rp.get(f"/api/v1/incidents/{incidents['xq']}").status_code == 404
    assert _act(world, other, "rp_emergency", action="note", text="黄冈镇已退水").status_code == 200


def test_unknown_incidents_are_404_json(world):
    client = world.bearer("emergency")
    for path in (
        "/api/v1/incidents/INC-none",
        "/api/v1/incidents/" + "x" * 80,
        "/api/v1/incidents/INC-none/timeline.csv",
    ):
        response = client.get(path)
        assert response.status_code == 404 and response.get_json()["error"]  # fmt: skip
    assert _act(world, "INC-none", action="note", text="x").status_code == 404


def test_the_wall_shows_the_cameras(world):
    from app.pages.screen.picture import picture_payload
    from models.security import Scope
    from models.work_calendar import WorkCalendar

    body = picture_payload(
        world.store, Scope("city"), at=None, now=datetime.now(UTC).replace(tzinfo=None),
        lang="zh", tz="Asia/Shanghai", calendar=WorkCalendar(), zoom=12,
    )  # fmt: skip
    layer = next(layer for layer in body["layers"] if layer["id"] == "cameras")
    assert layer["group"] == "emergency" and len(layer["data"]) >= 250
