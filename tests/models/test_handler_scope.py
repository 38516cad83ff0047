"""A handler sees the cases dispatched to their unit, not the ones routing merely suggests
for it: before dispatch a case belongs to the dispatch centre (found by the photos helper:
the report-time routing filled assigned_unit, so xq_cg saw a 0201 case at once)."""

from __future__ import annotations

import pytest

from models.case_queue import QueueFilter, queue_page
from models.case_service import Actor, Refused, visible_case
from models.security import Scope
from models.store import Store
from tests.models.case_fixtures import CAL, MON, drive, new_case

HANDLER = Actor("xq_cg", "handler", Scope("unit", ("CG-445102",)))


@pytest.fixture(scope="module")
def store(demo_copy):
    s = Store(demo_copy() / "cityops.duckdb")
    yield s
    s.close()


def _queued(store: Store, case_id: str) -> bool:
    page = queue_page(store, HANDLER.scope, QueueFilter(text=case_id), now=MON, calendar=CAL)
    return any(row["case_id"] == case_id for row in page.rows)


@pytest.mark.parametrize("stage", ["reported", "accepted", "registered"])
def test_a_case_not_yet_dispatched_is_not_the_units(store, stage):
    case_id = new_case(store)
    drive(store, case_id, stage)
    assert store.query_value("SELECT assigned_unit FROM cases WHERE case_id = ?", [case_id])
    with pytest.raises(Refused) as refused:
        visible_case(store, HANDLER, case_id)
    assert refused.value.status == 404
    assert not _queued(store, case_id)
    assert not Scope("unit", ("CG-445102",)).contains_case(
        "445102007002001", "CG-445102", dispatched=False
    )


@pytest.mark.parametrize("stage", ["dispatched", "handling", "closed"])
def test_once_dispatched_the_case_is_the_units_and_stays_in_its_record(store, stage):
    case_id = new_case(store)
    drive(store, case_id, stage)
    assert visible_case(store, HANDLER, case_id)["case_id"] == case_id
    flt = QueueFilter(text=case_id, include_closed=True)
    page = queue_page(store, HANDLER.scope, flt, now=MON, calendar=CAL)
    assert [row["case_id"] for row in page.rows] == [case_id]


def test_the_case_list_of_a_unit_scope_lists_its_dispatched_cases(store):
    from models.case_queries import list_cases

    dispatched, waiting = new_case(store), new_case(store)
    drive(store, dispatched, "dispatched")
    listed = [row[0] for row in list_cases(store, scope=HANDLER.scope, limit=10_000)]
    assert dispatched in listed and waiting not in listed


@pytest.mark.parametrize("stage", ["closed", "void"])
def test_a_finished_case_goes_on_no_to_do_list(store, stage):
    from models.case_service import claim
    from tests.models.case_fixtures import DISPATCHER

    case_id = new_case(store)
    drive(store, case_id, stage)
    with pytest.raises(Refused) as refused:
        claim(store, DISPATCHER, case_id)
    assert refused.value.status == 409 and stage in refused.value.message
    claim(store, DISPATCHER, case_id, take=False)  # giving back is always possible


def test_a_reporter_sees_the_case_they_reported_outside_their_cells(store):
    """A grid worker may report outside their cells (a warning, not a refusal); the photo that
    follows the report, and the report itself, must then not be refused as out of scope (the
    tester's finding: the case was written, its photo lost, and the worker could not open
    it). Another grid worker still cannot see it."""
    from ingest.locate import store_locator as store_locator_of
    from models.case_service import Actor
    from models.cases import report_case
    from tests.models.case_fixtures import PAIFANG

    mine = Actor("gw_a", "grid_worker", Scope("cells", ("445122100001001",)))
    other = Actor("gw_b", "grid_worker", Scope("cells", ("445122100001002",)))
    case_id = report_case(
        store,
        category_code="0201",
        lon=PAIFANG[0],
        lat=PAIFANG[1],
        at=MON,
        source="grid_worker",
        actor=mine.username,
        role=mine.role,
        locate=store_locator_of(store),
        text="外出途中发现",
    ).case_id
    assert visible_case(store, mine, case_id)["case_id"] == case_id
    with pytest.raises(Refused):
        visible_case(store, other, case_id)
