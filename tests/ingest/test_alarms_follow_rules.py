"""The alarm engine applies a rules version saved on /admin at its next pass, without a
restart, and keeps its rule states (an open alarm is not raised again)."""

from datetime import datetime, timedelta

import pandas as pd
import pytest

from ingest.alarms import AlarmEngine, follow_saved_rules
from models.rules_doc import rules_in_force, save_rules_text, shipped_rules_path
from models.store import Store

T0 = datetime(2026, 11, 24, 1, 0)


@pytest.fixture
def store(demo_copy):
    s = Store(demo_copy() / "cityops.duckdb")
    yield s
    s.close()


def _gas(store, sensor, start, minutes, ppm, *, tag):
    rows = [
        (f"{tag}-{i}", sensor, start + timedelta(minutes=i), "gas_ppm", ppm,
         start + timedelta(minutes=i, seconds=5))
        for i in range(minutes)
    ]  # fmt: skip
    store.append(
        "observations",
        pd.DataFrame(rows, columns=["msg_id", "sensor_id", "ts", "metric", "value", "received_at"]),
    )


def _raised(result, rule_id):
    return [e for e in result.raised if e.rule_id == rule_id]


def test_a_saved_threshold_applies_at_the_next_pass(store):
    sensor = store.query_value("SELECT min(sensor_id) FROM sensors WHERE kind = 'gas'")
    engine = AlarmEngine(store, [])
    assert follow_saved_rules(engine)
    assert engine.rules == [r for r in rules_in_force(store) if r.enabled]
    assert not follow_saved_rules(engine)  # nothing saved since: nothing rebuilt
    engine.run_pass(T0 - timedelta(minutes=1))
    _gas(store, sensor, T0, 5, 30.0, tag="a")
    before = engine.run_pass(T0 + timedelta(minutes=6))
    assert not _raised(before, "gas-over-50ppm")  # 30 ppm is under the shipped 50

    text = shipped_rules_path().read_text(encoding="utf-8")
    edited = text.replace("    threshold: 50\n", "    threshold: 20\n", 1)
    assert edited != text
    save_rules_text(store, edited, actor="admin")
    assert follow_saved_rules(engine)
    assert ("gas-over-50ppm", sensor) in engine.state  # the states were kept
    _gas(store, sensor, T0 + timedelta(minutes=5), 5, 30.0, tag="b")
    after = engine.run_pass(T0 + timedelta(minutes=11))
    (event,) = _raised(after, "gas-over-50ppm")
    assert event.sensor_id == sensor and event.value == 30.0
    # still over: the open alarm is not raised again after another save
    save_rules_text(store, edited.replace("threshold: 20", "threshold: 25", 1), actor="admin")
    assert follow_saved_rules(engine)
    _gas(store, sensor, T0 + timedelta(minutes=10), 5, 31.0, tag="c")
    assert not _raised(engine.run_pass(T0 + timedelta(minutes=16)), "gas-over-50ppm")
    assert (
        store.query_value(
            "SELECT count(*) FROM alarms WHERE rule_id = 'gas-over-50ppm' AND sensor_id = ?",
            [sensor],
        )
        == 1
    )


def test_a_saved_version_that_no_longer_builds_leaves_the_rules_running(store):
    """Checks may grow stricter after a save: the engine then keeps what it has, and at
    start takes the shipped file rather than running without rules."""
    from models.rules import load_rules
    from models.settings_docs import save_doc

    bad = "rules:\n  - rule_id: x\n    sensor_kind: gas\n"  # no longer valid
    engine = AlarmEngine(store, [])
    save_doc(store, "rules", {"text": bad, "rules": []}, actor="old", validate=lambda b: [])
    assert follow_saved_rules(engine)
    assert engine.rules == [r for r in load_rules() if r.enabled]
    save_rules_text(
        store,
        shipped_rules_path()
        .read_text(encoding="utf-8")
        .replace("threshold: 50", "threshold: 20", 1),
        actor="admin",
    )
    assert follow_saved_rules(engine)
    kept = list(engine.rules)
    save_doc(store, "rules", {"text": bad, "rules": []}, actor="old", validate=lambda b: [])
    assert not follow_saved_rules(engine) and engine.rules == kept
