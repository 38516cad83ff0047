"""Alarm rules on sensor readings: the rule table, its validation and a streaming evaluator."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from models.environment import iaqi, noise_limit

RuleType = Literal["threshold", "rate", "no_data"]
Level = Literal["warning", "danger"]
Reading = tuple[datetime, str, float]

RULE_TYPES: tuple[str, ...] = ("threshold", "rate", "no_data")
LEVELS: tuple[str, ...] = ("warning", "danger")
COMPARISONS: Mapping[str, Callable[[float, float], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
#: Thresholds read from the sensor row rather than written in the rule.
SENSOR_REFERENCES: tuple[str, ...] = ("warning_level", "danger_level")
#: GB 3096-2008 limit of the sensor's functional zone at the reading's time.
NOISE_REFERENCE = "noise_limit"
#: Metrics each sensor kind publishes (see ingest.simulator); ``*`` = any, for no_data.
KIND_METRICS: Mapping[str, tuple[str, ...]] = {
    "air": ("pm25", "pm10", "o3", "no2", "so2", "co"),
    "water_quality": ("ph", "do", "cod", "nh3n", "tp"),
    "noise": ("leq",),
    "water_level": ("water_level_m", "rain_mm_h"),
    "manhole": ("tilt_deg", "open"),
    "streetlamp": ("on", "fault"),
    "smoke": ("smoke",),
    "gas": ("gas_ppm",),
    "traffic": ("speed_kmh", "flow_vph", "occupancy"),
}
#: Derived metric → (published metric it is computed from, HJ 633-2012 averaging period).
#: PM2.5/PM10 have 24 h breakpoints only, which real-time hourly AQI also applies.
DERIVED_METRICS: Mapping[str, tuple[str, str]] = {
    "aqi_pm25": ("pm25", "24h"),
    "aqi_pm10": ("pm10", "24h"),
    "aqi_o3": ("o3", "1h"),
    "aqi_no2": ("no2", "1h"),
    "aqi_co": ("co", "1h"),
}
_DERIVED_KIND = "air"
_FIELDS = (
    "rule_id", "sensor_kind", "metric", "rule_type", "comparison", "threshold", "duration_s",
    "rate_per_min", "clear_after_s", "verify_after_s", "auto_verify", "level",
    "category_code", "enabled", "name_zh",
)  # fmt: skip
_REQUIRED = ("rule_id", "sensor_kind", "metric", "rule_type", "level")


@dataclass(frozen=True)
class Rule:
    """One alarm rule for every sensor of ``sensor_kind``.

    ``threshold`` is a number or a reference (``warning_level``, ``danger_level`` from the
    sensor row; ``noise_limit`` from the sensor's zone). Rate rules compare the slope per
    minute of consecutive readings with ``rate_per_min``. ``verify_after_s`` (default
    ``clear_after_s``) is how long back in range before a sensor-born case may auto-verify.
    """

    rule_id: str
    sensor_kind: str
    metric: str
    rule_type: RuleType
    level: Level
    comparison: str = ">"
    threshold: float | str | None = None
    duration_s: int = 0
    rate_per_min: float | None = None
    clear_after_s: int = 0
    verify_after_s: int | None = None
    auto_verify: bool = True
    category_code: str | None = None
    enabled: bool = True
    name_zh: str = ""

    @property
    def verify_delay_s(self) -> int:
        """Seconds in range before :class:`AutoVerifyDue`."""
        return self.clear_after_s if self.verify_after_s is None else self.verify_after_s


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


def _problem_number(rid: str, name: str, value: object, *, minimum: float) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return [f"{rid}: {name} must be a number, got {value!r}"]
    return [] if value >= minimum else [f"{rid}: {name} must be >= {minimum:g}, got {value!r}"]


def rule_problems(
    entries: Sequence[Mapping[str, Any]], *, categories: Collection[str] | None = None
) -> list[str]:
    """Every problem in raw rule entries (empty list when all are valid).

    Parameters
    ----------
    entries
        Rule mappings as read from YAML.
    categories
        Known case category codes; ``None`` checks only the four-digit form.
    """
    problems: list[str] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            problems.append(f"rule #{i + 1}: must be a mapping, got {entry!r}")
            continue
        rid = str(entry.get("rule_id") or f"rule #{i + 1}")
        problems += [f"{rid}: missing {k}" for k in _REQUIRED if entry.get(k) in (None, "")]
        problems += [f"{rid}: unknown field {k!r}" for k in entry if k not in _FIELDS]
        if rid in seen:
            problems.append(f"{rid}: duplicate rule_id")
        seen.add(rid)
        kind, metric, rtype = entry.get("sensor_kind"), entry.get("metric"), entry.get("rule_type")
        if kind is not None and kind not in KIND_METRICS:
            problems.append(f"{rid}: unknown sensor_kind {kind!r}")
        elif kind is not None and metric is not None:
            known = KIND_METRICS[kind] + (tuple(DERIVED_METRICS) if kind == _DERIVED_KIND else ())
            if metric not in known and not (metric == "*" and rtype == "no_data"):
                problems.append(f"{rid}: {kind} sensors publish no metric {metric!r}")
        if rtype is not None and rtype not in RULE_TYPES:
            problems.append(f"{rid}: rule_type must be one of {', '.join(RULE_TYPES)}")
        if entry.get("level") is not None and entry.get("level") not in LEVELS:
            problems.append(f"{rid}: level must be warning or danger, got {entry.get('level')!r}")
        if entry.get("comparison", ">") not in COMPARISONS:
            problems.append(f"{rid}: comparison must be one of {' '.join(COMPARISONS)}")
        threshold, rate = entry.get("threshold"), entry.get("rate_per_min")
        if rtype == "threshold":
            if isinstance(threshold, str):
                if threshold not in (*SENSOR_REFERENCES, NOISE_REFERENCE):
                    problems.append(f"{rid}: unknown threshold reference {threshold!r}")
                elif threshold == NOISE_REFERENCE and kind != "noise":
                    problems.append(f"{rid}: noise_limit applies to noise sensors only")
            else:
                problems += _problem_number(rid, "threshold", threshold, minimum=-math.inf)
        elif rtype == "rate":
            problems += _problem_number(rid, "rate_per_min", rate, minimum=-math.inf)
        elif rtype == "no_data" and not entry.get("duration_s"):
            problems.append(f"{rid}: no_data needs a duration_s > 0")
        if rtype != "threshold" and threshold is not None:
            problems.append(f"{rid}: threshold applies to threshold rules only")
        if rtype != "rate" and rate is not None:
            problems.append(f"{rid}: rate_per_min applies to rate rules only")
        for name in ("duration_s", "clear_after_s", "verify_after_s"):
            if entry.get(name) is not None:
                problems += _problem_number(rid, name, entry[name], minimum=0)
        verify, clear = entry.get("verify_after_s"), entry.get("clear_after_s", 0)
        if isinstance(verify, int) and isinstance(clear, int) and verify < clear:
            problems.append(f"{rid}: verify_after_s must not be before clear_after_s")
        for name in ("enabled", "auto_verify"):
            if name in entry and not isinstance(entry[name], bool):
                problems.append(f"{rid}: {name} must be true or false")
        code = entry.get("category_code")
        if code is not None:
            if not (isinstance(code, str) and len(code) == 4 and code.isdigit()):
                problems.append(f"{rid}: category_code must be four digits as text, got {code!r}")
            elif categories is not None and code not in categories:
                problems.append(f"{rid}: unknown category_code {code}")
    return problems


def load_rules(
    path: Path | str | None = None, *, categories: Collection[str] | None = None
) -> list[Rule]:
    """Read and validate the rule table (YAML, a top-level ``rules:`` list).

    Parameters
    ----------
    path
        The YAML file; default the shipped ``models/data/rules.yaml``.
    categories
        Known category codes to check ``category_code`` against.

    Raises
    ------
    ValueError
        Unreadable YAML or any invalid rule; the message lists every problem.
    """
    source = Path(path) if path is not None else Path(str(resources.files("models") / "data"))
    if path is None:
        source = source / "rules.yaml"
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValueError(f"{source}: not readable YAML: {exc}") from exc
    entries = raw.get("rules") if isinstance(raw, Mapping) else None
    if not isinstance(entries, list):
        raise ValueError(f"{source}: expected a top-level 'rules:' list")
    problems = rule_problems(entries, categories=categories)
    if problems:
        raise ValueError(f"{source}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))
    return [Rule(**entry) for entry in entries]


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
    run.s = replace(run.s, open=True, exercise=run.exercise, verify_pending=rule.auto_verify)
    run.events.append(
        AlarmRaised(
            rule.rule_id, run.sensor_id, at, value, rule.level, rule.category_code, run.exercise
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


def _fold(run: _Run, sensor: Mapping[str, Any], readings: Sequence[Reading], now: datetime) -> None:
    rule = run.rule
    compare = COMPARISONS[rule.comparison]
    for ts, metric, raw in readings:
        value = _value(rule, metric, raw)
        last_ts, last_value = run.s.last_ts, run.s.last_value
        if value is None or (last_ts is not None and ts <= last_ts):
            continue  # not this rule's metric, unusable, or late / already seen
        run.s = replace(run.s, last_ts=ts, last_value=value)
        if rule.rule_type == "threshold":
            limit = _threshold(rule, sensor, ts)
            if limit is not None:
                _observe(run, ts, compare(value, limit), value)
        elif rule.rule_type == "rate" and last_ts is not None and last_value is not None:
            slope = (value - last_value) / ((ts - last_ts).total_seconds() / 60.0)
            _observe(run, ts, compare(slope, float(rule.rate_per_min or 0.0)), slope)
        elif rule.rule_type == "no_data":
            _observe(run, ts, False, 0.0)  # data came: the gap is over
    if rule.rule_type == "no_data":
        last = run.s.last_ts or sensor.get("last_seen")
        if isinstance(last, datetime) and not run.s.open:
            gap = (now - last).total_seconds()
            if gap > rule.duration_s:
                _raise(run, now, gap)


def evaluate(
    rules: Iterable[Rule],
    state: Mapping[StateKey, RuleState],
    sensor: Mapping[str, Any],
    readings: Sequence[Reading],
    *,
    now: datetime,
    exercise: bool = False,
) -> tuple[dict[StateKey, RuleState], list[Event]]:
    """Fold one sensor's new readings into the rule states; return the new states and events.

    Parameters
    ----------
    rules
        All rules; only enabled ones for ``sensor["kind"]`` apply.
    state
        ``(rule_id, sensor_id) → RuleState`` from the previous call (empty at start).
    sensor
        The sensor row: ``sensor_id``, ``kind``, and as rules need them ``warning_level``,
        ``danger_level``, ``zone`` (noise functional zone), ``last_seen``.
    readings
        ``(ts, metric, value)`` in any order; they are sorted by ``ts``. A reading not newer
        than the last one a rule has taken for this sensor is late and is ignored: alarms
        never rewrite the past. Of equal timestamps the first given wins.
    now
        The evaluation time; no_data rules fire when ``now − last reading > duration_s``.
    exercise
        A drill period: an alarm raised now carries ``exercise=True``, as do its clear and
        auto-verify events, even if those fall after the drill.

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
    new_state = dict(state)
    events: list[Event] = []
    for rule in rules:
        if not rule.enabled or rule.sensor_kind != kind:
            continue
        key = (rule.rule_id, sensor_id)
        run = _Run(rule, sensor_id, state.get(key, RuleState()), exercise)
        _fold(run, sensor, ordered, now)
        new_state[key] = run.s
        events += run.events
    return new_state, events
