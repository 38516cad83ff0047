"""Incidents: opened, levelled, noted, closed, reopened; each change on the timeline, audited
and moving the wall's cursor; validation total; scope and roles checked; the CSV export."""

from __future__ import annotations

import csv
import io
import math
from datetime import timedelta

import pytest

from models.emergency.incident_rules import TITLE_MAX, IncidentError, parse_level
from models.emergency.incidents import (
    add_note,
    close_incident,
    incident_detail,
    list_incidents,
    open_incident,
    reopen_incident,
    set_level,
)
from models.emergency.timeline import timeline
from models.emergency.timeline_export import timeline_csv
from models.map_state import incidents_at
from tests.models.incident_fixtures import (
    DISPATCHER,
    EAST,
    EAST_EMERGENCY,
    EMERGENCY,
    IN_EAST,
    IN_WEST,
    LEADER,
    NOW,
    OPERATOR,
    WEST,
    WEST_EMERGENCY,
    add_city,
    square,
)


@pytest.fixture
def city(store):
    add_city(store)
    return store


def _open(store, actor=EMERGENCY, *, at=IN_WEST, **fields):
    values = {"incident_type": "flood", "level": "IV", "title": "古城区内涝", "lon": at[0],
              "lat": at[1], **fields}  # fmt: skip
    return open_incident(store, actor, now=NOW, **values)


def _row(store, incident_id):
    return store.query_rows(
        "SELECT level, status, change_seq, updated_at, closed_at, closed_by, district_code "
        "FROM incidents WHERE incident_id = ?",
        [incident_id],
    )[0]


def test_open_level_note_close_reopen_each_on_the_timeline_in_order(city):
    incident_id = _open(city, OPERATOR)
    assert incident_id == "INC-20261124-0001"
    assert _open(city) == "INC-20261124-0002"
    level, status, seq0, updated, _, _, district = _row(city, incident_id)
    assert (level, status, updated, district) == ("IV", "open", NOW, WEST)

    later = NOW + timedelta(minutes=5)
    changed = set_level(city, EMERGENCY, incident_id, 2, now=later, note="雨势加大")
    assert changed == {"from": "IV", "to": "II", "changed": True, "tasks_added": []}
    _, _, seq1, updated, *_ = _row(city, incident_id)
    assert seq1 > seq0 and updated == later
    add_note(city, OPERATOR, incident_id, "现场水深约40厘米", now=later + timedelta(minutes=1))
    close_incident(city, EMERGENCY, incident_id, now=later + timedelta(minutes=2), note="退水")
    _, status, seq2, _, closed_at, closed_by, _ = _row(city, incident_id)
    assert status == "closed" and seq2 > seq1 and closed_by == "emergency"
    assert closed_at == later + timedelta(minutes=2)
    reopen_incident(city, EMERGENCY, incident_id, now=later + timedelta(minutes=3))
    assert _row(city, incident_id)[1:2] == ("open",)
    assert _row(city, incident_id)[4] is None

    entries = timeline(city, incident_id)
    assert [e["kind"] for e in entries] == ["opened", "level", "note", "closed", "reopened"]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0]["actor"] == "operator"
    assert entries[1]["detail"] == {"from": "IV", "to": "II", "note": "雨势加大"}
    assert entries[1]["actor"] == "emergency"
    assert entries[2]["detail"] == {"text": "现场水深约40厘米"}
    actions = [r[0] for r in city.query_rows(
        "SELECT action FROM audit_log WHERE target = ? ORDER BY seq", [incident_id])]  # fmt: skip
    assert actions == ["incident.open", "incident.level", "incident.note", "incident.close",
                       "incident.reopen"]  # fmt: skip


def test_the_same_level_again_changes_nothing(city):
    incident_id = _open(city)
    seq = _row(city, incident_id)[2]
    assert set_level(city, EMERGENCY, incident_id, "iv", now=NOW)["changed"] is False
    assert _row(city, incident_id)[2] == seq
    assert len(timeline(city, incident_id)) == 1


def test_closed_incidents_refuse_level_changes_and_second_closing(city):
    incident_id = _open(city)
    close_incident(city, EMERGENCY, incident_id, now=NOW)
    with pytest.raises(IncidentError) as err:
        set_level(city, EMERGENCY, incident_id, "I", now=NOW)
    assert err.value.status == 409
    with pytest.raises(IncidentError) as err:
        close_incident(city, EMERGENCY, incident_id, now=NOW)
    assert err.value.status == 409
    add_note(city, EMERGENCY, incident_id, "善后：清淤完毕", now=NOW)  # notes go on


def test_the_wall_sees_the_incident_with_its_area(city):
    incident_id = _open(city, area=square(*IN_WEST), lon=None, lat=None)
    shown = incidents_at(city, EMERGENCY.scope, at=NOW)
    assert list(shown["incident_id"]) == [incident_id]
    assert shown.geometry.iloc[0].geom_type == "Polygon"
    lon, lat = city.query_rows("SELECT lon, lat FROM incidents")[0]
    assert shown.geometry.iloc[0].contains(__import__("shapely").Point(lon, lat))


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"incident_type": "meteor"}, "type"),
        ({"incident_type": None}, "type"),
        ({"level": "V"}, "level"),
        ({"level": 0}, "level"),
        ({"level": True}, "level"),
        ({"title": ""}, "title"),
        ({"title": "x" * (TITLE_MAX + 1)}, "title"),
        ({"title": "two\nlines"}, "title"),
        ({"title": 42}, "title"),
        ({"lon": math.nan}, "coordinates"),
        ({"lat": math.inf}, "coordinates"),
        ({"lon": "116.6"}, "coordinates"),
        ({"lon": 200.0}, "coordinates"),
        ({"lon": 113.26, "lat": 23.13}, "outside"),  # Guangzhou
        ({"lon": 23.65, "lat": 116.6}, "coordinates"),  # swapped
        ({"lon": None, "lat": None}, "place"),
        ({"lon": 116.6, "lat": None}, "coordinates"),
        ({"area": {"type": "Point", "coordinates": [116.6, 23.6]}}, "area"),
        ({"area": {"type": "Polygon", "coordinates": [[[116.6, 23.6], [116.7, 23.6]]]}}, "area"),
        ({"area": {"type": "Polygon", "coordinates": [[[116.6, 23.6], [116.7, 23.7],
                                                        [116.7, 23.6], [116.6, 23.7],
                                                        [116.6, 23.6]]]}}, "area"),  # bow tie
        ({"area": {"type": "Polygon", "coordinates": [[[116.6, 23.6], [116.7, math.nan],
                                                        [116.7, 23.7], [116.6, 23.6]]]}}, "area"),
        ({"area": square(113.26, 23.13), "lon": None, "lat": None}, "outside"),
        ({"area": square(116.60, 23.65), "lon": 116.70, "lat": 23.65}, "place"),
        ({"exercise": "yes"}, "exercise"),
    ],
)  # fmt: skip
def test_bad_fields_are_refused_with_a_reason_and_nothing_written(city, fields, code):
    with pytest.raises(IncidentError) as err:
        _open(city, **fields)
    assert err.value.status == 400 and err.value.code == code, err.value
    assert city.query_value("SELECT count(*) FROM incidents") == 0


def test_levels_read_as_roman_or_numbers():
    assert [parse_level(v) for v in ("I", "ii", " III ", "4", 1, 3.0)] == [
        "I", "II", "III", "IV", "I", "III"]  # fmt: skip


def test_roles(city):
    incident_id = _open(city)
    for actor in (LEADER, DISPATCHER):
        with pytest.raises(IncidentError) as err:
            _open(city, actor)
        assert err.value.status == 403
    for call in (
        lambda a: set_level(city, a, incident_id, "III", now=NOW),
        lambda a: close_incident(city, a, incident_id, now=NOW),
    ):
        for actor in (OPERATOR, LEADER, DISPATCHER):
            with pytest.raises(IncidentError) as err:
                call(actor)
            assert err.value.status == 403
    with pytest.raises(IncidentError) as err:
        add_note(city, LEADER, incident_id, "x", now=NOW)
    assert err.value.status == 403
    with pytest.raises(IncidentError) as err:
        list_incidents(city, DISPATCHER, now=NOW)
    assert err.value.status == 403
    assert [i["incident_id"] for i in list_incidents(city, LEADER, now=NOW)] == [incident_id]


def test_a_district_user_sees_and_acts_in_their_district_only(city):
    west = _open(city, WEST_EMERGENCY)
    east = _open(city, at=IN_EAST)
    assert _row(city, east)[6] == EAST
    assert [i["incident_id"] for i in list_incidents(city, WEST_EMERGENCY, now=NOW)] == [west]
    assert [i["incident_id"] for i in list_incidents(city, EAST_EMERGENCY, now=NOW)] == [east]
    for call in (
        lambda: incident_detail(city, WEST_EMERGENCY, east, now=NOW),
        lambda: set_level(city, WEST_EMERGENCY, east, "I", now=NOW),
        lambda: add_note(city, WEST_EMERGENCY, east, "x", now=NOW),
        lambda: close_incident(city, WEST_EMERGENCY, east, now=NOW),
        lambda: incident_detail(city, WEST_EMERGENCY, "INC-none", now=NOW),
    ):
        with pytest.raises(IncidentError) as err:
            call()
        assert err.value.status == 404
    with pytest.raises(IncidentError) as err:
        _open(city, WEST_EMERGENCY, at=IN_EAST)
    assert err.value.status == 403


def test_the_list_puts_open_incidents_first_most_severe_first_and_filters(city):
    low = _open(city, title="一般", level="IV")
    high = _open(city, title="重大", level="II", incident_type="typhoon")
    done = _open(city, title="已关闭", level="I", exercise=True)
    close_incident(city, EMERGENCY, done, now=NOW)
    ids = [i["incident_id"] for i in list_incidents(city, EMERGENCY, now=NOW)]
    assert ids == [high, low, done]
    assert [i["incident_id"] for i in list_incidents(city, EMERGENCY, now=NOW,
                                                     status="closed")] == [done]  # fmt: skip
    assert [i["incident_id"] for i in list_incidents(city, EMERGENCY, now=NOW,
                                                     types=("typhoon",))] == [high]  # fmt: skip
    assert [i["incident_id"] for i in list_incidents(city, EMERGENCY, now=NOW,
                                                     exercise=True)] == [done]  # fmt: skip
    for bad in ({"status": "gone"}, {"types": ("meteor",)}, {"limit": 0}):
        with pytest.raises(IncidentError) as err:
            list_incidents(city, EMERGENCY, now=NOW, **bad)
        assert err.value.status == 400


def test_detail_has_area_tasks_and_timeline(city):
    incident_id = _open(city, area=square(*IN_WEST))
    detail = incident_detail(city, LEADER, incident_id, now=NOW)
    assert detail["area"]["type"] == "Polygon"
    assert detail["tasks"] == [] and [e["kind"] for e in detail["timeline"]] == ["opened"]
    assert detail["source_kind"] == "screen" and detail["opened_by"] == "emergency"


def test_timeline_export_is_utf8_with_bom_in_local_time_and_formula_safe(city):
    incident_id = _open(city)
    set_level(city, EMERGENCY, incident_id, "III", now=NOW + timedelta(minutes=1))
    add_note(city, EMERGENCY, incident_id, '=HYPERLINK("http://x")', now=NOW)
    data = timeline_csv(timeline(city, incident_id), tz="Asia/Shanghai", lang="zh")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["序号", "时间", "类型", "操作人", "内容", "详情"]
    assert rows[1][:4] == ["1", "2026-11-24 10:00:00", "事件开启", "emergency"]
    assert "古城区内涝" in rows[1][4]
    assert rows[2][2:5] == ["级别调整", "emergency", "IV → III"]
    assert rows[3][4].startswith("'=")  # a spreadsheet shows it, never runs it
    english = list(
        csv.reader(
            io.StringIO(
                timeline_csv(timeline(city, incident_id), tz="UTC", lang="en").decode("utf-8-sig")
            )
        )
    )
    assert english[0][0] == "No." and english[2][2] == "Level changed"
    assert english[1][1] == "2026-11-24 02:00:00"
