"""Sensor rules behind ingest: a waterlogging point over its warning level raises one alarm
and one routed case; back in range it clears; a restart does not raise it again."""

from dataclasses import replace
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


# -- issue 9: commit order, silent sensors, future readings, drills ------------------------


def _sensor_of(store, kind):
    return store.query_rows(
        "SELECT sensor_id, interval_s FROM sensors WHERE kind = ? AND cell_code IS NOT NULL "
        "ORDER BY sensor_id LIMIT 1",
        [kind],
    )[0]


def _readings(tx, rows, *, exercise=False):
    """Write readings as ingest does: the rows and the sensor's last_seen in one commit."""
    tx.append(
        "observations",
        pd.DataFrame(
            [(m, s, ts, metric, v, rec, exercise) for m, s, ts, metric, v, rec in rows],
            columns=["msg_id", "sensor_id", "ts", "metric", "value", "received_at", "exercise"],
        ),
    )
    for _, s, ts, *_ in rows:
        tx.execute(
            "UPDATE sensors SET last_seen = ? WHERE sensor_id = ? "
            "AND (last_seen IS NULL OR last_seen < ?)",
            [ts, s, ts],
        )


def test_reading_committed_after_a_pass_still_raises_its_alarm(store):
    """Defect 3: stamped before a pass, committed after it: the next pass still sees it."""
    import threading

    sensor, _ = _sensor_of(store, "smoke")
    rules = [r for r in load_rules() if r.rule_id == "smoke-detected"]
    engine = AlarmEngine(store, rules)
    engine.run_pass(T0 - timedelta(minutes=1))
    release = threading.Event()

    def held(tx):  # ingest stamped received_at, then its commit waits behind the pass
        release.wait(30)
        _readings(tx, [("late-1", sensor, T0, "smoke", 1.0, T0 + timedelta(seconds=1))])

    pending = store.submit(held)
    assert engine.run_pass(T0 + timedelta(minutes=1)).raised == []
    release.set()
    pending.result(30)
    raised = engine.run_pass(T0 + timedelta(minutes=2)).raised
    assert [(e.rule_id, e.sensor_id) for e in raised] == [("smoke-detected", sensor)]


def test_future_dated_reading_does_not_blind_a_sensor(store):
    """Defect 2 (rules side): a stored reading dated 2099 must not hide a real alarm now."""
    sensor, _ = _sensor_of(store, "smoke")
    engine = AlarmEngine(store, load_rules())
    engine.run_pass(T0 - timedelta(minutes=1))
    future = datetime(2099, 1, 1)
    store.write(lambda tx: _readings(tx, [("f-1", sensor, future, "smoke", 0.0, T0)]))
    engine.run_pass(T0 + timedelta(minutes=1))
    now = T0 + timedelta(minutes=2)
    store.write(lambda tx: _readings(tx, [("f-2", sensor, now, "smoke", 1.0, now)]))
    raised = engine.run_pass(now + timedelta(seconds=5)).raised
    assert ("smoke-detected", sensor) in {(e.rule_id, e.sensor_id) for e in raised}
    # and the 2099 last_seen does not make the sensor look alive for ever
    later = now + timedelta(days=1)
    raised = AlarmEngine(store, load_rules()).run_pass(later).raised
    assert ("stale", sensor) in {(e.rule_id, e.sensor_id) for e in raised}


def test_silent_sensor_raises_one_stale_alarm_cleared_when_it_reports(store):
    """Defect 4: a sensor that misses three intervals gets one staleness alarm (no case),
    shown as open until it reports again; a restart does not raise it twice."""
    sensor, interval = _sensor_of(store, "manhole")
    engine = AlarmEngine(store, load_rules())
    engine.run_pass(T0 - timedelta(minutes=1))
    store.write(lambda tx: _readings(tx, [("m-1", sensor, T0, "tilt_deg", 1.0, T0)]))
    assert not [e for e in engine.run_pass(T0 + timedelta(seconds=interval)).raised]
    silent = T0 + timedelta(seconds=3 * interval + 1)
    raised = engine.run_pass(silent).raised
    assert [(e.rule_id, e.sensor_id, e.level) for e in raised] == [("stale", sensor, "warning")]
    assert engine.run_pass(silent + timedelta(seconds=interval)).raised == []
    AlarmEngine(store, load_rules()).run_pass(silent + timedelta(seconds=2 * interval))
    alarms = store.query_df("SELECT * FROM alarms WHERE sensor_id = ?", [sensor])
    assert len(alarms) == 1 and alarms["case_id"].isna().all() and alarms["cleared_at"].isna().all()
    back = silent + timedelta(seconds=3 * interval)
    store.write(lambda tx: _readings(tx, [("m-2", sensor, back, "tilt_deg", 1.0, back)]))
    cleared = engine.run_pass(back + timedelta(seconds=5)).cleared
    assert [(e.rule_id, e.sensor_id) for e in cleared] == [("stale", sensor)]
    assert store.query_value("SELECT cleared_at FROM alarms WHERE sensor_id = ?", [sensor]) == back


def test_stale_alarm_after_a_restart_clears_when_the_sensor_reports(store):
    sensor, interval = _sensor_of(store, "gas")
    store.write(lambda tx: _readings(tx, [("g-1", sensor, T0, "gas_ppm", 1.0, T0)]))
    silent = T0 + timedelta(seconds=3 * interval + 1)
    AlarmEngine(store, load_rules()).run_pass(silent)
    restarted = AlarmEngine(store, load_rules())
    restarted.run_pass(silent + timedelta(seconds=1))
    back = silent + timedelta(seconds=10)
    store.write(lambda tx: _readings(tx, [("g-2", sensor, back, "gas_ppm", 1.0, back)]))
    restarted.run_pass(back + timedelta(seconds=1))
    assert (
        store.query_value(
            "SELECT count(*) FROM alarms WHERE sensor_id = ? AND cleared_at IS NULL", [sensor]
        )
        == 0
    )


def test_no_data_rule_fires_for_a_sensor_that_sends_nothing(store):
    sensor, _ = _sensor_of(store, "smoke")
    store.write(lambda tx: _readings(tx, [("n-1", sensor, T0, "smoke", 0.0, T0)]))
    rule = next(r for r in load_rules() if r.rule_id == "smoke-no-data")
    engine = AlarmEngine(store, [replace(rule, enabled=True)])
    engine.run_pass(T0 + timedelta(hours=1))
    raised = engine.run_pass(T0 + timedelta(days=1, seconds=1)).raised
    assert [(e.rule_id, e.sensor_id) for e in raised] == [("smoke-no-data", sensor)]


def test_drill_reading_raises_an_exercise_alarm_and_case(store):
    """Defect 10: a reading flagged exercise makes its alarm and its case exercises."""
    sensor, _ = _sensor_of(store, "smoke")
    engine = AlarmEngine(store, load_rules())
    engine.run_pass(T0 - timedelta(minutes=1))
    store.write(lambda tx: _readings(tx, [("d-1", sensor, T0, "smoke", 1.0, T0)], exercise=True))
    raised = engine.run_pass(T0 + timedelta(seconds=5)).raised
    assert [e.exercise for e in raised if e.rule_id == "smoke-detected"] == [True]
    alarm = store.query_rows(
        "SELECT a.exercise, c.exercise FROM alarms a JOIN cases c USING (case_id) "
        "WHERE a.sensor_id = ?",
        [sensor],
    )
    assert alarm == [(True, True)]
