"""Open311 GeoReport v2 via Flask's test client (and one real client library), demo city."""

import re
import threading
from datetime import UTC, timedelta
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest

from app.open311 import key_matches
from app.open311_params import parse_w3c
from ingest.locate import store_locator
from models.cases import report_case, transition_case
from models.clock import utcnow
from models.config import load_config
from models.store import Store
from models.work_calendar import WorkCalendar
from tests.conftest import SECRET

KEY = "client-key-0123456789"
XIANGQIAO = {"lat": "23.6707", "long": "116.6465"}  # old city, 湘桥区
BASE = "/open311/v2"


@pytest.fixture(scope="module")
def o311(demo_copy):
    """An app over its own demo copy with two Open311 keys configured."""
    from app.server import create_app

    folder = demo_copy()
    env = {
        "CITYOPS_SECRET_KEY": SECRET,
        "CITYOPS_OPEN311_API_KEYS": f"other-key, {KEY}",
        "CITYOPS_OPEN311__BURST": "10000",  # every test calls from 127.0.0.1
    }
    config = load_config(folder / "config.yaml", environ=env)
    store = Store(config.database_path)
    app = create_app(config, store)
    app.server.config["TESTING"] = True
    yield app, store, config
    store.close()


@pytest.fixture
def client(o311):
    return o311[0].server.test_client()


def post(client, **fields):
    data = {"api_key": KEY, "service_code": "0201", **XIANGQIAO, "description": "路面有垃圾"}
    data.update(fields)
    return client.post(
        f"{BASE}/requests.json", data={k: v for k, v in data.items() if v is not None}
    )


def last_audit(store):
    store.write(lambda tx: None)  # audit rows are queued on the single writer: wait for them
    return store.query_rows(
        "SELECT outcome, target FROM audit_log WHERE action = 'open311.request' "
        "ORDER BY occurred_at DESC LIMIT 1"
    )[0]


def assert_error(response, code, fragment):
    assert response.status_code == code
    body = response.get_json()
    assert isinstance(body, list) and len(body) == 1
    assert body[0]["code"] == code and fragment in body[0]["description"]


def test_services_list_all_enabled_categories_in_chinese(client, o311):
    store = o311[1]
    r = client.get(f"{BASE}/services.json")
    assert r.status_code == 200
    services = r.get_json()
    enabled = store.query_value("SELECT count(*) FROM categories WHERE enabled")
    assert len(services) == enabled >= 40
    first = services[0]
    assert set(first) >= {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    assert first["metadata"] is False and first["type"] == "realtime"
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in s["service_name"]) for s in services)
    assert {s["group"] for s in services} == {"component", "event"}
    english = client.get(f"{BASE}/services.json?locale=en").get_json()
    assert english[0]["service_code"] == first["service_code"]
    assert english[0]["service_name"] != first["service_name"]
    assert english[0]["service_name"].isascii()


def test_services_xml(client):
    r = client.get(f"{BASE}/services.xml")
    assert r.status_code == 200 and r.mimetype == "application/xml"
    root = ElementTree.fromstring(r.data)
    assert root.tag == "services" and len(root.findall("service")) >= 40
    assert root.find("service/metadata").text == "false"


def test_get_is_public_and_unknown_paths_stay_out_of_dash(client):
    assert client.get(f"{BASE}/requests.json").status_code == 200
    r = client.get("/open311/v2/nothing.json")
    assert_error(r, 404, "no Open311 endpoint")
    # the rest of the app still needs a log-in
    assert client.get("/api/anything").status_code == 401


def test_post_creates_a_located_case_and_get_returns_it(client, o311):
    store = o311[1]
    r = post(client, email="a@example.org", first_name="张", last_name="三", phone="13800000000")
    assert r.status_code == 200, r.data
    (answer,) = r.get_json()
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    case_id = answer["service_request_id"]
    assert answer["account_id"] is None and case_id in answer["service_notice"]
    row = store.query_rows(
        "SELECT source, reporter, district_code, cell_code, description FROM cases "
        "WHERE case_id = ?",
        [case_id],
    )[0]
    assert row[0] == "open311" and row[1] == "open311"
    assert row[2] == "445102" and row[3] is not None  # located in a 湘桥区 cell
    assert row[4] == "路面有垃圾"
    stored = str(store.query_rows("SELECT * FROM cases WHERE case_id = ?", [case_id]))
    # the one case-id scheme: the local date of the report and a number from the store
    at = store.query_value("SELECT reported_at FROM cases WHERE case_id = ?", [case_id])
    local = at.replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    assert re.fullmatch(rf"C{local:%Y%m%d}-\d{{6}}", case_id), case_id
    assert "13800000000" not in stored and "example.org" not in stored

    got = client.get(f"{BASE}/requests/{case_id}.json")
    assert got.status_code == 200
    (req,) = got.get_json()
    assert req["service_request_id"] == case_id
    assert req["status"] == "open" and req["status_notes"] == "reported 上报"
    assert req["service_code"] == "0201" and req["service_name"]
    assert req["requested_datetime"].endswith("+08:00")
    assert req["updated_datetime"].endswith("+08:00")
    # published about 100 m coarse (tests/app/test_open311_privacy.py)
    assert abs(req["lat"] - 23.6707) < 6e-4 and abs(req["long"] - 116.6465) < 6e-4
    assert req["agency_responsible"] and "湘桥区" in req["address"]
    assert last_audit(store) == ("ok", case_id)


def test_post_accepts_json(client):
    body = {"api_key": KEY, "service_code": "0201", "lat": 23.6707, "long": 116.6465}
    r = client.post(f"{BASE}/requests.json", json=body)
    assert r.status_code == 200 and r.get_json()[0]["service_request_id"]


@pytest.mark.parametrize("key", [None, "", "wrong-key", KEY + "x"])
def test_post_without_a_valid_key_is_forbidden(client, o311, key):
    store = o311[1]
    before = store.query_value("SELECT count(*) FROM cases")
    r = post(client, api_key=key)
    assert_error(r, 403, "api_key")
    assert store.query_value("SELECT count(*) FROM cases") == before
    assert last_audit(store) == ("denied", None)


def test_no_keys_configured_refuses_every_post(demo_copy):
    from app.server import create_app

    folder = demo_copy()
    config = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    store = Store(config.database_path)
    try:
        r = post(create_app(config, store).server.test_client(), api_key="")
        assert_error(r, 403, "api_key")
    finally:
        store.close()


@pytest.mark.parametrize(
    "fields,fragment",
    [
        ({"service_code": None}, "service_code is required"),
        ({"service_code": "9999"}, "unknown service_code"),
        ({"lat": None, "long": None, "address_string": "潮州市牌坊街"}, "lat and long"),
        ({"long": None}, "lat and long"),
        ({"lat": "north"}, "lat must be a number"),
        ({"lat": "123"}, "lat is out of range"),
    ],
)
def test_post_bad_fields_get_400(client, o311, fields, fragment):
    r = post(client, **fields)
    assert_error(r, 400, fragment)
    assert last_audit(o311[1]) == ("rejected", None)


def test_unknown_request_is_404_in_spec_format(client):
    assert_error(client.get(f"{BASE}/requests/C20000101-NOPE.json"), 404, "C20000101-NOPE")
    xml = client.get(f"{BASE}/requests/C20000101-NOPE.xml")
    assert xml.status_code == 404
    assert ElementTree.fromstring(xml.data).find("error/code").text == "404"


def _case(o311, category, *, exercise=False):
    _app, store, config = o311
    return report_case(
        store,
        category_code=category,
        lon=116.6465,
        lat=23.6707,
        at=utcnow(),
        source="public",  # a public channel: published (a grid worker's case is not)
        actor="GW1",
        role="operator",
        locate=store_locator(store),
        text="测试",
        exercise=exercise,
    ).case_id


def test_filters_by_status_service_code_and_ids(client, o311):
    store, config = o311[1], o311[2]
    open_id = _case(o311, "0201")
    void_id = _case(o311, "0201")
    transition_case(
        store,
        void_id,
        "void",
        actor="D1",
        role="dispatcher",
        at=utcnow(),
        calendar=WorkCalendar.from_settings(config.settings.calendar),
        reason="duplicate",
    )

    def ids(query):
        r = client.get(f"{BASE}/requests.json?{query}")
        assert r.status_code == 200, r.data
        return {req["service_request_id"]: req for req in r.get_json()}

    closed = ids("status=closed&service_code=0201")
    assert void_id in closed and open_id not in closed
    assert closed[void_id]["status"] == "closed" and closed[void_id]["status_notes"] == "void 作废"
    opened = ids("status=open")
    assert open_id in opened and void_id not in opened
    assert all(r["status"] == "open" for r in opened.values())
    assert {r["service_code"] for r in ids("service_code=0201").values()} == {"0201"}
    assert open_id not in ids("service_code=0101")
    assert set(ids(f"service_request_id={open_id},{void_id}")) == {open_id, void_id}
    old = (utcnow() - timedelta(days=200)).date().isoformat()
    assert open_id not in ids(f"start_date={old}T00:00:00Z&end_date={old}T12:00:00Z")
    assert len(ids("")) <= config.settings.open311.max_page_size


@pytest.mark.parametrize(
    "query,fragment",
    [
        ("status=pending", "status must be"),
        ("start_date=yesterday", "start_date must be a W3C datetime"),
        ("start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "90 days"),
    ],
)
def test_bad_filters_get_400(client, query, fragment):
    assert_error(client.get(f"{BASE}/requests.json?{query}"), 400, fragment)


def test_exercise_cases_never_appear(client, o311):
    drill = _case(o311, "0201", exercise=True)
    assert drill not in str(client.get(f"{BASE}/requests.json").get_json())
    assert drill not in str(client.get(f"{BASE}/requests.json?service_request_id={drill}").data)
    assert client.get(f"{BASE}/requests/{drill}.json").status_code == 404


def test_key_matches_and_w3c_parsing():
    assert key_matches("a", ["b", "a"]) and not key_matches("", [""])
    assert not key_matches("a", [])
    from zoneinfo import ZoneInfo

    moment = parse_w3c("2026-11-24T09:30:00+08:00", ZoneInfo("Asia/Shanghai"), "start_date")
    assert moment.isoformat() == "2026-11-24T01:30:00"
    assert parse_w3c("2026-11-24", ZoneInfo("Asia/Shanghai"), "d").isoformat() == (
        "2026-11-23T16:00:00"
    )


def test_georeport_client_library_unchanged(o311, monkeypatch):
    """The PyPI ``georeport`` client (read-only: lists services, requests, one request)."""
    georeport = pytest.importorskip("georeport")
    from werkzeug.serving import make_server

    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    case_id = _case(o311, "0201")
    server = make_server("127.0.0.1", 0, o311[0].server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        root = f"http://127.0.0.1:{server.server_port}{BASE}"
        for fmt in ("json", "xml"):
            client = georeport.GeoReport(root, output_format=fmt)
            services = client.get_service_list()
            assert len(services) >= 40 and services[0]["service_code"]
            found = client.get_service_requests(service_request_id=case_id)
            found = found if isinstance(found, list) else [found]
            assert [r["service_request_id"] for r in found] == [case_id]
            one = client.get_service_request(case_id)
            assert one["status"] == "open" and one["service_code"] == "0201"
    finally:
        server.shutdown()
        thread.join(5)
