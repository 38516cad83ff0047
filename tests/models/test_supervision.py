"""督办 on a real store: tiers in working time, once each, and never while the clock is paused."""

import json
from datetime import datetime, timedelta

from models.supervision import DEFAULT_TIERS, supervise
from models.work_calendar import WorkCalendar

CAL = WorkCalendar()
MON_9 = datetime(2026, 11, 23, 1, 0)  # Monday 09:00 local
HOUR = timedelta(hours=1)


def _case(store, case_id, steps, *, limit=2 * HOUR):
    """A case row and its history; ``steps`` = [(action, to_stage, at, data)].

    ``due_at`` and ``sla_limit_s`` as ``models.cases.transition_case`` keeps them: set at
    dispatch and at an approved extension (the remaining clock from then).
    """
    due, total, used, extra = None, None, timedelta(), timedelta()
    running_since = None
    for action, _, at, data in steps:
        if action == "dispatch":
            running_since, used, extra = at, timedelta(), timedelta()
            due, total = CAL.add_working_time(at, limit), limit
        elif action == "request_extension":
            used += CAL.working_time_between(running_since, at)
            running_since = None
        elif action in ("approve_extension", "deny_extension"):
            extra += timedelta(seconds=(data or {}).get("extension", 0))
            running_since = at
            if action == "approve_extension":
                total = limit + extra
                due = CAL.add_working_time(at, total - used)
    stage = steps[-1][1]

    def write(tx):
        tx.execute(
            "INSERT INTO cases (case_id, source, reported_at, stage, due_at, exercise, "
            "sla_limit_s) VALUES (?, 'grid_worker', ?, ?, ?, FALSE, ?)",
            [case_id, steps[0][2], stage, due, int(total.total_seconds()) if total else None],
        )
        prev = None
        for seq, (action, to, at, data) in enumerate(steps, start=1):
            tx.execute(
                "INSERT INTO case_transitions (case_id, seq, occurred_at, actor, role, action, "
                "from_stage, to_stage, data) VALUES (?, ?, ?, 'u', 'dispatcher', ?, ?, ?, ?)",
                [case_id, seq, at, action, prev, to, json.dumps(data) if data else None],
            )
            prev = to

    store.write(write)


def _until_handling(t0):
    return [
        ("report", "reported", t0 - 3 * HOUR, None),
        ("accept", "accepted", t0 - 2.9 * HOUR, None),
        ("register", "registered", t0 - 2.8 * HOUR, None),
        ("dispatch", "dispatched", t0 - 2 * HOUR, {"unit": "SZ"}),
        ("start", "handling", t0 - 1.5 * HOUR, None),
    ]


def _escalations(store):
    return store.query_rows(
        "SELECT case_id, json_extract_string(detail, '$.tier') FROM case_events "
        "WHERE kind = 'escalation' ORDER BY case_id, seq"
    )


def test_supervise_raises_each_tier_once_in_working_time(store):
    _case(store, "late", _until_handling(MON_9))  # dispatched Monday 07:00, due 10:30
    _case(store, "fine", _until_handling(MON_9 + 48 * HOUR))
    _case(store, "done", [*_until_handling(MON_9), ("feedback", "handled", MON_9, None),
                          ("verify_ok", "verified", MON_9, None),
                          ("close", "closed", MON_9, None)])  # fmt: skip
    due = store.query_value("SELECT due_at FROM cases WHERE case_id = 'late'")
    # one working hour late → unit head only
    assert supervise(store, now=CAL.add_working_time(due, HOUR), calendar=CAL) == 1
    assert supervise(store, now=CAL.add_working_time(due, 2 * HOUR), calendar=CAL) == 0
    # 7.5 working hours late: past the department's 7 h
    assert supervise(store, now=CAL.add_working_time(due, 7.5 * HOUR), calendar=CAL) == 1
    assert _escalations(store) == [("late", "unit_head"), ("late", "department")]
    level = store.query_value("SELECT escalation_level FROM cases WHERE case_id = 'late'")
    assert level == "department"


def test_a_paused_clock_is_not_escalated_while_paused(store):
    """Defect 5: an extension requested before the deadline pauses the clock (SPEC §2.3)."""
    steps = _until_handling(MON_9)
    dispatched = steps[3][2]
    asked = CAL.add_working_time(dispatched, 1.5 * HOUR)  # half an hour before the deadline
    steps.append(
        ("request_extension", "extension_requested", asked, {"reason": "x", "extension": 14400})
    )
    _case(store, "paused", steps)
    due = store.query_value("SELECT due_at FROM cases WHERE case_id = 'paused'")
    assert due < MON_9 + 3 * 24 * HOUR  # the wall-clock deadline is long past below
    for days in (1, 2, 3):
        assert supervise(store, now=MON_9 + days * 24 * HOUR, calendar=CAL) == 0
    assert _escalations(store) == []


def test_clock_resumes_after_the_answer_and_then_escalates(store):
    steps = _until_handling(MON_9)
    asked = CAL.add_working_time(steps[3][2], 1.5 * HOUR)  # 30 min of clock left
    answered = asked + 24 * HOUR
    steps += [
        ("request_extension", "extension_requested", asked, {"reason": "x", "extension": 3600}),
        ("deny_extension", "handling", answered, None),
    ]
    _case(store, "denied", steps)
    # 20 working minutes after the answer: 10 minutes still left
    assert supervise(store, now=CAL.add_working_time(answered, HOUR / 3), calendar=CAL) == 0
    # 40 working minutes after it: 10 minutes over
    assert supervise(store, now=CAL.add_working_time(answered, HOUR * 2 / 3), calendar=CAL) == 1
    assert _escalations(store) == [("denied", "unit_head")]


def test_default_tiers_are_in_order():
    assert [name for name, _ in DEFAULT_TIERS] == ["unit_head", "department", "leader"]


def test_a_row_without_sla_limit_uses_its_category_limit(store):
    from models.categories import seed_categories

    seed_categories(store)  # 0101 manhole cover: 2 working hours
    _case(store, "old", _until_handling(MON_9))
    store.write(
        lambda tx: tx.execute(
            "UPDATE cases SET sla_limit_s = NULL, category_code = '0101' WHERE case_id = 'old'"
        )
    )
    due = store.query_value("SELECT due_at FROM cases WHERE case_id = 'old'")
    assert supervise(store, now=CAL.add_working_time(due, HOUR), calendar=CAL) == 1
