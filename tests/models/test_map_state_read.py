"""The case map's shared interface: a scope's named filter and reading cases by a condition."""

from datetime import datetime, timedelta

import pandas as pd
import pytest

from ingest.locate import store_locator
from models.cases import report_case, transition_case
from models.map_state.cases import cases_at, named_scope_filter, read_cases
from models.security import Scope
from models.store import Store
from models.work_calendar import WorkCalendar

CAL = WorkCalendar()
MON = datetime(2026, 11, 23, 1, 0)  # Monday 09:00 in Chaozhou (UTC+8)
AT = MON + timedelta(hours=5)


def test_named_scope_filter_names_each_mark_in_order():
    assert named_scope_filter(Scope("city")) == ("TRUE", {})
    where, named = named_scope_filter(Scope("district", ("445102", "445103")))
    assert "?" not in where and "$p0" in where and "$p1" in where
    assert named == {"p0": "445102", "p1": "445103"}


@pytest.fixture
def store(demo_copy):
    s = Store(demo_copy() / "cityops.duckdb")
    yield s
    s.close()


def test_read_cases_by_ids_is_cases_at_of_those_ids(store):
    ids = [
        report_case(
            store,
            category_code=code,
            lon=116.6465 + k * 0.001,
            lat=23.6707,
            at=MON + timedelta(minutes=k),
            source="grid_worker",
            actor="GW1",
            role="grid_worker",
            locate=store_locator(store),
        ).case_id
        for k, code in enumerate(("0201", "0202", "0201"))
    ]
    steps = (("accept", 10, {}), ("register", 11, {}), ("dispatch", 20, {"unit": "CG-445102"}))
    for action, minute, data in steps:
        at = MON + timedelta(minutes=minute)
        transition_case(
            store, ids[0], action, actor="d1", role="dispatcher", at=at, calendar=CAL, **data
        )
    scope = Scope("district", ("445102",))
    ids = ids[:2]
    where, named = named_scope_filter(scope)
    got = read_cases(
        store,
        at=AT,
        calendar=CAL,
        where=where,
        which="list_contains($ids, case_id)",
        params={**named, "ids": ids},
    )
    pd.testing.assert_frame_equal(got, cases_at(store, scope, at=AT, calendar=CAL, case_ids=ids))
    assert got["case_id"].tolist() == sorted(ids)
    assert got.set_index("case_id").loc[ids[0], "sla"] == "green"
