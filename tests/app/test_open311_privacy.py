"""Open311 publishes only what is public: public channels, no personal data, coarse places,
and its anonymous clients are limited so they cannot starve the screens (issue 10, item 6)."""

from xml.etree import ElementTree

import pytest

from ingest.locate import store_locator
from models.cases import report_case
from models.clock import utcnow
from models.config import load_config
from models.store import Store
from tests.conftest import SECRET

BASE = "/open311/v2"
LON, LAT = 116.64653, 23.67071  # 湘桥区
PERSONAL = (
    "路灯不亮。报告人：王小明，手机 13812345678，座机 0768-2281234，"
    "身份证 44510219900101123X，邮箱 wang.xm@example.com，请联系我。"
)
LEAKS = ("王小明", "13812345678", "2281234", "44510219900101123X", "wang.xm@example.com")


def _app(demo_copy, **env):
    from app.server import create_app

    folder = demo_copy()
    # every test calls from 127.0.0.1: room enough, unless a test sets its own limits
    environ = {"CITYOPS_SECRET_KEY": SECRET, "CITYOPS_OPEN311__BURST": "10000", **env}
    config = load_config(folder / "config.yaml", environ=environ)
    store = Store(config.database_path)
    app = create_app(config, store)
    app.server.config["TESTING"] = True
    return app, store


@pytest.fixture(scope="module")
def public(demo_copy):
    app, store = _app(demo_copy)
    yield app, store
    store.close()


@pytest.fixture
def client(public):
    return public[0].server.test_client()


def _case(store, source, text="路面有垃圾"):
    return report_case(
        store,
        category_code="0201",
        lon=LON,
        lat=LAT,
        at=utcnow(),
        source=source,
        actor="someone",
        role="operator",
        locate=store_locator(store),
        text=text,
    ).case_id


def _listed(client, query=""):
    response = client.get(f"{BASE}/requests.json?{query}")
    assert response.status_code == 200, response.data
    return {r["service_request_id"]: r for r in response.get_json()}


def test_only_public_channels_are_published(client, public):
    store = public[1]
    ids = {source: _case(store, source) for source in ("open311", "public", "hotline", "iot")}
    listed = _listed(client)
    assert ids["open311"] in listed and ids["public"] in listed
    assert ids["hotline"] not in listed and ids["iot"] not in listed
    # nor by id, nor one at a time (case ids are easy to guess)
    by_id = _listed(client, f"service_request_id={ids['hotline']},{ids['public']}")
    assert set(by_id) == {ids["public"]}
    assert client.get(f"{BASE}/requests/{ids['hotline']}.json").status_code == 404
    assert client.get(f"{BASE}/requests/{ids['iot']}.xml").status_code == 404
    assert client.get(f"{BASE}/requests/{ids['open311']}.json").status_code == 200


def test_published_sources_are_configurable(demo_copy):
    app, store = _app(demo_copy, CITYOPS_OPEN311__PUBLIC_SOURCES="[hotline]")
    try:
        hotline, public = _case(store, "hotline"), _case(store, "public")
        listed = _listed(app.server.test_client())
        assert hotline in listed and public not in listed
    finally:
        store.close()


def test_personal_data_is_redacted_from_every_public_field(client, public):
    store = public[1]
    case_id = _case(store, "public", PERSONAL)
    store.write(
        lambda tx: tx.execute(
            "UPDATE cases SET address = ? WHERE case_id = ?",
            ["湘桥区太平路 联系人张伟 13912345678", case_id],
        )
    )
    for path in (f"requests/{case_id}.json", f"requests.json?service_request_id={case_id}"):
        (req,) = client.get(f"{BASE}/{path}").get_json()
        text = str(req)
        for leak in (*LEAKS, "张伟", "13912345678"):
            assert leak not in text, (leak, text)
        assert "路灯不亮" in req["description"] and "太平路" in req["address"]
    xml = client.get(f"{BASE}/requests/{case_id}.xml").data.decode()
    assert not any(leak in xml for leak in LEAKS)
    root = ElementTree.fromstring(xml)
    assert "路灯不亮" in root.find("request/description").text


def test_coordinates_are_coarsened(client, public):
    case_id = _case(public[1], "open311")
    (req,) = client.get(f"{BASE}/requests/{case_id}.json").get_json()
    assert (req["lat"], req["long"]) != (LAT, LON)
    assert abs(req["lat"] - LAT) <= 0.0006 and abs(req["long"] - LON) <= 0.0006  # ~100 m
    assert round(req["lat"], 3) == req["lat"] and round(req["long"], 3) == req["long"]


@pytest.mark.parametrize(
    "query",
    [
        "start_date=9999-12-31",
        "end_date=9999-12-31",
        "start_date=0001-01-01T00:00:00%2B14:00",
        "end_date=0001-01-01",
        "page_size=100000",
        "page_size=0",
        "page_size=many",
        "page=-1",
        "page=999999999",
        "page_size=%C2%B2",  # '²' is a digit to str.isdigit, not to int()
        "page=" + "9" * 5000,  # beyond int()'s digit limit
        "start_date=" + "9" * 5000,
    ],
)
def test_bad_ranges_and_page_sizes_are_400(client, query):
    response = client.get(f"{BASE}/requests.json?{query}")
    assert response.status_code == 400, (query, response.status_code)
    assert response.get_json()[0]["code"] == 400


def test_page_size_bounds_the_list(client, public):
    store = public[1]
    for _ in range(3):
        _case(store, "open311")
    assert len(_listed(client, "page_size=2")) == 2
    first, second = _listed(client, "page_size=1&page=1"), _listed(client, "page_size=1&page=2")
    assert len(first) == len(second) == 1 and set(first) != set(second)


def test_each_address_is_rate_limited(demo_copy):
    app, store = _app(demo_copy, CITYOPS_OPEN311__BURST="3", CITYOPS_OPEN311__RATE_PER_MINUTE="1")
    try:
        client = app.server.test_client()
        codes = [client.get(f"{BASE}/services.json").status_code for _ in range(4)]
        assert codes[:3] == [200, 200, 200]
        refused = client.get(f"{BASE}/requests.json")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert refused.get_json()[0]["code"] == 429
        other = {"REMOTE_ADDR": "10.9.8.7"}
        assert client.get(f"{BASE}/services.json", environ_base=other).status_code == 200
        # the posting clients too: a key guesser is slowed the same way
        assert client.post(f"{BASE}/requests.json", data={"api_key": "x"}).status_code == 429
    finally:
        store.close()


def test_public_requests_beyond_the_concurrency_limit_are_refused_fast(demo_copy):
    from app.public_gate import public_gate

    app, store = _app(demo_copy, CITYOPS_OPEN311__MAX_CONCURRENT="2")
    try:
        client = app.server.test_client()
        gate = public_gate(app.server)
        assert gate.enter() and gate.enter()  # two slow public requests are running
        try:
            busy = client.get(f"{BASE}/requests.json")
            assert busy.status_code == 503 and busy.headers["Retry-After"]
            # the screens and their log-in are not behind this gate
            assert client.get("/health").status_code == 200
            assert client.get("/login").status_code == 200
        finally:
            gate.leave()
            gate.leave()
        assert client.get(f"{BASE}/requests.json").status_code == 200
    finally:
        store.close()
