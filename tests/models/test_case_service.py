"""models.case_service, the one entry for people acting on cases: every action allowed or
refused per role, scope refusals, stage refusals with the allowed list, dispatch as
suggested or overridden with a reason, merge, 督办, claims, bulk, and bad input."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from models.case_service import (
    Actor,
    Refused,
    act,
    act_many,
    actions_for,
    claim,
    visible_case,
)
from models.case_view import case_view
from models.security import ROLES, Scope
from models.store import Store
from models.workflow import ACTIONS
from tests.models.case_fixtures import (
    CAL,
    DISPATCHER,
    MON,
    drive,
    new_case,
    other_district_point,
)

LATER = MON + timedelta(hours=1)
UNIT = "CG-445102"  # where 0201 (道路不洁) at the fixtures' place is routed

#: action -> (the stage it starts from, the data it needs, a note)
SETUP: dict[str, tuple[str, dict, str | None]] = {
    "accept": ("reported", {}, None),
    "register": ("accepted", {}, None),
    "void": ("reported", {"reason": "duplicate"}, None),
    "merge": ("reported", {}, None),  # into: filled per test
    "recategorise": ("reported", {"category": "0202", "reason": "wrong kind"}, None),
    "dispatch": ("registered", {}, None),
    "start": ("dispatched", {}, None),
    "return": ("dispatched", {"reason": "not ours"}, None),
    "feedback": ("handling", {}, None),
    "verify_ok": ("handled", {}, None),
    "verify_fail": ("handled", {"reason": "still dirty"}, None),
    "close": ("verified", {}, None),
    "request_extension": ("handling", {"reason": "rain", "extension": timedelta(hours=2)}, None),
    "approve_extension": ("extension_requested", {}, None),
    "deny_extension": ("extension_requested", {"reason": "no"}, None),
    "supervise": ("handling", {}, "请今天内处理"),
}


@pytest.fixture(scope="module")
def store(demo_copy):
    s = Store(demo_copy() / "cityops.duckdb")
    yield s
    s.close()


@pytest.fixture(scope="module")
def cell(store):
    return store.query_value(
        "SELECT cell_code FROM cases WHERE case_id = ?", [new_case(store, text="cell probe")]
    )


def actor_of(role: str, cell: str) -> Actor:
    """A user of ``role`` whose scope holds the fixtures' cases."""
    scope = {"handler": Scope("unit", (UNIT,)), "grid_worker": Scope("cells", (cell,))}
    return Actor(f"u-{role}", role, scope.get(role, Scope("city")))


def case_in(store, stage: str) -> str:
    return drive(store, new_case(store), stage)


def test_the_setup_covers_every_action_and_role():
    assert set(SETUP) == set(ACTIONS) - {"report"}
    assert set(ROLES) == {
        "dispatcher", "grid_worker", "handler", "leader", "operator", "emergency", "admin",
    }  # fmt: skip


def _result_photo(store: Store, case_id: str) -> None:
    """A photo row of the result (kind handled), as models.attachments writes one."""
    store.write(
        lambda tx: tx.execute(
            "INSERT INTO case_attachments (attachment_id, case_id, kind, media_type, size_bytes, "
            "path, uploaded_by, uploaded_at) VALUES (?, ?, 'handled', 'image/jpeg', 1, 'x.jpg', "
            "'xq_cg', ?)",
            [f"P-{case_id}", case_id, LATER],
        )
    )


@pytest.mark.parametrize("action", sorted(SETUP))
def test_every_action_allowed_or_refused_per_role(store, cell, action):
    stage, data, note = SETUP[action]
    refused_case = case_in(store, stage)
    for role in ROLES:
        who = actor_of(role, cell)
        case_id = case_in(store, stage) if role in ACTIONS[action].roles else refused_case
        values = dict(data)
        if action == "merge":
            values["into"] = new_case(store)
        if action == "feedback" and role == "handler":
            _result_photo(store, case_id)  # a handler reports handled with one
        if role in ACTIONS[action].roles:
            state = act(store, who, case_id, action, at=LATER, calendar=CAL, note=note,
                        data=values)  # fmt: skip
            assert state.stage == ACTIONS[action].target_from(stage), (role, action)
            last = case_view(store, who if role != "handler" else DISPATCHER, case_id,
                             now=LATER, calendar=CAL)["history"][-1]  # fmt: skip
            assert (last["action"], last["actor"], last["role"]) == (action, who.username, role)
        else:
            with pytest.raises(Refused) as err:
                act(store, who, case_id, action, at=LATER, calendar=CAL, note=note, data=values)
            assert err.value.status in (403, 404), (role, action, err.value)
            if err.value.status == 403:
                assert err.value.allowed == actions_for(who, stage)
            assert visible_case(store, DISPATCHER, case_id)["stage"] == stage  # untouched


def test_scopes_refuse_with_404_as_if_the_case_did_not_exist(store, cell):
    xq_case = case_in(store, "reported")
    other_district = Actor("d2", "dispatcher", Scope("district", ("445103",)))
    with pytest.raises(Refused) as err:
        act(store, other_district, xq_case, "accept", at=LATER, calendar=CAL)
    assert err.value.status == 404 and err.value.allowed == []
    dispatched = case_in(store, "dispatched")
    other_unit = Actor("h2", "handler", Scope("unit", ("CG-445103",)))
    with pytest.raises(Refused) as err:
        act(store, other_unit, dispatched, "start", at=LATER, calendar=CAL)
    assert err.value.status == 404
    handled = case_in(store, "handled")
    far_cell = store.query_value(
        "SELECT cell_code FROM grid_cells WHERE district_code = '445103' LIMIT 1"
    )
    worker = Actor("gw2", "grid_worker", Scope("cells", (far_cell,)))
    with pytest.raises(Refused) as err:
        act(store, worker, handled, "verify_ok", at=LATER, calendar=CAL)
    assert err.value.status == 404
    assert act(store, actor_of("grid_worker", cell), handled, "verify_ok", at=LATER,
               calendar=CAL).stage == "verified"  # fmt: skip
    for probe in ("C00000000-000000", 5, None, ["x"]):
        with pytest.raises(Refused) as err:
            act(store, DISPATCHER, probe, "accept", at=LATER, calendar=CAL)  # type: ignore[arg-type]
        assert err.value.status == 404


def test_a_wrong_stage_is_409_with_the_allowed_actions(store):
    case_id = case_in(store, "reported")
    with pytest.raises(Refused) as err:
        act(store, DISPATCHER, case_id, "close", at=LATER, calendar=CAL)
    assert err.value.status == 409
    assert err.value.allowed == ["accept", "void", "merge", "recategorise"]
    assert "accept" in str(err.value)


def test_dispatch_takes_the_suggestion_or_an_override_with_a_reason(store):
    case_id = case_in(store, "registered")
    state = act(store, DISPATCHER, case_id, "dispatch", at=LATER, calendar=CAL, data={"unit": ""})
    assert state.unit == UNIT and visible_case(store, DISPATCHER, case_id)["assigned_unit"] == UNIT
    other = case_in(store, "registered")
    with pytest.raises(Refused) as err:
        act(store, DISPATCHER, other, "dispatch", at=LATER, calendar=CAL, data={"unit": "YL"})
    assert err.value.status == 422 and "override reason" in str(err.value)
    with pytest.raises(Refused) as err:
        act(store, DISPATCHER, other, "dispatch", at=LATER, calendar=CAL,
            data={"unit": "NO-SUCH-UNIT"}, override_reason="because")  # fmt: skip
    assert err.value.status == 422 and "NO-SUCH-UNIT" in str(err.value)
    with pytest.raises(Refused) as err:
        act(store, DISPATCHER, other, "dispatch", at=LATER, calendar=CAL, data={"unit": 7})
    assert err.value.status == 422
    state = act(store, DISPATCHER, other, "dispatch", at=LATER, calendar=CAL,
                data={"unit": "YL"}, override_reason="园林 owns this stretch")  # fmt: skip
    assert state.unit == "YL"
    events = case_view(store, DISPATCHER, other, now=LATER, calendar=CAL)["events"]
    override = [e["detail"] for e in events if e["kind"] == "route_override"]
    assert override == [{"suggested": UNIT, "chosen": "YL", "reason": "园林 owns this stretch",
                         "by": "dispatcher"}]  # fmt: skip


def test_merge(store):
    original = case_in(store, "registered")
    dup = case_in(store, "reported")
    closed = case_in(store, "closed")
    far = new_case(store, lonlat=other_district_point(store))
    xq_dispatcher = Actor("d1", "dispatcher", Scope("district", ("445102",)))
    for into, words in (
        (dup, "itself"),
        ("C00000000-000000", "in your scope"),
        (far, "in your scope"),  # outside the district dispatcher's scope
        (closed, "open case"),
        (None, "into"),
    ):
        with pytest.raises(Refused) as err:
            act(store, xq_dispatcher, dup, "merge", at=LATER, calendar=CAL, data={"into": into})
        assert err.value.status == 422 and words in str(err.value), into
    state = act(store, xq_dispatcher, dup, "merge", at=LATER, calendar=CAL,
                data={"into": original}, note="同一处")  # fmt: skip
    assert state.stage == "void"
    merged = case_view(store, DISPATCHER, dup, now=LATER, calendar=CAL)
    assert merged["duplicate_of"] == original and merged["stage"] == "void"
    assert case_view(store, DISPATCHER, original, now=LATER, calendar=CAL)["duplicates"] == [dup]
    again = case_in(store, "reported")
    with pytest.raises(Refused) as err:  # into a merged (void) case
        act(store, DISPATCHER, again, "merge", at=LATER, calendar=CAL, data={"into": dup})
    assert err.value.status == 422


def test_supervise_needs_a_note_and_keeps_it(store):
    case_id = case_in(store, "handling")
    leader = Actor("boss", "leader", Scope("city"))
    for note in (None, "", "   "):
        with pytest.raises(Refused) as err:
            act(store, leader, case_id, "supervise", at=LATER, calendar=CAL, note=note)
        assert err.value.status == 422
    state = act(store, leader, case_id, "supervise", at=LATER, calendar=CAL, note="今天办结")
    assert state.stage == "handling"
    last = case_view(store, DISPATCHER, case_id, now=LATER, calendar=CAL)["history"][-1]
    assert (last["action"], last["note"], last["role"]) == ("supervise", "今天办结", "leader")


def test_claim_and_unclaim(store):
    case_id = case_in(store, "registered")
    other = Actor("dispatcher2", "dispatcher", Scope("city"))
    claim(store, DISPATCHER, case_id)
    claim(store, DISPATCHER, case_id)  # again: harmless
    assert visible_case(store, DISPATCHER, case_id)["claimed_by"] == "dispatcher"
    for take in (True, False):
        with pytest.raises(Refused) as err:
            claim(store, other, case_id, take=take)
        assert err.value.status == 409 and "dispatcher" in str(err.value)
    with pytest.raises(Refused) as err:
        claim(store, Actor("h", "handler", Scope("unit", (UNIT,))), case_id)
    assert err.value.status == 403
    with pytest.raises(Refused) as err:
        claim(store, Actor("d9", "dispatcher", Scope("district", ("445103",))), case_id)
    assert err.value.status == 404
    claim(store, Actor("root", "admin", Scope("city")), case_id, take=False)  # admin may
    assert visible_case(store, DISPATCHER, case_id)["claimed_by"] is None
    claim(store, other, case_id)
    claim(store, other, case_id, take=False)
    assert visible_case(store, DISPATCHER, case_id)["claimed_by"] is None


@pytest.mark.parametrize(
    "action, data, note",
    [
        (None, None, None),
        (["accept"], None, None),
        ({"a": 1}, None, None),
        ("fly", None, None),
        ("accept", ["not", "a", "mapping"], None),
        ("accept", "text", None),
        ("accept", {"unknown_key": 1}, None),
        ("accept", None, 12),
        ("void", {"reason": "bored"}, None),
        ("void", {"reason": ["duplicate"]}, None),
    ],
)
def test_bad_input_is_refused_never_raised(store, action, data, note):
    case_id = case_in(store, "reported")
    with pytest.raises(Refused) as err:
        act(store, DISPATCHER, case_id, action, at=LATER, calendar=CAL, data=data, note=note)
    assert err.value.status == 422
    outcomes = act_many(store, DISPATCHER, [case_id], action, at=LATER, calendar=CAL,
                        data=data, note=note)  # fmt: skip
    assert [(o.ok, o.status) for o in outcomes] == [(False, 422)]
    assert visible_case(store, DISPATCHER, case_id)["stage"] == "reported"


def test_bulk_dispatch_as_suggested_each_case_on_its_own(store):
    ready = [case_in(store, "registered") for _ in range(4)]
    reported = case_in(store, "reported")
    far = drive(store, new_case(store, lonlat=other_district_point(store)), "registered")
    xq = Actor("d1", "dispatcher", Scope("district", ("445102",)))
    asked = [ready[0], reported, ready[1], "C00000000-000000", far, ready[2], ready[0], ready[3]]
    outcomes = act_many(store, xq, asked, "dispatch", at=LATER, calendar=CAL, note="批量派遣")
    got = [(o.case_id, o.ok, o.stage, o.status) for o in outcomes]
    assert got == [
        (ready[0], True, "dispatched", 200),
        (reported, False, None, 409),
        (ready[1], True, "dispatched", 200),
        ("C00000000-000000", False, None, 404),
        (far, False, None, 404),
        (ready[2], True, "dispatched", 200),
        (ready[3], True, "dispatched", 200),
    ]
    for case_id in ready:
        view = case_view(store, DISPATCHER, case_id, now=LATER, calendar=CAL)
        assert view["unit"] == UNIT and view["due_at"] and view["sla"]["level"] == "green"
        assert view["history"][-1]["note"] == "批量派遣" and view["version"] == 4
    audit = store.query_rows(
        "SELECT target FROM audit_log WHERE action = 'case.dispatch' AND actor = 'd1'"
    )
    assert sorted(t for (t,) in audit) == sorted(ready)
    assert visible_case(store, DISPATCHER, far)["stage"] == "registered"


def test_bulk_merge_and_void(store):
    original = case_in(store, "registered")
    dups = [case_in(store, "reported") for _ in range(3)]
    outcomes = act_many(store, DISPATCHER, [*dups, original], "merge", at=LATER, calendar=CAL,
                        data={"into": original})  # fmt: skip
    assert [o.ok for o in outcomes] == [True, True, True, False]
    assert outcomes[-1].status == 422 and "itself" in outcomes[-1].message
    view = case_view(store, DISPATCHER, original, now=LATER, calendar=CAL)
    assert sorted(view["duplicates"]) == sorted(dups)
    voids = [case_in(store, "accepted"), case_in(store, "registered")]
    outcomes = act_many(store, DISPATCHER, voids, "void", at=LATER, calendar=CAL,
                        data={"reason": "no_problem_found"})  # fmt: skip
    assert [(o.ok, o.status) for o in outcomes] == [(True, 200), (False, 409)]
    json.dumps([o.__dict__ for o in outcomes])


def test_two_dispatchers_claiming_at_once_only_one_gets_it(store):
    """The holder is checked in the write transaction, not before it: of two claims sent
    together exactly one wins and the other is told who holds the case."""
    import threading

    cases = [case_in(store, "reported") for _ in range(8)]
    people = [Actor(f"d{i}", "dispatcher", Scope("city")) for i in range(2)]
    for case_id in cases:
        barrier = threading.Barrier(2)
        won: list[str] = []
        lost: list[int] = []

        def take(who: Actor, case_id: str = case_id, barrier=barrier, won=won, lost=lost):
            barrier.wait()
            try:
                claim(store, who, case_id)
                won.append(who.username)
            except Refused as exc:
                lost.append(exc.status)

        threads = [threading.Thread(target=take, args=(p,)) for p in people]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        holder = visible_case(store, DISPATCHER, case_id)["claimed_by"]
        assert len(won) == 1 and lost == [409] and holder == won[0], (won, lost, holder)


def test_two_dispatchers_acting_at_once_one_is_told_it_changed(store):
    import threading

    for _ in range(4):
        case_id = case_in(store, "reported")
        barrier = threading.Barrier(2)
        results: list[object] = []

        def accept(name: str, case_id: str = case_id, barrier=barrier, results=results):
            who = Actor(name, "dispatcher", Scope("city"))
            barrier.wait()
            try:
                results.append(act(store, who, case_id, "accept", at=LATER, calendar=CAL).stage)
            except Refused as exc:
                results.append(exc.status)

        threads = [threading.Thread(target=accept, args=(n,)) for n in ("a1", "a2")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(map(str, results)) == ["409", "accepted"], results
        history = case_view(store, DISPATCHER, case_id, now=LATER, calendar=CAL)["history"]
        assert [h["action"] for h in history] == ["report", "accept"]


def test_a_case_changed_between_the_checks_and_the_move_is_a_409(store):
    """The service checks the rows it read; if the case moves before its history is read
    for the write, the answer is "changed meanwhile" (409), not a workflow refusal."""
    from models.case_moves import CaseError, Move, case_rows, move_cases

    case_id = case_in(store, "reported")
    seen = case_rows(store, [case_id])  # what the service checked
    act(store, DISPATCHER, case_id, "accept", at=LATER, calendar=CAL)  # someone else, meanwhile
    (result,) = move_cases(store, [Move(case_id, "accept")], actor="a2", role="dispatcher",
                           at=LATER, calendar=CAL, rows=seen)  # fmt: skip
    assert isinstance(result, CaseError) and "changed meanwhile" in str(result)


def test_recategorise_says_what_is_missing_before_looking_the_category_up(store):
    case_id = case_in(store, "reported")
    asked = (
        ({"reason": "wrong"}, "requires category"),
        ({"category": "0202"}, "requires reason"),
        ({"category": "9999", "reason": "wrong"}, "unknown category '9999'"),
    )
    for data, words in asked:
        with pytest.raises(Refused) as err:
            act(store, DISPATCHER, case_id, "recategorise", at=LATER, calendar=CAL, data=data)
        assert err.value.status == 422 and words in str(err.value), (data, str(err.value))
