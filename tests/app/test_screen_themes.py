"""The wall's theme maps on the demo database: applying a theme, the server-side filters of
the picture, live changes and on-demand points, the endpoints and the callbacks."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from app import ids
from app.pages.screen.changes import changes_payload
from app.pages.screen.logic import LAYER_GROUPS, WallState, apply_theme, legend_blocks
from app.pages.screen.picture import case_points_payload, picture_payload
from app.pages.screen.themes import build_themes
from ingest.locate import store_locator
from models.cases import report_case
from models.config import load_config
from models.security import parse_scope
from models.store import Store
from models.themes import Theme
from models.work_calendar import WorkCalendar
from tests.app.test_auth import login
from tests.conftest import SECRET

CAL = WorkCalendar()
NOW = datetime(2026, 11, 24, 4, 0)
PAIFANG = (116.6465, 23.6707)
CITY = parse_scope("city")
FLOOD = Theme(
    id="flood",
    name_zh="防汛",
    name_en="Flood",
    layers=("emergency", "iot", "cases"),
    grid_colour=None,
    kpis=("active_incidents",),
    case_majors=("04",),
    sensor_kinds=("water_level",),
    legend=("warnings", "emergency", "cases"),
)


@pytest.fixture
def store(demo_copy):
    folder = demo_copy()
    s = Store(folder / "cityops.duckdb")
    yield s
    s.close()


def _report(store, category, at=NOW - timedelta(minutes=5)):
    return report_case(
        store,
        category_code=category,
        lon=PAIFANG[0],
        lat=PAIFANG[1],
        at=at,
        source="grid_worker",
        actor="GW1",
        role="grid_worker",
        locate=store_locator(store),
        text="测试",
    ).case_id


def _layer(body, layer_id):
    return next(layer for layer in body["layers"] if layer["id"] == layer_id)


def _ids(layer):
    return set(layer["columns"]["id"]) if layer["length"] else set()


# -- applying a theme: a pure function of the theme and the state ----------------------


def test_apply_theme_sets_what_the_theme_names_and_keeps_the_rest():
    before = WallState(cases_mode="hexagons")
    after = apply_theme(FLOOD, before)
    assert after.theme == "flood" and after.groups == ("cases", "iot", "emergency")
    assert after.grid_mode == "district"  # no grid colouring: the plain district colours
    assert after.case_majors == ("04",) and after.sensor_kinds == ("water_level",)
    assert after.kpis == ("active_incidents",) and after.legend == FLOOD.legend
    assert after.cases_mode == "hexagons"  # not the theme's business
    assert before == WallState(cases_mode="hexagons")  # frozen: nothing changed in place


def test_legend_has_the_theme_blocks_that_are_on_then_the_groups_added_by_hand():
    assert legend_blocks(FLOOD, ["cases", "iot", "emergency"]) == [
        "warnings",
        "emergency",
        "cases",
    ]
    assert legend_blocks(FLOOD, ["cases"]) == ["cases"]  # emergency switched off by hand
    assert legend_blocks(FLOOD, ["grid", "cases", "traffic"]) == ["cases", "grid", "traffic"]


def test_every_shipped_theme_applies(demo_app):
    app, _passwords, store = demo_app
    with app.server.app_context():
        from app.context import get_context

        themes, default, problem = build_themes(store, get_context().config)
    assert problem is None and default == "overview"  # themes.default's default
    for theme in themes.values():
        state = apply_theme(theme, WallState())
        assert set(state.groups) == set(theme.layers) and set(state.groups) <= set(LAYER_GROUPS)
        assert state.kpis == theme.kpis


def test_a_bad_city_file_leaves_the_shipped_themes(demo_copy, tmp_path):
    folder = demo_copy()
    (folder / "city-themes.yaml").write_text(
        "themes: [{id: port, name: {zh: 港口}, layers: [ships], kpis: [aqi]}]", "utf-8"
    )
    config_path = folder / "config.yaml"
    text = config_path.read_text("utf-8")
    config_path.write_text(text + "themes: {extra_file: city-themes.yaml}\n", "utf-8")
    config = load_config(config_path, environ={"CITYOPS_SECRET_KEY": SECRET})
    with Store(config.database_path) as s:
        themes, default, problem = build_themes(s, config)
    assert "port" not in themes and "urban_management" in themes and default == "overview"
    assert problem is not None and "theme 'port'" in problem


# -- the filters are applied on the server -----------------------------------------------


def test_the_picture_holds_only_the_theme_categories_and_sensor_kinds(store):
    street = _report(store, "0201")  # 道路不洁
    flooded = _report(store, "0401")  # 积水
    common = dict(at=None, now=NOW, lang="zh", tz="Asia/Shanghai", calendar=CAL, zoom=9.1)
    everything = picture_payload(store, CITY, **common)
    assert {street, flooded} <= _ids(_layer(everything, "case-points"))
    themed = picture_payload(
        store, CITY, **common, case_majors=FLOOD.case_majors, sensor_kinds=FLOOD.sensor_kinds
    )
    shown = _ids(_layer(themed, "case-points"))
    assert flooded in shown and street not in shown
    feed = {item["id"] for item in themed["feed"] if item["kind"] == "case"}
    assert flooded in feed and street not in feed
    all_kinds = {r["kind"] for r in _layer(everything, "sensor-points")["data"]}
    kinds = {r["kind"] for r in _layer(themed, "sensor-points")["data"]}
    alarming = {r["kind"] for r in _layer(themed, "sensor-alarms")["data"]}
    assert len(all_kinds) > 2 and "water_level" in kinds and kinds <= {"water_level"} | alarming
    assert _layer(themed, "env-points")["data"] == [] or alarming


def test_a_theme_narrows_the_scope_never_widens_it(store):
    from models.geography import load_cells

    north = load_cells(store, scope=parse_scope("district:445122")).geometry.iloc[0]
    spot = north.representative_point()
    inside = _report(store, "0401")  # 湘桥区
    outside = report_case(
        store,
        category_code="0401",
        lon=spot.x,
        lat=spot.y,
        at=NOW - timedelta(minutes=3),
        source="grid_worker",
        actor="GW1",
        role="grid_worker",
        locate=store_locator(store),
        text="积水",
    ).case_id
    body = picture_payload(
        store,
        parse_scope("district:445102"),
        at=None,
        now=NOW,
        lang="zh",
        tz="Asia/Shanghai",
        calendar=CAL,
        zoom=9.1,
        case_majors=("04",),
    )
    assert inside in _ids(_layer(body, "case-points"))
    assert outside not in _ids(_layer(body, "case-points"))
    assert outside not in {item["id"] for item in body["feed"]}


def test_points_on_demand_follow_the_theme(store):
    street, flooded = _report(store, "0201"), _report(store, "0401")
    body = case_points_payload(store, CITY, at=NOW, lang="zh", calendar=CAL, case_majors=("04",))
    assert flooded in _ids(body) and street not in _ids(body)


def test_live_changes_follow_the_theme(store):
    common = dict(now=NOW, lang="zh", tz="Asia/Shanghai", calendar=CAL, zoom=9.1)
    first = picture_payload(store, CITY, at=None, case_majors=("04",), **common)
    street = _report(store, "0201", at=NOW - timedelta(seconds=30))
    flooded = _report(store, "0401", at=NOW - timedelta(seconds=20))
    changed = changes_payload(
        store, CITY, cursor_text=first["cursor"], case_majors=("04",), **common
    )
    assert changed["upserts"]["case-points"]["columns"]["id"] == [flooded]
    assert street in changed["removes"]["case-points"]
    assert [item["id"] for item in changed["feed"] if item["kind"] == "case"] == [flooded]
    unthemed = changes_payload(store, CITY, cursor_text=first["cursor"], **common)
    assert set(unthemed["upserts"]["case-points"]["columns"]["id"]) == {street, flooded}


# -- endpoints and callbacks ---------------------------------------------------------------


@pytest.fixture
def client(demo_app):
    app, passwords, _store = demo_app
    c = app.server.test_client()
    login(c, "operator", passwords["operator"])
    return c


def test_the_layers_endpoint_takes_the_theme_and_an_unknown_one_is_the_default(client):
    for theme in ("flood_typhoon", "overview", "no-such-theme", "<b>", "x" * 5000):
        response = client.get("/screen/api/layers", query_string={"theme": theme})
        assert response.status_code == 200 and response.is_json, theme
    changes = client.get("/screen/api/changes", query_string={"cursor": "x", "theme": "nope"})
    assert changes.get_json() == {"reset": True}
    points = client.get("/screen/api/case-points", query_string={"theme": "traffic"})
    assert points.status_code == 200 and points.get_json()["id"] == "case-points"


def _choose(client, value):
    body = {
        "output": f"..{ids.SCREEN_GROUPS}.value...{ids.SCREEN_GRID_MODE}.value..."
        f"{ids.SCREEN_THEME}.data..",
        "outputs": [
            {"id": ids.SCREEN_GROUPS, "property": "value"},
            {"id": ids.SCREEN_GRID_MODE, "property": "value"},
            {"id": ids.SCREEN_THEME, "property": "data"},
        ],
        "inputs": [{"id": ids.SCREEN_THEME_SELECT, "property": "value", "value": value}],
        "changedPropIds": [f"{ids.SCREEN_THEME_SELECT}.value"],
    }
    return client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )


def test_choosing_a_theme_sets_the_panel_and_an_unknown_one_gives_the_default(client):
    response = _choose(client, "grassroots")
    assert response.status_code == 200
    out = response.get_json()["response"]
    assert out[ids.SCREEN_GROUPS]["value"] == ["grid", "cases"]
    assert out[ids.SCREEN_GRID_MODE]["value"] == "score"
    assert out[ids.SCREEN_THEME]["data"] == "grassroots"
    for bad in ("nope", None, 7, ["traffic"], {"id": "traffic"}):
        response = _choose(client, bad)
        assert response.status_code == 200, bad
        assert response.get_json()["response"][ids.SCREEN_THEME]["data"] == "overview"


def test_a_role_without_the_wall_cannot_choose_a_theme(demo_app):
    app, passwords, _store = demo_app
    c = app.server.test_client()
    login(c, "gridworker", passwords["gridworker"])
    assert _choose(c, "traffic").status_code == 403


def test_the_kpi_strip_and_legend_follow_the_theme(client):
    body = {
        "output": f"..{ids.SCREEN_KPIS}.children...{ids.SCREEN_BANNERS}.children..",
        "outputs": [
            {"id": ids.SCREEN_KPIS, "property": "children"},
            {"id": ids.SCREEN_BANNERS, "property": "children"},
        ],
        "inputs": [
            {"id": ids.SCREEN_KPI_TICK, "property": "n_intervals", "value": 1},
            {"id": ids.SCREEN_REPLAY, "property": "data", "value": None},
            {"id": ids.SCREEN_THEME, "property": "data", "value": "traffic"},
        ],
        "changedPropIds": [f"{ids.SCREEN_THEME}.data"],
    }
    response = client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "screen-kpi-congestion-index" in text and "screen-kpi-cases-today" not in text
    legend = {
        "output": f"{ids.SCREEN_LEGEND}.children",
        "outputs": {"id": ids.SCREEN_LEGEND, "property": "children"},
        "inputs": [
            {"id": ids.SCREEN_GROUPS, "property": "value", "value": ["cases", "emergency"]},
            {"id": ids.SCREEN_GRID_MODE, "property": "value", "value": "district"},
            {"id": ids.SCREEN_THEME, "property": "data", "value": "flood_typhoon"},
        ],
        "changedPropIds": [f"{ids.SCREEN_THEME}.data"],
    }
    response = client.post(
        "/_dash-update-component", data=json.dumps(legend), content_type="application/json"
    )
    text = json.dumps(response.get_json(), ensure_ascii=False)
    assert response.status_code == 200 and "预警区域" in text and "仅显示" in text
    assert text.index("预警区域") < text.index("案件")  # the theme's order


def test_the_page_opens_on_the_theme_of_its_address(client):
    for search, theme, groups in (
        ("?theme=environment", "environment", ["env", "iot"]),
        ("?theme=urban_management", "urban_management", ["grid", "cases"]),
        ("?theme=nonsense", "overview", list(LAYER_GROUPS)),
        ("", "overview", list(LAYER_GROUPS)),
    ):
        text = _render_search(client, search)
        assert f'"data": "{theme}"' in text or f'"data":"{theme}"' in text, search
        assert json.dumps(groups) in text or json.dumps(groups, separators=(",", ":")) in text


def _render_search(client, search):
    body = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": "/screen"},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
        "changedPropIds": ["_pages_location.pathname"],
    }
    response = client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)
