"""Dry run of alarm rules: how often edited rules would have fired over recent observations,
read from the store and folded through the same pure evaluator as the alarm engine; nothing
is written."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from models.rule_evaluation import AlarmRaised, Reading, RuleState, StateKey, evaluate
from models.rules import SILENCE_TYPES, Rule
from models.store import Store

#: The most observations one dry run reads (the newest ones when there are more).
MAX_ROWS = 100_000
#: At most one dry run at a time in this process (each takes seconds of CPU; others would
#: slow every request of the server): a second one is refused at once, not queued.
DRY_RUN_LOCK = threading.Lock()


class DryRunBusy(RuntimeError):
    """Another dry run is running in this server; try again in a moment."""

    def __init__(self) -> None:
        super().__init__("a dry run is already running, try again in a moment")


@dataclass
class RuleFirings:
    rule_id: str
    count: int = 0
    sensors: set[str] = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None

    def add(self, event: AlarmRaised) -> None:
        self.count += 1
        self.sensors.add(event.sensor_id)
        self.first = event.at if self.first is None else min(self.first, event.at)
        self.last = event.at if self.last is None else max(self.last, event.at)


@dataclass
class DryRun:
    """What the rules would have raised between ``since`` and ``until``."""

    since: datetime
    until: datetime
    rows_read: int
    rows_total: int
    firings: dict[str, RuleFirings]

    @property
    def capped(self) -> bool:
        return self.rows_read < self.rows_total


def _readings_by_sensor(observations: pd.DataFrame) -> list[tuple[str, list[Reading]]]:
    """Each sensor's readings in the frame's order, sensors sorted: the columns turned into
    Python objects once for the whole frame (per group it cost half of a dry run)."""
    if observations.empty:
        return []
    obs = observations.sort_values("sensor_id", kind="stable")
    sensor_ids = obs["sensor_id"].astype(str).tolist()
    readings: list[Reading] = list(
        zip(
            obs["ts"].dt.to_pydatetime().tolist(),
            obs["metric"].tolist(),
            obs["value"].tolist(),
            obs["exercise"].astype(bool).tolist(),
            strict=True,
        )
    )
    out: list[tuple[str, list[Reading]]] = []
    start = 0
    for i in range(1, len(sensor_ids) + 1):
        if i == len(sensor_ids) or sensor_ids[i] != sensor_ids[start]:
            out.append((sensor_ids[start], readings[start:i]))
            start = i
    return out


def _silence_after(rule: Rule, sensor: Mapping[str, Any]) -> float | None:
    """Seconds without a reading after which a silence rule fires for this sensor."""
    if rule.rule_type == "stale":
        try:
            interval = float(sensor.get("interval_s"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        return 3 * interval if math.isfinite(interval) and interval > 0 else None
    return float(rule.duration_s)


def _silence_checks(
    rules: Sequence[Rule], sensor: Mapping[str, Any], times: Sequence[datetime], until: datetime
) -> list[datetime]:
    """The moments to evaluate silence rules at: one second after each rule's silence
    would have run out in each gap between readings (and after the last one)."""
    checks: set[datetime] = set()
    ends = [*times[1:], until]
    for rule in rules:
        after = _silence_after(rule, sensor)
        if after is None:
            continue
        wait = timedelta(seconds=after + 1)
        checks.update(t + wait for t, end in zip(times, ends, strict=True) if t + wait < end)
    return sorted(checks)


def count_firings(
    rules: Sequence[Rule],
    sensors: Mapping[str, Mapping[str, Any]],
    observations: pd.DataFrame,
    *,
    until: datetime,
) -> dict[str, RuleFirings]:
    """Every raise of ``rules`` over ``observations`` (columns sensor_id, ts, metric, value,
    exercise), from empty rule states (pure).

    Reading rules see all of a sensor's readings at once (their outcome does not depend on
    when they are evaluated); silence rules are evaluated as the engine would between its
    passes, just after each silence ran out, and at ``until``. A sensor without readings
    raises no silence (as a sensor never heard from).
    """
    enabled = [r for r in rules if r.enabled]
    firings = {r.rule_id: RuleFirings(r.rule_id) for r in enabled}
    reading_rules = [r for r in enabled if r.rule_type not in SILENCE_TYPES]
    silence_rules = [r for r in enabled if r.rule_type in SILENCE_TYPES]
    for sensor_id, readings in _readings_by_sensor(observations):
        sensor = sensors.get(sensor_id)
        if sensor is None:
            continue
        row = {**sensor, "sensor_id": str(sensor_id), "last_seen": None}
        _, events = evaluate(reading_rules, {}, row, readings, now=until)
        mine = [r for r in silence_rules if r.sensor_kind in (row.get("kind"), "*")]
        if mine:
            times = sorted({r[0] for r in readings})
            state: dict[StateKey, RuleState] = {}
            done = 0
            for step in [*_silence_checks(mine, row, times, until), until]:
                upto = done
                while upto < len(readings) and readings[upto][0] <= step:
                    upto += 1
                state, more = evaluate(mine, state, row, readings[done:upto], now=step)
                events += more
                done = upto
        for event in events:
            if isinstance(event, AlarmRaised):
                firings[event.rule_id].add(event)
    return firings


def dry_run(
    store: Store,
    rules: Sequence[Rule],
    *,
    now: datetime,
    window: timedelta = timedelta(hours=24),
    max_rows: int = MAX_ROWS,
) -> DryRun:
    """How often ``rules`` would have fired over the observations of ``window`` before
    ``now`` (reads at most ``max_rows``, the newest; writes nothing).

    Raises
    ------
    DryRunBusy
        Another dry run is running (refused at once).
    """
    if not DRY_RUN_LOCK.acquire(blocking=False):
        raise DryRunBusy()
    try:
        return _dry_run(store, rules, now=now, window=window, max_rows=max_rows)
    finally:
        DRY_RUN_LOCK.release()


def _dry_run(
    store: Store, rules: Sequence[Rule], *, now: datetime, window: timedelta, max_rows: int
) -> DryRun:
    since = now - window
    kinds = sorted({r.sensor_kind for r in rules if r.enabled})
    of_kind = "TRUE" if "*" in kinds else "list_contains(?, s.kind)"
    kind_params: list[Any] = [] if "*" in kinds else [kinds]
    total = int(
        store.query_value(
            "SELECT count(*) FROM observations o JOIN sensors s USING (sensor_id) "
            f"WHERE o.ts > ? AND o.ts <= ? AND {of_kind}",
            [since, now, *kind_params],
        )
        or 0
    )
    obs = store.query_df(
        "SELECT * FROM (SELECT o.sensor_id, o.ts, o.metric, o.value, o.exercise "
        "FROM observations o JOIN sensors s USING (sensor_id) "
        # ties broken by sensor and metric: readings share stamps, and the capped set (so the
        # count shown) must be the same on every run over the same data
        f"WHERE o.ts > ? AND o.ts <= ? AND {of_kind} "
        "ORDER BY o.ts DESC, o.sensor_id, o.metric LIMIT ?) ORDER BY ts, sensor_id, metric",
        [since, now, *kind_params, int(max_rows)],
    )
    sensors = store.query_df(
        "SELECT sensor_id, kind, warning_level, danger_level, zone, interval_s FROM sensors"
    )
    rows = {str(r["sensor_id"]): r for r in sensors.to_dict("records")}
    start = since if len(obs) >= total or obs.empty else obs["ts"].min().to_pydatetime()
    firings = count_firings(rules, rows, obs, until=now)
    return DryRun(start, now, len(obs), total, firings)


__all__ = [
    "DRY_RUN_LOCK",
    "MAX_ROWS",
    "DryRun",
    "DryRunBusy",
    "RuleFirings",
    "count_firings",
    "dry_run",
]
