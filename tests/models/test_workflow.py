from datetime import datetime, timedelta

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from models.sla import escalations_due, sla_elapsed, sla_status
from models.workflow import (
    ACTIONS,
    STAGE_LABELS,
    STAGES,
    WORKFLOW_ROLES,
    CaseState,
    Transition,
    TransitionError,
    allowed_actions,
    apply,
    fold,
)

T0 = datetime(2026, 3, 2, 9, 0)  # a Monday
H = timedelta(hours=1)


def wall(a: datetime, b: datetime) -> timedelta:
    return b - a


def office_hours(a: datetime, b: datetime) -> timedelta:
    """Toy working time: Mon-Fri 09:00-17:00."""
    total = timedelta()
    day = a.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < b:
        if day.weekday() < 5:
            lo, hi = max(a, day.replace(hour=9)), min(b, day.replace(hour=17))
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total


# Written out from SPEC §2.3 independently of models.workflow.ACTIONS.
EXPECTED_EDGES = {
    ("report", None): "reported",
    ("accept", "reported"): "accepted",
    ("register", "accepted"): "registered",
    ("void", "reported"): "void",
    ("void", "accepted"): "void",
    ("dispatch", "registered"): "dispatched",
    ("dispatch", "returned"): "dispatched",
    ("start", "dispatched"): "handling",
    ("return", "dispatched"): "returned",
    ("feedback", "handling"): "handled",
    ("feedback", "rework"): "handled",
    ("verify_ok", "handled"): "verified",
    ("verify_fail", "handled"): "rework",
    ("close", "verified"): "closed",
    ("request_extension", "handling"): "extension_requested",
    ("approve_extension", "extension_requested"): "handling",
    ("deny_extension", "extension_requested"): "handling",
    # re-categorising keeps the stage: before dispatch, or once the unit returned the case
    ("recategorise", "reported"): "reported",
    ("recategorise", "accepted"): "accepted",
    ("recategorise", "registered"): "registered",
    ("recategorise", "returned"): "returned",
    # a duplicate is merged into the case it repeats, before dispatch (issue 11)
    ("merge", "reported"): "void",
    ("merge", "accepted"): "void",
    ("merge", "registered"): "void",
    # 督办 by hand keeps the stage of a case that is with a unit (issue 11)
    ("supervise", "dispatched"): "dispatched",
    ("supervise", "handling"): "handling",
    ("supervise", "handled"): "handled",
    ("supervise", "rework"): "rework",
    ("supervise", "extension_requested"): "extension_requested",
    ("supervise", "returned"): "returned",
}
DATA = {
    "void": {"reason": "duplicate"},
    "dispatch": {"unit": "市政"},
    "return": {"reason": "wrong unit"},
    "request_extension": {"reason": "parts", "extension": 4 * H},
    "recategorise": {"category": "0202", "reason": "a broken lamp, not litter"},
    "merge": {"into": "C20261207-000001"},
}
ROLE_FOR = {
    "report": "grid_worker",
    "accept": "dispatcher",
    "register": "dispatcher",
    "void": "dispatcher",
    "dispatch": "dispatcher",
    "start": "handler",
    "return": "handler",
    "feedback": "handler",
    "verify_ok": "grid_worker",
    "verify_fail": "grid_worker",
    "close": "dispatcher",
    "request_extension": "handler",
    "approve_extension": "dispatcher",
    "deny_extension": "dispatcher",
    "recategorise": "dispatcher",
    "merge": "dispatcher",
    "supervise": "leader",
}
PATH_TO = {
    None: [],
    "reported": ["report"],
    "accepted": ["report", "accept"],
    "registered": ["report", "accept", "register"],
    "void": ["report", "void"],
    "dispatched": ["report", "accept", "register", "dispatch"],
    "returned": ["report", "accept", "register", "dispatch", "return"],
    "handling": ["report", "accept", "register", "dispatch", "start"],
    "extension_requested": [
        "report",
        "accept",
        "register",
        "dispatch",
        "start",
        "request_extension",
    ],
    "handled": ["report", "accept", "register", "dispatch", "start", "feedback"],
    "rework": ["report", "accept", "register", "dispatch", "start", "feedback", "verify_fail"],
    "verified": ["report", "accept", "register", "dispatch", "start", "feedback", "verify_ok"],
    "closed": [
        "report",
        "accept",
        "register",
        "dispatch",
        "start",
        "feedback",
        "verify_ok",
        "close",
    ],
}


def run(actions, *, start=T0, gap=H, history=()):
    history = list(history)
    at = history[-1].at if history else start
    for name in actions:
        if history:
            at = at + gap
        history.append(
            apply(history, name, actor="u1", role=ROLE_FOR[name], at=at, **DATA.get(name, {}))
        )
    return history


def test_table_matches_spec_and_labels_cover_every_stage():
    edges = {(a.name, s): a.target_from(s) for a in ACTIONS.values() for s in a.sources}
    assert edges == EXPECTED_EDGES
    assert set().union(*(a.roles for a in ACTIONS.values())) <= set(WORKFLOW_ROLES)
    assert all("admin" in a.roles for a in ACTIONS.values())
    assert set(STAGES) == set(PATH_TO) - {None}
    assert STAGE_LABELS["closed"] == ("结案", "Closed")
    assert STAGE_LABELS["extension_requested"][0] == "延期申请"


def test_happy_path():
    history = run(PATH_TO["closed"])
    state = fold(history)
    assert state.stage == "closed"
    assert [t.to_stage for t in history] == [
        "reported",
        "accepted",
        "registered",
        "dispatched",
        "handling",
        "handled",
        "verified",
        "closed",
    ]
    assert [t.seq for t in history] == list(range(1, 9))
    assert history[0].from_stage is None and history[1].from_stage == "reported"
    assert state.unit == "市政" and state.dispatched_at == T0 + 3 * H
    assert state.closed_at == T0 + 7 * H and state.reported_at == T0
    assert state.rework_count == 0 and state.returns == 0
    assert allowed_actions(state) == []


@pytest.mark.parametrize("stage", list(PATH_TO))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_stage_by_every_action(stage, action):
    history = run(PATH_TO[stage])
    assert fold(history).stage == stage
    at = (history[-1].at if history else T0) + H
    kwargs = dict(actor="u1", role="admin", at=at, **DATA.get(action, {}))
    if (action, stage) in EXPECTED_EDGES:
        t = apply(history, action, **kwargs)
        assert (t.from_stage, t.to_stage) == (stage, EXPECTED_EDGES[(action, stage)])
    else:
        with pytest.raises(TransitionError, match="cannot"):
            apply(history, action, **kwargs)


def test_illegal_message_lists_allowed_actions():
    history = run(PATH_TO["handling"])
    with pytest.raises(TransitionError) as err:
        apply(history, "close", actor="d", role="dispatcher", at=T0 + 9 * H)
    msg = str(err.value)
    assert "cannot close a case in stage handling" in msg
    assert msg.endswith("allowed actions: feedback, request_extension, supervise")


@pytest.mark.parametrize(
    ("stage", "action", "role"),
    [
        ("verified", "close", "grid_worker"),
        ("verified", "close", "handler"),
        ("handled", "verify_ok", "dispatcher"),
        ("handled", "verify_fail", "handler"),
        ("dispatched", "start", "grid_worker"),
        ("reported", "accept", "operator"),
        ("registered", "dispatch", "leader"),
        ("extension_requested", "approve_extension", "handler"),
        ("handling", "request_extension", "emergency"),
        ("reported", "accept", "nobody"),
        ("reported", "recategorise", "grid_worker"),
        ("returned", "recategorise", "handler"),
    ],
)
def test_role_refused(stage, action, role):
    history = run(PATH_TO[stage])
    kwargs = dict(actor="x", at=history[-1].at + H, **DATA.get(action, {}))
    with pytest.raises(TransitionError, match=f"role '{role}' may not {action}"):
        apply(history, action, role=role, **kwargs)
    assert apply(history, action, role="admin", **kwargs).to_stage  # admin may do everything


@pytest.mark.parametrize(
    ("stage", "action", "data", "match"),
    [
        ("reported", "void", {}, "void requires reason"),
        ("reported", "void", {"reason": "bored"}, "void reason must be one of"),
        ("registered", "dispatch", {}, "dispatch requires unit"),
        ("registered", "dispatch", {"unit": "  "}, "dispatch requires unit"),
        ("dispatched", "return", {}, "return requires reason"),
        ("handling", "request_extension", {"extension": H}, "requires reason"),
        ("handling", "request_extension", {"reason": "x"}, "requires extension"),
        ("handling", "request_extension", {"reason": "x", "extension": -H}, "positive"),
        ("registered", "dispatch", {"unit": "u", "colour": "red"}, "takes no colour"),
        ("reported", "recategorise", {"category": "0202"}, "recategorise requires reason"),
        ("accepted", "recategorise", {"reason": "x"}, "recategorise requires category"),
    ],
)
def test_missing_or_bad_data(stage, action, data, match):
    history = run(PATH_TO[stage])
    with pytest.raises(TransitionError, match=match):
        apply(history, action, actor="x", role="admin", at=history[-1].at + H, **data)


@pytest.mark.parametrize("stage", ["closed", "void"])
def test_extension_on_a_finished_case(stage):
    history = run(PATH_TO[stage])
    with pytest.raises(TransitionError, match=f"on a {stage} case"):
        apply(
            history,
            "request_extension",
            actor="h",
            role="handler",
            at=history[-1].at + H,
            reason="late",
            extension=H,
        )


def test_time_going_backwards_and_apply_does_not_mutate():
    history = run(PATH_TO["dispatched"])
    before = list(history)
    with pytest.raises(TransitionError, match="backwards"):
        apply(history, "start", actor="h", role="handler", at=history[-1].at - timedelta(seconds=1))
    t = apply(
        history, "start", actor="h", role="handler", at=history[-1].at
    )  # same instant is fine
    assert history == before and t.seq == len(history) + 1
    state = fold(history)
    apply(state, "start", actor="h", role="handler", at=history[-1].at + H)
    assert state == fold(history)


def test_rework_counting():
    history = run(PATH_TO["handled"])
    history = run(
        ["verify_fail", "feedback", "verify_fail", "feedback", "verify_ok", "close"],
        history=history,
    )
    state = fold(history)
    assert state.rework_count == 2 and state.stage == "closed"
    assert [t.to_stage for t in history[-6:]] == [
        "rework",
        "handled",
        "rework",
        "handled",
        "verified",
        "closed",
    ]


def test_return_then_redispatch_restarts_the_clock():
    history = run(PATH_TO["returned"], gap=H)  # dispatched at T0+3h, returned at T0+4h
    state = fold(history)
    assert state.returns == 1 and state.unit is None
    assert sla_elapsed(state, now=T0 + 10 * H, working_time_between=wall) == timedelta()
    history = run(["dispatch"], history=history, gap=2 * H)  # re-dispatched at T0+6h
    state = fold(history)
    assert state.dispatched_at == T0 + 6 * H
    assert sla_elapsed(state, now=T0 + 7 * H, working_time_between=wall) == H


def test_pending_extension_pauses_the_clock_and_denial_resumes_it():
    history = run(PATH_TO["extension_requested"], gap=H)  # dispatch 3h, start 4h, request 5h
    state = fold(history)
    assert state.pending_extension == 4 * H
    assert sla_elapsed(state, now=T0 + 5 * H, working_time_between=wall) == 2 * H
    assert sla_elapsed(state, now=T0 + 50 * H, working_time_between=wall) == 2 * H
    assert sla_elapsed(state, now=T0 + 4 * H, working_time_between=wall) == H  # a past `now`
    history = run(["deny_extension"], history=history, gap=3 * H)  # resumes at 8h
    state = fold(history)
    assert state.stage == "handling" and state.extra_time == timedelta()
    assert sla_elapsed(state, now=T0 + 10 * H, working_time_between=wall) == 4 * H


def test_approved_extension_adds_time():
    history = run([*PATH_TO["extension_requested"], "approve_extension"], gap=H)
    state = fold(history)
    assert history[-1].data["extension"] == 4 * H
    assert state.extensions == (4 * H,) and state.extra_time == 4 * H
    status = sla_status(state, limit=2 * H, now=T0 + 8 * H, working_time_between=wall)
    # clock ran 3h-5h and 6h-8h: 4h used of 2h + 4h
    assert status.used == 4 * H and status.limit == 6 * H and status.left == 2 * H
    partial = apply(
        history[:-1], "approve_extension", actor="d", role="dispatcher", at=T0 + 6 * H, extension=H
    )
    assert fold([*history[:-1], partial]).extra_time == H


def test_sla_levels_at_the_boundaries():
    state = fold(run(PATH_TO["handling"], gap=H))  # dispatched at T0+3h
    d = T0 + 3 * H
    limit = 10 * H

    def level(now):
        return sla_status(state, limit=limit, now=now, working_time_between=wall)

    assert level(d + 8 * H - timedelta(seconds=1)).level == "green"
    assert level(d + 8 * H).level == "yellow" and level(d + 8 * H).fraction == pytest.approx(0.8)
    assert level(d + 10 * H).level == "yellow" and level(d + 10 * H).left == timedelta()
    over = level(d + 10 * H + timedelta(seconds=1))
    assert over.level == "red" and over.overdue and over.left == -timedelta(seconds=1)
    with pytest.raises(ValueError):
        sla_status(state, limit=timedelta(), now=d, working_time_between=wall)


def test_office_hours_clock_and_closed_case_freezes():
    # dispatched Monday 12:00, closed Tuesday 11:00 -> 5h + 2h working time
    history = run(PATH_TO["closed"], start=T0, gap=H)
    history = history[:4]  # report..dispatch at 09..12
    history = run(["start", "feedback", "verify_ok"], history=history, gap=H)  # 13, 14, 15
    history.append(
        apply(history, "close", actor="d", role="dispatcher", at=datetime(2026, 3, 3, 11))
    )
    state = fold(history)
    used = sla_elapsed(state, now=datetime(2026, 3, 3, 11), working_time_between=office_hours)
    assert used == 7 * H
    later = sla_status(
        state, limit=8 * H, now=datetime(2026, 3, 20), working_time_between=office_hours
    )
    assert later.used == 7 * H and later.level == "yellow"
    # weekend does not count while open
    open_state = fold(history[:-1])
    friday = datetime(2026, 3, 6, 17)
    assert sla_elapsed(open_state, now=friday, working_time_between=office_hours) == sla_elapsed(
        open_state, now=datetime(2026, 3, 9, 9), working_time_between=office_hours
    )


TIERS = [("unit_head", timedelta()), ("department", 2 * H), ("leader", 6 * H)]


def test_escalation_tiers_fire_once_each_in_order():
    state = fold(run(PATH_TO["handling"], gap=H))  # clock from T0+3h
    limit = 4 * H
    due_at = T0 + 7 * H
    raised: set[str] = set()
    fired = []
    for minutes in range(0, 15 * 60, 30):
        now = due_at + timedelta(minutes=minutes)
        new = escalations_due(
            state, limit=limit, now=now, tiers=TIERS, already=raised, working_time_between=wall
        )
        for name in new:
            fired.append((name, now - due_at))
            raised.add(name)
    assert fired == [("unit_head", timedelta(minutes=30)), ("department", 2 * H), ("leader", 6 * H)]
    assert (
        escalations_due(
            state, limit=limit, now=due_at, tiers=TIERS, already=set(), working_time_between=wall
        )
        == []
    )
    assert escalations_due(
        state,
        limit=limit,
        now=due_at + 7 * H,
        tiers=TIERS,
        already={"department"},
        working_time_between=wall,
    ) == ["unit_head", "leader"]


def test_escalation_stops_for_closed_cases_and_checks_tiers():
    state = fold(run(PATH_TO["closed"], gap=H))
    assert (
        escalations_due(
            state, limit=H, now=T0 + 99 * H, tiers=TIERS, already=set(), working_time_between=wall
        )
        == []
    )
    with pytest.raises(ValueError, match="must not decrease"):
        escalations_due(
            state,
            limit=H,
            now=T0,
            tiers=list(reversed(TIERS)),
            already=set(),
            working_time_between=wall,
        )
    with pytest.raises(ValueError, match="unique"):
        escalations_due(
            state,
            limit=H,
            now=T0,
            tiers=[("a", H), ("a", 2 * H)],
            already=set(),
            working_time_between=wall,
        )


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(sorted(ACTIONS)),
            st.sampled_from(["admin", "dispatcher", "handler", "grid_worker"]),
            st.integers(min_value=0, max_value=600),
            st.integers(min_value=0, max_value=99),
        ),
        min_size=3,
        max_size=40,
    ),
    probes=st.lists(st.integers(min_value=0, max_value=40 * 600), min_size=2, max_size=8),
    office=st.booleans(),
)
def test_random_histories_stay_consistent(steps, probes, office):
    history: list[Transition] = []
    at = T0
    for name, role, minutes, pick in steps:
        at = at + timedelta(minutes=minutes)
        legal = allowed_actions(history)
        if legal and pick % 3:  # two steps in three follow the table, so cases get deep
            name = legal[0] if pick % 3 == 1 else legal[pick % len(legal)]
            role = sorted(ACTIONS[name].roles)[pick % len(ACTIONS[name].roles)]
        try:
            t = apply(history, name, actor="p", role=role, at=at, **DATA.get(name, {}))
        except TransitionError:
            continue
        assert name in allowed_actions(history, role=role)
        history.append(t)
        state = fold(history)
        assert state.stage == history[-1].to_stage == t.to_stage
        assert [x.seq for x in history] == list(range(1, len(history) + 1))
    state = fold(history)
    event(f"last stage {state.stage}")
    assert isinstance(state, CaseState)
    assert state.rework_count == sum(t.action == "verify_fail" for t in history)
    clock = office_hours if office else wall
    elapsed = [
        sla_elapsed(state, now=T0 + timedelta(minutes=m), working_time_between=clock)
        for m in sorted(probes)
    ]
    assert all(a <= b for a, b in zip(elapsed, elapsed[1:], strict=False))
    assert sla_elapsed(state, now=T0, working_time_between=clock) == timedelta()


def test_recategorise_keeps_the_stage_and_records_the_categories():
    history = run(PATH_TO["returned"])
    t = apply(
        history,
        "recategorise",
        actor="d",
        role="dispatcher",
        at=history[-1].at + H,
        category="0202",
        previous="0201",
        reason="a broken lamp, not litter",
    )
    assert (t.from_stage, t.to_stage) == ("returned", "returned")
    assert dict(t.data) == {
        "category": "0202",
        "previous": "0201",
        "reason": "a broken lamp, not litter",
    }
    state = fold([*history, t])
    assert state.stage == "returned" and state.returns == 1
    assert "dispatch" in allowed_actions(state, role="dispatcher")
    with pytest.raises(TransitionError, match="already"):
        apply(
            history, "recategorise", actor="d", role="dispatcher", at=t.at,
            category="0201", previous="0201", reason="same",
        )  # fmt: skip


def test_an_extension_is_at_most_the_workflows_maximum():
    """One maximum for every channel (the field app allowed 240 h, the API 2,000 h)."""
    from models.workflow import MAX_EXTENSION

    history = run(PATH_TO["handling"])
    at = history[-1].at + H
    with pytest.raises(TransitionError, match="at most"):
        apply(history, "request_extension", actor="h", role="handler", at=at,
              reason="parts", extension=MAX_EXTENSION + H)  # fmt: skip
    ok = apply(history, "request_extension", actor="h", role="handler", at=at,
               reason="parts", extension=MAX_EXTENSION)  # fmt: skip
    assert ok.to_stage == "extension_requested"
