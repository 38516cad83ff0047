"""A category's time limit changed by an administrator applies to new cases only: an open
case keeps the deadline and the limit it was dispatched with, on every screen that shows it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.case_queue import QueueFilter, queue_page
from models.case_service import act
from models.case_view import case_view
from models.category_edits import category_history, update_category
from models.store import Store
from models.supervision import supervise
from tests.models.case_fixtures import ADMIN, CAL, CITY, MON, drive, new_case

NOW = MON + timedelta(hours=1)
H = 3600


@pytest.fixture
def store(demo_copy):
    folder = demo_copy()
    s = Store(folder / "cityops.duckdb")
    yield s
    s.close()


def _standing(store: Store, case_id: str) -> tuple:
    row = store.query_rows("SELECT due_at, sla_limit_s FROM cases WHERE case_id = ?", [case_id])[0]
    sla = case_view(store, ADMIN, case_id, now=NOW, calendar=CAL)["sla"]
    page = queue_page(store, CITY, QueueFilter(), now=NOW, calendar=CAL)
    left = next(r["seconds_left"] for r in page.rows if r["case_id"] == case_id)
    return row[0], row[1], sla["limit_s"], sla["left_s"], left


def test_an_open_case_keeps_its_limit_and_a_new_case_gets_the_new_one(store: Store) -> None:
    old = drive(store, new_case(store), "dispatched")
    before = _standing(store, old)
    assert before[1] == before[2] == 5 * H  # 0201 道路不洁: 5 working hours

    update_category(store, "0201", actor="admin", limit_value=10)

    assert _standing(store, old) == before
    supervise(store, now=NOW, calendar=CAL)  # escalation reads the case's own limit too
    assert _standing(store, old) == before
    new = drive(store, new_case(store, at=MON + timedelta(minutes=30)), "dispatched",
                at=MON + timedelta(minutes=30))  # fmt: skip
    assert _standing(store, new)[1:3] == (10 * H, 10 * H)
    changes = category_history(store, "0201")
    assert [(c.field, c.old_value, c.new_value, c.actor) for c in changes] == [
        ("limit_value", "5", "10", "admin")
    ]


def test_a_returned_case_dispatched_again_keeps_its_first_limit(store: Store) -> None:
    case_id = drive(store, new_case(store), "returned")
    update_category(store, "0201", actor="admin", limit_value=2)
    act(store, ADMIN, case_id, "dispatch", at=MON + timedelta(minutes=10), calendar=CAL,
        data={"unit": "CG-445102"})  # fmt: skip
    limit_s = store.query_value("SELECT sla_limit_s FROM cases WHERE case_id = ?", [case_id])
    assert limit_s == 5 * H


def test_an_answered_extension_adds_to_the_kept_limit(store: Store) -> None:
    case_id = drive(store, new_case(store), "extension_requested")
    update_category(store, "0201", actor="admin", limit_value=1, limit_unit="working_days")
    act(store, ADMIN, case_id, "approve_extension", at=MON + timedelta(minutes=10),
        calendar=CAL)  # fmt: skip
    limit_s = store.query_value("SELECT sla_limit_s FROM cases WHERE case_id = ?", [case_id])
    assert limit_s == 5 * H + 2 * H  # its 5 hours and the 2 hours granted
    assert case_view(store, ADMIN, case_id, now=NOW, calendar=CAL)["sla"]["limit_s"] == 7 * H
