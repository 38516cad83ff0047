from datetime import datetime, timedelta

import pandas as pd

from models.supervision import DEFAULT_TIERS, due_escalations, supervise
from models.work_calendar import WorkCalendar

CAL = WorkCalendar()
MON_9 = datetime(2026, 11, 23, 1, 0)  # Monday 09:00 local


def test_tiers_fire_in_order_once_each():
    assert due_escalations(timedelta(minutes=1), DEFAULT_TIERS, set()) == ["unit_head"]
    assert due_escalations(timedelta(hours=8), DEFAULT_TIERS, {"unit_head"}) == ["department"]
    assert due_escalations(timedelta(hours=30), DEFAULT_TIERS, set()) == [
        "unit_head",
        "department",
        "leader",
    ]
    assert due_escalations(timedelta(0), DEFAULT_TIERS, set()) == []  # due now is not late


def _case(store, case_id, stage, due_at):
    store.append(
        "cases",
        pd.DataFrame(
            {
                "case_id": [case_id],
                "source": ["grid_worker"],
                "reported_at": [MON_9 - timedelta(days=1)],
                "stage": [stage],
                "due_at": [due_at],
                "exercise": [False],
            }
        ),
    )


def test_supervise_raises_each_tier_once_in_working_time(store):
    _case(store, "late", "handling", MON_9)  # due Monday 09:00
    _case(store, "fine", "handling", MON_9 + timedelta(days=2))
    _case(store, "done", "closed", MON_9 - timedelta(days=3))
    # Monday 10:00: one working hour late → unit head only
    assert supervise(store, now=MON_9 + timedelta(hours=1), calendar=CAL) == 1
    assert supervise(store, now=MON_9 + timedelta(hours=2), calendar=CAL) == 0  # not twice
    # Tuesday 10:00 local: 09:00-12:00 + 14:00-17:30 Monday + 1 h Tuesday = 7.5 working h
    assert supervise(store, now=MON_9 + timedelta(days=1, hours=1), calendar=CAL) == 1
    events = store.query_rows("SELECT case_id, seq, kind FROM case_events ORDER BY case_id, seq")
    assert events == [("late", 1, "escalation"), ("late", 2, "escalation")]
    assert (
        store.query_value("SELECT escalation_level FROM cases WHERE case_id = 'late'")
        == "department"
    )
