"""The simulator: payloads parse, schedules hold, diurnal shapes, drills, determinism, pacing."""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import statistics
from collections import Counter, defaultdict
from datetime import UTC
from functools import lru_cache
from itertools import islice, takewhile

import pytest

from ingest.payloads import CapAlert, Observation, Rejected, Report, TrafficSample, UnitPosition
from ingest.payloads import parse_message as parse
from ingest.simulator.cli import SCENARIO_CHOICES, add_simulate_parser, run_simulate
from ingest.simulator.clock import iso_local, local_time, parse_start
from ingest.simulator.reports import CATEGORY_BY_CODE
from ingest.simulator.runner import DryRunSink, Pacing, run_stream
from ingest.simulator.scenarios import SCENARIOS, make_scenario
from ingest.simulator.stream import Message, simulate_messages
from ingest.simulator.world import Sensor, build_world, distance_m
from models.config import load_config
from tests.conftest import write_config

DAY = parse_start("2026-11-24T00:00:00")  # a Tuesday
SUMMER_DAY = parse_start("2026-08-11T00:00:00")
SEED = 7


@lru_cache(maxsize=1)
def city():
    from ingest.demo_city.generate import generate_demo_city

    return generate_demo_city(seed=20261124)


@lru_cache(maxsize=1)
def world():
    return build_world(city())


def window(start: int, hours: float, **options) -> list[Message]:
    """Messages from ``start`` for ``hours`` simulated hours."""
    end = start + hours * 3600
    stream = simulate_messages(world(), start=start, seed=options.pop("seed", SEED), **options)
    return list(takewhile(lambda m: m.ts < end, stream))


def parsed(messages: list[Message]) -> list:
    out = [parse(m.topic, m.payload) for m in messages]
    rejected = [r for r in out if isinstance(r, Rejected)]
    assert not rejected, rejected[:3]
    return out


@pytest.fixture(scope="module")
def day() -> list[Message]:
    """A whole simulated day of every sensor kind and report (traffic and units: see below)."""
    kinds = [
        "air",
        "water_quality",
        "noise",
        "water_level",
        "manhole",
        "streetlamp",
        "smoke",
        "gas",
        "reports",
    ]
    return window(DAY, 24, kinds=kinds)


@pytest.fixture(scope="module")
def day_parsed(day) -> list:
    return parsed(day)


def parse_ts(p) -> int:
    """Epoch second of a parsed payload (parsing keeps ts as naive UTC)."""
    return int(p.payload.ts.replace(tzinfo=UTC).timestamp())


# -- payloads, ids, schedules -----------------------------------------------------------


def test_world_ids_match_the_demo_city():
    w = world()
    assert [s.sensor_id for s in w.sensors] == city().sensors["sensor_id"].tolist()
    assert [g.segment_id for g in w.segments] == city().roads["segment_id"].tolist()
    mobile = city().resources[city().resources["kind"].isin(["team", "vehicle"])]
    assert [u.unit_id for u in w.units] == mobile["resource_id"].tolist()
    cells = set(city().cells["cell_code"])
    assert all(p.cell_code in cells for p in w.places[:2000] + w.street_places[:2000])


def test_a_day_of_every_kind_parses_with_unique_ids(day, day_parsed):
    extra = window(DAY + 8 * 3600, 0.5, kinds=["traffic", "units"])
    messages = day + extra
    assert len(messages) > 150_000
    results = day_parsed + parsed(extra)
    kinds = Counter(r.kind if isinstance(r, Observation) else type(r).__name__ for r in results)
    for kind in (
        "air",
        "water_quality",
        "noise",
        "water_level",
        "manhole",
        "streetlamp",
        "smoke",
        "gas",
        "Report",
        "TrafficSample",
        "UnitPosition",
    ):
        assert kinds[kind] > 0, kind
    ids = [json.loads(m.payload)["id"] for m in messages]
    assert len(set(ids)) == len(ids)
    assert all(m.payload.decode().count("+08:00") >= 1 for m in messages[:1000])
    assert [m.ts for m in messages[: len(day)]] == sorted(m.ts for m in day)


def test_each_sensor_reports_at_its_interval_with_small_jitter(day):
    by_sensor: dict[str, list[int]] = defaultdict(list)
    for m in day:
        if "/obs/" in m.topic:
            by_sensor[m.topic.rsplit("/", 1)[1]].append(m.ts)
    interval = {s.sensor_id: s.interval_s for s in world().sensors}
    assert len(by_sensor) == sum(1 for s in world().sensors if s.kind != "traffic")
    for sensor_id, times in by_sensor.items():
        gaps = [b - a for a, b in zip(times, times[1:])]
        every = interval[sensor_id]
        assert all(0.93 * every <= g <= 1.07 * every for g in gaps), sensor_id
        assert abs(len(times) - 86400 / every) <= 1, sensor_id
    gas_gaps = {b - a for t in by_sensor.values() for a, b in zip(t, t[1:]) if b - a < 100}
    assert len(gas_gaps) > 1  # jitter, not a metronome


def test_payload_ts_is_the_simulated_moment_in_local_time(day):
    m = day[0]
    payload = json.loads(m.payload)
    assert payload["ts"] == iso_local(m.ts)
    assert payload["ts"].endswith("+08:00") and payload["ts"].startswith("2026-11-24T00:")


def test_same_seed_same_stream_and_a_later_start_replays_the_same_messages():
    first = window(DAY + 7 * 3600, 0.5)
    again = window(DAY + 7 * 3600, 0.5)
    assert first == again
    later = window(DAY + 7 * 3600 + 900, 0.25)
    assert later == [m for m in first if m.ts >= DAY + 7 * 3600 + 900]
    other = window(DAY + 7 * 3600, 0.5, seed=SEED + 1)
    assert [m.payload for m in other[:500]] != [m.payload for m in first[:500]]


# -- diurnal shapes ---------------------------------------------------------------------


def test_rush_hour_slows_urban_arterials_and_raises_flow():
    segments = {g.segment_id: g for g in world().segments}
    core_arterial = {k for k, g in segments.items() if g.core and g.road_class == "arterial"}

    def sample(hour: float):
        out = parsed(window(DAY + int(hour * 3600), 0.5, kinds=["traffic"]))
        assert all(p.payload.speed_kmh <= segments[p.segment_id].free_flow_kmh for p in out)
        mine = [p.payload for p in out if p.segment_id in core_arterial]
        return statistics.mean(p.speed_kmh for p in mine), statistics.mean(p.flow_vph for p in mine)

    night_speed, night_flow = sample(3)
    am_speed, am_flow = sample(8)
    pm_speed, pm_flow = sample(18)
    assert am_speed < 0.85 * night_speed and pm_speed < 0.85 * night_speed
    assert am_flow > 3 * night_flow and pm_flow > 3 * night_flow


def test_noise_is_louder_by_day_and_ozone_peaks_in_the_afternoon(day_parsed):
    results = [p for p in day_parsed if isinstance(p, Observation)]

    def mean_of(kind: str, metric: str, first: int, last: int) -> float:
        values = [
            p.payload.values[metric]
            for p in results
            if p.kind == kind and first <= local_time(parse_ts(p)).hour < last
        ]
        return statistics.mean(values)

    assert mean_of("noise", "leq", 14, 15) > mean_of("noise", "leq", 3, 4) + 4
    assert mean_of("air", "o3", 13, 17) > 2 * mean_of("air", "o3", 4, 8)
    assert mean_of("air", "no2", 7, 10) > mean_of("air", "no2", 12, 15)
    assert 10 < mean_of("air", "pm25", 0, 24) < 60  # a November day in Chaozhou
    lamps_night = mean_of("streetlamp", "on", 0, 5)
    lamps_noon = mean_of("streetlamp", "on", 11, 14)
    assert lamps_night > 0.9 and lamps_noon < 0.1


def test_reports_come_by_day_from_the_core_with_known_categories(day_parsed):
    reports = [p.payload for p in day_parsed if isinstance(p, Report)]
    assert 250 < len(reports) < 800
    assert {r.source for r in reports} == {"grid_worker", "hotline"}
    assert all(r.category in CATEGORY_BY_CODE and not r.exercise for r in reports)
    hours = Counter(int(local_time(r.ts.replace(tzinfo=UTC).timestamp()).hour) for r in reports)
    assert sum(hours[h] for h in range(9, 12)) > 4 * sum(hours[h] for h in range(1, 4))
    near_core = sum(distance_m(r.lon, r.lat, 116.645, 23.67) < 8000 for r in reports)
    assert near_core > 0.6 * len(reports)
    assert all(r.text and r.reporter for r in reports)


# -- drills -----------------------------------------------------------------------------


def drill(kind: str, hours: float, kinds: list[str], start: int = SUMMER_DAY + 6 * 3600):
    scenario = make_scenario(kind, start + 600, world())
    return scenario, parsed(window(start, hours, scenario=scenario, kinds=kinds))


def test_typhoon_floods_the_old_city_and_its_reports_are_exercises():
    scenario, results = drill("typhoon", 8, ["water_level", "reports", "alerts"])
    sensors = {s.sensor_id: s for s in world().sensors}
    peak = [
        (p.payload.values["water_level_m"], sensors[p.sensor_id])
        for p in results
        if isinstance(p, Observation) and scenario.phase(parse_ts(p)) == "peak"
    ]
    old_city = [(v, s) for v, s in peak if s.old_city and s.danger < 2]
    assert old_city and sum(v > s.warning for v, s in old_city) > 0.8 * len(old_city)
    assert any(v > s.danger for v, s in old_city)
    before = [
        p.payload.values["water_level_m"]
        for p in results
        if isinstance(p, Observation)
        and sensors[p.sensor_id].danger < 2
        and parse_ts(p) < scenario.start
    ]
    assert max(before) < 0.15
    drills = [p.payload for p in results if isinstance(p, Report) and p.payload.exercise]
    assert len(drills) > 100 and all(r.text.startswith("【演练】") for r in drills)
    flooded = [r for r in drills if r.category == "0401"]
    in_old_city = sum(116.640 <= r.lon <= 116.652 and 23.662 <= r.lat <= 23.675 for r in flooded)
    assert in_old_city > 0.5 * len(flooded)
    assert any(r.source == "higher_level" and "开始" in r.text for r in drills)
    caps = [p for p in results if isinstance(p, CapAlert)]
    assert len(caps) == 1 and "<status>Exercise</status>" in caps[0].xml


def test_drill_readings_carry_exercise_and_everyday_readings_do_not():
    """Issue 9, defect 10: a sensor reading the drill shaped says ``"exercise": true``."""
    scenario, results = drill("typhoon", 6, ["water_level", "manhole"])
    sensors = {s.sensor_id: s for s in world().sensors}
    obs = [p for p in results if isinstance(p, Observation)]
    assert not any(p.payload.exercise for p in obs if parse_ts(p) < scenario.start)
    flooded = [
        p
        for p in obs
        if scenario.phase(parse_ts(p)) == "peak"
        and p.kind == "water_level"
        and p.payload.values["water_level_m"] > sensors[p.sensor_id].warning
    ]
    assert flooded and all(p.payload.exercise for p in flooded)
    everyday = parsed(window(SUMMER_DAY + 12 * 3600, 1, kinds=["water_level", "manhole"]))
    assert everyday and not any(p.payload.exercise for p in everyday)
    assert all(b'"exercise"' not in m.payload for m in window(DAY, 0.5, kinds=["smoke"]))


def test_typhoon_slows_old_city_traffic():
    start = SUMMER_DAY + 11 * 3600
    scenario = make_scenario("typhoon", start - 4 * 3600, world())
    assert scenario.phase(start) == "peak"
    old = {g.segment_id for g in world().segments if g.old_city}
    normal = parsed(window(start, 0.25, kinds=["traffic"]))
    storm = parsed(window(start, 0.25, kinds=["traffic"], scenario=scenario))
    speed = lambda ps: statistics.mean(p.payload.speed_kmh for p in ps if p.segment_id in old)  # noqa: E731
    assert speed(storm) < 0.6 * speed(normal)


def test_chemical_leak_spikes_gas_near_the_port_and_so2_downwind():
    port_sensor = Sensor(
        "GAS-901", "gas", 116.995, 23.585, 60, None, None, None, None, 901, False, False
    )
    w = dataclasses.replace(world(), sensors=world().sensors + (port_sensor,))
    start = SUMMER_DAY + 6 * 3600
    scenario = make_scenario("chemical_leak", start + 600, w)
    stream = simulate_messages(
        w, start=start, seed=SEED, scenario=scenario, kinds=["gas", "air", "reports"]
    )
    results = parsed(list(takewhile(lambda m: m.ts < start + 4 * 3600, stream)))
    gas = [p for p in results if isinstance(p, Observation) and p.sensor_id == "GAS-901"]
    before = max(p.payload.values["gas_ppm"] for p in gas if parse_ts(p) < scenario.start)
    at_peak = max(p.payload.values["gas_ppm"] for p in gas)
    assert before < 10 and at_peak > 200
    city_gas = [
        p.payload.values["gas_ppm"]
        for p in results
        if isinstance(p, Observation) and p.kind == "gas" and p.sensor_id != "GAS-901"
    ]
    assert statistics.median(city_gas) < 5  # 30 km away: untouched
    so2 = [
        p.payload.values["so2"]
        for p in results
        if isinstance(p, Observation) and p.sensor_id in ("AIR-011", "AIR-006")
    ]
    assert max(so2) > 300
    hazmat = [p.payload for p in results if isinstance(p, Report) and p.payload.category == "0802"]
    assert hazmat and all(r.exercise for r in hazmat)
    assert statistics.median(distance_m(r.lon, r.lat, *w.port) for r in hazmat) < 15_000


def test_forest_fire_smokes_the_northern_station_and_reports_from_the_mountains():
    scenario, results = drill("forest_fire", 6, ["air", "reports"])
    pm25 = [
        p.payload.values["pm25"]
        for p in results
        if isinstance(p, Observation)
        and p.sensor_id == "AIR-007"
        and scenario.phase(parse_ts(p)) == "peak"
    ]
    assert pm25 and min(pm25) > 100
    core = [
        p.payload.values["pm25"]
        for p in results
        if isinstance(p, Observation) and p.sensor_id == "AIR-001"
    ]
    assert max(core) < 60
    fire = [p.payload for p in results if isinstance(p, Report) and p.payload.category == "0803"]
    assert len(fire) > 20 and all(r.exercise for r in fire)
    assert all(distance_m(r.lon, r.lat, *world().fire) < 15_000 for r in fire)


def test_scenario_envelope_rises_holds_and_falls():
    s = make_scenario("typhoon", 1_000_000, world())
    assert s.envelope(s.start - 1) == 0 and s.phase(s.start - 1) == "before"
    assert 0 < s.envelope(s.start + s.onset_s // 2) < 1
    assert s.envelope(s.start + s.onset_s + 60) == 1 and s.phase(s.start + s.onset_s) == "peak"
    assert 0 < s.envelope(s.end - 600) < 1 and s.envelope(s.end) == 0
    with pytest.raises(ValueError):
        make_scenario("volcano", 0, world())
    assert SCENARIO_CHOICES == SCENARIOS


# -- pacing and the command line --------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def fake_messages(n: int, every_s: int = 10):
    return (Message(DAY + i * every_s, "cityops/v1/reports", b"{}") for i in range(n))


def run_fake(n: int, pacing: Pacing, **kw):
    clock = FakeClock()
    sink = DryRunSink(io.StringIO())
    stats = run_stream(fake_messages(n), sink, pacing=pacing, clock=clock, sleep=clock.sleep, **kw)
    return stats, clock.now - 100.0


def test_pacing_by_rate_speed_count_and_duration():
    stats, elapsed = run_fake(500, Pacing(speed=None, rate=100.0))
    assert stats.sent == 500 and 4.9 <= elapsed <= 5.1
    stats, elapsed = run_fake(61, Pacing(speed=60.0))  # 600 simulated seconds
    assert stats.sent == 61 and 9.9 <= elapsed <= 10.1
    stats, elapsed = run_fake(61, Pacing(speed=60.0), sim_start=DAY - 120)  # 2 min lead-in
    assert stats.sent == 61 and 11.9 <= elapsed <= 12.1
    stats, elapsed = run_fake(1000, Pacing(speed=60.0, rate=2.0), duration_s=10)  # rate caps
    assert stats.stopped_by == "duration" and 19 <= stats.sent <= 21
    stats, elapsed = run_fake(1000, Pacing(speed=None, rate=None), count=250)
    assert stats.sent == 250 and stats.stopped_by == "count" and elapsed == 0


def cli_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="cityops")
    add_simulate_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["simulate", *argv])


def test_cli_dry_run_prints_parseable_lines(tmp_path):
    config = load_config(write_config(tmp_path), environ={})
    out = io.StringIO()
    args = cli_args(
        "--dry-run",
        "--rate",
        "max",
        "--count",
        "300",
        "--start",
        "2026-11-24T08:00",
        "--scenario",
        "chemical_leak",
        "--scenario-start",
        "2026-11-24T07:00+08:00",
    )
    assert run_simulate(args, config, out=out) == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 300
    pairs = [line.split(" ", 1) for line in lines]
    assert not [r for t, p in pairs if isinstance(r := parse(t, p.encode()), Rejected)]
    assert all(json.loads(p)["id"].startswith("s20261124c") for _, p in pairs)
    assert json.loads(pairs[0][1])["ts"].startswith("2026-11-24T08:00")


def test_cli_options_are_validated(tmp_path):
    for bad in (
        ["--rate", "0"],
        ["--rate", "fast"],
        ["--speed", "-1"],
        ["--qos", "2"],
        ["--count", "0"],
        ["--scenario", "flood"],
    ):
        with pytest.raises(SystemExit):
            cli_args(*bad)
    assert cli_args("--rate", "max").rate == "max"
    assert cli_args("--rate", "2500").rate == 2500.0
    config = load_config(write_config(tmp_path), environ={})
    assert run_simulate(cli_args("--dry-run", "--start", "yesterday"), config) == 2


def test_stream_rejects_unknown_options():
    with pytest.raises(ValueError):
        next(iter(simulate_messages(world(), start=DAY, seed=1, traffic="some")))
    with pytest.raises(ValueError):
        simulate_messages(world(), start=DAY, seed=1, kinds=["weather"])
    units = list(islice(simulate_messages(world(), start=DAY, seed=1, kinds=["units"]), 2000))
    statuses = Counter(p.payload.status for p in parsed(units) if isinstance(p, UnitPosition))
    assert statuses["available"] > 0.7 * sum(statuses.values())
    assert not [p for p in parsed(units) if not isinstance(p, UnitPosition | TrafficSample)]
