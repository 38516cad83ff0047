"""Evaluation figures against a hand-built month of cases, every figure worked out by hand."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from models.evaluation import (
    DEFAULT_WEIGHTS,
    FIGURES,
    GROUPS,
    PREDICATES,
    RATES,
    cases_behind,
    evaluate,
    period_of_month,
    validate_weights,
)
from models.store import Store

START, END = datetime(2026, 10, 1), datetime(2026, 11, 1)
NOW = datetime(2026, 11, 10)
D1, D2 = "445102", "445103"
S1, S2, S3, S4 = "445102001", "445102002", "445103001", "445103002"
DAY = 86_400


def t(day: int, hour: int = 9, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour)


def case(case_id: str, district: str, street: str, **kw: object) -> dict:
    row = {
        "case_id": case_id,
        "source": "grid_worker",
        "district_code": district,
        "street_code": street,
        "exercise": False,
        "stage": "registered",
        "rework_count": 0,
        "assigned_unit": None,
        "assignee": None,
        "registered_at": t(10),
        "dispatch_due_at": t(10, 11),
        "dispatched_at": None,
        "due_at": None,
        "handled_at": None,
        "closed_at": None,
        "sla_limit_s": None,
        "handling_used_s": None,
    }
    row.update(kw)
    row["reported_at"] = row["registered_at"]
    return row


# One line per case; what each contributes is worked out in the comments.
CASES = [
    # A1: dispatched on time, handled on time (20 h of 24 h), closed, no rework
    case("A1", D1, S1, assigned_unit="CG", assignee="w1", stage="closed",
         dispatched_at=t(10, 10), due_at=t(12), handled_at=t(11), closed_at=t(12),
         sla_limit_s=DAY, handling_used_s=72_000),
    # A2: dispatched late (12:00 > 11:00), handled late (100000 s > 86400 s), closed, reworked
    case("A2", D1, S1, assigned_unit="CG", assignee="w1", stage="closed", rework_count=1,
         dispatched_at=t(10, 12), due_at=t(12), handled_at=t(14), closed_at=t(15),
         sla_limit_s=DAY, handling_used_s=100_000),
    # A3: dispatched on time, never handled, past due (10-25) at NOW: overdue and open
    case("A3", D1, S2, assigned_unit="SW", assignee="w2", stage="handling",
         registered_at=t(20), dispatch_due_at=t(20, 11), dispatched_at=t(20, 10),
         due_at=t(25), sla_limit_s=DAY),
    # A4: never dispatched, past its dispatch limit at NOW: overdue, judged on dispatch only
    case("A4", D1, S2, registered_at=t(30), dispatch_due_at=t(30, 11)),
    # A5: registered last evening, dispatch limit after NOW: not judged on anything yet
    case("A5", D2, S4, registered_at=t(31, 20), dispatch_due_at=t(11, 9, month=11)),
    # A6: dispatched and handled on time (1 h), awaiting verification, due after NOW
    case("A6", D2, S3, assigned_unit="SW", assignee="w3", stage="handled",
         registered_at=t(5), dispatch_due_at=t(5, 11), dispatched_at=t(5, 10),
         due_at=t(20, month=11), handled_at=t(6), sla_limit_s=DAY, handling_used_s=3_600),
    # R1: feedback rejected, back in rework and past due (10-10): not handled, overdue
    case("R1", D2, S3, assigned_unit="SW", assignee="w3", stage="rework", rework_count=1,
         registered_at=t(8), dispatch_due_at=t(8, 11), dispatched_at=t(8, 10),
         due_at=t(10), handled_at=t(9), sla_limit_s=DAY, handling_used_s=40_000),
    # never counted: a drill, a voided case, last month's and next month's registrations
    case("X1", D1, S1, exercise=True, assigned_unit="CG", assignee="w1", stage="closed",
         dispatched_at=t(10, 10), due_at=t(12), handled_at=t(11), closed_at=t(12),
         sla_limit_s=DAY, handling_used_s=100),
    case("V1", D1, S1, stage="void", closed_at=t(10, 10)),
    case("P1", D1, S1, registered_at=datetime(2026, 9, 30, 23, 59), dispatch_due_at=t(1)),
    case("N1", D1, S1, registered_at=END, dispatch_due_at=t(1, 11, month=11)),
]  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    s = Store(Path(tmp_path_factory.mktemp("eval")) / "x.duckdb")
    s.append("cases", pd.DataFrame(CASES))
    s.append(
        "admin_areas",
        pd.DataFrame(
            [
                {"code": D1, "level": "district", "name_zh": "湘桥区"},
                {"code": D2, "level": "district", "name_zh": "潮安区"},
                {"code": S1, "level": "street", "name_zh": "太平街道"},
            ]
        ),
    )
    s.append(
        "departments",
        pd.DataFrame(
            [
                {"dept_code": "CG", "name_zh": "城管局", "level": "district"},
                {"dept_code": "SW", "name_zh": "水务局", "level": "district"},
            ]
        ),
    )
    s.append(
        "users",
        pd.DataFrame(
            [
                {
                    "username": "w1",
                    "display_name": "网格员一",
                    "password_hash": "x",
                    "role": "grid_worker",
                    "scope_kind": "cells",
                    "scope_codes": ["c1"],
                    "created_at": START,
                }
            ]
        ),
    )
    yield s
    s.close()


def run(store: Store, by: str, **kw: object) -> pd.DataFrame:
    frame = evaluate(store, period_start=START, period_end=END, by=by, now=NOW, **kw)
    return frame.set_index("group_value", drop=False)


def behind(store: Store, figure: str, by: str, value: str | None) -> pd.DataFrame:
    return cases_behind(
        store,
        figure=figure,
        group_key=by,
        group_value=value,
        period_start=START,
        period_end=END,
        now=NOW,
    )


def same(actual: object, expected: float | None) -> bool:
    if expected is None:
        return actual is None or pd.isna(actual)
    return not pd.isna(actual) and math.isclose(float(actual), expected, abs_tol=1e-9)


def check(row: pd.Series, expected: dict[str, float | None]) -> None:
    wrong = {k: (row[k], v) for k, v in expected.items() if not same(row[k], v)}
    assert not wrong, wrong


def score(**parts: float | None) -> float | None:
    used = {k: v for k, v in parts.items() if v is not None}
    total = sum(DEFAULT_WEIGHTS[k] for k in used)
    return 100 * sum(DEFAULT_WEIGHTS[k] * v for k, v in used.items()) / total if total else None


def test_district_figures_by_hand(store: Store):
    frame = run(store, "district")
    assert list(frame.index) == [D2, D1]  # best score first
    # D1 = A1 A2 A3 A4. dispatch due: all four (A4 past its limit); on time: A1 A3.
    # handling due: A1 A2 (handled) + A3 (past due); on time: A1. closure due: A1 A2 closed,
    # A3 past due; A4 has no handling deadline. Rework: A2 of the handled A1 A2.
    # Overdue: A2 (late), A3 (open past due), A4 (not dispatched past limit).
    check(
        frame.loc[D1],
        {
            "registered": 4, "dispatched": 3, "dispatch_due": 4, "on_time_dispatch": 2,
            "on_time_dispatch_rate": 0.5, "handled": 2, "handling_due": 3,
            "on_time_handling": 1, "on_time_handling_rate": 1 / 3, "closed": 2,
            "closure_due": 3, "closure_rate": 2 / 3, "reworked": 1, "rework_rate": 0.5,
            "overdue_count": 3, "mean_handling_hours": (72_000 + 100_000) / 2 / 3600,
            "score": score(dispatch=0.5, handling=1 / 3, closure=2 / 3, rework=0.5,
                           overdue=1 - 3 / 4),
        },
    )  # fmt: skip
    assert same(frame.loc[D1, "score"], 100 * (0.1 + 0.35 / 3 + 0.25 * 2 / 3 + 0.05 + 0.025))
    assert frame.loc[D1, "group_name"] == "湘桥区"
    # D2 = A5 A6 R1. A5 is judged on nothing yet. Dispatch due and on time: A6 R1.
    # Handled: A6 only (R1 is back in rework); handling due: A6, R1 (past due); on time A6.
    # Closure due: R1 (past due), none closed -> 0. Rework 0 of 1. Overdue: R1.
    check(
        frame.loc[D2],
        {
            "registered": 3, "dispatched": 2, "dispatch_due": 2, "on_time_dispatch": 2,
            "on_time_dispatch_rate": 1.0, "handled": 1, "handling_due": 2,
            "on_time_handling": 1, "on_time_handling_rate": 0.5, "closed": 0,
            "closure_due": 1, "closure_rate": 0.0, "reworked": 0, "rework_rate": 0.0,
            "overdue_count": 1, "mean_handling_hours": 1.0,
            "score": score(dispatch=1, handling=0.5, closure=0, rework=1, overdue=1 - 1 / 3),
        },
    )  # fmt: skip


def test_exercise_void_and_other_months_never_count(store: Store):
    frame = run(store, "district")
    assert frame["registered"].sum() == 7  # A1..A6 and R1: not X1, V1, P1, N1
    for by in GROUPS:
        ids = set()
        for value in run(store, by)["group_value"]:
            ids |= set(behind(store, "registered", by, None if pd.isna(value) else value).case_id)
        # a department ranking ranks departments: the undispatched A4 A5 have none
        unranked = {"A4", "A5"} if by == "department" else set()
        assert ids == {"A1", "A2", "A3", "A4", "A5", "A6", "R1"} - unranked, by


def test_department_and_post(store: Store):
    dept = run(store, "department")
    # CG = A1 A2: everything as D1 restricted to those two.
    check(
        dept.loc["CG"],
        {
            "registered": 2, "on_time_dispatch_rate": 0.5, "on_time_handling_rate": 0.5,
            "closure_rate": 1.0, "rework_rate": 0.5, "overdue_count": 1,
        },
    )  # fmt: skip
    assert dept.loc["CG", "group_name"] == "城管局"
    # SW = A3 A6 R1: dispatch 3/3; handling due A3 A6 R1, on time A6; closure due A3 R1, none.
    check(
        dept.loc["SW"],
        {
            "registered": 3, "on_time_dispatch_rate": 1.0, "on_time_handling_rate": 1 / 3,
            "closure_rate": 0.0, "rework_rate": 0.0, "overdue_count": 2,
            "mean_handling_hours": 1.0,
        },
    )  # fmt: skip
    assert dept.loc["SW", "group_name"] == "水务局"
    # the undispatched A4 A5 have no unit: no department answers for them, not ranked
    assert dept["group_value"].notna().all() and list(dept.index) == ["CG", "SW"]
    post = run(store, "post")
    assert post.loc["w1", "group_name"] == "网格员一"
    # w2 = A3 alone: dispatched on time, not handled and past due
    check(
        post.loc["w2"],
        {
            "registered": 1, "on_time_dispatch_rate": 1.0, "on_time_handling_rate": 0.0,
            "closure_rate": 0.0, "rework_rate": None, "overdue_count": 1,
        },
    )  # fmt: skip
    assert set(post["group_value"].dropna()) == {"w1", "w2", "w3"}


def test_rates_are_null_when_nothing_is_due(store: Store):
    street = run(store, "street")
    assert set(street["group_value"]) == {S1, S2, S3, S4}
    assert street.loc[S1, "group_name"] == "太平街道"
    # S4 = A5 alone, registered but not yet due for anything: every rate NULL, not 0;
    # nothing due for handling or closure: not rated (NULL, not 100), ranked last
    check(
        street.loc[S4],
        {
            "registered": 1, "on_time_dispatch_rate": None, "on_time_handling_rate": None,
            "closure_rate": None, "rework_rate": None, "mean_handling_hours": None,
            "overdue_count": 0, "score": None,
        },
    )  # fmt: skip
    assert list(street.index)[-1] == S4
    only_dispatch = run(store, "street", weights={"dispatch": 1})
    assert pd.isna(only_dispatch.loc[S4, "score"])
    assert same(only_dispatch.loc[S1, "score"], 50.0)  # A1 on time, A2 late


def test_empty_period_gives_no_rows(store: Store):
    frame = evaluate(
        store, period_start=t(1, month=1), period_end=t(1, month=2), by="district", now=NOW
    )
    assert frame.empty and "score" in frame.columns


def test_now_is_the_moment_of_evaluation(store: Store):
    # on 10-15 only A1 A2 of D1 were registered; A2's handling (10-14) and closure (10-15
    # 09:00) had happened at noon, A3 A4 did not exist yet
    frame = evaluate(
        store, period_start=START, period_end=END, by="district", now=t(15, 12)
    ).set_index("group_value")
    check(frame.loc[D1], {"registered": 2, "handled": 2, "closed": 2, "overdue_count": 1})
    early = evaluate(
        store, period_start=START, period_end=END, by="district", now=t(11, 12)
    ).set_index("group_value")
    # at 10-11 noon A2 was dispatched but not yet handled nor past due (10-12)
    check(early.loc[D1], {"handled": 1, "handling_due": 1, "closed": 0, "overdue_count": 0})


@pytest.mark.parametrize("by", list(GROUPS))
def test_cases_behind_match_every_figure(store: Store, by: str):
    frame = run(store, by)
    for _, row in frame.iterrows():
        value = None if pd.isna(row["group_value"]) else row["group_value"]
        for name in PREDICATES:
            cases = behind(store, name, by, value)
            assert len(cases) == row[name], (by, value, name)
            assert cases["in_numerator"].all()
        for rate, (num, den) in RATES.items():
            cases = behind(store, rate, by, value)
            assert len(cases) == row[den], (by, value, rate)
            assert cases["in_numerator"].sum() == row[num], (by, value, rate)
        hours = behind(store, "mean_handling_hours", by, value)
        assert same(
            row["mean_handling_hours"],
            hours["handling_used_s"].mean() / 3600 if len(hours) else None,
        )
        assert len(behind(store, "score", by, value)) == row["registered"]
    assert frame["registered"].sum() == (5 if by == "department" else 7)


def test_cases_behind_names_the_cases(store: Store):
    late = behind(store, "overdue_count", "district", D1)
    assert list(late["case_id"]) == ["A2", "A3", "A4"]
    rate = behind(store, "on_time_handling_rate", "district_code", D1)
    assert dict(zip(rate["case_id"], rate["in_numerator"], strict=True)) == {
        "A1": True,
        "A2": False,
        "A3": False,
    }
    assert set(FIGURES) >= {*PREDICATES, *RATES, "mean_handling_hours", "score"}
    with pytest.raises(ValueError, match="unknown figure"):
        behind(store, "happiness", "district", D1)
    with pytest.raises(ValueError, match="unknown grouping"):
        behind(store, "registered", "county", D1)


def test_weights_are_validated(store: Store):
    assert validate_weights(None) == DEFAULT_WEIGHTS
    assert validate_weights({"handling": 2})["dispatch"] == 0.0
    for bad in (
        {"handling": -0.1},
        {"dispatch": 0, "handling": 0},
        {},
        {"speed": 1},
        {"handling": float("nan")},
        {"handling": float("inf")},
        {"handling": "1"},
        {"handling": True},
    ):
        with pytest.raises(ValueError):
            run(store, "district", weights=bad)
    # scaling all weights changes nothing
    doubled = run(store, "district", weights={k: 2 * v for k, v in DEFAULT_WEIGHTS.items()})
    assert same(doubled.loc[D1, "score"], run(store, "district").loc[D1, "score"])


def test_bad_arguments(store: Store):
    with pytest.raises(ValueError, match="unknown grouping"):
        run(store, "city")
    with pytest.raises(ValueError, match="empty period"):
        evaluate(store, period_start=END, period_end=START, by="district", now=NOW)


def test_aware_datetimes_are_taken_as_utc(store: Store):
    shanghai = timezone(timedelta(hours=8))
    frame = evaluate(
        store,
        period_start=START.replace(tzinfo=UTC).astimezone(shanghai),
        period_end=END.replace(tzinfo=UTC),
        by="district",
        now=NOW.replace(tzinfo=UTC),
    )
    assert frame["registered"].sum() == 7


def test_period_of_month():
    assert period_of_month("2026-10") == (datetime(2026, 9, 30, 16), datetime(2026, 10, 31, 16))
    assert period_of_month("2026-12", tz="UTC") == (datetime(2026, 12, 1), datetime(2027, 1, 1))
    assert period_of_month("2026-03", tz="Europe/Berlin") == (
        datetime(2026, 2, 28, 23),
        datetime(2026, 3, 31, 22),  # summer time began on 03-29
    )
    for bad in ("2026-13", "2026-00", "2026-1", "26-10", "2026/10", "", "0000-01", "9999-12"):
        with pytest.raises(ValueError):
            period_of_month(bad)
    with pytest.raises(ValueError):
        period_of_month("2026-10", tz="Mars/Olympus")
    with pytest.raises(ValueError):
        period_of_month(202610)  # type: ignore[arg-type]
