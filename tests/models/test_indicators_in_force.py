"""The indicators in force: targets and thresholds the admin saves are what the indicator
computation (cockpit, API, reports) uses next, without a restart; overrides are checked by
the registry's own rules and a refused one changes nothing."""

from datetime import datetime

import pytest

from models.indicators.compute import compute_indicators
from models.indicators.in_force import indicators_in_force, save_targets, target_problems
from models.indicators.periods import parse_period
from models.indicators.registry import indicator_by_id, load_indicators, status_of
from models.security import Scope
from models.settings_docs import SettingsDocError, doc_version

IND = "urban.on_time_handling"  # higher is better: target 90, green 90, yellow 80


def _row(store, ident: str) -> dict:
    period = parse_period("2026-11")
    rows = compute_indicators(store, period=period, scope=Scope("city"),
                              now=datetime(2026, 12, 1), trend_periods=2)  # fmt: skip
    return next(r for r in rows if r["id"] == ident)


def test_a_saved_target_is_what_the_computation_uses_next(store):
    assert _row(store, IND)["target"] == 90.0
    save_targets(store, {IND: {"target": 95, "green": 95, "yellow": 85}}, actor="admin")
    assert _row(store, IND)["target"] == 95.0
    ind = indicator_by_id(IND, indicators_in_force(store))
    assert status_of(ind, 92.0) == "yellow"  # green from 95 now, was green at 90
    assert status_of(indicator_by_id(IND, load_indicators()), 92.0) == "green"
    save_targets(store, {}, actor="admin")  # back to the declarations
    assert _row(store, IND)["target"] == 90.0


def test_built_once_per_version(store):
    first = indicators_in_force(store)
    assert indicators_in_force(store) is first
    save_targets(store, {IND: {"target": 91}}, actor="admin")
    assert indicators_in_force(store) is not first


@pytest.mark.parametrize(
    "body, word",
    [
        ({IND: {"green": 70, "yellow": 80}}, "must be at least yellow"),
        ({IND: {"green": 95, "yellow": None}}, "both green and yellow"),
        ({IND: {"target": "high"}}, "finite number"),
        ({IND: {"target": float("nan")}}, "finite number"),
        ({IND: {"target": True}}, "finite number"),
        ({IND: {"direction": "lower"}}, "only target"),
        ({"no.such": {"target": 1}}, "unknown indicator"),
        ({IND: 95}, "expected"),
        ([95], "map"),
    ],
)
def test_bad_overrides_are_refused(body, word):
    problems = target_problems(body)
    assert problems and word in "; ".join(problems), problems


def test_a_refused_save_changes_nothing(store):
    with pytest.raises(SettingsDocError):
        save_targets(store, {IND: {"green": 70, "yellow": 80}}, actor="admin")
    assert doc_version(store, "indicator_targets") == 0
    assert indicator_by_id(IND, indicators_in_force(store)).green == 90.0
