"""Tests for alarm rules: loading, validation and the streaming evaluator."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.categories import load_category_table
from models.environment import CHINA_STANDARD_TIME
from models.rule_evaluation import (
    AlarmCleared,
    AlarmRaised,
    AutoVerifyDue,
    RuleState,
    evaluate,
)
from models.rules import STALE_RULE, Rule, load_rules, rule_problems

T0 = datetime(2026, 7, 1, 10, 0, 0)
GAUGE = {"sensor_id": "WL-001", "kind": "water_level", "warning_level": 0.15, "danger_level": 0.3}


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def rule(**kw: object) -> Rule:
    base: dict[str, object] = {
        "rule_id": "r",
        "sensor_kind": "water_level",
        "metric": "water_level_m",
        "rule_type": "threshold",
        "level": "warning",
        "comparison": ">",
        "threshold": 1.0,
        "category_code": "0401",
    }
    base.update(kw)
    return Rule(**base)  # type: ignore[arg-type]


def run(rules, sensor, batches, *, exercise=False):
    """Feed batches of (second, value) or (second, metric, value); return events per batch."""
    state: dict = {}
    out = []
    for batch in batches:
        readings = [
            (at(r[0]), r[1], r[2]) if len(r) == 3 else (at(r[0]), "water_level_m", r[1])
            for r in batch
        ]
        now = max((x[0] for x in readings), default=T0)
        state, events = evaluate(rules, state, sensor, readings, now=now, exercise=exercise)
        out.append(events)
    return state, out


def flat(batches):
    return [e for b in batches for e in b]


# --- threshold + duration ---------------------------------------------------------------


def test_fires_exactly_when_duration_reached_not_before():
    r = rule(duration_s=300, clear_after_s=0)
    # Holds from t=0; readings every 60 s. 240 s is not enough, 300 s is.
    _, out = run([r], GAUGE, [[(s, 2.0)] for s in range(0, 301, 60)])
    assert [len(b) for b in out] == [0, 0, 0, 0, 0, 1]
    raised = out[-1][0]
    assert raised == AlarmRaised("r", "WL-001", at(300), 2.0, "warning", "0401", False)


def test_duration_restarts_when_condition_breaks():
    r = rule(duration_s=120)
    seq = [(0, 2.0), (60, 2.0), (90, 0.5), (100, 2.0), (200, 2.0), (220, 2.0)]
    _, out = run([r], GAUGE, [seq])
    assert [e.at for e in out[0]] == [at(220)]


def test_duration_zero_fires_on_single_reading():
    _, out = run([rule(duration_s=0)], GAUGE, [[(5, 1.01)]])
    assert [type(e) for e in out[0]] == [AlarmRaised]


def test_one_raise_per_episode_across_batches():
    r = rule(duration_s=0, clear_after_s=600)
    _, out = run([r], GAUGE, [[(s, 3.0)] for s in range(0, 3600, 60)])
    assert sum(isinstance(e, AlarmRaised) for e in flat(out)) == 1


def test_clear_only_after_clear_after_s_back_in_range_then_reraise():
    r = rule(duration_s=60, clear_after_s=300, auto_verify=False)
    seq = [(0, 2.0), (60, 2.0)]  # raise at 60
    seq += [(120, 0.5), (300, 0.5), (400, 2.0)]  # back in range only 180 s, then out again
    seq += [(500, 0.5), (700, 0.5), (800, 0.5)]  # in range from 500: clears at 800
    seq += [(900, 2.0), (960, 2.0)]  # a new episode raises again after 60 s
    _, out = run([r], GAUGE, [seq])
    got = [(type(e).__name__, e.at) for e in out[0]]
    assert got == [
        ("AlarmRaised", at(60)),
        ("AlarmCleared", at(800)),
        ("AlarmRaised", at(960)),
    ]


def test_auto_verify_due_after_verify_after_s_and_reset_by_relapse():
    r = rule(duration_s=0, clear_after_s=60, verify_after_s=600)
    seq = [(0, 2.0), (100, 0.5), (160, 0.5), (400, 2.0), (500, 0.5), (1000, 0.5), (1100, 0.5)]
    _, out = run([r], GAUGE, [seq])
    got = [(type(e).__name__, e.at) for e in out[0]]
    assert got == [
        ("AlarmRaised", at(0)),
        ("AlarmCleared", at(160)),
        ("AlarmRaised", at(400)),  # relapse before the case could verify
        ("AlarmCleared", at(1000)),
        ("AutoVerifyDue", at(1100)),  # 600 s in range since 500
    ]


def test_auto_verify_with_clear_when_delays_equal_and_off_when_disabled():
    seq = [(0, 2.0), (10, 0.5), (70, 0.5)]
    _, out = run([rule(clear_after_s=60)], GAUGE, [seq])
    assert [type(e) for e in out[0]] == [AlarmRaised, AlarmCleared, AutoVerifyDue]
    assert out[0][2].at == at(70)
    _, out = run([rule(clear_after_s=60, auto_verify=False)], GAUGE, [seq])
    assert [type(e) for e in out[0]] == [AlarmRaised, AlarmCleared]


def test_warning_and_danger_levels_come_from_sensor_row():
    rules = [
        rule(rule_id="w", threshold="warning_level", duration_s=300),
        rule(rule_id="d", threshold="danger_level", duration_s=60, level="danger"),
    ]
    seq = [(0, 0.2), (60, 0.2), (120, 0.35), (180, 0.35), (300, 0.35)]
    _, out = run(rules, GAUGE, [seq])
    got = sorted((e.rule_id, e.at, e.level) for e in out[0])
    assert got == [("d", at(180), "danger"), ("w", at(300), "warning")]
    deeper = {**GAUGE, "warning_level": 0.5, "danger_level": 1.0}
    _, out = run(rules, deeper, [seq])
    assert out[0] == []


def test_rule_skipped_when_sensor_lacks_reference():
    _, out = run([rule(threshold="warning_level")], {"sensor_id": "X", "kind": "water_level"},
                 [[(0, 9.0), (600, 9.0)]])  # fmt: skip
    assert out[0] == []


def test_only_matching_kind_metric_and_enabled_rules_apply():
    rules = [rule(rule_id="a", metric="rain_mm_h"), rule(rule_id="b", enabled=False),
             rule(rule_id="c", sensor_kind="gas", metric="gas_ppm")]  # fmt: skip
    state, out = run(rules, GAUGE, [[(0, 5.0)]])
    assert out[0] == []
    assert set(state) == {("a", "WL-001")}


# --- noise zone limit -------------------------------------------------------------------


def test_noise_limit_switches_at_22_00():
    r = rule(sensor_kind="noise", metric="leq", threshold="noise_limit", duration_s=900,
             category_code="0601")  # fmt: skip
    sensor = {"sensor_id": "NS-1", "kind": "noise", "zone": "2"}  # 60 day / 50 night
    start = datetime(2026, 7, 1, 21, 50, tzinfo=CHINA_STANDARD_TIME)
    readings = [(start + timedelta(minutes=m), "leq", 55.0) for m in range(0, 31, 5)]
    state, events = evaluate([r], {}, sensor, readings, now=readings[-1][0])
    # 55 dB(A) is fine by day; the night limit from 22:00 makes it exceed; 15 min later: fire.
    assert [(type(e), e.at) for e in events] == [(AlarmRaised, start + timedelta(minutes=25))]
    # Naive timestamps are local time.
    naive = [(ts.replace(tzinfo=None), m, v) for ts, m, v in readings]
    _, events = evaluate([r], {}, sensor, naive, now=naive[-1][0])
    assert [e.at for e in events] == [naive[5][0]]


# --- ordering ---------------------------------------------------------------------------


def test_out_of_order_readings_in_a_batch_are_sorted():
    r = rule(duration_s=120, clear_after_s=0, auto_verify=False)
    seq = [(120, 2.0), (0, 2.0), (180, 0.5), (60, 2.0)]
    _, out = run([r], GAUGE, [seq])
    assert [(type(e), e.at) for e in out[0]] == [(AlarmRaised, at(120)), (AlarmCleared, at(180))]


def test_late_readings_older_than_state_are_ignored():
    r = rule(duration_s=0, clear_after_s=0, auto_verify=False)
    state, out = run([r], GAUGE, [[(0, 2.0), (100, 2.0)], [(50, 0.5), (100, 0.5)]])
    assert out[1] == []  # neither the late nor the duplicate-time reading clears
    assert state[("r", "WL-001")].last_ts == at(100)
    assert state[("r", "WL-001")].open


# --- rate -------------------------------------------------------------------------------


def test_rate_rule_compares_slope_of_consecutive_readings():
    r = rule(rule_type="rate", threshold=None, rate_per_min=0.05, clear_after_s=120,
             auto_verify=False)  # fmt: skip
    # +0.04 m/min, then +0.06 m/min (fires), then flat until it clears.
    seq = [(0, 1.00), (60, 1.04), (120, 1.10)]
    state, out = run([r], GAUGE, [seq, [(180, 1.10), (300, 1.11)]])
    assert len(out[0]) == 1 and out[0][0].at == at(120)
    assert out[0][0].value == pytest.approx(0.06)
    assert [(type(e), e.at) for e in out[1]] == [(AlarmCleared, at(300))]


def test_rate_rule_uses_last_reading_from_previous_batch():
    r = rule(rule_type="rate", threshold=None, rate_per_min=0.05)
    _, out = run([r], GAUGE, [[(0, 1.0)], [(60, 1.1)]])
    assert out[0] == [] and [e.at for e in out[1]] == [at(60)]


# --- no data ----------------------------------------------------------------------------


def test_no_data_fires_when_gap_exceeds_duration_and_clears_on_data():
    r = rule(rule_type="no_data", threshold=None, metric="*", duration_s=900, auto_verify=False)
    state, ev = evaluate([r], {}, GAUGE, [(at(0), "water_level_m", 0.1)], now=at(0))
    state, ev = evaluate([r], state, GAUGE, [], now=at(900))
    assert ev == []  # exactly 900 s is not more than 900 s
    state, ev = evaluate([r], state, GAUGE, [], now=at(901))
    assert [(type(e), e.at, e.value) for e in ev] == [(AlarmRaised, at(901), 901.0)]
    state, ev = evaluate([r], state, GAUGE, [], now=at(5000))
    assert ev == []  # still the same episode
    state, ev = evaluate([r], state, GAUGE, [(at(5010), "rain_mm_h", 0.0)], now=at(5010))
    assert [(type(e), e.at) for e in ev] == [(AlarmCleared, at(5010))]


def test_no_data_uses_last_seen_when_no_reading_yet():
    r = rule(rule_type="no_data", threshold=None, metric="*", duration_s=60)
    _, ev = evaluate([r], {}, {**GAUGE, "last_seen": at(0)}, [], now=at(61))
    assert len(ev) == 1
    _, ev = evaluate([r], {}, GAUGE, [], now=at(61))
    assert ev == []


# --- issue 9: staleness, readings from the future, drill readings -----------------------

MANHOLE = {"sensor_id": "MH-1", "kind": "manhole", "interval_s": 60}


def test_stale_rule_raises_once_per_silence_and_clears_on_data():
    s0 = {**MANHOLE, "last_seen": at(0)}
    state, ev = evaluate([STALE_RULE], {}, s0, [(at(0), "tilt_deg", 1.0)], now=at(0))
    state, ev = evaluate([STALE_RULE], state, s0, [], now=at(180))
    assert ev == []  # three intervals exactly: the third report is due, not missed
    state, ev = evaluate([STALE_RULE], state, s0, [], now=at(181))
    assert [(type(e), e.rule_id, e.at, e.value, e.level, e.category_code) for e in ev] == [
        (AlarmRaised, "stale", at(181), 181.0, "warning", None)
    ]
    state, ev = evaluate([STALE_RULE], state, s0, [], now=at(3600))
    assert ev == []  # one alarm per silence
    s1 = {**MANHOLE, "last_seen": at(3700)}
    state, ev = evaluate([STALE_RULE], state, s1, [(at(3700), "open", 0.0)], now=at(3700))
    assert [(type(e), e.at) for e in ev] == [(AlarmCleared, at(3700))]


def test_stale_rule_hears_a_sensor_through_last_seen_alone():
    """A traffic detector reports on its segment's topic: last_seen moving ends the silence."""
    detector = {"sensor_id": "TD-1", "kind": "traffic", "interval_s": 300, "last_seen": at(0)}
    state, ev = evaluate([STALE_RULE], {}, detector, [], now=at(901))
    assert [type(e) for e in ev] == [AlarmRaised]
    state, ev = evaluate([STALE_RULE], state, {**detector, "last_seen": at(1000)}, [], now=at(1001))
    assert [(type(e), e.at) for e in ev] == [(AlarmCleared, at(1000))]


def test_never_heard_sensor_is_not_stale_and_bad_interval_is_skipped():
    _, ev = evaluate([STALE_RULE], {}, MANHOLE, [], now=at(10_000))
    assert ev == []
    odd = {**MANHOLE, "interval_s": None, "last_seen": at(0)}
    _, ev = evaluate([STALE_RULE], {}, odd, [], now=at(10_000))
    assert ev == []


def test_reading_from_the_future_cannot_blind_the_rule():
    """Defect 2: a reading dated 2099 is not believed; the real one after it still fires."""
    r = rule(duration_s=0)
    future = datetime(2099, 1, 1)
    state, ev = evaluate([r], {}, GAUGE, [(future, "water_level_m", 0.1)], now=at(0))
    assert ev == []
    state, ev = evaluate([r], state, GAUGE, [(at(60), "water_level_m", 2.0)], now=at(60))
    assert [type(e) for e in ev] == [AlarmRaised]
    # within the clock skew a reading a little ahead is taken
    _, ev = evaluate([r], {}, GAUGE, [(at(200), "water_level_m", 2.0)], now=at(0))
    assert [type(e) for e in ev] == [AlarmRaised]


def test_future_last_seen_does_not_keep_a_sensor_fresh():
    s = {**MANHOLE, "last_seen": datetime(2099, 1, 1)}
    state, _ = evaluate([STALE_RULE], {}, s, [(at(0), "tilt_deg", 1.0)], now=at(0))
    _, ev = evaluate([STALE_RULE], state, s, [], now=at(181))
    assert [type(e) for e in ev] == [AlarmRaised]


def test_a_drill_reading_makes_its_alarm_an_exercise():
    r = rule(duration_s=0, clear_after_s=0)
    state, ev = evaluate([r], {}, GAUGE, [(at(0), "water_level_m", 2.0, True)], now=at(0))
    assert [(type(e), e.exercise) for e in ev] == [(AlarmRaised, True)]
    state, ev = evaluate([r], state, GAUGE, [(at(60), "water_level_m", 0.1, False)], now=at(60))
    assert [(type(e), e.exercise) for e in ev] == [(AlarmCleared, True), (AutoVerifyDue, True)]
    _, ev = evaluate([r], state, GAUGE, [(at(120), "water_level_m", 2.0, False)], now=at(120))
    assert [(type(e), e.exercise) for e in ev] == [(AlarmRaised, False)]


def test_staleness_rule_is_built_in_and_overridable(tmp_path: Path):
    assert STALE_RULE in load_rules()
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - {rule_id: stale, enabled: false}\n", encoding="utf-8")
    (stale,) = load_rules(path)
    assert stale.rule_type == "stale" and stale.sensor_kind == "*" and not stale.enabled
    path.write_text("rules:\n  - {rule_id: stale, level: danger}\n", encoding="utf-8")
    assert load_rules(path)[0].level == "danger"
    problems = rule_problems(
        [
            {**STALE_RULE.__dict__, "rule_id": "s2", "duration_s": 60},
            {"rule_id": "x", "sensor_kind": "*", "metric": "*", "rule_type": "threshold",
             "threshold": 1, "level": "warning"},
            {"rule_id": "y", "sensor_kind": "*", "metric": "smoke", "rule_type": "no_data",
             "duration_s": 60, "level": "warning"},
        ]
    )  # fmt: skip
    assert problems == [
        "s2: stale rules wait three intervals of the sensor, not duration_s",
        "x: sensor_kind '*' applies to no_data and stale rules only",
        "y: a rule for every kind needs metric '*'",
    ]


# --- derived metric, exercise -----------------------------------------------------------


def test_aqi_derived_metric_uses_pm25_iaqi():
    r = rule(sensor_kind="air", metric="aqi_pm25", threshold=200, duration_s=1800,
             category_code=None)  # fmt: skip
    sensor = {"sensor_id": "AQ-1", "kind": "air"}
    # 150 µg/m³ is IAQI 200 exactly (not > 200); 160 µg/m³ is IAQI 210.
    readings = [(at(s), "pm25", 160.0) for s in range(0, 1801, 600)]
    readings += [(at(0), "pm10", 999.0)]
    _, ev = evaluate([r], {}, sensor, readings, now=at(1800))
    assert [(e.at, e.value) for e in ev] == [(at(1800), 210.0)]
    flat_200 = [(at(s), "pm25", 150.0) for s in range(0, 3601, 600)]
    _, ev = evaluate([r], {}, sensor, flat_200, now=at(3600))
    assert ev == []


def test_exercise_marks_the_episode():
    r = rule(duration_s=0, clear_after_s=0)
    state, ev = evaluate([r], {}, GAUGE, [(at(0), "water_level_m", 2.0)], now=at(0), exercise=True)
    assert ev[0].exercise is True
    # The clear after the drill still belongs to the drill episode.
    state, ev = evaluate([r], state, GAUGE, [(at(60), "water_level_m", 0.1)], now=at(60))
    assert [(type(e), e.exercise) for e in ev] == [(AlarmCleared, True), (AutoVerifyDue, True)]
    _, ev = evaluate([r], state, GAUGE, [(at(120), "water_level_m", 2.0)], now=at(120))
    assert ev[0].exercise is False


def test_input_state_is_not_mutated():
    state = {("r", "WL-001"): RuleState()}
    new, _ = evaluate([rule()], state, GAUGE, [(at(0), "water_level_m", 2.0)], now=at(0))
    assert state[("r", "WL-001")] == RuleState() and new[("r", "WL-001")].open


# --- the rule file ----------------------------------------------------------------------


def test_shipped_rules_validate_against_category_catalogue():
    codes = set(load_category_table()["category_code"])
    rules = {r.rule_id: r for r in load_rules(categories=codes)}
    assert rules["water-level-warning"].threshold == "warning_level"
    assert rules["water-level-danger"].level == "danger"
    assert rules["air-pm25-iaqi-200"].duration_s == 1800
    assert rules["manhole-open"].category_code == "0101"
    assert rules["noise-over-zone-limit"].threshold == "noise_limit"
    assert rules["water-level-rising"].rate_per_min == 0.05
    assert rules["smoke-detected"].duration_s == 0
    assert not rules["smoke-no-data"].enabled


def test_broken_rules_file_lists_every_problem(tmp_path: Path):
    path = tmp_path / "rules.yaml"
    path.write_text(
        """
rules:
  - rule_id: a
    sensor_kind: submarine
    metric: depth
    rule_type: threshold
    threshold: 1
    level: warning
  - rule_id: a
    sensor_kind: gas
    metric: gas_ppm
    rule_type: sometimes
    level: critical
    comparison: "~"
  - rule_id: b
    sensor_kind: water_level
    metric: water_level_m
    rule_type: threshold
    threshold: sky_level
    duration_s: -5
    level: warning
    category_code: 401
    colour: red
  - rule_id: c
    sensor_kind: water_level
    metric: water_level_m
    rule_type: rate
    threshold: 3
    level: warning
    category_code: "9999"
    clear_after_s: 600
    verify_after_s: 60
  - rule_id: d
    sensor_kind: smoke
    metric: smoke
    rule_type: no_data
    level: warning
    enabled: "yes"
""",
        encoding="utf-8",
    )
    with pytest.raises(ValueError) as err:
        load_rules(path, categories={"0401"})
    message = str(err.value)
    for expected in [
        "a: unknown sensor_kind 'submarine'",
        "a: duplicate rule_id",
        "a: rule_type must be one of",
        "a: level must be warning or danger",
        "a: comparison must be one of",
        "b: unknown threshold reference 'sky_level'",
        "b: duration_s must be >= 0",
        "b: category_code must be four digits",
        "b: unknown field 'colour'",
        "c: rate_per_min must be a number",
        "c: threshold applies to threshold rules only",
        "c: unknown category_code 9999",
        "c: verify_after_s must not be before clear_after_s",
        "d: no_data needs a duration_s > 0",
        "d: enabled must be true or false",
    ]:
        assert expected in message
    assert "15 problem(s)" in message


def test_unreadable_or_shapeless_file_is_a_value_error(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [unclosed", encoding="utf-8")
    with pytest.raises(ValueError, match="not readable YAML"):
        load_rules(bad)
    bad.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(ValueError, match="rules:"):
        load_rules(bad)


# --- property ---------------------------------------------------------------------------

readings_strategy = st.lists(
    st.tuples(st.integers(0, 3600), st.floats(0.0, 2.0, allow_nan=False)), max_size=40
)


@settings(max_examples=200, deadline=None)
@given(
    batches=st.lists(readings_strategy, min_size=1, max_size=5),
    duration=st.sampled_from([0, 60, 300]),
    clear=st.sampled_from([0, 60, 600]),
)
def test_raises_and_clears_alternate(batches, duration, clear):
    rules = [
        rule(rule_id="t", duration_s=duration, clear_after_s=clear),
        rule(rule_id="w", threshold="warning_level", comparison=">=", duration_s=duration),
        rule(rule_id="q", rule_type="rate", threshold=None, rate_per_min=0.01, clear_after_s=clear),
    ]
    state: dict = {}
    seen: dict[str, list[type]] = {"t": [], "w": [], "q": []}
    for batch in batches:
        readings = [(at(s), "water_level_m", v) for s, v in batch]
        state, events = evaluate(rules, state, GAUGE, readings, now=at(3600))
        for e in events:
            if not isinstance(e, AutoVerifyDue):
                seen[e.rule_id].append(type(e))
    for kinds in seen.values():
        assert kinds[::2] == [AlarmRaised] * len(kinds[::2])
        assert kinds[1::2] == [AlarmCleared] * len(kinds[1::2])
    for (rid, _), s in state.items():
        assert s.open == (bool(seen[rid]) and seen[rid][-1] is AlarmRaised)
