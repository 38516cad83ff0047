"""The map at an instant from a tiny real store: cases replayed from their history, SLA
colours, scope limits and the change cursor's ``since_seq``."""

from datetime import datetime, timedelta

import pandas as pd
import pytest

from models.categories import seed_categories
from models.map_state import case_counts_by_cell, cases_at, current_change_seq, kpis_at
from models.map_state.working_time import WorkingTable
from models.security import Scope
from models.store import Store
from models.work_calendar import WorkCalendar

CAL = WorkCalendar()
CELL_A = "445102001001001"  # district 445102
CELL_B = "445103001001001"  # district 445103
# Tuesday 24 Nov 2026; 01:00 UTC is 09:00 in Shanghai (working time)
T0 = datetime(2026, 11, 24, 1, 0)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "m.duckdb")
    seed_categories(s)
    yield s
    s.close()


def _limit_h(store, code):
    value, unit = store.query_rows(
        "SELECT limit_value, limit_unit FROM categories WHERE category_code = ?", [code]
    )[0]
    return value * (7 if unit == "working_days" else 1)


def _case(store, case_id, cell, steps, *, category="0101", exercise=False):
    """A case row and its history: ``steps`` = [(action, to_stage, at, data_json)]."""
    stage = steps[-1][1]
    reported = steps[0][2]
    closed = steps[-1][2] if stage in ("closed", "void") else None
    dispatch = [s[2] for s in steps if s[0] == "dispatch"]
    limit = timedelta(hours=_limit_h(store, category))
    due = CAL.add_working_time(dispatch[-1], limit) if dispatch else None

    def write(tx):
        tx.execute(
            "INSERT INTO cases (case_id, source, category_code, lon, lat, reported_at, cell_code, "
            "district_code, street_code, exercise, stage, due_at, closed_at, sla_limit_s) "
            "VALUES (?, 'grid_worker', ?, 116.6, 23.6, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [case_id, category, reported, cell, cell[:6], cell[:9], exercise, stage, due, closed,
             int(limit.total_seconds())],
        )  # fmt: skip
        prev = None
        for seq, (action, to, at, data) in enumerate(steps, start=1):
            tx.execute(
                "INSERT INTO case_transitions (case_id, seq, occurred_at, actor, action, "
                "from_stage, to_stage, data) VALUES (?, ?, ?, 'x', ?, ?, ?, ?)",
                [case_id, seq, at, action, prev, to, data],
            )
            prev = to

    store.write(write)


def _walk(t0):
    h = timedelta(hours=1)
    return [
        ("report", "reported", t0, None),
        ("accept", "accepted", t0 + 0.1 * h, None),
        ("register", "registered", t0 + 0.2 * h, None),
        ("dispatch", "dispatched", t0 + 0.5 * h, None),
        ("start", "handling", t0 + 1 * h, None),
        ("feedback", "handled", t0 + 2 * h, None),
        ("verify_ok", "verified", t0 + 2.5 * h, None),
        ("close", "closed", t0 + 3 * h, None),
    ]


def test_working_table_agrees_with_the_calendar():
    a = pd.to_datetime(["2026-11-24 01:00", "2026-11-27 07:00", "2026-09-30 08:00"])
    b = pd.to_datetime(["2026-11-24 05:30", "2026-12-01 02:00", "2026-10-09 03:00"])
    table = WorkingTable.spanning(CAL, a.to_numpy(), b.to_numpy())
    got = table.seconds_between(a.to_numpy(), b.to_numpy())
    want = [CAL.working_time_between(x, y).total_seconds() for x, y in zip(a, b, strict=True)]
    assert got.tolist() == pytest.approx(want)
    added = table.add(a.to_numpy(), [3600.0 * 5, 3600.0 * 7, 60.0])
    spans = [timedelta(hours=5), timedelta(hours=7), timedelta(minutes=1)]
    want_added = [CAL.add_working_time(x, d) for x, d in zip(a, spans, strict=True)]
    assert list(pd.to_datetime(added)) == want_added


def test_a_case_replayed_before_during_and_after(store):
    _case(store, "C1", CELL_A, _walk(T0))
    city = Scope("city")
    assert cases_at(store, city, at=T0 - timedelta(minutes=1), calendar=CAL).empty
    reported = cases_at(store, city, at=T0 + timedelta(minutes=3), calendar=CAL)
    assert reported["stage"].tolist() == ["reported"]
    assert reported["sla"].tolist() == ["none"] and reported["time_left_h"].isna().all()
    handling = cases_at(store, city, at=T0 + timedelta(hours=1.5), calendar=CAL).iloc[0]
    assert handling["stage"] == "handling" and handling["open"]
    assert handling["due_at"] == CAL.add_working_time(
        T0 + timedelta(hours=0.5), timedelta(hours=_limit_h(store, "0101"))
    )
    assert handling["sla"] == "green" and handling["time_left_h"] > 0
    assert cases_at(store, city, at=T0 + timedelta(hours=4), calendar=CAL).empty
    # the live picture equals the table: closed now, so nothing on the map
    assert cases_at(store, city, at=T0 + timedelta(days=1), calendar=CAL).empty


def test_sla_colours_at_chosen_instants(store):
    # an urgent-limit case would need a short category; use the limit we have and move `at`
    limit = timedelta(hours=_limit_h(store, "0101"))
    walk = _walk(T0)[:5]  # dispatched at T0+0.5h, handling from T0+1h, never fed back
    _case(store, "C2", CELL_A, walk)
    dispatched = T0 + timedelta(hours=0.5)

    def colour(used):
        at = CAL.add_working_time(dispatched, used)
        return cases_at(store, Scope("city"), at=at, calendar=CAL).iloc[0]

    assert colour(limit * 0.5)["sla"] == "green"
    yellow = colour(limit * 0.85)
    assert yellow["sla"] == "yellow" and yellow["time_left_h"] == pytest.approx(
        limit.total_seconds() * 0.15 / 3600
    )
    red = colour(limit + timedelta(hours=1))
    assert red["sla"] == "red" and red["time_left_h"] == pytest.approx(-1.0)
    counts = case_counts_by_cell(store, Scope("city"), at=CAL.add_working_time(
        dispatched, limit * 2), calendar=CAL)  # fmt: skip
    assert counts.to_dict("records") == [{"cell_code": CELL_A, "open_cases": 1, "overdue": 1}]


def test_escalation_at_an_instant_makes_the_case_escalated(store):
    _case(store, "C3", CELL_A, _walk(T0)[:5], category="0310")  # 1 working day: not urgent
    _case(store, "C4", CELL_A, _walk(T0)[:5])  # 0101, a few working hours: urgent
    at_escalation = T0 + timedelta(days=3)
    store.write(
        lambda tx: tx.execute(
            "INSERT INTO case_events VALUES ('C3', 1, ?, 'supervision', 'escalation', "
            '\'{"tier": "unit_head"}\')',
            [at_escalation],
        )
    )
    before = cases_at(store, Scope("city"), at=at_escalation - timedelta(hours=1), calendar=CAL)
    after = cases_at(store, Scope("city"), at=at_escalation, calendar=CAL)
    assert before.iloc[0]["escalation_level"] == 0 and before.iloc[0]["severity"] == "normal"
    assert after.iloc[0]["escalation_level"] == 1 and after.iloc[0]["severity"] == "escalated"
    assert before.iloc[1]["case_id"] == "C4" and before.iloc[1]["severity"] == "urgent"


def test_a_district_sees_only_its_district(store):
    _case(store, "CA", CELL_A, _walk(T0)[:2])
    _case(store, "CB", CELL_B, _walk(T0)[:2])
    at = T0 + timedelta(hours=1)
    assert cases_at(store, Scope("district", ("445102",)), at=at, calendar=CAL)[
        "case_id"
    ].tolist() == ["CA"]
    assert sorted(cases_at(store, Scope("city"), at=at, calendar=CAL)["case_id"]) == ["CA", "CB"]


def test_since_seq_returns_exactly_the_changed_rows_closed_ones_included(store):
    _case(store, "C5", CELL_A, _walk(T0)[:5])
    _case(store, "C6", CELL_A, _walk(T0)[:5])
    cursor = current_change_seq(store)
    assert cursor > 0
    now = T0 + timedelta(hours=5)
    assert cases_at(store, Scope("city"), at=now, calendar=CAL, since_seq=cursor).empty
    # close C6 the way transition_case does: stage, closed_at and the cursor together
    store.write(
        lambda tx: tx.execute(
            "UPDATE cases SET stage = 'void', closed_at = ?, change_seq = nextval('change_seq') "
            "WHERE case_id = 'C6'",
            [now - timedelta(hours=1)],
        )
    )
    store.write(
        lambda tx: tx.execute(
            "INSERT INTO case_transitions (case_id, seq, occurred_at, actor, action, from_stage, "
            "to_stage) VALUES ('C6', 6, ?, 'x', 'void', 'handling', 'void')",
            [now - timedelta(hours=1)],
        )
    )
    changed = cases_at(store, Scope("city"), at=now, calendar=CAL, since_seq=cursor)
    assert changed["case_id"].tolist() == ["C6"]
    assert changed["open"].tolist() == [False] and changed["sla"].tolist() == ["none"]
    assert current_change_seq(store) > cursor
    assert cases_at(store, Scope("city"), at=now, calendar=CAL)["case_id"].tolist() == ["C5"]


def test_kpis_leave_exercises_out_and_count_today(store):
    _case(store, "K1", CELL_A, _walk(T0))  # reported and closed today
    _case(store, "K2", CELL_A, _walk(T0)[:5])  # reported today, open
    _case(store, "K3", CELL_A, _walk(T0)[:5], exercise=True)
    at = T0 + timedelta(hours=4)
    k = kpis_at(store, Scope("city"), at=at, tz="Asia/Shanghai", calendar=CAL)
    assert k["cases_today"] == 2 and k["open_cases"] == 1 and k["closure_rate"] == 0.5
    # K2 used 2.5 working hours (09:30-12:00 local) of 0101's 2: red; the exercise too, unseen
    assert k["overdue"] == 1 and k["active_incidents"] == 0
    assert k["aqi"] is None and k["congestion_index"] is None
    assert k["exercise_active"] is False  # the exercise case was reported 4 h ago
    k_early = kpis_at(store, Scope("city"), at=T0 + timedelta(minutes=30), tz="Asia/Shanghai",
                      calendar=CAL)  # fmt: skip
    assert k_early["exercise_active"] is True


def test_unit_and_rework_of_a_replayed_case_are_those_of_the_instant(store):
    """Issue 9 defect 13, at its source: unit and rework count derived up to ``at``."""
    h = timedelta(hours=1)
    _case(store, "R1", CELL_A, [
        ("report", "reported", T0, None),
        ("accept", "accepted", T0 + 0.1 * h, None),
        ("register", "registered", T0 + 0.2 * h, None),
        ("dispatch", "dispatched", T0 + 0.5 * h, '{"unit": "U1"}'),
        ("return", "returned", T0 + 1 * h, '{"reason": "not ours"}'),
        ("dispatch", "dispatched", T0 + 2 * h, '{"unit": "U2"}'),
        ("start", "handling", T0 + 2.5 * h, None),
        ("feedback", "handled", T0 + 3 * h, None),
        ("verify_fail", "rework", T0 + 3.5 * h, None),
    ])  # fmt: skip
    _case(store, "R2", CELL_A, _walk(T0))  # closed at T0 + 3 h

    def write(tx):
        tx.execute("UPDATE cases SET assigned_unit = 'U2', rework_count = 1 WHERE case_id = 'R1'")
        tx.execute(
            "INSERT INTO case_events VALUES ('R1', 1, ?, 'routing', 'route_suggested', "
            '\'{"unit": "U0"}\')',
            [T0],
        )

    store.write(write)
    city = Scope("city")

    def row(at, case_id="R1"):
        return cases_at(store, city, at=at, calendar=CAL, case_ids=[case_id]).iloc[0]

    assert (row(T0 + 0.3 * h)["assigned_unit"], row(T0 + 0.3 * h)["rework_count"]) == ("U0", 0)
    first = row(T0 + 0.7 * h)
    assert first["assigned_unit"] == "U1" and first["rework_count"] == 0
    assert first["due_at"] == CAL.add_working_time(T0 + 0.5 * h, h * _limit_h(store, "0101"))
    last = row(T0 + 4 * h)
    assert (last["assigned_unit"], last["rework_count"], last["stage"]) == ("U2", 1, "rework")
    closed = row(T0 + 5 * h, "R2")  # a card asks for a closed case too
    assert closed["stage"] == "closed" and not closed["open"] and closed["sla"] == "none"
    assert closed["due_at"] == CAL.add_working_time(T0 + 0.5 * h, h * _limit_h(store, "0101"))
    assert cases_at(store, city, at=T0 - h, calendar=CAL, case_ids=["R1"]).empty
    assert cases_at(store, city, at=T0 + 5 * h, calendar=CAL)["case_id"].tolist() == ["R1"]


def test_replay_before_a_denied_extension_shows_the_deadline_of_then(store):
    walk = _walk(T0)[:5]  # dispatched at T0+0.5h (09:30 local), handling from T0+1h
    asked, answered = T0 + timedelta(hours=1.5), T0 + timedelta(days=1)
    walk += [
        ("request_extension", "extension_requested", asked, '{"extension": 3600}'),
        ("deny_extension", "handling", answered, None),
    ]
    _case(store, "C9", CELL_A, walk)
    limit = timedelta(hours=_limit_h(store, "0101"))
    dispatched = T0 + timedelta(hours=0.5)
    used = CAL.working_time_between(dispatched, asked)
    later = CAL.add_working_time(answered, limit - used)  # as models.cases stores it now
    store.write(lambda tx: tx.execute("UPDATE cases SET due_at = ? WHERE case_id = 'C9'", [later]))
    before = cases_at(store, Scope("city"), at=T0 + timedelta(hours=1.2), calendar=CAL).iloc[0]
    assert before["due_at"] == CAL.add_working_time(dispatched, limit)
    now = cases_at(store, Scope("city"), at=answered + timedelta(minutes=5), calendar=CAL)
    assert now.iloc[0]["due_at"] == later


def test_sla_turned_finds_running_clocks_crossing_and_skips_paused_ones(store):
    from models.map_state.sla_clock import sla_turned

    _case(store, "RUN", CELL_A, _walk(T0)[:5])
    paused = [*_walk(T0)[:5], ("request_extension", "extension_requested",
                               T0 + timedelta(hours=1.5), '{"extension": 3600}')]  # fmt: skip
    _case(store, "PAUSED", CELL_B, paused)
    store.write(lambda tx: tx.execute(
        "UPDATE cases SET due_at = (SELECT due_at FROM cases WHERE case_id = 'RUN')"))  # fmt: skip
    due = store.query_value("SELECT due_at FROM cases WHERE case_id = 'RUN'")
    city = Scope("city")

    def turned(a, b):
        return sla_turned(store, city, after=a, until=b, calendar=CAL)["case_id"].tolist()

    assert turned(due - timedelta(minutes=1), CAL.add_working_time(due, timedelta(minutes=1))) == [
        "RUN"
    ]
    assert turned(due + timedelta(hours=2), due + timedelta(hours=3)) == []  # red already
    assert turned(T0 + timedelta(hours=0.6), T0 + timedelta(hours=0.7)) == []  # still green
    only_b = sla_turned(store, Scope("district", ("445103",)), after=due - timedelta(minutes=1),
                        until=due + timedelta(hours=1), calendar=CAL)  # fmt: skip
    assert only_b.empty
