"""The streaming evaluator of alarm rules: readings in, rule states and alarm events out (pure)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from models.environment import iaqi, noise_limit
from models.freshness import MAX_CLOCK_SKEW_S, is_stale
from models.rules import COMPARISONS, DERIVED_METRICS, NOISE_REFERENCE, SILENCE_TYPES, Rule

#: ``(ts, metric, value)``, or ``(ts, metric, value, exercise)`` for a drill's reading.
Reading = tuple[datetime, str, float] | tuple[datetime, str, float, bool]


@dataclass(frozen=True)
class RuleState:
    """Where one (rule, sensor) stands between batches; the evaluator's only memory."""

    last_ts: datetime | None = None
    last_value: float | None = None
    holding_since: datetime | None = None
    open: bool = False
    exercise: bool = False
    in_range_since: datetime | None = None
    verify_pending: bool = False
    verify_since: datetime | None = None


@dataclass(frozen=True)
class AlarmRaised:
    """A rule fired: open one alarm and open or update its deduplicated case."""

    rule_id: str
    sensor_id: str
    at: datetime
    value: float
    level: str
    category_code: str | None
    exercise: bool = False


@dataclass(frozen=True)
class AlarmCleared:
    """The value stayed back in range for ``clear_after_s`` (or data resumed)."""

    rule_id: str
    sensor_id: str
    at: datetime
    exercise: bool = False


@dataclass(frozen=True)
class AutoVerifyDue:
    """Back in range for ``verify_after_s`` after a raise: the case may verify itself."""

    rule_id: str
    sensor_id: str
    at: datetime
    exercise: bool = False


Event = AlarmRaised | AlarmCleared | AutoVerifyDue
StateKey = tuple[str, str]


@dataclass
class _Run:
    """Mutable working copy while one batch is folded in."""

    rule: Rule
    sensor_id: str
    s: RuleState
    exercise: bool
    events: list[Event] = field(default_factory=list)
    reading_exercise: bool = False  # the reading being folded came from a drill


def _value(rule: Rule, metric: str, value: float) -> float | None:
    """The rule's value of one reading, or ``None`` when the reading is not for it."""
    if rule.metric == "*":
        return float(value)
    source, averaging = DERIVED_METRICS.get(rule.metric, (rule.metric, ""))
    if metric != source:
        return None
    if not averaging:
        return float(value)
    try:
        return float(iaqi(source, value, averaging=averaging))  # type: ignore[arg-type]
    except ValueError:  # negative or out-of-table concentration: not a usable reading
        return None


def _threshold(rule: Rule, sensor: Mapping[str, Any], at: datetime) -> float | None:
    """The number the rule compares with at ``at``; ``None`` when the sensor lacks it."""
    if isinstance(rule.threshold, (int, float)):
        return float(rule.threshold)
    if rule.threshold == NOISE_REFERENCE:
        try:
            return noise_limit(sensor.get("zone"), at=at)  # type: ignore[arg-type]
        except ValueError:
            return None
    level = sensor.get(str(rule.threshold))
    return None if level is None or isinstance(level, bool) else float(level)


def _raise(run: _Run, at: datetime, value: float) -> None:
    rule = run.rule
    exercise = run.exercise or run.reading_exercise
    run.s = replace(run.s, open=True, exercise=exercise, verify_pending=rule.auto_verify)
    run.events.append(
        AlarmRaised(
            rule.rule_id, run.sensor_id, at, value, rule.level, rule.category_code, exercise
        )
    )


def _observe(run: _Run, at: datetime, holds: bool, value: float) -> None:
    """Fold one in-order condition sample into the run; emit events as they fall due."""
    rule = run.rule
    if holds:
        since = run.s.holding_since or at
        run.s = replace(run.s, holding_since=since, in_range_since=None, verify_since=None)
        if not run.s.open and (at - since).total_seconds() >= rule.duration_s:
            _raise(run, at, value)
        return
    s = replace(run.s, holding_since=None)
    if s.open:
        since = s.in_range_since or at
        s = replace(s, in_range_since=since)
        if (at - since).total_seconds() >= rule.clear_after_s:
            s = replace(s, open=False, in_range_since=None)
            run.events.append(AlarmCleared(rule.rule_id, run.sensor_id, at, s.exercise))
    if s.verify_pending:
        since = s.verify_since or at
        s = replace(s, verify_since=since)
        if (at - since).total_seconds() >= rule.verify_delay_s:
            s = replace(s, verify_pending=False, verify_since=None)
            run.events.append(AutoVerifyDue(rule.rule_id, run.sensor_id, at, s.exercise))
    run.s = s


def _fold(
    run: _Run,
    sensor: Mapping[str, Any],
    readings: Sequence[Reading],
    now: datetime,
    believable: datetime,
) -> None:
    rule = run.rule
    compare = COMPARISONS[rule.comparison]
    for ts, metric, raw, *flag in readings:
        value = _value(rule, metric, raw)
        last_ts, last_value = run.s.last_ts, run.s.last_value
        if value is None or ts > believable or (last_ts is not None and ts <= last_ts):
            continue  # not this rule's metric, unusable, from the future, late or seen
        run.reading_exercise = bool(flag and flag[0])
        run.s = replace(run.s, last_ts=ts, last_value=value)
        if rule.rule_type == "threshold":
            limit = _threshold(rule, sensor, ts)
            if limit is not None:
                _observe(run, ts, compare(value, limit), value)
        elif rule.rule_type == "rate" and last_ts is not None and last_value is not None:
            slope = (value - last_value) / ((ts - last_ts).total_seconds() / 60.0)
            _observe(run, ts, compare(slope, float(rule.rate_per_min or 0.0)), slope)
        elif rule.rule_type in SILENCE_TYPES:
            _observe(run, ts, False, 0.0)  # data came: the gap is over
    run.reading_exercise = False
    if rule.rule_type in SILENCE_TYPES:
        _silence(run, sensor, now, believable)


def _positive(value: object) -> bool:
    try:
        return math.isfinite(float(value)) and float(value) > 0  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _silence(run: _Run, sensor: Mapping[str, Any], now: datetime, believable: datetime) -> None:
    """Raise a silence rule once per silence; a sensor heard of (``last_seen``) only through
    another channel (a traffic detector's segment samples) ends the silence too."""
    rule = run.rule
    seen = sensor.get("last_seen")
    seen = seen if isinstance(seen, datetime) and seen <= believable else None
    if seen is not None and rule.metric == "*" and (run.s.last_ts is None or seen > run.s.last_ts):
        run.s = replace(run.s, last_ts=seen)
        _observe(run, seen, False, 0.0)
    last = run.s.last_ts or seen
    if not isinstance(last, datetime) or run.s.open:
        return
    gap = max((now - last).total_seconds(), 0.0)
    if rule.rule_type == "stale":
        interval = sensor.get("interval_s")
        if not _positive(interval) or not is_stale(gap, float(interval)):
            return
    elif gap <= rule.duration_s:
        return
    _raise(run, now, gap)


def evaluate(
    rules: Iterable[Rule],
    state: Mapping[StateKey, RuleState],
    sensor: Mapping[str, Any],
    readings: Sequence[Reading],
    *,
    now: datetime,
    exercise: bool = False,
    max_clock_skew_s: float = MAX_CLOCK_SKEW_S,
) -> tuple[dict[StateKey, RuleState], list[Event]]:
    """Fold one sensor's new readings into the rule states; return the new states and events.

    Parameters
    ----------
    rules
        All rules; only enabled ones for ``sensor["kind"]`` (or ``"*"``) apply.
    state
        ``(rule_id, sensor_id) → RuleState`` from the previous call (empty at start).
    sensor
        The sensor row: ``sensor_id``, ``kind``, and as rules need them ``warning_level``,
        ``danger_level``, ``zone`` (noise functional zone), ``last_seen`` and
        ``interval_s`` (silence rules).
    readings
        ``(ts, metric, value)`` or ``(ts, metric, value, exercise)`` in any order; they are
        sorted by ``ts``. A reading not newer than the last one a rule has taken for this
        sensor is late and is ignored: alarms never rewrite the past. Of equal timestamps
        the first given wins. A reading (or ``last_seen``) dated more than
        ``max_clock_skew_s`` after ``now`` is not believed and ignored, so that it cannot
        hide the readings after it.
    now
        The evaluation time; no_data rules fire when ``now − last reading > duration_s``,
        stale rules when the sensor missed three intervals (models.freshness). A sensor
        never heard from raises neither.
    exercise
        A drill period: an alarm raised now carries ``exercise=True``, as do its clear and
        auto-verify events, even if those fall after the drill. An alarm raised by a
        reading flagged exercise is an exercise too.
    max_clock_skew_s
        How far ahead of ``now`` a timestamp may be (``ingest.max_clock_skew_s``).

    Returns
    -------
    (new_state, events)
        A new mapping (the input is untouched) and the events in time order per rule.

    Notes
    -----
    Threshold rules fire on the first reading at which the condition has held, over
    consecutive readings, for ``duration_s`` (at once when 0); one raise per episode.
    A rule whose reference threshold the sensor lacks is skipped. An open alarm clears on
    the first in-range reading ``clear_after_s`` after the value went back in range; rate
    rules compare each reading's slope per minute with the previous one. The ``value`` of
    a raise is the reading (derived metrics: the IAQI), the slope, or the gap in seconds.
    """
    sensor_id, kind = str(sensor["sensor_id"]), sensor.get("kind")
    ordered = sorted(readings, key=lambda r: r[0])
    believable = now + timedelta(seconds=max_clock_skew_s)
    new_state = dict(state)
    events: list[Event] = []
    for rule in rules:
        if not rule.enabled or rule.sensor_kind not in (kind, "*"):
            continue
        key = (rule.rule_id, sensor_id)
        run = _Run(rule, sensor_id, state.get(key, RuleState()), exercise)
        _fold(run, sensor, ordered, now, believable)
        new_state[key] = run.s
        events += run.events
    return new_state, events
