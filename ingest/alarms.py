"""Sensor rules over stored observations: alarms raised and cleared, one routed case per alarm.

Runs behind ingest, reading what is already committed (so it never slows or loses
ingest): each pass takes the observations committed since the last pass (in commit
order, by ``observations.seq``), folds them through the rules (models.rule_evaluation),
checks every known sensor for silence (the staleness rule and no_data rules), and writes
alarms, their cases and their transitions in one transaction. At start it replays a
warm-up window so that durations carry over a restart, and takes the open alarms as open:
an alarm already open for (rule, sensor) is never raised twice, and clears as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from models.case_builder import NewReport, prepare_cases, write_cases
from models.cases import CaseError, transition_case
from models.freshness import MAX_CLOCK_SKEW_S
from models.rule_evaluation import (
    AlarmCleared,
    AlarmRaised,
    AutoVerifyDue,
    Reading,
    RuleState,
    evaluate,
)
from models.rules import SILENCE_TYPES, Rule, load_rules
from models.rules_doc import rules_in_force, rules_version
from models.sensors import last_heard
from models.store import Store, WriteTx
from models.work_calendar import WorkCalendar

log = logging.getLogger(__name__)
WARMUP = timedelta(hours=2)


@dataclass
class AlarmPass:
    raised: list[AlarmRaised] = field(default_factory=list)
    cleared: list[AlarmCleared] = field(default_factory=list)
    verify_due: list[AutoVerifyDue] = field(default_factory=list)


def alarm_id(event: AlarmRaised) -> str:
    return f"AL-{event.rule_id}-{event.sensor_id}-{event.at:%Y%m%d%H%M%S}"


class AlarmEngine:
    """Keeps rule states between passes; ``run_pass(now)`` does one pass.

    The cursor is the highest ``observations.seq`` read. ``seq`` is drawn from a sequence
    at insert, inside the write transaction, and the store has one writer thread that runs
    one transaction at a time (models.store.engine ``_write_loop``): every row with a
    lower ``seq`` than one a reader sees was committed before it. A wall-clock cursor on
    ``received_at`` would skip a batch stamped before a pass and committed after it.
    """

    def __init__(
        self,
        store: Store,
        rules: Sequence[Rule],
        *,
        calendar: WorkCalendar | None = None,
        max_clock_skew_s: float = MAX_CLOCK_SKEW_S,
    ):
        self.store = store
        self.calendar = calendar or WorkCalendar()
        self.use_rules(rules)
        self.max_clock_skew_s = max_clock_skew_s
        self.state: dict[tuple[str, str], RuleState] = {}
        self.cursor: int | None = None
        self._sensors: dict[str, dict[str, Any]] = {}

    def use_rules(self, rules: Sequence[Rule], *, version: int | None = None) -> None:
        """Apply ``rules`` from the next pass on. Rule states stay: an alarm open under a
        rule that is kept clears as usual; ``version`` is the settings version they are."""
        self.rules = [r for r in rules if r.enabled]
        self.silence_rules = [r for r in self.rules if r.rule_type in SILENCE_TYPES]
        self.kinds = {r.sensor_kind for r in self.rules}
        self.rules_version = version

    def _load_sensors(self) -> None:
        df = self.store.query_df(
            "SELECT sensor_id, kind, lon, lat, grid_version, cell_code, warning_level, "
            "danger_level, zone, interval_s FROM sensors"
        )
        self._sensors = {r["sensor_id"]: r for r in df.to_dict("records")}

    def _open_alarms(self) -> dict[tuple[str, str], RuleState]:
        """Alarms left open by an earlier run, as rule states: open since they were raised
        (readings before that are history), so they clear instead of being raised again."""
        rows = self.store.query_rows(
            "SELECT rule_id, sensor_id, max(opened_at), bool_or(exercise) FROM alarms "
            "WHERE cleared_at IS NULL GROUP BY rule_id, sensor_id"
        )
        return {
            (rule, sensor): RuleState(last_ts=opened, open=True, exercise=bool(exercise))
            for rule, sensor, opened, exercise in rows
        }

    def _new_observations(self, now: datetime) -> tuple[pd.DataFrame, int]:
        """Observations committed since the cursor (at start: received in the warm-up
        window), and the new cursor."""
        high = int(self.store.query_value("SELECT coalesce(max(seq), 0) FROM observations"))
        if self.cursor is None:
            since, params = "o.received_at > ?", [now - WARMUP]
        else:
            since, params = "o.seq > ?", [self.cursor]
        kinds = [] if "*" in self.kinds else sorted(self.kinds)
        of_kind = f"s.kind IN ({', '.join('?' for _ in kinds)})" if kinds else "TRUE"
        obs = self.store.query_df(
            "SELECT o.sensor_id, o.ts, o.metric, o.value, o.exercise FROM observations o "
            f"JOIN sensors s USING (sensor_id) WHERE {since} AND o.seq <= ? AND {of_kind} "
            "ORDER BY o.ts",
            [*params, high, *kinds],
        )
        return obs, high

    def run_pass(self, now: datetime) -> AlarmPass:
        """Evaluate observations committed since the last pass, and every sensor's silence,
        and write the outcome."""
        state = self.state  # committed to self only once the pass is written
        if self.cursor is None:
            state = {**self._open_alarms(), **state}
        self._load_sensors()  # each pass: a level edited on /admin applies at once
        obs, high = self._new_observations(now)
        readings: dict[str, list[Reading]] = {}
        for sensor_id, group in obs.groupby("sensor_id", sort=True):
            readings[str(sensor_id)] = list(
                zip(
                    group["ts"].dt.to_pydatetime(),
                    group["metric"],
                    group["value"],
                    group["exercise"].astype(bool),
                    strict=True,
                )
            )
        heard = self._last_heard(now)
        out = AlarmPass()
        for sensor_id in sorted(set(readings) | set(self._sensors)):
            sensor = self._sensors.get(sensor_id)
            if sensor is None:
                continue
            rules = self.rules if sensor_id in readings else self.silence_rules
            state, events = evaluate(
                rules,
                state,
                {**sensor, "last_seen": heard.get(sensor_id)},
                readings.get(sensor_id, []),
                now=now,
                max_clock_skew_s=self.max_clock_skew_s,
            )
            for event in events:
                if isinstance(event, AlarmRaised):
                    out.raised.append(event)
                elif isinstance(event, AlarmCleared):
                    out.cleared.append(event)
                else:
                    out.verify_due.append(event)
        if out.raised or out.cleared or out.verify_due:
            self.store.write(lambda tx: self._write(tx, out))
        self.state, self.cursor = state, high
        for event in out.verify_due:
            self._auto_verify(event)
        return out

    def _last_heard(self, now: datetime) -> dict[str, datetime]:
        if not self.silence_rules:
            return {}
        df = last_heard(self.store, now=now, max_clock_skew_s=self.max_clock_skew_s)
        df = df[df["last_seen"].notna()]
        return dict(zip(df["sensor_id"], df["last_seen"].dt.to_pydatetime(), strict=True))

    def _auto_verify(self, event: AutoVerifyDue) -> None:
        """Verify the alarm's case once the sensor stayed in range, if its handling was
        reported (stage handled); a person may verify earlier or refuse before that."""
        rows = self.store.query_rows(
            "SELECT c.case_id FROM alarms a JOIN cases c ON c.case_id = a.case_id "
            "WHERE a.rule_id = ? AND a.sensor_id = ? AND c.stage = 'handled' "
            "ORDER BY a.opened_at DESC LIMIT 1",
            [event.rule_id, event.sensor_id],
        )
        if not rows:
            return
        try:
            transition_case(
                self.store,
                rows[0][0],
                "verify_ok",
                actor=f"rule:{event.rule_id}",
                role="admin",
                at=max(event.at, self._last_at(rows[0][0])),
                calendar=self.calendar,
                note="自动核查：传感器读数已恢复正常 (auto-verified: back in range)",
            )
        except CaseError as exc:
            log.info("auto-verify skipped", extra={"case": rows[0][0], "reason": str(exc)})

    def _last_at(self, case_id: str) -> datetime:
        value = self.store.query_value(
            "SELECT max(occurred_at) FROM case_transitions WHERE case_id = ?", [case_id]
        )
        return value if isinstance(value, datetime) else datetime.min

    def _case_report(self, event: AlarmRaised) -> NewReport:
        """The report an alarm makes, placed at its sensor (located already)."""
        sensor = self._sensors[event.sensor_id]
        code = sensor["cell_code"] if isinstance(sensor["cell_code"], str) else None
        return NewReport(
            category_code=str(event.category_code),
            lon=_float(sensor["lon"]),
            lat=_float(sensor["lat"]),
            at=event.at,
            source="iot",
            actor=f"rule:{event.rule_id}",
            role="operator",
            text=f"传感器 {event.sensor_id} 告警：规则 {event.rule_id}，读数 {event.value:g}",
            reporter=event.sensor_id,
            external_id=f"alarm:{alarm_id(event)}",
            exercise=event.exercise,
            note="raised by a sensor rule",
            cell_code=code,
            grid_version=_int(sensor["grid_version"]) if code else None,
        )

    def _write(self, tx: WriteTx, out: AlarmPass) -> None:
        open_pairs = {
            (r[0], r[1])
            for r in tx.fetch("SELECT rule_id, sensor_id FROM alarms WHERE cleared_at IS NULL")
        }
        fresh = [e for e in out.raised if (e.rule_id, e.sensor_id) not in open_pairs]
        # the alarm's case is born through the one case builder, like a report from anywhere
        with_case = [e for e in fresh if e.category_code]
        batch = prepare_cases(
            self.store,
            [self._case_report(e) for e in with_case],
            unknown_category="flag",
            tz=str(self.calendar.tz),
        )
        written = write_cases(tx, batch)
        case_of = {
            r.external_id: cid
            for r, cid in zip(batch.reports, written.case_ids, strict=True)
            if cid is not None
        }
        replayed = [f"alarm:{alarm_id(e)}" for e in with_case]
        replayed = [x for x in replayed if x not in case_of]
        if replayed:  # made by an earlier pass: the alarm points at that case
            case_of.update(
                tx.fetch(
                    "SELECT external_id, case_id FROM cases WHERE list_contains(?, external_id)",
                    [replayed],
                )
            )
        if fresh:
            tx.append(
                "alarms",
                pd.DataFrame(
                    {
                        "alarm_id": [alarm_id(e) for e in fresh],
                        "rule_id": [e.rule_id for e in fresh],
                        "sensor_id": [e.sensor_id for e in fresh],
                        "opened_at": [e.at for e in fresh],
                        "level": [e.level for e in fresh],
                        "value": [float(e.value) for e in fresh],
                        "case_id": [case_of.get(f"alarm:{alarm_id(e)}") for e in fresh],
                        "exercise": [e.exercise for e in fresh],
                    }
                ),
                ignore_duplicates=True,
            )
        for event in out.cleared:
            tx.execute(
                "UPDATE alarms SET cleared_at = ?, change_seq = nextval('change_seq') "
                "WHERE rule_id = ? AND sensor_id = ? "
                "AND cleared_at IS NULL",
                [event.at, event.rule_id, event.sensor_id],
            )
        for event in out.verify_due:
            tx.execute(
                "INSERT INTO case_events (case_id, seq, occurred_at, actor, kind, detail) "
                "SELECT a.case_id, coalesce((SELECT max(seq) FROM case_events e "
                "WHERE e.case_id = a.case_id), 0) + 1, ?, 'rules', 'auto_verify_due', ? "
                "FROM alarms a WHERE a.rule_id = ? AND a.sensor_id = ? AND a.case_id IS NOT NULL "
                "ORDER BY a.opened_at DESC LIMIT 1",
                [
                    event.at,
                    f"back in range since rule {event.rule_id}",
                    event.rule_id,
                    event.sensor_id,
                ],
            )


def _float(value: Any) -> float | None:
    try:
        return None if value is None or pd.isna(value) else float(value)
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    try:
        return None if value is None or pd.isna(value) else int(value)
    except (TypeError, ValueError):
        return None


def follow_saved_rules(engine: AlarmEngine) -> bool:
    """Give ``engine`` the rules in force if an administrator saved a new version since it
    last looked (one indexed lookup when nothing changed); True when they changed.

    A version that does not build (it validated when saved; a later check may refuse it) is
    logged and skipped: the engine keeps its rules, or at start takes the shipped file's."""
    version = rules_version(engine.store)
    if version == engine.rules_version:
        return False
    try:
        rules = rules_in_force(engine.store)
    except ValueError:
        log.exception("saved rules version %s not applied", version)
        if engine.rules_version is None:
            engine.use_rules(load_rules(), version=version)
            return True
        engine.rules_version = version
        return False
    engine.use_rules(rules, version=version)
    log.info("sensor rules version %s in force", version, extra={"rules": len(rules)})
    return True
