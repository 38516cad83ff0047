"""A category's time limit has a sane maximum, the working calendar refuses absurd spans at
once (no runaway loop), and a case of a category holding an absurd limit (an old database)
is refused with a reason, not a crash; codes take ASCII digits only (tester, issue 14)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from models.case_service import Refused
from models.categories import (
    MAX_LIMIT,
    CategoryTableError,
    category_row_problems,
    department_problems,
)
from models.category_edits import update_category
from models.store import Store
from tests.models.case_fixtures import CAL, MON, drive, new_case

ROW = {
    "category_code": "0301",
    "kind": "event",
    "major_code": "03",
    "minor_code": "01",
    "name_zh": "测试",
    "name_en": "test",
    "owner_dept": "D1",
    "register_condition": "x",
    "close_condition": "y",
    "limit_value": 5,
    "limit_unit": "working_days",
    "grid_level": "true",
    "enabled": "true",
}


def _problems(**changes: object) -> list[str]:
    return category_row_problems({**ROW, **changes}, {"D1"}, "row")


@pytest.mark.parametrize(
    ("value", "unit"),
    [
        (1e12, "working_days"),
        (366, "working_days"),
        (100000, "working_days"),
        (2921, "working_hours"),
        (1e9, "working_hours"),
    ],  # fmt: skip
)
def test_an_absurd_limit_is_refused(value: float, unit: str) -> None:
    problems = _problems(limit_value=value, limit_unit=unit)
    assert any("limit_value" in p and "at most" in p for p in problems), problems


def test_the_largest_sane_limits_are_accepted() -> None:
    assert MAX_LIMIT == {"working_days": 365, "working_hours": 2920}
    assert _problems(limit_value=365, limit_unit="working_days") == []
    assert _problems(limit_value=2920, limit_unit="working_hours") == []


@pytest.mark.parametrize(
    ("major", "minor"), [("03", "０１"), ("０３", "01"), ("03", "0١"), ("03", "²1")]
)
def test_a_code_takes_ascii_digits_only(major: str, minor: str) -> None:
    problems = _problems(category_code=major + minor, major_code=major, minor_code=minor)
    assert any("is not 4 digits" in p for p in problems), problems


def test_a_district_code_takes_ascii_digits_only() -> None:
    import pandas as pd

    frame = pd.DataFrame(
        [
            {
                "dept_code": "X",
                "name_zh": "区",
                "name_en": "d",
                "level": "district",
                "district_code": "４４５１０２",
            }
        ]  # fmt: skip
    )
    assert any("6-digit" in p for p in department_problems(frame))


@pytest.fixture
def store(demo_copy):
    folder = demo_copy()
    s = Store(folder / "cityops.duckdb")
    yield s
    s.close()


def test_saving_an_absurd_limit_is_refused(store: Store) -> None:
    with pytest.raises(CategoryTableError, match="at most"):
        update_category(store, "0201", actor="admin", limit_value=1e12)
    with pytest.raises(CategoryTableError, match="at most"):
        update_category(store, "0201", actor="admin", limit_value=100000,
                        limit_unit="working_days")  # fmt: skip


def test_the_calendar_refuses_absurd_spans_at_once() -> None:
    with pytest.raises(ValueError, match="at most"):
        CAL.add_working_time(MON, timedelta(hours=1e9))
    with pytest.raises(ValueError, match="at most"):
        CAL.add_working_time(MON, CAL.working_days(100000))
    with pytest.raises(ValueError, match="at most"):
        CAL.working_time_between(MON, datetime(2226, 1, 1))
    with pytest.raises(ValueError, match="at most"):
        CAL.working_time_between(datetime(2226, 1, 1), MON)
    # a year of working days is fine
    due = CAL.add_working_time(MON, CAL.working_days(365))
    assert CAL.working_time_between(MON, due) == CAL.working_days(365)


@pytest.mark.parametrize(
    ("value", "unit"),
    [
        (1e12, "working_days"),
        (100000, "working_days"),
        (1e9, "working_hours"),
        (1e300, "working_hours"),
    ],  # fmt: skip
)
def test_a_case_of_a_category_with_an_absurd_limit_is_refused(
    store: Store, value: float, unit: str
) -> None:
    """A limit written before limits were bounded: the move is refused, never a crash."""
    case_id = new_case(store)
    store.write(
        lambda tx: tx.execute(
            "UPDATE categories SET limit_value = ?, limit_unit = ? WHERE category_code = '0201'",
            [value, unit],
        )
    )
    with pytest.raises(Refused, match="0201") as refused:
        drive(store, case_id, "dispatched")
    assert 400 <= refused.value.status < 500  # the API answers it as such, not a 500


def test_a_scope_code_takes_ascii_digits_only() -> None:
    from models.security import scope_problems

    assert scope_problems("district", ["445102"]) == []
    assert scope_problems("district", ["４４５１０２"])
    assert scope_problems("street", ["４４５１０２００７"])
