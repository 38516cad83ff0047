"""The one-map screen's data on the demo database: KPIs, payloads, live changes, scope limits."""

from datetime import datetime, timedelta

import pytest

from app.pages.screen.changes import changes_payload
from app.pages.screen.cursor import EPOCH, HEX_EVERY, Cursor
from app.pages.screen.logic import initial_view, screen_kpis
from app.pages.screen.picture import (
    base_payload,
    case_points_payload,
    grid_colors_payload,
    picture_payload,
)
from ingest.locate import store_locator
from layers.grid import GRID_LAYER_ID
from layers.wire import decode_array
from models.cases import report_case, transition_case
from models.config import Settings
from models.map_state import local_midnight
from models.security import parse_scope
from models.store import Store
from models.work_calendar import WorkCalendar
from models.workflow import stage_label

CAL = WorkCalendar()
NOW = datetime(2026, 11, 24, 4, 0)  # Tuesday 12:00 in Chaozhou
PAIFANG = (116.6465, 23.6707)  # 牌坊街, 湘桥区
CITY = parse_scope("city")


@pytest.fixture
def store(demo_copy):
    folder = demo_copy()
    s = Store(folder / "cityops.duckdb")
    yield s
    s.close()


def _report(store, at, lonlat=PAIFANG, category="0201", exercise=False, ext=None):
    return report_case(
        store,
        category_code=category,
        lon=lonlat[0],
        lat=lonlat[1],
        at=at,
        source="grid_worker",
        actor="GW1",
        role="grid_worker",
        locate=store_locator(store),
        text="道路不洁",
        exercise=exercise,
        external_id=ext,
    ).case_id


def _picture(store, scope=CITY, at=None, now=NOW, lang="zh"):
    return picture_payload(
        store, scope, at=at, now=now, lang=lang, tz="Asia/Shanghai", calendar=CAL, zoom=9.1
    )


def _changes(store, cursor, *, now=NOW, scope=CITY):
    return changes_payload(
        store,
        scope,
        cursor_text=cursor,
        now=now,
        lang="zh",
        tz="Asia/Shanghai",
        calendar=CAL,
        zoom=9.1,
    )


def _layer(body, layer_id):
    return next(layer for layer in body["layers"] if layer["id"] == layer_id)


def _case_ids(body):
    layer = _layer(body, "case-points")
    return set(layer["columns"]["id"]) if layer["length"] else set()


def test_local_day_starts_at_chaozhou_midnight():
    assert local_midnight(datetime(2026, 11, 24, 4, 0), "Asia/Shanghai") == datetime(
        2026, 11, 23, 16
    )
    assert local_midnight(datetime(2026, 11, 23, 15, 59), "Asia/Shanghai") == datetime(
        2026, 11, 22, 16
    )


def test_base_holds_only_the_scope_and_the_view_fits_it(demo_app):
    _app, _pw, store = demo_app
    cells = [
        r[0]
        for r in store.query_rows(
            "SELECT cell_code FROM grid_cells WHERE street_code = '445102008' LIMIT 5"
        )
    ]
    scope = parse_scope("cells:" + ",".join(cells))
    grid = _layer(base_payload(store, scope, lang="zh"), GRID_LAYER_ID)
    assert sorted({r["cell_code"] for r in grid["data"]}) == sorted(cells)
    assert grid["key"] == "cell_code" and grid["group"] == "grid"
    assert initial_view(store, scope, Settings())["zoom"] > 13  # zoomed onto five small cells
    district = _layer(base_payload(store, parse_scope("district:445102"), lang="en"), GRID_LAYER_ID)
    assert all(r["cell_code"].startswith("445102") for r in district["data"])
    assert all(r["body"] for r in district["data"])  # 属地兜底: every cell has an answering body
    assert "(not set" in " ".join(r["body"] for r in district["data"])


def test_kpis_add_up_across_districts(store):
    for i, lonlat in enumerate([PAIFANG, (116.63, 23.67), (116.95, 23.75), (116.7, 23.6)]):
        _report(store, NOW - timedelta(hours=1 + i), lonlat)
    city = screen_kpis(store, CITY, now=NOW, calendar=CAL)
    parts = [
        screen_kpis(store, parse_scope(f"district:{d}"), now=NOW, calendar=CAL)
        for d in ("445102", "445103", "445122")
    ]
    assert city["cases_today"] == 4 and city["open_cases"] == 4
    for key in ("cases_today", "open_cases", "overdue", "sensors", "resources_available"):
        assert sum(p[key] for p in parts) == city[key], key
    assert city["sensors"] == 1025 and city["sensors_online"] == 0  # no readings yet


def test_sensors_online_follow_readings_and_exercise_cases_do_not_count(store):
    def observe(tx, sensor, minutes_ago):
        tx.execute(
            "INSERT INTO observations (msg_id, sensor_id, ts, metric, value, received_at) "
            "VALUES (?, ?, ?, 'pm25', 30, ?)",
            [f"m-{sensor}", sensor, NOW - timedelta(minutes=minutes_ago), NOW],
        )

    store.write(lambda tx: observe(tx, "AIR-001", 5))  # hourly station heard 5 min ago
    store.write(lambda tx: observe(tx, "NOISE-001", 16))  # 300 s sensor silent for 16 min
    _report(store, NOW - timedelta(hours=1))
    _report(store, NOW - timedelta(hours=13))  # yesterday, local time
    _report(store, NOW - timedelta(hours=2), exercise=True)
    got = screen_kpis(store, CITY, now=NOW, calendar=CAL)
    assert got["sensors_online"] == 1
    assert got["cases_today"] == 1 and got["open_cases"] == 2


def test_picture_draws_open_cases_and_replay_shows_the_past(store):
    early = _report(store, NOW - timedelta(hours=5))
    late = _report(store, NOW - timedelta(hours=1))
    body = _picture(store)
    assert {early, late} <= _case_ids(body) and not body["replay"] and body["cursor"]
    layer = _layer(body, "case-points")
    assert layer["binary"]["getPosition"] == "position" and layer["group"] == "cases"
    positions = decode_array(layer["columns"]["position"])
    assert positions.shape == (layer["length"], 2)
    past = _picture(store, at=NOW - timedelta(hours=3))
    assert past["replay"] and "cursor" not in past
    assert early in _case_ids(past) and late not in _case_ids(past)
    assert {layer["id"] for layer in body["layers"]} >= {
        "case-points",
        "case-hexes",
        "env-points",
        "sensor-points",
        "traffic-segments",
        "resources",
        "shelters",
        "incidents",
        "warning-areas",
    }
    assert [item["id"] for item in body["feed"]][-2:] == [early, late]  # oldest first
    english = _picture(store, lang="en")
    assert english["feed"][-1]["tag"] == "Grid worker"
    assert _layer(english, "case-points")["tooltip"]["lines"][-1].startswith("No.")


def test_changes_upsert_new_cases_and_remove_closed_ones(store):
    first = _picture(store)
    assert _changes(store, first["cursor"], now=NOW, scope=CITY)["upserts"] == {}
    new = _report(store, NOW - timedelta(seconds=30), ext="msg-1")
    changed = _changes(store, first["cursor"], now=NOW, scope=CITY)
    assert changed["upserts"]["case-points"]["columns"]["id"] == [new]
    assert changed["replace"] == []  # hexagons wait: at most one rebuild per HEX_EVERY
    later = _changes(store, changed["cursor"], now=NOW + HEX_EVERY, scope=CITY)
    assert [layer["id"] for layer in later["replace"]] == ["case-hexes"]
    assert later["upserts"] == {}
    assert [(i["id"], i["ext"]) for i in changed["feed"]] == [(new, "msg-1")]
    transition_case(
        store, new, "void", actor="d1", role="dispatcher", at=NOW, calendar=CAL, reason="duplicate"
    )
    gone = _changes(store, changed["cursor"], now=NOW, scope=CITY)
    assert gone["removes"]["case-points"] == [new]
    assert gone["feed"] == []  # a void is not news


def test_changes_are_limited_to_the_scope(store):
    first = _picture(store, scope=parse_scope("district:445122"))
    _report(store, NOW - timedelta(seconds=30))  # in 湘桥区
    changed = _changes(store, first["cursor"], now=NOW, scope=parse_scope("district:445122"))
    assert "case-points" not in changed["upserts"] and changed["feed"] == []


def test_a_cursor_of_another_server_process_asks_for_a_reload(store):
    stale = Cursor("0ther000", 1, NOW, NOW).encode()
    for text in (stale, "", "garbage"):
        assert _changes(store, text, now=NOW, scope=CITY) == {"reset": True}
    mine = Cursor(EPOCH, 5, NOW, NOW - timedelta(seconds=3), True)
    assert Cursor.decode(mine.encode()) == mine


def test_grid_colours_follow_open_cases_per_cell(store):
    case = _report(store, NOW - timedelta(hours=1))
    cell = store.query_value("SELECT cell_code FROM cases WHERE case_id = ?", [case])
    base = base_payload(store, CITY, lang="zh")
    body = grid_colors_payload(store, CITY, base, mode="open_cases", at=NOW, calendar=CAL)
    colors = decode_array(body["colors"])
    records = _layer(base, GRID_LAYER_ID)["data"]
    assert colors.shape == (len(records), 4)
    mine = {tuple(colors[i]) for i, r in enumerate(records) if r["cell_code"] == cell}
    others = {tuple(colors[i]) for i, r in enumerate(records[:200]) if r["cell_code"] != cell}
    assert len(mine) == 1 and not mine <= others  # the cell with a case stands out


def test_dense_scopes_get_hexagons_first_and_points_on_demand(store):
    ids = {_report(store, NOW - timedelta(hours=h)) for h in (1, 2, 3)}
    overview = picture_payload(
        store,
        CITY,
        at=None,
        now=NOW,
        lang="zh",
        tz="Asia/Shanghai",
        calendar=CAL,
        zoom=9.1,
        defer_points_above=2,
    )
    points = _layer(overview, "case-points")
    assert points["deferred"] and points["count"] == 3 and points["length"] == 0
    assert _layer(overview, "case-hexes")["data"]  # the status-aware overview is there
    full = case_points_payload(store, CITY, at=NOW, lang="zh", calendar=CAL)
    assert set(full["columns"]["id"]) == ids and "deferred" not in full
    roomy = picture_payload(
        store,
        CITY,
        at=None,
        now=NOW,
        lang="zh",
        tz="Asia/Shanghai",
        calendar=CAL,
        zoom=9.1,
        defer_points_above=3,
    )
    assert _layer(roomy, "case-points")["length"] == 3


def test_cards_stay_inside_the_scope(store):
    from app.pages.screen.cards import render_card

    other = store.query_value(
        "SELECT resource_id FROM resources WHERE district_code = '445122' LIMIT 1"
    )
    case = _report(store, NOW - timedelta(hours=1))  # in 湘桥区

    def text(scope, layer, key):
        card = render_card(
            store,
            parse_scope(scope),
            layer=layer,
            key=key,
            at=NOW,
            lang="zh",
            tz="Asia/Shanghai",
            calendar=CAL,
        )
        return str(card)

    assert "未找到" in text("district:445102", "resources", other)
    assert "未找到" not in text("district:445122", "resources", other)
    assert "未找到" in text("district:445122", "case-points", case)
    assert case in text("district:445102", "case-points", case)
    cell = store.query_value("SELECT cell_code FROM cases WHERE case_id = ?", [case])
    assert "未找到" in text("district:445122", "grid-cells", cell)  # another district's cell
    assert case in text("district:445102", "grid-cells", cell)


def _card_table(card):
    """The label -> value pairs of a card's first table (as the browser shows them)."""
    from dash import html

    table = next(c for c in card if isinstance(c, html.Table))
    return {str(row.children[0].children): str(row.children[1].children) for row in table.children}


def test_a_replayed_case_card_is_wholly_as_of_its_instant(store):
    """Issue 9 defect 13: unit, due time and rework count of the instant, not of now."""
    from app.i18n import t
    from app.pages.screen.cards import render_card
    from app.pages.screen.logic import local_minute

    reported = report_case(
        store,
        category_code="0201",
        lon=PAIFANG[0],
        lat=PAIFANG[1],
        at=NOW - timedelta(hours=27),  # Monday 09:00 local
        source="grid_worker",
        actor="GW1",
        role="grid_worker",
        locate=store_locator(store),
        text="道路不洁",
    )
    case, first_unit = reported.case_id, reported.route.unit
    assert first_unit

    def step(action, hours_ago, **data):
        transition_case(
            store,
            case,
            action,
            actor="a1",
            role="admin",
            at=NOW - timedelta(hours=hours_ago),
            calendar=CAL,
            **data,
        )

    step("accept", 26.9)
    step("register", 26.8)
    step("dispatch", 26.5, unit=first_unit)
    due_then = store.query_value("SELECT due_at FROM cases WHERE case_id = ?", [case])
    instant = NOW - timedelta(hours=26)  # Monday 10:00 local: dispatched to the first unit
    step("return", 6, reason="not ours")
    step("dispatch", 2, unit="OTHER-UNIT", override_reason="the street office takes it")
    step("start", 1.5)
    step("feedback", 1)
    step("verify_fail", 0.5, reason="still dirty")
    due_now, rework_now = store.query_rows(
        "SELECT due_at, rework_count FROM cases WHERE case_id = ?", [case]
    )[0]
    assert due_now != due_then and rework_now == 1  # the case row is of now

    def card_at(at):
        return _card_table(
            render_card(
                store,
                CITY,
                layer="case-points",
                key=case,
                at=at,
                lang="en",
                tz="Asia/Shanghai",
                calendar=CAL,
            )
        )

    then = card_at(instant)
    assert then[t("card.stage", "en")] == stage_label("dispatched", "en")
    assert then[t("card.unit", "en")].split(" / ")[0] == first_unit
    assert then[t("card.due", "en")] == local_minute(due_then, "Asia/Shanghai")
    assert then[t("card.rework", "en")] == "0"
    now = card_at(NOW)
    assert now[t("card.stage", "en")] == stage_label("rework", "en")
    assert now[t("card.unit", "en")].split(" / ")[0] == "OTHER-UNIT"
    assert now[t("card.due", "en")] == local_minute(due_now, "Asia/Shanghai")
    assert now[t("card.rework", "en")] == "1"


def test_the_walls_ranking_is_the_models_ranking(store):
    """One district ranking (issue 9 merges): the wall renders models.map_state's frame."""
    import inspect

    from app.pages.screen import ranking as wall
    from models.map_state import ranking_at

    for hours, lonlat in ((30, PAIFANG), (20, (116.63, 23.67)), (10, (116.95, 23.75))):
        case = _report(store, NOW - timedelta(hours=hours), lonlat)
        for action, after in (("accept", 0.1), ("register", 0.2)):
            at = NOW - timedelta(hours=hours - after)
            transition_case(store, case, action, actor="a1", role="admin", at=at, calendar=CAL)

    def shown(scope):
        table = wall.render_ranking(store, scope, at=NOW, now=NOW, lang="en")
        return [row.children[1].children for row in table.children[1].children]

    for scope in (CITY, parse_scope("district:445102")):
        frame = ranking_at(store, scope, at=NOW)
        names = [str(n or v) for n, v in zip(frame["group_name"], frame["group_value"])]
        assert shown(scope) == names[:12] and names, scope
    assert len(ranking_at(store, CITY, at=NOW)) >= 2  # districts for the city
    streets = ranking_at(store, parse_scope("district:445102"), at=NOW)["group_value"]
    assert streets.str.startswith("445102").all() and streets.str.len().eq(9).all()
    assert "evaluate" not in inspect.getsource(wall)  # no second implementation on the wall
