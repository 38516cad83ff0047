"""The wall's peacetime / emergency mode (平战结合)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from models.emergency.wall_mode import decide, levels_at_or_above, set_wall_mode, wall_mode
from models.store import Store

T0 = datetime(2026, 11, 24, 2, 0)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "w.duckdb")
    yield s
    s.close()


def _incident(store: Store, ident: str, level: str, *, closed: datetime | None = None,
              exercise: bool = False) -> None:  # fmt: skip
    store.write(
        lambda tx: tx.execute(
            "INSERT INTO incidents (incident_id, incident_type, level, title, lon, lat, status, "
            "exercise, opened_at, closed_at) VALUES (?, 'flood', ?, ?, 116.6, 23.6, ?, ?, ?, ?)",
            [ident, level, f"incident {ident}", "closed" if closed else "active", exercise, T0,
             closed],
        )
    )  # fmt: skip


def test_levels_and_the_decision_table() -> None:
    assert levels_at_or_above("III") == ("I", "II", "III")
    assert levels_at_or_above("I") == ("I",)
    assert decide("auto", 0) == (False, None)
    assert decide("auto", 2) == (True, "incident")
    assert decide("war", 0) == (True, "operator")
    assert decide("peace", 1) == (False, "operator")
    assert decide("peace", 0) == (False, None)


def test_a_level_iii_incident_switches_the_wall_and_closing_it_switches_back(store) -> None:
    now = T0 + timedelta(hours=1)
    assert not wall_mode(store, level="III", now=now).war
    _incident(store, "A", "IV")
    assert not wall_mode(store, level="III", now=now).war  # a level IV is handled in peacetime
    _incident(store, "B", "III", exercise=True)  # a drill drills the switch too
    _incident(store, "C", "II", closed=T0 + timedelta(minutes=30))
    mode = wall_mode(store, level="III", now=now)
    assert mode.war and mode.reason == "incident"
    assert [i["incident_id"] for i in mode.incidents] == ["B"]
    # replayed at a moment when C was still open: gravest first
    past = wall_mode(store, level="III", now=now, at=T0 + timedelta(minutes=10))
    assert [i["incident_id"] for i in past.incidents] == ["C", "B"]
    store.write(
        lambda tx: tx.execute(
            "UPDATE incidents SET status = 'closed', closed_at = ? WHERE incident_id = 'B'",
            [now - timedelta(minutes=1)],
        )
    )
    assert not wall_mode(store, level="III", now=now).war


def test_the_operator_switch_wins_and_is_audited(store) -> None:
    now = T0 + timedelta(hours=1)
    store.write(lambda tx: set_wall_mode(tx, "war", actor="op1", now=now))
    mode = wall_mode(store, level="III", now=now)
    assert mode.war and mode.reason == "operator" and mode.set_by == "op1"
    _incident(store, "B", "I")
    store.write(lambda tx: set_wall_mode(tx, "peace", actor="op2", now=now))
    mode = wall_mode(store, level="III", now=now)
    assert not mode.war and mode.reason == "operator" and len(mode.incidents) == 1
    # a replay shows what the incidents say, not today's switch
    assert wall_mode(store, level="III", now=now, at=now).war
    store.write(lambda tx: set_wall_mode(tx, "auto", actor="op2", now=now))
    assert wall_mode(store, level="III", now=now).war
    assert store.query_value("SELECT count(*) FROM audit_log WHERE action = 'wall_mode'") == 3
    with pytest.raises(ValueError):
        store.write(lambda tx: set_wall_mode(tx, "battle", actor="op1", now=now))
