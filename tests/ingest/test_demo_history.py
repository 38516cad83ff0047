"""The generated demo case history: legal paths, consistent milestones, plausible KPIs."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from ingest.demo_city.generate import generate_demo_city
from ingest.demo_city.history import generate_case_history
from ingest.demo_city.load import load_demo_city
from models.cases import sla_limit
from models.categories import seed_categories
from models.evaluation import evaluate
from models.sla import sla_elapsed
from models.store import Store
from models.work_calendar import WorkCalendar
from models.workflow import ACTIONS, Transition, fold

END = datetime(2026, 11, 24, 4, 0)
DAYS = 20
SEED = 11


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    return WorkCalendar()


@pytest.fixture(scope="module")
def city():  # type: ignore[no-untyped-def]
    return generate_demo_city()


def _store(path: Path, city, calendar: WorkCalendar, seed: int = SEED):  # type: ignore[no-untyped-def]
    store = Store(path)
    load_demo_city(store, city, now=END)
    seed_categories(store)
    counts = generate_case_history(store, end=END, days=DAYS, seed=seed, calendar=calendar)
    return store, counts


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, city, calendar):  # type: ignore[no-untyped-def]
    store, counts = _store(tmp_path_factory.mktemp("hist") / "x.duckdb", city, calendar)
    yield store, counts
    store.close()


@pytest.fixture(scope="module")
def cases(loaded) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return loaded[0].query_df("SELECT * FROM cases ORDER BY case_id")


@pytest.fixture(scope="module")
def transitions(loaded) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return loaded[0].query_df("SELECT * FROM case_transitions ORDER BY case_id, seq")


def _histories(transitions: pd.DataFrame) -> dict[str, list[Transition]]:
    out: dict[str, list[Transition]] = {}
    for row in transitions.itertuples(index=False):
        data = json.loads(row.data) if isinstance(row.data, str) else {}
        if "extension" in data:
            data["extension"] = timedelta(seconds=data["extension"])
        out.setdefault(row.case_id, []).append(
            Transition(
                int(row.seq),
                row.occurred_at.to_pydatetime(),
                row.actor,
                row.role,
                row.action,
                row.from_stage if isinstance(row.from_stage, str) else None,
                row.to_stage,
                row.note if isinstance(row.note, str) else None,
                data,
            )
        )
    return out


@pytest.fixture(scope="module")
def histories(transitions) -> dict[str, list[Transition]]:  # type: ignore[no-untyped-def]
    return _histories(transitions)


def test_counts_match_the_store(loaded, cases, transitions) -> None:  # type: ignore[no-untyped-def]
    _, counts = loaded
    assert counts["cases"] == len(cases) > 4000  # ~350 a day
    assert counts["transitions"] == len(transitions)
    assert cases["external_id"].str.fullmatch(r"hist:\d+").all()
    # made by the one case builder: C<local date>-<number from the store's sequence>
    assert cases["case_id"].str.fullmatch(r"C\d{8}-\d{6}").all()
    local = cases["reported_at"].dt.tz_localize("UTC").dt.tz_convert("Asia/Shanghai")
    assert (cases["case_id"].str[1:9] == local.dt.strftime("%Y%m%d")).all()
    events = loaded[0].query_df(
        "SELECT case_id, detail FROM case_events WHERE kind = 'route_suggested' AND seq = 1"
    )
    assert len(events) == len(cases)
    assert all("duplicates" in json.loads(d) for d in events["detail"].head(50))
    assert cases["reported_at"].min() >= END - timedelta(days=DAYS)
    assert cases["reported_at"].max() < END
    assert set(cases["source"]) == {"grid_worker", "hotline", "iot", "open311"}
    assert cases["source"].value_counts().idxmax() == "grid_worker"


def test_stage_is_the_fold_of_the_history(cases, histories) -> None:  # type: ignore[no-untyped-def]
    assert set(histories) == set(cases["case_id"])
    for row in cases.itertuples(index=False):
        state = fold(histories[row.case_id])
        assert state.stage == row.stage, row.case_id
        assert state.rework_count == row.rework_count
        assert state.returns == row.returns_count


def test_every_step_is_legal(histories) -> None:  # type: ignore[no-untyped-def]
    for case_id, hist in histories.items():
        assert [t.seq for t in hist] == list(range(1, len(hist) + 1)), case_id
        stage = None
        for prev, t in zip([None, *hist], hist, strict=False):
            spec = ACTIONS[t.action]
            assert stage in spec.sources, (case_id, t.action, stage)
            assert t.from_stage == stage and t.to_stage == spec.target
            assert t.role in spec.roles, (case_id, t.action, t.role)
            assert all(t.data.get(k) for k in spec.required), (case_id, t.action)
            assert prev is None or t.at >= prev.at
            stage = t.to_stage


def test_milestones_mirror_the_history(cases, histories, calendar) -> None:  # type: ignore[no-untyped-def]
    for row in cases.itertuples(index=False):
        hist = histories[row.case_id]
        dispatches = [t for t in hist if t.action == "dispatch"]
        feedbacks = [t for t in hist if t.action == "feedback"]
        registers = [t for t in hist if t.action == "register"]
        if dispatches:
            assert row.dispatched_at == dispatches[0].at
            assert row.assigned_unit == dispatches[-1].data["unit"]
            assert row.due_at > row.dispatched_at
            assert row.sla_limit_s > 0
        else:
            assert pd.isna(row.dispatched_at) and pd.isna(row.due_at)
        if registers:
            assert row.registered_at == registers[0].at
            assert row.dispatch_due_at == calendar.add_working_time(
                registers[0].at, timedelta(hours=1)
            )
        if feedbacks:
            assert row.handled_at == feedbacks[-1].at
        else:
            assert pd.isna(row.handled_at)
        if row.stage in ("closed", "void"):
            assert row.closed_at == hist[-1].at
        else:
            assert pd.isna(row.closed_at)


def test_sla_figures_agree_with_the_workflow_clock(cases, histories, calendar, loaded) -> None:  # type: ignore[no-untyped-def]
    limits = {
        r["category_code"]: sla_limit(r, calendar)
        for r in loaded[0]
        .query_df("SELECT category_code, limit_value, limit_unit FROM categories")
        .to_dict("records")
    }
    handled = cases[cases["handling_used_s"].notna()]
    sample = handled.sample(600, random_state=1)
    extended = handled[
        handled["sla_limit_s"]
        != handled["category_code"].map(lambda c: int(limits[c].total_seconds()))
    ]
    for row in pd.concat([sample, extended.head(100)]).itertuples(index=False):
        hist = histories[row.case_id]
        last_fb = max(i for i, t in enumerate(hist) if t.action == "feedback")
        state = fold(hist[: last_fb + 1])
        used = sla_elapsed(
            state, now=hist[last_fb].at, working_time_between=calendar.working_time_between
        )
        assert int(used.total_seconds()) == row.handling_used_s, row.case_id
        total = limits[row.category_code] + state.extra_time
        assert row.sla_limit_s == int(total.total_seconds()), row.case_id
    assert len(extended) > 0  # approved extensions raise the limit


def test_every_major_stage_is_present(cases) -> None:  # type: ignore[no-untyped-def]
    stages = set(cases["stage"])
    assert {
        "reported", "registered", "dispatched", "handling", "handled", "verified", "closed",
        "void", "rework",
    } <= stages  # fmt: skip
    assert (cases["stage"] == "closed").mean() > 0.7
    assert 0.02 < (cases["stage"] == "void").mean() < 0.09


def test_side_paths_happen(histories, cases) -> None:  # type: ignore[no-untyped-def]
    actions = pd.Series([t.action for h in histories.values() for t in h]).value_counts()
    for action in ("return", "verify_fail", "request_extension", "approve_extension",
                   "deny_extension"):  # fmt: skip
        assert actions.get(action, 0) > 0, action
    assert (cases["rework_count"] > 0).sum() > 0
    assert (cases["returns_count"] > 0).sum() > 0


def test_some_open_cases_are_overdue(cases) -> None:  # type: ignore[no-untyped-def]
    open_ = cases[~cases["stage"].isin(["closed", "void", "handled", "verified"])]
    overdue = open_[open_["due_at"] < END]
    assert len(overdue) > 0
    late = cases[cases["handling_used_s"] > cases["sla_limit_s"]]
    assert 0.05 < len(late) / cases["handling_used_s"].notna().sum() < 0.25


def test_exercise_share_is_small(cases) -> None:  # type: ignore[no-untyped-def]
    share = cases["exercise"].mean()
    assert 0.002 < share < 0.03


def test_actors_are_plausible(transitions, cases) -> None:  # type: ignore[no-untyped-def]
    by_role = transitions.groupby("role")["actor"]
    assert by_role.apply(lambda a: a.str.fullmatch(r"d\d{2}").all())["dispatcher"]
    assert by_role.apply(lambda a: a.str.startswith("GW").all())["grid_worker"]
    handler = transitions[transitions["role"] == "handler"]
    assert handler["actor"].str.contains("/h").all()


def test_same_seed_same_rows(tmp_path, city, calendar, cases, transitions) -> None:  # type: ignore[no-untyped-def]
    store, _ = _store(tmp_path / "y.duckdb", city, calendar)
    try:
        again = store.query_df("SELECT * FROM cases ORDER BY case_id")
        pd.testing.assert_frame_equal(again, cases)
        again_t = store.query_df("SELECT * FROM case_transitions ORDER BY case_id, seq")
        pd.testing.assert_frame_equal(again_t, transitions)
    finally:
        store.close()
    other, _ = _store(tmp_path / "z.duckdb", city, calendar, seed=SEED + 1)
    try:
        assert not other.query_df("SELECT * FROM cases ORDER BY case_id").equals(cases)
    finally:
        other.close()


def test_evaluation_gives_plausible_rates(loaded) -> None:  # type: ignore[no-untyped-def]
    store, _ = loaded
    frame = evaluate(
        store, period_start=END - timedelta(days=DAYS), period_end=END, by="district", now=END
    )
    totals = frame[["on_time_handling", "handling_due", "closed", "closure_due"]].sum()
    on_time = totals["on_time_handling"] / totals["handling_due"]
    closure = totals["closed"] / totals["closure_due"]
    assert 0.6 < on_time < 0.98
    assert closure > 0.5
    assert frame["registered"].sum() > 3000
