"""The rules in force (shipped file until a version is saved on /admin), the checks of an
edited rules text with their lines, restoring a version, and the dry run's counts over a
hand-made day of observations."""

from datetime import datetime, timedelta

import pandas as pd
import pytest

from models.rule_dry_run import dry_run
from models.rules import load_rules, rules_from_entries
from models.rules_doc import (
    parse_rules_text,
    restore_rules_version,
    rules_history,
    rules_in_force,
    rules_text_in_force,
    rules_text_problems,
    rules_version,
    save_rules_text,
    shipped_rules_path,
)
from models.settings_docs import SettingsDocError

NOW = datetime(2026, 11, 24, 12, 0)
GAS_RULE = """rules:
  - rule_id: gas-high
    sensor_kind: gas
    metric: gas_ppm
    rule_type: threshold
    comparison: ">"
    threshold: {threshold}
    level: danger
"""


def test_the_shipped_file_is_in_force_until_a_version_is_saved(store):
    assert rules_version(store) == 0
    assert rules_in_force(store) == load_rules()
    assert rules_text_in_force(store).text == shipped_rules_path().read_text(encoding="utf-8")
    doc = save_rules_text(store, GAS_RULE.format(threshold=20), actor="admin")
    assert rules_version(store) == doc.doc_id > 0
    rules = rules_in_force(store)
    assert [r.rule_id for r in rules] == ["gas-high", "stale"]  # the staleness rule stays
    assert rules[0].threshold == 20
    assert rules_text_in_force(store).saved_by == "admin"


def test_a_bad_text_is_refused_with_its_line_and_nothing_saved(store):
    text = GAS_RULE.format(threshold=20) + GAS_RULE.format(threshold=-5).replace(
        "rules:\n", ""
    ).replace("gas-high", "gas-neg").replace("gas_ppm", "gas_pct")
    problems = rules_text_problems(text)
    assert any(p.startswith("line 9: gas-neg:") and "gas_pct" in p for p in problems), problems
    assert any("line 9" in p and "threshold must be >= 0" in p for p in problems), problems
    with pytest.raises(SettingsDocError) as refused:
        save_rules_text(store, text, actor="admin")
    assert refused.value.problems == problems
    assert rules_version(store) == 0
    store.flush()  # the audit row is queued behind the writer
    assert store.query_value(
        "SELECT count(*) FROM audit_log WHERE action = 'settings.rules' AND outcome = 'rejected'"
    )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("rules: [\n  - rule_id: x\n", "line 2: not readable YAML"),
        ("just text", "top-level 'rules:' list"),
        ("", "empty"),
        ("rules:\n  - rule_id: a\n    sensor_kind: rocket\n", "unknown sensor_kind"),
        (GAS_RULE.format(threshold="'high'"), "unknown threshold reference"),
    ],
)
def test_bad_texts_give_a_message_not_an_exception(text, words):
    assert any(words in p for p in rules_text_problems(text)), rules_text_problems(text)


def test_restoring_an_older_version_saves_it_again(store):
    first = save_rules_text(store, GAS_RULE.format(threshold=20), actor="a1")
    save_rules_text(store, GAS_RULE.format(threshold=30), actor="a2")
    restored = restore_rules_version(store, first.doc_id, actor="a3")
    assert restored.doc_id > first.doc_id and restored.note == f"restored version {first.doc_id}"
    assert rules_in_force(store)[0].threshold == 20
    assert [d.saved_by for d in rules_history(store)] == ["a3", "a2", "a1"]
    restore_rules_version(store, 0, actor="a4")  # version 0: the shipped file
    assert rules_in_force(store) == load_rules()
    with pytest.raises(SettingsDocError):
        restore_rules_version(store, 999, actor="a5")


def _day(store):
    """One gas sensor, one reading a minute for 24 h: three episodes over 20 ppm."""
    store.append(
        "sensors",
        pd.DataFrame(
            [{"sensor_id": "GAS-1", "kind": "gas", "lon": 120.1, "lat": 30.2, "interval_s": 60}]
        ),
    )
    start = NOW - timedelta(hours=24)
    highs = {(100, 110), (500, 530), (1200, 1201)}
    rows = []
    for i in range(1, 24 * 60 + 1):
        high = any(a <= i < b for a, b in highs)
        ts = start + timedelta(minutes=i)
        rows.append((f"m{i}", "GAS-1", ts, "gas_ppm", 35.0 if high else 5.0, ts))
    store.append(
        "observations",
        pd.DataFrame(rows, columns=["msg_id", "sensor_id", "ts", "metric", "value", "received_at"]),
    )
    return start


def test_dry_run_counts_each_episode_once_and_writes_nothing(store):
    start = _day(store)
    entries, _ = parse_rules_text(GAS_RULE.format(threshold=20))
    alarms_before = store.query_value("SELECT count(*) FROM alarms")
    result = dry_run(store, rules_from_entries(entries), now=NOW)
    fired = result.firings["gas-high"]
    assert fired.count == 3 and fired.sensors == {"GAS-1"}
    assert fired.first == start + timedelta(minutes=100)
    assert fired.last == start + timedelta(minutes=1200)
    assert not result.capped and result.rows_read == 24 * 60
    assert result.firings["stale"].count == 0  # it reported every minute
    assert store.query_value("SELECT count(*) FROM alarms") == alarms_before
    # above every reading: never fires
    entries, _ = parse_rules_text(GAS_RULE.format(threshold=40))
    assert dry_run(store, rules_from_entries(entries), now=NOW).firings["gas-high"].count == 0


def test_dry_run_reads_at_most_its_cap_and_says_so(store):
    _day(store)
    entries, _ = parse_rules_text(GAS_RULE.format(threshold=20))
    result = dry_run(store, rules_from_entries(entries), now=NOW, max_rows=600)
    assert result.capped and result.rows_read == 600 and result.rows_total == 24 * 60
    assert result.firings["gas-high"].count == 1  # only the last episode is in the newest 600
    assert result.since > NOW - timedelta(hours=24)


def test_dry_run_sees_a_silence(store):
    start = _day(store)
    store.write(
        lambda tx: tx.execute("DELETE FROM observations WHERE ts > ?", [NOW - timedelta(hours=2)])
    )
    entries, _ = parse_rules_text(GAS_RULE.format(threshold=20))
    stale = dry_run(store, rules_from_entries(entries), now=NOW).firings["stale"]
    assert stale.count == 1 and start < stale.first < NOW


def test_a_rule_set_without_an_enabled_rule_is_refused_with_how_to_switch_one_off(store):
    from tests.models.test_yaml_text import alias_bomb

    for text in ("rules: []\n", GAS_RULE.format(threshold=20) + "    enabled: false\n"):
        problems = rules_text_problems(text)
        assert any("no enabled rule" in p and "enabled: false" in p for p in problems), problems
        with pytest.raises(SettingsDocError):
            save_rules_text(store, text, actor="admin")
    assert rules_version(store) == 0
    # one enabled rule is enough (the others may be off)
    assert rules_text_problems(GAS_RULE.format(threshold=20)) == []
    # the alias bomb is refused at once by the bounded loader, its text not echoed
    problems = rules_text_problems(alias_bomb())
    assert len(problems) == 1 and "alias" in problems[0] and len(problems[0]) < 300
    with pytest.raises(SettingsDocError):
        save_rules_text(store, alias_bomb(), actor="admin")
    assert rules_version(store) == 0


def test_the_shipped_rules_can_be_restored_as_version_0(store):
    save_rules_text(store, GAS_RULE.format(threshold=20), actor="admin")
    doc = restore_rules_version(store, 0, actor="admin")
    assert doc.body["text"] == shipped_rules_path().read_text(encoding="utf-8")
    assert rules_in_force(store) == load_rules()


def test_only_one_dry_run_at_a_time(store):
    from models.rule_dry_run import DRY_RUN_LOCK, DryRunBusy

    _day(store)
    entries, _ = parse_rules_text(GAS_RULE.format(threshold=20))
    rules = rules_from_entries(entries)
    assert DRY_RUN_LOCK.acquire(blocking=False)
    try:
        with pytest.raises(DryRunBusy, match="already running"):
            dry_run(store, rules, now=NOW)
    finally:
        DRY_RUN_LOCK.release()
    assert dry_run(store, rules, now=NOW).firings["gas-high"].count == 3  # free again


def test_count_firings_keeps_each_sensors_readings_apart():
    """Rows of several sensors interleaved in time (as read): each sensor folds its own."""
    from models.rule_dry_run import count_firings

    entries, _ = parse_rules_text(GAS_RULE.format(threshold=20))
    rows = []
    for i in range(60):
        ts = NOW - timedelta(minutes=60 - i)
        rows.append(("GAS-B", ts, "gas_ppm", 35.0 if 10 <= i < 20 else 5.0, False))
        rows.append(("GAS-A", ts, "gas_ppm", 5.0, False))
    obs = pd.DataFrame(rows, columns=["sensor_id", "ts", "metric", "value", "exercise"])
    sensors = {s: {"sensor_id": s, "kind": "gas", "interval_s": 60} for s in ("GAS-A", "GAS-B")}
    fired = count_firings(rules_from_entries(entries), sensors, obs, until=NOW)["gas-high"]
    assert fired.count == 1 and fired.sensors == {"GAS-B"}
    assert fired.first == NOW - timedelta(minutes=50)
