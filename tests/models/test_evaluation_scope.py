"""Evaluation and its drill-down seen through a scope: a district sees only its own cases."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from models.case_selection import CaseSelection
from models.evaluation import cases_behind, evaluate
from models.security import Scope
from models.store import Store

START, END, NOW = datetime(2026, 10, 1), datetime(2026, 11, 1), datetime(2026, 11, 10)
D1, D2 = "445102", "445103"


def case(case_id: str, cell: str, **kw: object) -> dict:
    row = {
        "case_id": case_id, "source": "grid_worker", "category_code": "0201",
        "cell_code": cell, "district_code": cell[:6], "street_code": cell[:9],
        "exercise": False, "stage": "closed", "rework_count": 0, "assigned_unit": "CG",
        "assignee": "w1", "registered_at": datetime(2026, 10, 10, 1),
        "dispatch_due_at": datetime(2026, 10, 10, 3), "dispatched_at": datetime(2026, 10, 10, 2),
        "due_at": datetime(2026, 10, 12), "handled_at": datetime(2026, 10, 11),
        "closed_at": datetime(2026, 10, 11, 5), "sla_limit_s": 86_400, "handling_used_s": 3_600,
    }  # fmt: skip
    row.update(kw)
    row["reported_at"] = row["registered_at"]
    return row


CASES = [
    case("A1", D1 + "001001001"),
    case("A2", D1 + "001001002", handling_used_s=100_000, source="hotline"),
    case("A3", D1 + "002001001", category_code="0601", assigned_unit="SW"),
    case("B1", D2 + "001001001"),
    case("B2", D2 + "001001002", assigned_unit="SW"),
    case("U1", D2 + "001001003", assigned_unit="SW", dispatched_at=None, stage="registered",
         handled_at=None, closed_at=None, handling_used_s=None),
]  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    s = Store(Path(tmp_path_factory.mktemp("evalscope")) / "x.duckdb")
    s.append("cases", pd.DataFrame(CASES))
    s.append("departments", pd.DataFrame([{"dept_code": d, "name_zh": d, "level": "city"}
                                          for d in ("CG", "SW")]))  # fmt: skip
    yield s
    s.close()


def ids(frame: pd.DataFrame) -> list[str]:
    return list(frame["case_id"])


def test_district_scope_evaluates_only_its_district(store: Store) -> None:
    frame = evaluate(store, period_start=START, period_end=END, by="district", now=NOW,
                     scope=Scope("district", (D1,)))  # fmt: skip
    assert list(frame["group_value"]) == [D1]
    assert int(frame["registered"].iloc[0]) == 3
    by_unit = evaluate(store, period_start=START, period_end=END, by="department", now=NOW,
                       scope=Scope("district", (D1,))).set_index("group_value")  # fmt: skip
    assert by_unit.loc["CG", "registered"] == 2 and by_unit.loc["SW", "registered"] == 1


def test_unscoped_sees_all(store: Store) -> None:
    frame = evaluate(store, period_start=START, period_end=END, by="district", now=NOW)
    assert sorted(frame["group_value"]) == [D1, D2]


def test_cases_behind_respects_scope_group_selection_and_limit(store: Store) -> None:
    common = {"period_start": START, "period_end": END, "now": NOW}
    d1 = Scope("district", (D1,))
    assert ids(cases_behind(store, figure="registered", scope=d1, **common)) == ["A1", "A2", "A3"]
    assert ids(cases_behind(store, figure="registered", group_key="department",
                            group_value="CG", scope=d1, **common)) == ["A1", "A2"]  # fmt: skip
    street = Scope("street", (D1 + "002",))
    assert ids(cases_behind(store, figure="registered", scope=street, **common)) == ["A3"]
    assert ids(cases_behind(store, figure="registered", **common, limit=2)) == ["A1", "A2"]
    late = cases_behind(store, figure="on_time_handling_rate", scope=d1, **common)
    assert dict(zip(late["case_id"], late["in_numerator"], strict=True)) == {
        "A1": True, "A2": False, "A3": True}  # fmt: skip
    noise = CaseSelection(majors=("06",))
    assert ids(cases_behind(store, figure="registered", selection=noise, **common)) == ["A3"]
    hotline = CaseSelection(sources=("hotline",))
    assert ids(cases_behind(store, figure="registered", selection=hotline, **common)) == ["A2"]


def test_unit_scope_sees_cases_dispatched_to_it(store: Store) -> None:
    common = {"period_start": START, "period_end": END, "now": NOW}
    unit = Scope("unit", ("SW",))
    assert ids(cases_behind(store, figure="registered", scope=unit, **common)) == ["A3", "B2"]
    frame = evaluate(store, by="district", scope=unit, **common)
    assert int(frame["registered"].sum()) == 2


def test_bad_limit_is_refused(store: Store) -> None:
    with pytest.raises(ValueError):
        cases_behind(store, figure="registered", period_start=START, period_end=END, now=NOW,
                     limit=-1)  # fmt: skip
