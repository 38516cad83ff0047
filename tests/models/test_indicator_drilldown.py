"""A figure and its list never disagree: for every case-based indicator of indicators.yaml,
on a generated demo history, the value equals what its cases_behind list gives (its length
for a count, numerator / denominator for a rate, the mean for a handling time), for the
city and for a district, over a month, a week and a day."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from ingest.demo_city.generate import generate_demo_city
from ingest.demo_city.history import generate_case_history
from ingest.demo_city.load import load_demo_city
from models.categories import seed_categories
from models.indicators.case_measures import CASE_FIGURES
from models.indicators.compute import cases_behind, compute_indicators
from models.indicators.periods import parse_period
from models.indicators.registry import load_indicators
from models.security import Scope
from models.store import Store
from models.work_calendar import WorkCalendar

END = datetime(2026, 11, 24, 4, 0)  # the history runs to here; NOW is a little later
NOW = datetime(2026, 11, 24, 6, 0)
CASE_INDICATORS = [i for i in load_indicators() if i.case_based]
SCOPES = {"city": Scope("city"), "district": Scope("district", ("445102",))}
PERIODS = ("2026-11", "2026-W46", "2026-11-20")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    s = Store(Path(tmp_path_factory.mktemp("inddrill")) / "x.duckdb")
    load_demo_city(s, generate_demo_city(), now=END)
    seed_categories(s)
    generate_case_history(s, end=END, days=40, seed=5, calendar=WorkCalendar())
    yield s
    s.close()


@pytest.fixture(scope="module")
def values(store: Store) -> dict[tuple[str, str], dict[str, float | None]]:
    out = {}
    for scope_name, scope in SCOPES.items():
        for label in PERIODS:
            rows = compute_indicators(store, period=parse_period(label), scope=scope, now=NOW,
                                      indicators=CASE_INDICATORS, trend_periods=2)  # fmt: skip
            out[scope_name, label] = {r["id"]: r["value"] for r in rows}
    return out


def from_list(measure: str, frame: pd.DataFrame) -> float | None:
    figure, factor = CASE_FIGURES[measure]
    if figure.endswith("_rate"):
        den = len(frame)
        return None if den == 0 else factor * int(frame["in_numerator"].sum()) / den
    if figure == "mean_handling_hours":
        return None if frame.empty else float(frame["handling_used_s"].mean()) / 3600
    assert frame["in_numerator"].all()
    return float(len(frame))


def test_the_history_gives_every_indicator_cases(store: Store, values) -> None:  # type: ignore[no-untyped-def]
    month = values["city", "2026-11"]
    assert all(month[i.id] is not None for i in CASE_INDICATORS)
    assert all(month[i.id] > 0 for i in CASE_INDICATORS if i.measure == "cases.registered")


@pytest.mark.parametrize("label", PERIODS)
@pytest.mark.parametrize("scope_name", sorted(SCOPES))
@pytest.mark.parametrize("ind", CASE_INDICATORS, ids=lambda i: i.id)
def test_figure_equals_its_cases(store: Store, values, ind, scope_name: str, label: str) -> None:  # type: ignore[no-untyped-def]
    period = parse_period(label)
    frame = cases_behind(store, ind.id, period=period, scope=SCOPES[scope_name], now=NOW)
    figure = values[scope_name, label][ind.id]
    listed = from_list(ind.measure, frame)
    if listed is None:
        assert figure is None
    else:
        assert figure is not None and math.isclose(figure, listed, rel_tol=1e-9, abs_tol=1e-9)
    assert list(frame["case_id"]) == sorted(frame["case_id"])
    if scope_name == "district":
        assert set(frame["district_code"]) <= {"445102"}
