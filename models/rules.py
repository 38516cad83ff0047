"""Alarm rules on sensor readings: the rule table, its validation and the built-in staleness rule.

The streaming evaluator that applies them lives in models.rule_evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

RuleType = Literal["threshold", "rate", "no_data", "stale"]
Level = Literal["warning", "danger"]


RULE_TYPES: tuple[str, ...] = ("threshold", "rate", "no_data", "stale")
#: Rule types about silence: they may apply to every kind (``sensor_kind: "*"``).
SILENCE_TYPES: tuple[str, ...] = ("no_data", "stale")
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
    Silence rules: ``no_data`` fires after ``duration_s`` without a reading, ``stale`` after
    three missed intervals of the sensor (models.freshness); both may name ``sensor_kind``
    ``"*"`` (every kind) and clear when the sensor is heard from again.
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


#: The staleness alarm of SPEC §2.4, on unless rules.yaml says otherwise: an entry with
#: ``rule_id: stale`` overrides these fields (``enabled: false`` turns it off).
_STALE_ENTRY: Mapping[str, Any] = {
    "rule_id": "stale",
    "sensor_kind": "*",
    "metric": "*",
    "rule_type": "stale",
    "level": "warning",
    "auto_verify": False,
    "name_zh": "传感器离线：连续三个上报周期无数据",
}
STALE_RULE = Rule(**_STALE_ENTRY)


def _problem_number(rid: str, name: str, value: object, *, minimum: float) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return [f"{rid}: {name} must be a number, got {value!r}"]
    return [] if value >= minimum else [f"{rid}: {name} must be >= {minimum:g}, got {value!r}"]


def _silence_problems(
    rid: str, kind: object, metric: object, rtype: object, entry: Mapping[str, Any]
) -> list[str]:
    problems = []
    if kind == "*" and rtype not in SILENCE_TYPES:
        problems.append(f"{rid}: sensor_kind '*' applies to no_data and stale rules only")
    elif kind == "*" and metric != "*":
        problems.append(f"{rid}: a rule for every kind needs metric '*'")
    if rtype == "stale" and metric != "*":
        problems.append(f"{rid}: stale rules watch every metric (metric '*')")
    if rtype == "stale" and entry.get("duration_s") is not None:
        problems.append(f"{rid}: stale rules wait three intervals of the sensor, not duration_s")
    return problems


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
        problems += _silence_problems(rid, kind, metric, rtype, entry)
        if kind is not None and kind != "*" and kind not in KIND_METRICS:
            problems.append(f"{rid}: unknown sensor_kind {kind!r}")
        elif kind is not None and kind != "*" and metric is not None:
            known = KIND_METRICS[kind] + (tuple(DERIVED_METRICS) if kind == _DERIVED_KIND else ())
            if metric not in known and not (metric == "*" and rtype in SILENCE_TYPES):
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
            else:  # readings are magnitudes (levels, concentrations, counts): none below 0
                problems += _problem_number(rid, "threshold", threshold, minimum=0)
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
            if not (
                isinstance(code, str) and len(code) == 4 and (code.isascii() and code.isdigit())
            ):
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

    Returns
    -------
    list[Rule]
        The file's rules, plus the staleness rule :data:`STALE_RULE` (an entry with
        ``rule_id: stale`` overrides its fields).

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
    return rules_from_entries(entries, categories=categories, source=str(source))


def with_stale_entry(entries: Sequence[Any]) -> list[Any]:
    """The entries with the staleness rule: appended, or its fields under an entry's own."""
    entries = list(entries)
    stale = [
        i for i, e in enumerate(entries) if isinstance(e, Mapping) and e.get("rule_id") == "stale"
    ]
    if not stale:
        entries = [*entries, _STALE_ENTRY]
    for i in stale:
        entries[i] = {**_STALE_ENTRY, **entries[i]}
    return entries


def rules_from_entries(
    entries: Sequence[Any],
    *,
    categories: Collection[str] | None = None,
    source: str = "rules",
) -> list[Rule]:
    """Validated rules from raw entries (a ``rules:`` list), with the staleness rule.

    Raises
    ------
    ValueError
        Any invalid rule; the message lists every problem.
    """
    entries = with_stale_entry(entries)
    problems = rule_problems(entries, categories=categories)
    if problems:
        raise ValueError(f"{source}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))
    return [Rule(**entry) for entry in entries]
