"""Incidents opened from a case (escalation), a sensor alarm and an imported CAP alert: the
place, the suggested type and level, the link both ways, one open incident per source."""

from __future__ import annotations

import json

import pytest
import shapely

from models.emergency.incident_rules import IncidentError, type_for_cap
from models.emergency.incident_sources import open_from_alarm, open_from_cap, open_from_case
from models.emergency.incidents import close_incident, incident_detail
from models.emergency.timeline import timeline
from tests.models.incident_fixtures import (
    DISPATCHER,
    EAST,
    EMERGENCY,
    IN_EAST,
    IN_WEST,
    LEADER,
    NOW,
    OPERATOR,
    WEST,
    WEST_EMERGENCY,
    add_city,
)


@pytest.fixture
def city(store):
    add_city(store)
    return store


def _case(store, case_id, category, at=IN_WEST, *, exercise=False, text="古城区积水"):
    cell = (WEST if at == IN_WEST else EAST) + "001001001"
    store.write(lambda tx: tx.execute(
        "INSERT INTO cases (case_id, source, category_code, lon, lat, description, reported_at, "
        "stage, exercise, cell_code) VALUES (?, 'hotline', ?, ?, ?, ?, ?, 'registered', ?, ?)",
        [case_id, category, at[0], at[1], text, NOW, exercise, cell],
    ))  # fmt: skip


def test_a_case_escalates_with_its_place_category_type_and_a_link_both_ways(city):
    _case(city, "C20261124-000001", "0401", exercise=True)
    incident_id = open_from_case(city, OPERATOR, "C20261124-000001", now=NOW)
    detail = incident_detail(city, EMERGENCY, incident_id, now=NOW)
    assert (detail["incident_type"], detail["level"], detail["exercise"]) == ("flood", "IV", True)
    assert (detail["lon"], detail["lat"], detail["district_code"]) == (*IN_WEST, WEST)
    assert (detail["source_kind"], detail["source_ref"]) == ("case", "C20261124-000001")
    assert "古城区积水" in detail["title"]
    opened = timeline(city, incident_id)[0]
    assert opened["detail"]["source_ref"] == "C20261124-000001"
    kind, raw = city.query_rows(
        "SELECT kind, detail FROM case_events WHERE case_id = 'C20261124-000001'")[0]  # fmt: skip
    assert kind == "incident" and json.loads(raw)["incident_id"] == incident_id
    with pytest.raises(IncidentError) as err:  # one open response per case
        open_from_case(city, OPERATOR, "C20261124-000001", now=NOW)
    assert err.value.status == 409 and incident_id in err.value.message
    close_incident(city, EMERGENCY, incident_id, now=NOW)
    assert open_from_case(city, OPERATOR, "C20261124-000001", now=NOW, level=3) != incident_id


def test_case_escalation_refusals(city):
    _case(city, "C1", "0201")  # 道路不洁: no incident type
    with pytest.raises(IncidentError) as err:
        open_from_case(city, EMERGENCY, "C1", now=NOW)
    assert err.value.status == 400 and err.value.code == "type"
    assert open_from_case(city, EMERGENCY, "C1", now=NOW, incident_type="public_health")
    for actor, case_id, status in (
        (LEADER, "C1", 403),
        (DISPATCHER, "C1", 403),
        (EMERGENCY, "C-none", 404),
        (EMERGENCY, 5, 404),
    ):
        with pytest.raises(IncidentError) as err:
            open_from_case(city, actor, case_id, now=NOW, incident_type="flood")
        assert err.value.status == status, (actor, case_id)  # fmt: skip
    _case(city, "C2", "0801", at=IN_EAST)
    with pytest.raises(IncidentError) as err:  # the case is outside the district user's cells
        open_from_case(city, WEST_EMERGENCY, "C2", now=NOW)
    assert err.value.status == 404
    with pytest.raises(IncidentError) as err:
        open_from_case(city, EMERGENCY, "C2", now=NOW, title="x" * 300)
    assert err.value.status == 400


def _alarm(store, kind="water_level", level="danger"):
    store.write(lambda tx: (
        tx.execute("INSERT INTO sensors (sensor_id, kind, lon, lat, interval_s, cell_code) "
                   "VALUES ('WL001', ?, ?, ?, 300, ?)", [kind, *IN_WEST, WEST + "001001001"]),
        tx.execute("INSERT INTO alarm_rules (rule_id, sensor_kind, metric, rule_type, threshold) "
                   "VALUES ('r1', ?, 'water_level', 'threshold', 0.4)", [kind]),
        tx.execute("INSERT INTO alarms (alarm_id, rule_id, sensor_id, opened_at, level, value) "
                   "VALUES ('A1', 'r1', 'WL001', ?, ?, 0.52)", [NOW, level]),
    ))  # fmt: skip


def test_an_alarm_opens_an_incident_of_its_kind_at_the_sensor(city):
    _alarm(city)
    incident_id = open_from_alarm(city, EMERGENCY, "A1", now=NOW)
    row = incident_detail(city, EMERGENCY, incident_id, now=NOW)
    assert (row["incident_type"], row["level"], row["source_ref"]) == ("flood", "III", "A1")
    assert (row["lon"], row["lat"]) == IN_WEST and "WL001" in row["title"]
    with pytest.raises(IncidentError) as err:
        open_from_alarm(city, EMERGENCY, "A1", now=NOW)
    assert err.value.status == 409
    with pytest.raises(IncidentError) as err:
        open_from_alarm(city, EMERGENCY, "A-none", now=NOW)
    assert err.value.status == 404


_CAP = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>{ident}</identifier>
<info><language>zh-CN</language><category>{category}</category><event>{event}</event>
<severity>{severity}</severity></info></alert>"""


def _alert(
    store,
    ident,
    *,
    event="台风",
    category="Met",
    severity="Severe",
    area=None,
    msg_type="Alert",
    exercise=True,
):
    area = area if area is not None else shapely.box(116.55, 23.55, 116.62, 23.70)
    xml = _CAP.format(ident=ident, event=event, category=category, severity=severity)
    store.write(lambda tx: tx.execute(
        "INSERT INTO alerts (identifier, direction, state, sender, sent, msg_type, severity, "
        "headline, area_wkb, xml, exercise) VALUES (?, 'in', 'imported', 'meteo@x', ?, ?, ?, "
        "?, ?, ?, ?)",
        [ident, NOW, msg_type, severity, f"【演练】{event}预警", shapely.to_wkb(area), xml,
         exercise],
    ))  # fmt: skip


def test_an_imported_cap_alert_opens_an_incident_over_the_citys_part_of_its_area(city):
    _alert(city, "cap-1", area=shapely.box(110.0, 20.0, 116.62, 23.70))  # reaches far west
    incident_id = open_from_cap(city, EMERGENCY, "cap-1", now=NOW)
    row = incident_detail(city, EMERGENCY, incident_id, now=NOW)
    assert (row["incident_type"], row["level"], row["exercise"]) == ("typhoon", "II", True)
    assert row["title"] == "【演练】台风预警" and row["source_kind"] == "cap"
    area = shapely.geometry.shape(row["area"])
    assert area.bounds[0] >= 116.45 and area.bounds[1] >= 23.45  # clipped to the city
    assert row["district_code"] == WEST
    with pytest.raises(IncidentError) as err:
        open_from_cap(city, EMERGENCY, "cap-1", now=NOW)
    assert err.value.status == 409


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"msg_type": "Cancel"}, 409),
        ({"area": shapely.box(113.0, 23.0, 113.5, 23.3)}, 400),  # all of it elsewhere
        ({"event": "大风", "category": "Met"}, 400),  # no type suggested
    ],
)
def test_cap_alerts_that_open_nothing(city, fields, status):
    _alert(city, "cap-x", **fields)
    with pytest.raises(IncidentError) as err:
        open_from_cap(city, EMERGENCY, "cap-x", now=NOW)
    assert err.value.status == status
    with pytest.raises(IncidentError) as err:
        open_from_cap(city, EMERGENCY, "cap-none", now=NOW)
    assert err.value.status == 404


def test_cap_words_suggest_types():
    assert type_for_cap("暴雨红色预警") == "flood"
    assert type_for_cap("危险化学品泄漏", ["CBRNE"]) == "hazardous_chemicals"
    assert type_for_cap("森林火灾") == "forest_fire"
    assert type_for_cap("Wildfire") == "forest_fire"
    assert type_for_cap("something", ["Geo"]) == "geological"
    assert type_for_cap("大风", ["Met"]) is None


def test_opening_from_one_case_at_the_same_moment_makes_one_incident(city):
    # found by the independent tester: four users escalating one case at once got four
    # incidents (the check ran before the write, outside the writer's transaction)
    from concurrent.futures import ThreadPoolExecutor

    _case(city, "C20261124-000009", "0401")

    def escalate(_: int) -> str:
        try:
            return open_from_case(city, OPERATOR, "C20261124-000009", now=NOW)
        except IncidentError as exc:
            return f"refused {exc.status}"

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(escalate, range(6)))
    opened = [a for a in answers if not a.startswith("refused")]
    assert len(opened) == 1 and answers.count("refused 409") == 5, answers
    assert city.query_value(
        "SELECT count(*) FROM incidents WHERE source_ref = 'C20261124-000009'") == 1  # fmt: skip
    assert city.query_value(
        "SELECT count(*) FROM case_events WHERE case_id = 'C20261124-000009'") == 1  # fmt: skip
