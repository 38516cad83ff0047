"""One message must not take the wall down (issue 9, defect 1): every source the payloads
accept renders in the feed, the picture and the card, and an unknown code shows as itself."""

from datetime import timedelta

import pytest

from app.pages.screen.cards import render_card
from ingest.locate import store_locator
from models.cases import report_case
from models.store import Store
from models.vocabulary import REPORT_SOURCES
from tests.app.test_screen_logic import CAL, CITY, NOW, PAIFANG, _changes, _picture


@pytest.fixture
def store(demo_copy):
    s = Store(demo_copy() / "cityops.duckdb")
    yield s
    s.close()


def _report(store, source: str, minutes: int = 1) -> str:
    return report_case(
        store,
        category_code="0201",
        lon=PAIFANG[0],
        lat=PAIFANG[1],
        at=NOW - timedelta(minutes=minutes),
        source=source,
        actor="someone",
        role="operator",
        locate=store_locator(store),
        text="道路不洁",
    ).case_id


def _card(store, case_id: str, lang: str = "zh") -> str:
    return str(
        render_card(
            store,
            CITY,
            layer="case-points",
            key=case_id,
            at=NOW,
            lang=lang,
            tz="Asia/Shanghai",
            calendar=CAL,
        )
    )


def test_every_source_renders_in_feed_picture_and_card(store):
    first = _picture(store)
    cases = {
        source: _report(store, source, minutes=i + 1) for i, source in enumerate(REPORT_SOURCES)
    }
    feed = {i["id"]: i["tag"] for i in _changes(store, first["cursor"])["feed"]}
    assert set(feed) == set(cases.values())
    for source, case_id in cases.items():
        assert feed[case_id] and feed[case_id] != source, source
        assert case_id in _card(store, case_id)
    assert set(cases.values()) <= {i["id"] for i in _picture(store)["feed"]}
    assert feed[cases["public"]] == "公众举报"


def test_an_unknown_source_shows_its_code_and_the_wall_still_loads(store):
    first = _picture(store)
    case_id = _report(store, "grid_worker")
    sql = "UPDATE cases SET source = 'fax' WHERE case_id = ?"
    store.write(lambda tx: tx.execute(sql, [case_id]))
    changed = _changes(store, first["cursor"])
    assert changed["feed"][0]["tag"] == "fax"
    assert any(i["tag"] == "fax" for i in _picture(store)["feed"])
    assert "fax" in _card(store, case_id, lang="en")


def test_incident_cards_label_type_and_level_and_show_unknown_codes(store):
    def add(incident_id: str, kind: str) -> None:
        sql = (
            "INSERT INTO incidents (incident_id, incident_type, level, title, lon, lat, status, "
            "opened_at) VALUES (?, ?, 'II', '测试', ?, ?, 'active', ?)"
        )
        args = [incident_id, kind, *PAIFANG, NOW - timedelta(hours=1)]
        store.write(lambda tx: tx.execute(sql, args))

    add("INC-T1", "typhoon")
    add("INC-T2", "meteor")

    def card(key: str, lang: str) -> str:
        return str(
            render_card(
                store,
                CITY,
                layer="incidents",
                key=key,
                at=NOW,
                lang=lang,
                tz="Asia/Shanghai",
                calendar=CAL,
            )
        )

    assert "台风" in card("INC-T1", "zh") and "II级 重大" in card("INC-T1", "zh")
    assert "Typhoon" in card("INC-T1", "en")
    assert "meteor" in card("INC-T2", "zh")


def test_the_feed_names_the_rule_and_a_silence_in_minutes(store):
    first = _picture(store)
    sensor = store.query_value("SELECT min(sensor_id) FROM sensors WHERE kind = 'manhole'")
    sql = (
        "INSERT INTO alarms (alarm_id, rule_id, sensor_id, opened_at, level, value, exercise) "
        "VALUES (?, 'stale', ?, ?, 'warning', 3601, false)"
    )
    args = ["AL-stale-test", sensor, NOW - timedelta(minutes=1)]
    store.write(lambda tx: tx.execute(sql, args))
    item = next(i for i in _changes(store, first["cursor"])["feed"] if i["kind"] == "alarm")
    assert "设备离线" in item["text"] and "已 60 分钟无数据" in item["text"], item["text"]
    assert "stale" not in item["text"]
