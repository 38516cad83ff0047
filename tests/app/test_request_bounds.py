"""Crafted requests to the wall (issue 10, items 1 and 2): a 400 or no update, never a 500,
never an expensive query, and no user holding more than their share of the server."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from app import ids
from tests.app.test_auth import login, render_page

STREET = "street_operator"

CRAFTED_INSTANTS = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "2200-01-01",
    "2026-13-45",
    "garbage",
    "x" * 5000,
    "\x00",
    "+275760-09-13",
]


@pytest.fixture
def client(demo_app):
    app, passwords, _store = demo_app
    c = app.server.test_client()
    assert login(c, STREET, passwords[STREET]).status_code == 302
    return c


def post_callback(client, body) -> object:
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post("/_dash-update-component", data=data, content_type="application/json")


def kpi_body(replay: object) -> dict:
    return {
        "output": f"..{ids.SCREEN_KPIS}.children...{ids.SCREEN_BANNERS}.children..",
        "outputs": [
            {"id": ids.SCREEN_KPIS, "property": "children"},
            {"id": ids.SCREEN_BANNERS, "property": "children"},
        ],
        "inputs": [
            {"id": ids.SCREEN_KPI_TICK, "property": "n_intervals", "value": 1},
            {"id": ids.SCREEN_REPLAY, "property": "data", "value": replay},
            {"id": ids.SCREEN_THEME, "property": "data", "value": None},
        ],
        "changedPropIds": [f"{ids.SCREEN_REPLAY}.data"],
    }


def ranking_body(replay: object) -> dict:
    return {
        "output": f"{ids.SCREEN_RANKING}.children",
        "outputs": {"id": ids.SCREEN_RANKING, "property": "children"},
        "inputs": [
            {"id": ids.SCREEN_KPI_TICK, "property": "n_intervals", "value": 1},
            {"id": ids.SCREEN_REPLAY, "property": "data", "value": replay},
        ],
        "changedPropIds": [f"{ids.SCREEN_REPLAY}.data"],
    }


def card_body(selection: object) -> dict:
    return {
        "output": f"..{ids.SCREEN_CARD_BODY}.children...{ids.SCREEN_CARD}.className..",
        "outputs": [
            {"id": ids.SCREEN_CARD_BODY, "property": "children"},
            {"id": ids.SCREEN_CARD, "property": "className"},
        ],
        "inputs": [
            {"id": ids.SCREEN_SELECTION, "property": "data", "value": selection},
            {"id": ids.SCREEN_CARD_CLOSE, "property": "n_clicks", "value": 0},
        ],
        "changedPropIds": [f"{ids.SCREEN_SELECTION}.data"],
    }


def replay_body(hours: object, state: object, trigger: str = ids.SCREEN_REPLAY_SLIDER) -> dict:
    outputs = [
        (ids.SCREEN_REPLAY, "data"),
        (ids.SCREEN_REPLAY_SLIDER, "value"),
        (ids.SCREEN_REPLAY_LABEL, "children"),
        (ids.SCREEN_REPLAY_TICK, "disabled"),
        (ids.SCREEN_REPLAY_PLAY, "children"),
    ]
    prop = {
        ids.SCREEN_REPLAY_SLIDER: "value",
        ids.SCREEN_REPLAY_PLAY: "n_clicks",
        ids.SCREEN_REPLAY_LIVE: "n_clicks",
        ids.SCREEN_REPLAY_TICK: "n_intervals",
    }
    return {
        "output": "".join(f"..{i}.{p}." for i, p in outputs) + ".",
        "outputs": [{"id": i, "property": p} for i, p in outputs],
        "inputs": [
            {"id": ids.SCREEN_REPLAY_SLIDER, "property": "value", "value": hours},
            {"id": ids.SCREEN_REPLAY_PLAY, "property": "n_clicks", "value": 1},
            {"id": ids.SCREEN_REPLAY_LIVE, "property": "n_clicks", "value": 0},
            {"id": ids.SCREEN_REPLAY_TICK, "property": "n_intervals", "value": 3},
        ],
        "state": [{"id": ids.SCREEN_REPLAY, "property": "data", "value": state}],
        "changedPropIds": [f"{trigger}.{prop[trigger]}"],
    }


# -- REST: instants ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/screen/api/layers", {}),
        ("/screen/api/case-points", {}),
        ("/screen/api/grid-colors", {"mode": "overdue"}),
    ],
)
@pytest.mark.parametrize("at", CRAFTED_INSTANTS)
def test_rest_refuses_crafted_instants_with_400_and_a_reason(client, path, query, at):
    response = client.get(path, query_string={**query, "at": at})
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("at:")


def test_rest_takes_an_instant_in_the_window_with_a_zone(client):
    past = datetime.now(UTC) - timedelta(days=2)
    for at in (
        past.isoformat(),
        past.isoformat().replace("+00:00", "Z"),
        past.astimezone(timezone(timedelta(hours=8))).isoformat(),
        # what the browser sends: the replay store's naive UTC instant with "Z" appended
        # (assets/clientside.js, setReplay)
        past.replace(tzinfo=None).isoformat() + "Z",
    ):
        assert client.get("/screen/api/case-points", query_string={"at": at}).status_code == 200


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/screen/api/layers", {}),
        ("/screen/api/case-points", {}),
        ("/screen/api/grid-colors", {"mode": "overdue"}),
    ],
)
def test_rest_refuses_an_instant_without_a_zone(client, path, query):
    """Like MQTT, the REST API does not guess a zone (is 12:00 UTC or Beijing time?)."""
    at = (datetime.now(UTC) - timedelta(days=2)).replace(tzinfo=None).isoformat()
    response = client.get(path, query_string={**query, "at": at})
    assert response.status_code == 400
    assert "zone" in response.get_json()["error"]


# -- REST: cursors -------------------------------------------------------------------------


def _fresh_cursor(client) -> list[str]:
    return client.get("/screen/api/layers").get_json()["cursor"].split("~")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (2, "2026-01-01T00:00:00+08:00"),  # a zoned receipt time
        (3, "2026-01-01T00:00:00+08:00"),  # a zoned hexagon time
        (5, "2026-01-01T00:00:00+08:00"),  # a zoned poll instant
        (2, "2000-01-01T00:00:00"),  # an old receipt time: would read every reading since
        (5, "2000-01-01T00:00:00"),  # an old poll instant: would run the SLA clock for years
        (2, "9999-12-31T23:59:59"),
        (1, str(10**30)),  # a sequence no column holds
        (1, "-5"),
    ],
)
def test_a_crafted_cursor_asks_the_browser_to_reload(client, field, value):
    parts = _fresh_cursor(client)
    parts[field] = value
    response = client.get("/screen/api/changes", query_string={"cursor": "~".join(parts)})
    assert response.status_code == 200 and response.get_json() == {"reset": True}


def test_a_long_cursor_is_not_parsed(client):
    parts = _fresh_cursor(client)
    parts[4] = "0" * 100_000
    response = client.get("/screen/api/changes", query_string={"cursor": "~".join(parts)})
    assert response.get_json() == {"reset": True}


def test_a_fresh_cursor_still_polls(client):
    cursor = "~".join(_fresh_cursor(client))
    body = client.get("/screen/api/changes", query_string={"cursor": cursor}).get_json()
    assert "reset" not in body and body["cursor"]


# -- callbacks: bodies, states, instants, slider values, anchors ---------------------------


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        '"text"',
        "5",
        "null",
        "{not json",
        {},
        {"output": 5},
        {"output": f"{ids.SCREEN_RANKING}.children", "inputs": "no"},
        {"output": f"{ids.SCREEN_RANKING}.children", "inputs": [5, "x"]},
        {"output": f"{ids.SCREEN_RANKING}.children", "inputs": [{"id": ids.SCREEN_KPI_TICK}]},
        {
            "output": f"{ids.SCREEN_RANKING}.children",
            "outputs": {"id": ids.SCREEN_RANKING, "property": "children"},
            "inputs": [],
            "state": {"a": 1},
        },
    ],
)
def test_a_malformed_callback_body_is_a_400(client, body):
    response = post_callback(client, body)
    assert response.status_code == 400 and "error" in response.get_json()


@pytest.mark.parametrize(
    "replay",
    [
        {"at": "2200-01-01T00:00:00"},
        {"at": "0001-01-01T00:00:00+14:00"},
        {"at": "garbage"},
        {"at": 5},
        {"at": ["2026-01-01"]},
        {"at": (datetime.now(UTC) - timedelta(days=400)).isoformat()},
        "a string",
        [],
        7,
    ],
)
def test_kpis_and_ranking_of_a_crafted_replay_state_are_no_update(client, replay):
    assert post_callback(client, kpi_body(replay)).status_code == 204
    assert post_callback(client, ranking_body(replay)).status_code == 204


def test_a_wall_open_for_months_still_gets_its_kpis(client):
    old = (datetime.now(UTC) - timedelta(days=200)).replace(tzinfo=None).isoformat()
    response = post_callback(client, kpi_body({"at": None, "anchor": old, "playing": False}))
    assert response.status_code == 200 and "kpi-value" in response.get_data(as_text=True)


def test_kpis_at_a_replay_instant_in_the_window(client):
    at = (datetime.now(UTC) - timedelta(days=1)).replace(tzinfo=None).isoformat()
    response = post_callback(client, kpi_body({"at": at}))
    assert response.status_code == 200 and "kpi-value" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "selection",
    [
        {"layer": "case-points", "id": "x", "at": "garbage"},
        {"layer": "case-points", "id": "x", "at": "2200-01-01"},
        {"layer": "grid-cells", "id": "x", "at": "0001-01-01T00:00:00+14:00"},
        {"layer": "case-points", "id": "x" * 5000},
        {"layer": ["case-points"], "id": {"a": 1}},
        "a string",
        [1, 2],
    ],
)
def test_a_crafted_selection_opens_no_card(client, selection):
    assert post_callback(client, card_body(selection)).status_code == 204


@pytest.mark.parametrize(
    ("hours", "state"),
    [
        (10**12, None),
        (-(10**12), None),
        ("abc", None),
        (1.5, None),
        (True, None),
        (-24, "not an object"),
        (-24, []),
        (-24, {"anchor": "garbage"}),
        (-24, {"anchor": "0001-01-01T00:00:00+14:00"}),
        (-24, {"anchor": "9999-12-31T23:59:59"}),
        (-24, {"anchor": 12}),
    ],
)
def test_crafted_slider_values_and_anchors_are_no_update(client, hours, state):
    assert post_callback(client, replay_body(hours, state)).status_code == 204


def test_the_slider_moves_replay_within_the_window(client):
    now = datetime.now(UTC).replace(tzinfo=None)
    old = (now - timedelta(days=200)).isoformat()  # a wall's page open for months, live
    response = post_callback(client, replay_body(-24, {"anchor": old, "playing": False}))
    assert response.status_code == 200
    state = response.get_json()["response"][ids.SCREEN_REPLAY]["data"]
    assert datetime.fromisoformat(state["anchor"]) >= now  # counted from now
    step = {**state, "playing": True}
    ticked = post_callback(client, replay_body(-23, step, trigger=ids.SCREEN_REPLAY_TICK))
    assert ticked.get_json()["response"][ids.SCREEN_REPLAY]["data"]["anchor"] == state["anchor"]
    assert post_callback(client, kpi_body(state)).status_code == 200


def test_back_to_live_mends_a_garbage_anchor(client):
    body = replay_body(-24, {"anchor": "garbage"}, trigger=ids.SCREEN_REPLAY_LIVE)
    response = post_callback(client, body)
    assert response.status_code == 200
    state = response.get_json()["response"][ids.SCREEN_REPLAY]["data"]
    assert state["at"] is None and datetime.fromisoformat(state["anchor"])


def test_the_slider_stays_inside_the_replay_window():
    from app.pages.screen.layout import _replay_bar
    from app.validation import REPLAY_SLIDER_HOURS
    from models.map_state.cases import REPLAY_DAYS

    slider = _replay_bar("zh").children[2].children
    assert slider.min == -REPLAY_SLIDER_HOURS and REPLAY_SLIDER_HOURS < REPLAY_DAYS * 24
    assert all(slider.min <= mark <= slider.max for mark in slider.marks)


# -- per-user concurrency of the expensive requests ----------------------------------------


def _concurrently(make_client, n: int, call) -> list[object]:
    clients = [make_client() for _ in range(n)]
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        results[i] = call(clients[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_eight_concurrent_expensive_requests_of_one_user(demo_app):
    from app.bounds import EXPENSIVE_PER_USER, expensive_slots

    app, passwords, _store = demo_app
    slots = expensive_slots(app.server)

    def street_client():
        c = app.server.test_client()
        login(c, STREET, passwords[STREET])
        return c

    at = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    # the user's first requests are still running: every further one is turned away
    held = [slots.acquire(STREET) for _ in range(EXPENSIVE_PER_USER)]
    assert all(held) and not slots.acquire(STREET)
    try:
        refused = _concurrently(
            street_client, 8, lambda c: c.get("/screen/api/layers", query_string={"at": at})
        )
        assert [r.status_code for r in refused] == [429] * 8
        assert all(int(r.headers["Retry-After"]) >= 1 for r in refused)
        assert post_callback(street_client(), kpi_body({"at": at})).status_code == 429
        assert render_page(street_client(), "/screen").status_code == 429  # KPIs now
        # meanwhile the server answers others: health, another user, cheap requests
        assert app.server.test_client().get("/health").status_code == 200
        other = app.server.test_client()
        login(other, "operator", passwords["operator"])
        assert other.get("/screen/api/case-points", query_string={"at": at}).status_code == 200
        assert street_client().get("/screen/api/changes?cursor=x").status_code == 200
    finally:
        for _ in held:
            slots.release(STREET)
    slots.reset_peak()
    ran = _concurrently(
        street_client, 8, lambda c: c.get("/screen/api/case-points", query_string={"at": at})
    )
    codes = [r.status_code for r in ran]
    assert set(codes) <= {200, 429} and 200 in codes
    assert slots.peak(STREET) <= EXPENSIVE_PER_USER and slots.running(STREET) == 0


@pytest.mark.parametrize(
    ("pathname", "search"), [(None, None), ("screen", ""), (5, ""), ("/screen", 7), ("/", ["?a"])]
)
def test_the_pages_router_takes_only_an_absolute_path(client, pathname, search):
    body = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": pathname},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
        "changedPropIds": ["_pages_location.pathname"],
    }
    assert post_callback(client, body).status_code == 400


def test_a_cursor_ahead_of_the_store_asks_for_a_reload(client):
    parts = _fresh_cursor(client)
    parts[1] = str(int(parts[1]) + 1000)
    response = client.get("/screen/api/changes", query_string={"cursor": "~".join(parts)})
    assert response.get_json() == {"reset": True}


def test_a_cursor_far_behind_asks_for_a_reload_not_a_diff_of_everything(client, demo_app):
    from app.pages.screen.changes import changes_payload
    from app.pages.screen.cursor import CURSOR_MAX_BEHIND, Cursor
    from models.map_state import current_change_seq
    from models.security import parse_scope
    from models.work_calendar import WorkCalendar

    _app, _passwords, store = demo_app
    cursor = Cursor.decode("~".join(_fresh_cursor(client)))
    seq = current_change_seq(store)
    assert seq > 0 and CURSOR_MAX_BEHIND >= 10_000
    options = {
        "now": cursor.polled,
        "lang": "zh",
        "tz": "Asia/Shanghai",
        "calendar": WorkCalendar(),
        "zoom": 12.0,
        "max_age": timedelta(minutes=10),
    }
    behind = Cursor(cursor.epoch, 0, cursor.received, cursor.hex_at).encode()
    scope = parse_scope("street:445102007")
    assert changes_payload(store, scope, cursor_text=behind, max_behind=seq - 1, **options) == {
        "reset": True
    }
    assert "reset" not in changes_payload(
        store, scope, cursor_text=behind, max_behind=seq, **options
    )
