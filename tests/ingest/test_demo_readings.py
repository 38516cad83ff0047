"""The demo's past sensor readings and traffic samples: the simulator's own models, evaluated
back in time, so the cockpit's environment, traffic and sensing indicators have a history."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ingest.demo_city.generate import generate_demo_city
from ingest.demo_city.load import load_demo_city
from ingest.demo_city.readings import generate_readings_history
from ingest.simulator.environment import air_values
from ingest.simulator.world import build_world
from models.indicators.compute import compute_indicators
from models.indicators.periods import parse_period
from models.security import Scope
from models.store import Store

END = datetime(2026, 11, 3, 4, 17)
DAYS = 4


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory):
    city = generate_demo_city()
    store = Store(tmp_path_factory.mktemp("readings") / "x.duckdb")
    load_demo_city(store, city, now=END)
    counts = generate_readings_history(store, end=END, days=DAYS, seed=7, world=build_world(city))
    yield store, counts, city
    store.close()


def test_every_sensor_has_readings_each_day_and_none_after_the_end(filled) -> None:
    store, counts, _ = filled
    assert counts["observations"] > 0 and counts["traffic_samples"] > 0
    sensors = store.query_value("SELECT count(*) FROM sensors WHERE kind <> 'traffic'")
    days = store.query_rows(
        "SELECT sensor_id, count(DISTINCT ts::DATE) FROM observations GROUP BY sensor_id"
    )
    assert len(days) == sensors and min(n for _, n in days) >= DAYS
    last = store.query_value("SELECT max(ts) FROM observations")
    assert last <= END - timedelta(hours=2)  # before the rules' warm-up window
    assert store.query_value("SELECT count(*) FROM observations WHERE ts < ?", [
        END - timedelta(days=DAYS)
    ]) == 0  # fmt: skip
    # historic: received when measured, from the demo history, never an exercise
    assert (
        store.query_value(
            "SELECT count(*) FROM observations WHERE received_at <> ts OR source <> 'demo-history' "
            "OR exercise"
        )
        == 0
    )


def test_readings_are_the_simulators_values_at_their_instant(filled) -> None:
    store, _, city = filled
    world = build_world(city)
    station = next(s for s in world.sensors if s.kind == "air")
    ts, value = store.query_rows(
        "SELECT ts, value FROM observations WHERE sensor_id = ? AND metric = 'pm25' "
        "ORDER BY ts LIMIT 1",
        [station.sensor_id],
    )[0]
    epoch = int((ts - datetime(1970, 1, 1)).total_seconds())
    assert value == air_values(station, epoch, seed=7)["pm25"]


def test_a_second_run_adds_nothing(filled) -> None:
    store, _, city = filled
    again = generate_readings_history(store, end=END, days=DAYS, seed=7, world=build_world(city))
    assert again == {"observations": 0, "traffic_samples": 0}


def test_the_environment_indicators_have_values_over_the_history(filled) -> None:
    store, _, _ = filled

    def values(text: str) -> dict:
        period = parse_period(text)
        rows = compute_indicators(
            store, period=period, scope=Scope("city"), now=END, trend_periods=2
        )  # fmt: skip
        return {r["id"]: r["value"] for r in rows}

    days = values("2026-11-01..2026-11-02")
    for ident in (
        "env.aqi_good_days",
        "env.pm25",
        "livable.noise_compliance",
        "traffic.congestion_mean",
        "traffic.congestion_peak",
        "safety.sensor_availability",
    ):
        assert days[ident] is not None, ident
    assert days["safety.sensor_availability"] == pytest.approx(100.0)
    # a monthly figure has no value over two days, and one over 28 days of which 4 have data
    assert days["env.water_on_target"] is None
    assert values("2026-10-06..2026-11-02")["env.water_on_target"] is not None


def test_grid_workers_patrol_their_cells_in_the_history(filled) -> None:
    from ingest.demo_city.readings import generate_patrol_history

    store, _, _ = filled
    written = generate_patrol_history(store, end=END, days=DAYS, seed=7)
    assert written > 0
    assert generate_patrol_history(store, end=END, days=DAYS, seed=7) == 0  # once only
    wrong = store.query_value(
        "SELECT count(*) FROM patrol_checkins k JOIN grid_cells c USING (cell_code) "
        "WHERE NOT list_contains(c.grid_workers, k.username) OR NOT k.in_scope "
        "OR k.checked_at > ? OR k.checked_at < ?",
        [END, END - timedelta(days=DAYS)],
    )
    assert wrong == 0
    rows = compute_indicators(
        store, period=parse_period("2026-10-07..2026-11-03"), scope=Scope("city"), now=END,
        trend_periods=2,
    )  # fmt: skip
    coverage = {r["id"]: r["value"] for r in rows}["grid.patrol_coverage"]  # monthly: 28 days
    assert 20 < coverage < 100
