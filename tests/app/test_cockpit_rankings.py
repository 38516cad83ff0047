"""Rankings on the cockpit are scoped: ``models.evaluation.evaluate`` and ``cases_behind``
over a district leader's cases only (a department working in two districts is judged, for a
district's leader, on that district's cases), and every ranking figure agrees with its list."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from models.evaluation import FIGURES, GROUPS, cases_behind, evaluate
from models.security import Scope
from models.store import Store
from tests.models.test_evaluation import CASES, END, NOW, START

#: The hand-built month of tests/models/test_evaluation.py, each case placed in a cell of its
#: street (cell codes begin with the street's code), plus one case of unit SW in 445102.
SCOPE_D1 = Scope("district", ("445102",))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    s = Store(Path(tmp_path_factory.mktemp("rank")) / "x.duckdb")
    rows = [{**c, "cell_code": c["street_code"] + "001001"} for c in CASES]
    s.append("cases", pd.DataFrame(rows))
    s.append("departments", pd.DataFrame([{"dept_code": d, "name_zh": d, "level": "city"}
                                          for d in ("CG", "SW")]))  # fmt: skip
    yield s
    s.close()


def test_without_a_scope_nothing_changes(store: Store):
    city = evaluate(store, period_start=START, period_end=END, by="district", now=NOW)
    scoped = evaluate(
        store, period_start=START, period_end=END, by="district", now=NOW, scope=Scope("city")
    )
    pd.testing.assert_frame_equal(city, scoped)


def test_a_district_scope_sees_its_cases_only(store: Store):
    frame = evaluate(
        store, period_start=START, period_end=END, by="department", now=NOW, scope=SCOPE_D1
    )
    by_unit = frame.fillna({"group_value": "-"}).set_index("group_value")["registered"]
    # 445102: A1, A2 (CG), A3 (SW), A4 (no unit: not ranked); SW's A6 and R1 lie in 445103
    assert by_unit.to_dict() == {"CG": 2, "SW": 1}
    districts = evaluate(
        store, period_start=START, period_end=END, by="district", now=NOW, scope=SCOPE_D1
    )
    assert districts["group_value"].tolist() == ["445102"]


@pytest.mark.parametrize("by", list(GROUPS))
def test_scoped_figures_agree_with_their_lists(store: Store, by: str):
    frame = evaluate(store, period_start=START, period_end=END, by=by, now=NOW, scope=SCOPE_D1)
    for _, row in frame.iterrows():
        value = None if pd.isna(row["group_value"]) else row["group_value"]
        for figure in ("registered", "overdue_count", "closed", "handled"):
            listed = cases_behind(
                store, figure=figure, group_key=by, group_value=value, period_start=START,
                period_end=END, now=NOW, scope=SCOPE_D1,
            )  # fmt: skip
            assert len(listed) == row[figure], (by, value, figure)
            assert set(listed["district_code"]) <= {"445102"}
    assert "score" in FIGURES


def test_a_unit_scope_sees_the_cases_dispatched_to_it(store: Store):
    frame = evaluate(
        store, period_start=START, period_end=END, by="department", now=NOW,
        scope=Scope("unit", ("SW",)),
    )  # fmt: skip
    assert frame.set_index("group_value")["registered"].to_dict() == {"SW": 3}
