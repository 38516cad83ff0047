"""Each case indicator of indicators.yaml on a hand-made month of cases, worked out by hand;
its previous period, trend, scope, and the cases behind it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from models.case_selection import CaseSelection
from models.indicators.case_measures import figures_by_period
from models.indicators.compute import cases_behind, compute_indicators
from models.indicators.periods import parse_period
from models.security import Scope
from models.store import Store

OCT = parse_period("2026-10")  # 2026-09-30 16:00 .. 2026-10-31 16:00 UTC
NOW = datetime(2026, 11, 10)
D1, D2 = "445102", "445103"
CITY = Scope("city")


def t(day: int, hour: int = 1, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour)


def case(case_id: str, category: str, **kw: object) -> dict:
    """By default: registered 10-10, dispatched on time, handled on time (1 h of 24), closed."""
    cell = str(kw.pop("cell", D1 + "001001001"))
    row = {
        "case_id": case_id, "source": "grid_worker", "category_code": category,
        "cell_code": cell, "district_code": cell[:6], "street_code": cell[:9],
        "exercise": False, "stage": "closed", "rework_count": 0, "assigned_unit": "CG",
        "assignee": "w1", "registered_at": t(10), "dispatch_due_at": t(10, 3),
        "dispatched_at": t(10, 2), "due_at": t(12), "handled_at": t(11), "closed_at": t(11, 5),
        "sla_limit_s": 86_400, "handling_used_s": 3_600,
    }  # fmt: skip
    row.update(kw)
    row["reported_at"] = row["registered_at"]
    return row


OPEN = {"handled_at": None, "closed_at": None, "handling_used_s": None}
CASES = [
    case("U1", "0201"),  # all on time, closed
    # dispatched late, handled late (100000 s > 86400 s), closed, sent back once
    case("U2", "0301", dispatched_at=t(10, 4), handling_used_s=100_000, rework_count=1),
    # dispatched on time, never handled, past due 10-15 at NOW: overdue, open
    case("U3", "0101", stage="handling", due_at=t(15), **OPEN),
    # never dispatched, past its dispatch limit: overdue
    case("U4", "0202", stage="registered", dispatched_at=None, due_at=None, assigned_unit=None,
         **OPEN),
    # hotline: noise, all on time (2 h), closed
    case("H1", "0601", source="hotline", handling_used_s=7_200,
         satisfaction="basic", rated_at=t(12)),  # 回访: 基本满意
    # hotline: typhoon damage, dispatched late, handled on time (10 h), due after NOW, open
    case("H2", "0801", source="hotline", stage="handled", dispatched_at=t(10, 4),
         due_at=t(20, month=11), closed_at=None, handling_used_s=36_000,
         satisfaction="unsatisfied", rated_at=t(13)),  # 回访: 不满意
    # another district: all on time
    case("B1", "0201", cell=D2 + "001001001"),
    # never counted: a drill; September's case counts for the previous period only
    case("X1", "0201", exercise=True),
    case("P1", "0201", registered_at=t(20, month=9), dispatch_due_at=t(20, 3, month=9),
         dispatched_at=t(20, 2, month=9), due_at=t(22, month=9), handled_at=t(21, month=9),
         closed_at=t(21, 5, month=9)),
]  # fmt: skip

#: indicator id -> value for October, city-wide, worked out from the comments above
EXPECTED: dict[str, float | None] = {
    # 城市管理 (majors 01-03): U1 U2 U3 U4 B1
    "urban.registered": 5,
    "urban.on_time_handling": 100 * 2 / 4,  # due: U1 U2 U3 B1; on time: U1 B1
    "urban.closure": 100 * 3 / 4,  # due: U1 U2 U3 (past due) B1; closed: U1 U2 B1
    "urban.rework": 100 * 1 / 3,  # handled: U1 U2 B1; reworked: U2
    "urban.overdue": 3,  # U2 late, U3 open past due, U4 not dispatched past limit
    "urban.handling_hours": (3_600 + 100_000 + 3_600) / 3 / 3600,
    # 综合治理: every case, U1-U4 H1 H2 B1
    "governance.registered": 7,
    "governance.on_time_dispatch": 100 * 4 / 7,  # due: all 7; on time: U1 U3 H1 B1
    "governance.on_time_handling": 100 * 4 / 6,  # due: U1 U2 U3 H1 H2 B1; late: U2 U3
    "governance.closure": 100 * 4 / 5,  # due: U1 U2 U3 H1 B1 (H2 not yet due)
    "governance.rework": 100 * 1 / 5,  # handled: U1 U2 H1 H2 B1
    "governance.overdue": 3,
    # 公共服务: the hotline, H1 H2
    "service.registered": 2,
    "service.response": 100 * 1 / 2,  # H2 dispatched late
    "service.on_time_handling": 100.0,
    "service.closure": 100.0,  # H2 not due yet
    "service.satisfaction": 100 * 1 / 2,  # rated by NOW: H1 basic (counts), H2 unsatisfied
    # 生态环境: noise H1
    "eco.registered": 1,
    "eco.on_time_handling": 100.0,
    "eco.closure": 100.0,
    # 城市安全: typhoon H2
    "safety.registered": 1,
    "safety.on_time_dispatch": 0.0,
    "safety.on_time_handling": 100.0,
    "safety.overdue": 0,
    # 市场监管, 交通运行, 生态宜居: no cases; rates have no value
    "market.registered": 0,
    "market.on_time_handling": None,
    "market.closure": None,
    "traffic.registered": 0,
    "traffic.on_time_handling": None,
    "livable.registered": 0,
    "livable.on_time_handling": None,
    "livable.closure": None,
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    s = Store(Path(tmp_path_factory.mktemp("indcases")) / "x.duckdb")
    s.append("cases", pd.DataFrame(CASES))
    s.append(
        "categories",
        pd.DataFrame(
            [
                {"category_code": code, "kind": kind, "major_code": code[:2],
                 "minor_code": code[2:], "name_zh": code, "name_en": code, "owner_dept": "CG",
                 "limit_value": 1.0, "limit_unit": "working_days"}
                for code, kind in [("0101", "component"), ("0201", "event")]
            ]
        ),
    )  # fmt: skip
    yield s
    s.close()


@pytest.fixture(scope="module")
def results(store: Store) -> dict[str, dict]:
    rows = compute_indicators(store, period=OCT, scope=CITY, now=NOW, trend_periods=3)
    return {r["id"]: r for r in rows}


@pytest.mark.parametrize("ident", sorted(EXPECTED))
def test_each_case_indicator_by_hand(results: dict[str, dict], ident: str) -> None:
    want, got = EXPECTED[ident], results[ident]["value"]
    assert got == (None if want is None else pytest.approx(want))


def test_every_case_indicator_is_checked_by_hand(results: dict[str, dict]) -> None:
    assert {i for i, r in results.items() if r["case_based"]} == set(EXPECTED)


def test_previous_trend_change_and_status(results: dict[str, dict]) -> None:
    reg = results["urban.registered"]
    assert reg["previous"] == 1 and reg["change"] == 4  # P1 in September
    assert reg["trend"] == [0, 1, 5] and reg["status"] is None
    closure = results["urban.closure"]
    assert closure["trend"] == [None, pytest.approx(100), pytest.approx(75)]
    assert closure["change"] == pytest.approx(-25)
    assert closure["status"] == "red"  # 75 < yellow 80
    assert results["governance.closure"]["status"] == "yellow"  # 80
    assert results["governance.rework"]["status"] == "red"  # 20 > 10
    assert results["service.on_time_handling"]["status"] == "green"
    market = results["market.closure"]
    assert market["status"] is None and market["change"] is None


def test_district_scope_sees_only_its_district(store: Store) -> None:
    rows = compute_indicators(store, period=OCT, scope=Scope("district", (D2,)), now=NOW,
                              trend_periods=2)  # fmt: skip
    values = {r["id"]: r["value"] for r in rows}
    assert values["urban.registered"] == 1 and values["governance.registered"] == 1
    assert values["service.registered"] == 0
    frame = cases_behind(store, "governance.registered", period=OCT,
                         scope=Scope("district", (D2,)), now=NOW)  # fmt: skip
    assert list(frame["case_id"]) == ["B1"]


def test_cases_behind_a_rate_flags_its_numerator(store: Store) -> None:
    frame = cases_behind(store, "urban.on_time_handling", period=OCT, scope=CITY, now=NOW)
    assert dict(zip(frame["case_id"], frame["in_numerator"], strict=True)) == {
        "B1": True, "U1": True, "U2": False, "U3": False}  # fmt: skip
    limited = cases_behind(store, "governance.registered", period=OCT, scope=CITY, now=NOW,
                           limit=2)  # fmt: skip
    assert list(limited["case_id"]) == ["B1", "H1"]


def test_cases_behind_refuses_unknown_indicator(store: Store) -> None:
    with pytest.raises(ValueError, match="nope"):
        cases_behind(store, "nope", period=OCT, scope=CITY, now=NOW)


def test_selection_by_kind_and_an_earlier_now(store: Store) -> None:
    periods = [(OCT.start, OCT.end)]
    frame = figures_by_period(store, figures=["registered"], periods=periods, now=NOW,
                              selection=CaseSelection(kinds=("component",)))  # fmt: skip
    assert list(frame["registered"]) == [1]  # U3 (0101)
    # at 10-11 00:00 nothing was handled yet and only U1-U4, H1, H2, B1 registered
    early = figures_by_period(store, figures=["registered", "handled", "closure_rate"],
                              periods=periods, now=t(11, 0))  # fmt: skip
    assert list(early["registered"]) == [7] and list(early["handled"]) == [0]
    assert early["closure_rate"].isna().all()


def test_periods_in_any_order_with_gaps(store: Store) -> None:
    days = [parse_period(f"2026-10-{d:02d}") for d in (11, 9, 10, 1, 20)]
    sep = parse_period("2026-09")
    periods = [(p.start, p.end) for p in [*days, sep]]
    frame = figures_by_period(store, figures=["registered"], periods=periods, now=NOW)
    # everything is registered on 10-10 09:00 local, P1 on 09-20
    assert list(frame["registered"]) == [0, 0, 7, 0, 0, 1]
    with pytest.raises(ValueError, match="overlap"):
        figures_by_period(store, figures=["registered"], now=NOW,
                          periods=[(OCT.start, OCT.end), (days[0].start, days[0].end)])  # fmt: skip


def test_a_period_not_begun_has_no_value(store: Store) -> None:
    rows = compute_indicators(store, period=parse_period("2026-12"), scope=CITY, now=NOW,
                              trend_periods=3)  # fmt: skip
    reg = {r["id"]: r for r in rows}["governance.registered"]
    assert reg["trend"] == [7, 0, None] and reg["value"] is None and reg["previous"] == 0


def test_satisfaction_counts_ratings_given_by_now(store: Store) -> None:
    # at 10-12 12:00 only H1 (基本满意, rated 10-12 01:00) is rated: 满意率 100 %
    rows = compute_indicators(
        store, period=OCT, scope=CITY, now=t(12, 12), trend_periods=2
    )
    value = {r["id"]: r["value"] for r in rows}["service.satisfaction"]
    assert value == pytest.approx(100.0)
    behind = cases_behind(store, "service.satisfaction", period=OCT, scope=CITY, now=NOW)
    assert sorted(behind["case_id"]) == ["H1", "H2"]
    assert dict(zip(behind["case_id"], behind["in_numerator"])) == {"H1": True, "H2": False}


def test_an_indicator_has_no_value_over_a_period_shorter_than_its_frequency(store) -> None:
    # found by the independent tester: a monthly figure (patrol coverage, satisfaction) over
    # a day was red and pulled a daily report's score down; over a day it is not kept
    from dataclasses import replace

    from models.indicators.registry import indicator_by_id

    monthly = replace(indicator_by_id("service.registered"), id="m", frequency="monthly")
    daily = replace(monthly, id="d", frequency="daily")
    for label, expected in (("2026-10-10", (None, 1.0)), ("2026-W41", (None, 1.0)),
                            ("2026-10", (2.0, 2.0)),
                            ("2026-10-01..2026-10-28", (2.0, 2.0))):  # fmt: skip
        rows = compute_indicators(store, period=parse_period(label), scope=CITY, now=NOW,
                                  indicators=[monthly, daily], trend_periods=2)  # fmt: skip
        got = tuple(r["value"] for r in rows)
        assert got[0] == expected[0], label
        assert rows[0]["status"] is None and (got[0] is None) == all(
            v is None for v in rows[0]["trend"]
        )
