"""Who is ranked: the department ranking ranks departments (the ``departments`` table), not
the locality bodies (streets, communities, village committees) answering for cells; a group
with no case due yet (nothing to judge handling or closure on) is not rated and comes last."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from models.evaluation import cases_behind, evaluate
from models.store import Store

START, END, NOW = datetime(2026, 10, 1), datetime(2026, 11, 1), datetime(2026, 11, 10)


def case(case_id: str, unit: str | None, **kw: object) -> dict:
    row = {
        "case_id": case_id, "source": "grid_worker", "category_code": "0201",
        "cell_code": "445102001001001", "district_code": "445102",
        "street_code": "445102001", "exercise": False, "stage": "closed", "rework_count": 0,
        "assigned_unit": unit, "assignee": None, "registered_at": datetime(2026, 10, 10, 1),
        "dispatch_due_at": datetime(2026, 10, 10, 3), "dispatched_at": datetime(2026, 10, 10, 2),
        "due_at": datetime(2026, 10, 12), "handled_at": datetime(2026, 10, 11, 20),
        "closed_at": datetime(2026, 10, 11, 22), "sla_limit_s": 86_400,
        "handling_used_s": 100_000,
    }  # fmt: skip
    row.update(kw)
    row["reported_at"] = row["registered_at"]
    return row


#: A department late on its case; a village committee and a street office on time; the
#: city's dispatch fallback; a case without unit; a department whose one case is not due.
CASES = [
    case("D1", "CG-445102"),
    case("V1", "东洋塭村委会", handling_used_s=3_600),
    case("S1", "太平街道", handling_used_s=3_600),
    case("N1", None, dispatched_at=None, stage="registered", handled_at=None, closed_at=None,
         handling_used_s=None),
    # dispatched on time, due after NOW, open: nothing to judge handling or closure on
    case("F1", "SW-445102", due_at=datetime(2026, 11, 30), handled_at=None, closed_at=None,
         stage="handling", handling_used_s=None),
]  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    s = Store(Path(tmp_path_factory.mktemp("groups")) / "x.duckdb")
    s.append("cases", pd.DataFrame(CASES))
    s.append(
        "departments",
        pd.DataFrame(
            [
                {"dept_code": "CG-445102", "name_zh": "湘桥区城管执法局", "level": "district",
                 "district_code": "445102"},
                {"dept_code": "SW-445102", "name_zh": "湘桥区水务局", "level": "district",
                 "district_code": "445102"},
            ]
        ),
    )  # fmt: skip
    yield s
    s.close()


def run(store: Store, by: str) -> pd.DataFrame:
    return evaluate(store, period_start=START, period_end=END, by=by, now=NOW)


def test_the_department_ranking_ranks_departments_only(store: Store):
    frame = run(store, "department")
    assert list(frame["group_value"]) == ["CG-445102", "SW-445102"]
    assert list(frame["group_name"]) == ["湘桥区城管执法局", "湘桥区水务局"]
    listed = cases_behind(store, figure="registered", group_key="department",
                          group_value="CG-445102", period_start=START, period_end=END,
                          now=NOW)  # fmt: skip
    assert list(listed["case_id"]) == ["D1"]


def test_a_group_with_nothing_due_is_not_rated_and_comes_last(store: Store):
    frame = run(store, "department").set_index("group_value")
    assert pd.notna(frame.loc["CG-445102", "score"])
    assert frame.loc["SW-445102", "handling_due"] + frame.loc["SW-445102", "closure_due"] == 0
    assert pd.isna(frame.loc["SW-445102", "score"])  # not 100: it was judged on nothing
    posts = run(store, "post")  # every case without assignee: one group, judged
    assert posts["score"].notna().all()
