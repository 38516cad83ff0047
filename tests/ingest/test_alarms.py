"""Sensor rules behind ingest: a waterlogging point over its warning level raises one alarm
and one routed case; back in range it clears; a restart does not raise it again."""

from datetime import datetime, timedelta

import pandas as pd
import pytest

from ingest.alarms import AlarmEngine
from models.rules import load_rules
from models.store import Store

T0 = datetime(2026, 11, 24, 1, 0)


@pytest.fixture
def store(demo_copy):
    folder = demo_copy()
    s = Store(folder / "cityops.duckdb")
    yield s
    s.close()


def _levels(store, sensor, start, minutes, level, *, tag):
    rows = [
        (
            f"{tag}-{i}",
            sensor,
            start + timedelta(minutes=i),
            "water_level_m",
            level,
            start + timedelta(minutes=i, seconds=5),
        )
        for i in range(minutes)
    ]
    store.append(
        "observations",
        pd.DataFrame(rows, columns=["msg_id", "sensor_id", "ts", "metric", "value", "received_at"]),
    )


def test_waterlogging_raises_one_alarm_one_case_then_clears(store):
    sensor, warning = store.query_rows(
        "SELECT sensor_id, warning_level FROM sensors WHERE kind = 'water_level' "
        "AND warning_level IS NOT NULL AND cell_code IS NOT NULL ORDER BY sensor_id LIMIT 1"
    )[0]
    engine = AlarmEngine(store, load_rules())
    engine.run_pass(T0 - timedelta(minutes=1))  # start: warm-up window ends here
    _levels(store, sensor, T0, 10, warning + 0.2, tag="high")
    result = engine.run_pass(T0 + timedelta(minutes=11))
    assert [e.rule_id for e in result.raised if e.level == "warning"], result
    alarms = store.query_df("SELECT * FROM alarms WHERE sensor_id = ?", [sensor])
    assert len(alarms) >= 1 and alarms["cleared_at"].isna().all()
    case = store.query_rows(
        "SELECT source, category_code, stage, cell_code, assigned_unit FROM cases "
        "WHERE case_id = ?",
        [alarms["case_id"].dropna().iloc[0]],
    )[0]
    assert case[:3] == ("iot", "0401", "reported") and len(case[3]) == 15 and case[4]
    # the same high water for ten more minutes: still one alarm per rule
    _levels(store, sensor, T0 + timedelta(minutes=10), 10, warning + 0.3, tag="higher")
    engine.run_pass(T0 + timedelta(minutes=21))
    per_rule = store.query_rows(
        "SELECT rule_id, count(*) FROM alarms WHERE sensor_id = ? GROUP BY rule_id", [sensor]
    )
    assert all(n == 1 for _, n in per_rule)
    # back in range long enough: the alarm clears
    _levels(store, sensor, T0 + timedelta(minutes=20), 90, warning - 0.5, tag="low")
    engine.run_pass(T0 + timedelta(minutes=111))
    assert (
        store.query_value(
            "SELECT count(*) FROM alarms WHERE sensor_id = ? AND cleared_at IS NULL", [sensor]
        )
        == 0
    )


def test_restart_does_not_raise_an_open_alarm_again(store):
    sensor, warning = store.query_rows(
        "SELECT sensor_id, warning_level FROM sensors WHERE kind = 'water_level' "
        "AND warning_level IS NOT NULL ORDER BY sensor_id LIMIT 1"
    )[0]
    first = AlarmEngine(store, load_rules())
    first.run_pass(T0 - timedelta(minutes=1))
    _levels(store, sensor, T0, 10, warning + 0.2, tag="a")
    first.run_pass(T0 + timedelta(minutes=11))
    before = store.query_value("SELECT count(*) FROM alarms")
    assert before >= 1
    again = AlarmEngine(store, load_rules())  # a restart: the warm-up replays the window
    again.run_pass(T0 + timedelta(minutes=12))
    assert store.query_value("SELECT count(*) FROM alarms") == before
    assert store.query_value(
        "SELECT count(*) FROM cases WHERE source = 'iot'"
    ) == store.query_value("SELECT count(DISTINCT case_id) FROM alarms WHERE case_id IS NOT NULL")


def test_handled_alarm_case_is_verified_automatically_back_in_range(store):
    from models.cases import transition_case
    from models.work_calendar import WorkCalendar

    cal = WorkCalendar()
    sensor, warning = store.query_rows(
        "SELECT sensor_id, warning_level FROM sensors WHERE kind = 'water_level' "
        "AND warning_level IS NOT NULL AND cell_code IS NOT NULL ORDER BY sensor_id LIMIT 1"
    )[0]
    engine = AlarmEngine(store, load_rules(), calendar=cal)
    engine.run_pass(T0 - timedelta(minutes=1))
    _levels(store, sensor, T0, 10, warning + 0.2, tag="up")
    engine.run_pass(T0 + timedelta(minutes=11))
    case_id = store.query_value(
        "SELECT case_id FROM alarms WHERE sensor_id = ? AND case_id IS NOT NULL "
        "ORDER BY opened_at LIMIT 1",
        [sensor],
    )
    steps = [
        ("accept", "dispatcher", {}),
        ("register", "dispatcher", {}),
        (
            "dispatch",
            "dispatcher",
            {
                "unit": store.query_value(
                    "SELECT assigned_unit FROM cases WHERE case_id = ?", [case_id]
                )
            },
        ),
        ("start", "handler", {}),
        ("feedback", "handler", {}),
    ]
    for i, (action, role, data) in enumerate(steps):
        transition_case(
            store,
            case_id,
            action,
            actor="x",
            role=role,
            at=T0 + timedelta(minutes=12 + i),
            calendar=cal,
            **data,
        )
    _levels(store, sensor, T0 + timedelta(minutes=10), 200, warning - 0.5, tag="down")
    engine.run_pass(T0 + timedelta(minutes=211))
    assert store.query_value("SELECT stage FROM cases WHERE case_id = ?", [case_id]) == "verified"
    actor = store.query_value(
        "SELECT actor FROM case_transitions WHERE case_id = ? AND action = 'verify_ok'", [case_id]
    )
    assert actor.startswith("rule:")
