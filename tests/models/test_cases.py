"""The case service on the demo database: report, route, move along the workflow."""

from datetime import datetime, timedelta

import pytest

from ingest.locate import store_locator
from models.cases import CaseError, histories, history, report_case, transition_case
from models.security import parse_scope
from models.store import Store
from models.work_calendar import WorkCalendar

CAL = WorkCalendar()
MON = datetime(2026, 11, 23, 1, 0)  # Monday 09:00 in Chaozhou (UTC+8)
PAIFANG = (116.6465, 23.6707)
H1 = timedelta(hours=1)


@pytest.fixture
def store(demo_copy):
    folder = demo_copy()
    s = Store(folder / "cityops.duckdb")
    yield s
    s.close()


def _report(store, category="0201", at=MON, lonlat=PAIFANG, **kw):
    return report_case(
        store,
        category_code=category,
        lon=lonlat[0],
        lat=lonlat[1],
        at=at,
        source="grid_worker",
        actor="GW1",
        role="grid_worker",
        locate=store_locator(store),
        text="道路不洁",
        **kw,
    )


def test_report_is_located_routed_and_explained(store):
    r = _report(store)
    row = store.query_rows(
        "SELECT stage, cell_code, district_code, assigned_unit FROM cases WHERE case_id = ?",
        [r.case_id],
    )[0]
    assert row[0] == "reported" and len(row[1]) == 15 and row[2] == "445102"
    assert r.route.unit == row[3] == "CG-445102"  # 道路不洁 → district 城管
    assert "category 0201" in r.route.explain()
    assert [t.action for t in history(store, r.case_id)] == ["report"]


def test_unknown_category_and_outside_every_cell(store):
    with pytest.raises(CaseError, match="unknown category"):
        _report(store, category="9999")
    assert store.query_value("SELECT count(*) FROM cases") == 0  # nothing half-written
    far = _report(store, lonlat=(113.26, 23.13))  # Guangzhou: no cell
    assert far.route.basis == "city" and far.route.cell_code is None
    assert (
        store.query_value("SELECT stage FROM cases WHERE case_id = ?", [far.case_id]) == "reported"
    )


def test_duplicates_are_offered_within_50_m(store):
    first = _report(store)
    near = _report(store, at=MON + timedelta(hours=1), lonlat=(PAIFANG[0] + 0.0002, PAIFANG[1]))
    far = _report(store, at=MON + timedelta(hours=1), lonlat=(PAIFANG[0] + 0.002, PAIFANG[1]))
    other = _report(store, category="0202", at=MON + timedelta(hours=1))
    assert near.duplicates == (first.case_id,)
    assert far.duplicates == () and other.duplicates == ()


def test_full_life_with_working_time_deadline_and_rework(store):
    r = _report(store)
    step = lambda action, at, role="dispatcher", **kw: transition_case(  # noqa: E731
        store, r.case_id, action, actor="d1", role=role, at=at, calendar=CAL, **kw
    )
    step("accept", MON + timedelta(minutes=5))
    step("register", MON + timedelta(minutes=10))
    step("dispatch", MON + timedelta(minutes=20), unit="CG-445102")
    due = store.query_value("SELECT due_at FROM cases WHERE case_id = ?", [r.case_id])
    # 0201 道路不洁: 5 working hours from 09:20 → 09:20-12:00 (2h40) + 14:00-16:20 local
    assert due == datetime(2026, 11, 23, 8, 20)
    step("start", MON + timedelta(minutes=30), role="handler")
    step("feedback", MON + timedelta(hours=2), role="handler")
    step("verify_fail", MON + timedelta(hours=3), role="grid_worker")
    step("feedback", MON + timedelta(hours=4), role="handler")
    step("verify_ok", MON + timedelta(hours=5), role="grid_worker")
    step("close", MON + timedelta(hours=6))
    row = store.query_rows(
        "SELECT stage, rework_count, registered_at, dispatched_at, "
        "handling_used_s, closed_at FROM cases WHERE case_id = ?",
        [r.case_id],
    )[0]
    assert row[0] == "closed" and row[1] == 1
    assert row[2] == MON + timedelta(minutes=10) and row[3] == MON + timedelta(minutes=20)
    # dispatched 09:20, last feedback 13:00 local: 09:20-12:00 = 2h40 of working time
    assert row[4] == 2 * 3600 + 40 * 60
    assert [t.seq for t in history(store, r.case_id)] == list(range(1, 11))


def test_refusals_write_nothing(store):
    r = _report(store)
    before = store.query_value("SELECT count(*) FROM case_transitions")
    with pytest.raises(CaseError, match="cannot close"):
        transition_case(
            store,
            r.case_id,
            "close",
            actor="d1",
            role="dispatcher",
            at=MON + timedelta(minutes=1),
            calendar=CAL,
        )
    with pytest.raises(CaseError, match="role 'grid_worker' may not accept"):
        transition_case(
            store,
            r.case_id,
            "accept",
            actor="gw",
            role="grid_worker",
            at=MON + timedelta(minutes=1),
            calendar=CAL,
        )
    with pytest.raises(CaseError, match="outside the scope"):
        transition_case(
            store,
            r.case_id,
            "accept",
            actor="d2",
            role="dispatcher",
            at=MON + timedelta(minutes=1),
            calendar=CAL,
            scope=parse_scope("district:445122"),
        )
    with pytest.raises(CaseError, match="unknown case"):
        transition_case(
            store, "nope", "accept", actor="d1", role="dispatcher", at=MON, calendar=CAL
        )
    assert store.query_value("SELECT count(*) FROM case_transitions") == before
    assert store.query_value("SELECT stage FROM cases WHERE case_id = ?", [r.case_id]) == "reported"


def test_extension_on_a_closed_case_is_refused(store):
    r = _report(store)
    for i, (action, kw) in enumerate([("void", {"reason": "duplicate"})]):
        transition_case(
            store,
            r.case_id,
            action,
            actor="d1",
            role="dispatcher",
            at=MON + timedelta(minutes=i + 1),
            calendar=CAL,
            **kw,
        )
    with pytest.raises(CaseError, match="void"):
        transition_case(
            store,
            r.case_id,
            "request_extension",
            actor="h",
            role="handler",
            at=MON + timedelta(hours=1),
            calendar=CAL,
            reason="rain",
            extension=timedelta(hours=2),
        )
    assert store.query_value("SELECT stage FROM cases WHERE case_id = ?", [r.case_id]) == "void"


def test_overriding_the_suggested_unit_needs_and_records_a_reason(store):
    r = _report(store)
    for i, action in enumerate(("accept", "register")):
        transition_case(
            store,
            r.case_id,
            action,
            actor="d1",
            role="dispatcher",
            at=MON + timedelta(minutes=i + 1),
            calendar=CAL,
        )
    with pytest.raises(CaseError, match="needs an override reason"):
        transition_case(
            store,
            r.case_id,
            "dispatch",
            actor="d1",
            role="dispatcher",
            at=MON + timedelta(minutes=5),
            calendar=CAL,
            unit="SZ",
        )
    transition_case(
        store,
        r.case_id,
        "dispatch",
        actor="d1",
        role="dispatcher",
        at=MON + timedelta(minutes=5),
        calendar=CAL,
        unit="SZ",
        override_reason="涉及市政设施，由市政处置",
    )
    detail = store.query_value(
        "SELECT detail FROM case_events WHERE case_id = ? AND kind = 'route_override'", [r.case_id]
    )
    assert "CG-445102" in detail and "SZ" in detail and "市政" in detail
    assert (
        store.query_value("SELECT assigned_unit FROM cases WHERE case_id = ?", [r.case_id]) == "SZ"
    )


def _flagged(store, category="9999", external_id="mqtt:odd"):
    """A machine report with a category the table does not know: kept and flagged."""
    from models.case_builder import NewReport, prepare_cases, write_cases

    report = NewReport(
        category_code=category,
        lon=PAIFANG[0],
        lat=PAIFANG[1],
        at=MON,
        source="iot",
        actor="gateway",
        external_id=external_id,
        note="received over MQTT",
    )
    batch = prepare_cases(store, [report], locate=store_locator(store), unknown_category="flag")
    return store.write(lambda tx: write_cases(tx, batch)).case_ids[0]


def _move(store, case_id, action, minutes, role="dispatcher", **kw):
    return transition_case(
        store,
        case_id,
        action,
        actor="d1",
        role=role,
        at=MON + timedelta(minutes=minutes),
        calendar=CAL,
        **kw,
    )


def test_a_case_of_an_unknown_category_can_be_voided(store):
    case_id = _flagged(store)
    assert store.query_value("SELECT category_issue FROM cases WHERE case_id = ?", [case_id])
    _move(store, case_id, "accept", 1)
    _move(store, case_id, "void", 2, reason="not_our_business")
    assert store.query_value("SELECT stage FROM cases WHERE case_id = ?", [case_id]) == "void"


def test_disabling_a_category_keeps_its_cases_movable(store):
    from models.category_edits import update_category

    r = _report(store)
    update_category(store, "0201", actor="admin", enabled=False)
    with pytest.raises(CaseError, match="disabled category"):
        _report(store, at=MON + timedelta(minutes=1))  # a person reports: refused
    _move(store, r.case_id, "accept", 1)
    _move(store, r.case_id, "register", 2)
    _move(store, r.case_id, "dispatch", 3, unit="CG-445102")
    # the disabled category's limit still counts: 5 working hours from 09:03 local
    due = store.query_value("SELECT due_at FROM cases WHERE case_id = ?", [r.case_id])
    assert due == datetime(2026, 11, 23, 8, 3)
    assert _flagged(store, category="0201", external_id="mqtt:late")  # MQTT: kept, flagged
    assert (
        store.query_value("SELECT category_issue FROM cases WHERE external_id = 'mqtt:late'")
        == "disabled"
    )


def test_recategorise_reroutes_records_and_sets_the_new_limit_at_dispatch(store):
    case_id = _flagged(store)
    with pytest.raises(CaseError, match="requires reason"):
        _move(store, case_id, "recategorise", 1, category="0201")
    with pytest.raises(CaseError, match="role 'grid_worker' may not recategorise"):
        _move(store, case_id, "recategorise", 1, role="grid_worker", category="0201", reason="x")
    with pytest.raises(CaseError, match="unknown category"):
        _move(store, case_id, "recategorise", 1, category="8888", reason="typo")
    _move(store, case_id, "recategorise", 1, category="0201", reason="litter, not 9999")
    row = store.query_rows(
        "SELECT stage, category_code, category_issue, assigned_unit FROM cases WHERE case_id = ?",
        [case_id],
    )[0]
    assert row == ("reported", "0201", None, "CG-445102")
    last = history(store, case_id)[-1]
    assert last.action == "recategorise" and last.from_stage == last.to_stage == "reported"
    assert dict(last.data) == {"category": "0201", "previous": "9999", "reason": "litter, not 9999"}
    events = store.query_rows(
        "SELECT seq, json_extract_string(detail, '$.unit') FROM case_events "
        "WHERE case_id = ? AND kind = 'route_suggested' ORDER BY seq",
        [case_id],
    )
    assert events == [(1, "市城市运行管理指挥中心"), (2, "CG-445102")]
    _move(store, case_id, "accept", 2)
    _move(store, case_id, "register", 3)
    _move(store, case_id, "dispatch", 4, unit="CG-445102")  # the new suggestion: no override
    due = store.query_value("SELECT due_at FROM cases WHERE case_id = ?", [case_id])
    assert due == datetime(2026, 11, 23, 8, 4)
    with pytest.raises(CaseError, match="cannot recategorise a case in stage dispatched"):
        _move(store, case_id, "recategorise", 5, category="0202", reason="x")


def test_histories_reads_many_cases_in_one_batch_like_history_reads_one(store):
    a, b = _report(store), _report(store, category="0202")
    step = lambda case_id, action, minutes, role="dispatcher", **kw: transition_case(  # noqa: E731
        store,
        case_id,
        action,
        actor="d1",
        role=role,
        at=MON + timedelta(minutes=minutes),
        calendar=CAL,
        **kw,
    )
    for action, minutes in (("accept", 5), ("register", 10)):
        step(a.case_id, action, minutes)
    step(a.case_id, "dispatch", 15, unit="CG-445102")
    step(a.case_id, "start", 20, role="handler")
    step(a.case_id, "request_extension", 25, role="handler", reason="材料", extension=2 * H1)
    got = histories(store, [a.case_id, b.case_id, "no-such-case"])
    assert got == {
        a.case_id: history(store, a.case_id),
        b.case_id: history(store, b.case_id),
        "no-such-case": [],
    }
    assert [t.seq for t in got[a.case_id]] == [1, 2, 3, 4, 5, 6]
    assert got[a.case_id][-1].data["extension"] == 2 * H1  # stored as seconds, read back
    assert histories(store, []) == {}
