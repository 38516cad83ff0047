"""Sensing, safety and grid-work measures on small hand-made data in a real DuckDB: air
(HJ 633), water (GB 3838), noise (GB 3096), congestion, alarms, incidents, availability,
patrol coverage and reports per grid worker, each with its expected value and scope."""

from __future__ import annotations

import itertools
import math
from datetime import datetime, timedelta
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest
import shapely

from models.indicators.grid_measures import MEASURES as GRID
from models.indicators.periods import parse_period
from models.indicators.registry import Indicator, parse_indicators
from models.indicators.sensing_measures import MEASURES as SENSING
from models.security import Scope
from models.traffic import city_index, city_index_by, segment_weights

CELL_A = "445102001001001"
CELL_A2 = "445102001001002"
CELL_B = "445103001001001"
CELL_B2 = "445103001001002"
CITY = Scope("city")
DISTRICT_A = Scope("district", ("445102",))
DISTRICT_B = Scope("district", ("445103",))
DAY1 = parse_period("2026-11-05")  # local day: 2026-11-04 16:00 .. 2026-11-05 16:00 UTC
DAY2 = parse_period("2026-11-06")
DAY3 = parse_period("2026-11-07")
SPAN = parse_period("2026-11-05..2026-11-07")
NOW = datetime(2026, 12, 1)
_MSG = itertools.count()


def local(day: int, hour: float) -> datetime:
    """Naive UTC of ``hour`` o'clock local time on 2026-11-0<day> (UTC+8)."""
    return datetime(2026, 11, day) + timedelta(hours=hour - 8)


def indicator(measure: str, **params) -> Indicator:
    return Indicator(id="t", name_zh="测试", name_en="test", dimension="生态环境",
                     measure=measure, params=MappingProxyType(params))  # fmt: skip


def measure(key: str, store, periods, scope=CITY, now=NOW, **params):
    table = SENSING if key in SENSING else GRID
    return table[key](store, indicator(key, **params), list(periods), scope, now)


def add_sensors(store, rows):
    """rows: (sensor_id, kind, cell, interval_s, zone[, segment_id])"""
    frame = pd.DataFrame(
        [dict(sensor_id=r[0], kind=r[1], cell_code=r[2], interval_s=r[3], zone=r[4],
              segment_id=r[5] if len(r) > 5 else None, lon=116.6, lat=23.6) for r in rows]
    )  # fmt: skip
    store.append("sensors", frame)


def add_obs(store, rows, exercise=False):
    """rows: (sensor_id, ts, metric, value)"""
    frame = pd.DataFrame(rows, columns=["sensor_id", "ts", "metric", "value"])
    frame["msg_id"] = [f"m{next(_MSG)}" for _ in range(len(frame))]
    frame["received_at"] = frame["ts"]
    frame["exercise"] = exercise
    store.append("observations", frame)


def hourly(sensor, day, metric, value, hours=24):
    return [(sensor, local(day, h + 0.5), metric, value) for h in range(hours)]


def approx(values, expected):
    assert len(values) == len(expected)
    for v, e in zip(values, expected, strict=True):
        assert (v is None and e is None) or (v is not None and e is not None and math.isclose(
            v, e, rel_tol=1e-9, abs_tol=1e-9)), (values, expected)  # fmt: skip


# -- air ------------------------------------------------------------------------------


@pytest.fixture
def air(store):
    add_sensors(store, [("AIR-1", "air", CELL_A, 3600, None), ("AIR-2", "air", CELL_B, 3600, None)])
    rows = hourly("AIR-1", 5, "pm25", 50) + hourly("AIR-1", 6, "pm25", 160)
    rows += hourly("AIR-1", 7, "pm25", 300, hours=10)  # 10 hours: no valid 24-hour mean
    rows += hourly("AIR-2", 5, "pm25", 10) + hourly("AIR-2", 6, "pm25", 10)
    # readings (one per half hour on the first day) average into the hour first
    rows += [("AIR-2", local(5, h + 0.25), "pm25", 10) for h in range(24)]
    add_obs(store, rows)
    add_obs(store, hourly("AIR-1", 5, "pm25", 500), exercise=True)  # a drill: never counts
    return store


def test_aqi_good_day_share_per_day_and_scope(air):
    # AIR-1: day 1 PM2.5 50 -> AQI 69 (good); day 2 160 -> 210 (heavy); day 3 invalid
    approx(measure("env.aqi_good_day_share", air, [DAY1, DAY2, DAY3], DISTRICT_A),
           [100.0, 0.0, None])  # fmt: skip
    approx(measure("env.aqi_good_day_share", air, [SPAN], DISTRICT_A), [50.0])
    # city means: day 1 (50+10)/2 = 30 -> 43 good; day 2 85 -> 113 not good
    approx(measure("env.aqi_good_day_share", air, [SPAN], CITY), [50.0])
    approx(measure("env.aqi_good_day_share", air, [SPAN], DISTRICT_B), [100.0])
    approx(measure("env.aqi_good_day_share", air, [SPAN], Scope("district", ("445122",))), [None])


def test_heavy_pollution_days_and_mean_pm25(air):
    approx(measure("env.heavy_pollution_days", air, [SPAN], DISTRICT_A), [1.0])
    approx(measure("env.heavy_pollution_days", air, [SPAN], CITY), [0.0])
    approx(measure("env.pm25_mean", air, [SPAN], DISTRICT_A), [105.0])
    approx(measure("env.pm25_mean", air, [SPAN], CITY), [57.5])
    approx(measure("env.pm25_mean", air, [DAY1, DAY3], CITY), [30.0, None])


def test_air_day_needs_twenty_hours_unless_told(air):
    # with min_hours 10 the third day's 10 hours (300 µg/m³ -> AQI 350) count too
    approx(measure("env.heavy_pollution_days", air, [SPAN], DISTRICT_A, min_hours=10), [2.0])


# -- water ------------------------------------------------------------------------------


def test_water_sections_meeting_target(store):
    add_sensors(store, [("WQ-1", "water_quality", CELL_A, 14400, "III"),
                        ("WQ-2", "water_quality", CELL_B, 14400, "II"),
                        ("WQ-3", "water_quality", CELL_B, 14400, None)])  # fmt: skip
    rows = []
    for sid in ("WQ-1", "WQ-2", "WQ-3"):
        # period means: COD 18 (III), NH3-N 0.4 (II), DO 6.5 (II) -> class III
        rows += [(sid, local(5, 9), "cod", 16.0), (sid, local(5, 13), "cod", 20.0),
                 (sid, local(5, 9), "nh3n", 0.4), (sid, local(5, 9), "do", 6.5)]  # fmt: skip
    add_obs(store, rows)
    approx(measure("env.water_target_share", store, [DAY1, DAY2]), [50.0, None])
    approx(measure("env.water_target_share", store, [DAY1], DISTRICT_A), [100.0])
    approx(measure("env.water_target_share", store, [DAY1], DISTRICT_B), [0.0])


# -- noise ------------------------------------------------------------------------------


@pytest.fixture
def noise(store):
    add_sensors(store, [("NOISE-1", "noise", CELL_A, 300, "1"),
                        ("NOISE-2", "noise", CELL_B, 300, "4a"),
                        ("NOISE-3", "noise", CELL_B, 300, "9")])  # fmt: skip
    add_obs(store, [
        ("NOISE-1", local(5, 10), "leq", 40.0),  # day: energy mean 57.0 > 55 (arithmetic 50)
        ("NOISE-1", local(5, 14), "leq", 60.0),
        ("NOISE-1", local(5, 23), "leq", 44.0),  # night: 44 <= 45
        ("NOISE-2", local(5, 12), "leq", 72.0),  # day: 72 > 70
        ("NOISE-3", local(5, 12), "leq", 90.0),  # unknown zone: not assessed
    ])  # fmt: skip
    return store


def test_noise_exceedances_and_compliance(noise):
    approx(measure("env.noise_exceedances", noise, [DAY1, DAY2]), [2.0, None])  # no data
    approx(measure("env.noise_compliance_rate", noise, [DAY1, DAY2]), [100 / 3, None])
    approx(measure("env.noise_exceedances", noise, [DAY1], DISTRICT_B), [1.0])
    approx(measure("env.noise_compliance_rate", noise, [DAY1], DISTRICT_A), [50.0])
    # a period not begun has no count
    approx(measure("env.noise_exceedances", noise, [DAY2], now=local(5, 20)), [None])


# -- traffic ----------------------------------------------------------------------------


@pytest.fixture
def traffic(store):
    line = shapely.LineString([(116.6, 23.6), (116.61, 23.6)]).wkb
    store.append("road_segments", pd.DataFrame({
        "segment_id": ["S1", "S2"], "road_class": ["arterial", "local"],
        "free_flow_kmh": [60.0, 40.0], "length_m": [1000.0, 500.0], "geom_wkb": [line, line],
    }))  # fmt: skip
    samples = [
        ("S1", local(5, 8.1), 30.0), ("S1", local(5, 8.2), 30.0),  # peak: index 2.0
        ("S2", local(5, 8.1), 40.0),  # 1.0
        ("S1", local(5, 12.1), 60.0),  # off-peak: 1.0
        ("S2", local(5, 12.1), 20.0),  # 2.0
    ]  # fmt: skip
    frame = pd.DataFrame(samples, columns=["segment_id", "ts", "speed_kmh"])
    frame["msg_id"] = [f"t{i}" for i in range(len(frame))]
    frame["received_at"] = frame["ts"]
    store.append("traffic_samples", frame)
    return store


def test_congestion_index_mean_and_peak(traffic):
    # weights: S1 1000 m x 2 (arterial) = 2000, S2 500 m x 1 (local) = 500
    # 08:00 slot (2*2000 + 1*500) / 2500 = 1.8; 12:00 slot (1*2000 + 2*500) / 2500 = 1.2
    approx(measure("traffic.congestion_index_mean", traffic, [DAY1, DAY2]), [1.5, None])
    approx(measure("traffic.congestion_index_peak", traffic, [DAY1]), [1.8])
    approx(measure("traffic.congestion_index_peak", traffic, [DAY1],
                   peak_hours=["12:00-13:00"]), [1.2])  # fmt: skip
    # congested (band >= 2, 轻度拥堵): S1 at 08:00 (2000) and S2 at 12:00 (500) of 5000
    approx(measure("traffic.congested_share", traffic, [DAY1, DAY2]), [50.0, None])


def test_traffic_is_city_wide(traffic):
    assert measure("traffic.congestion_index_mean", traffic, [DAY1], DISTRICT_B) == [1.5]


def test_shared_traffic_slots_see_new_rows_at_the_same_now(traffic):
    assert measure("traffic.congestion_index_mean", traffic, [DAY1]) == [1.5]
    frame = pd.DataFrame({"segment_id": ["S2"], "ts": [local(5, 15.5)], "speed_kmh": [40.0],
                          "msg_id": ["late"], "received_at": [local(5, 15.5)]})  # fmt: skip
    traffic.append("traffic_samples", frame)  # 15:00 slot: S2 alone at 1.0
    approx(measure("traffic.congestion_index_mean", traffic, [DAY1]), [(1.8 + 1.2 + 1.0) / 3])


def test_city_index_by_group_is_city_index_of_each_group():
    rng = np.random.default_rng(7)
    index = rng.uniform(1, 5, 200)
    index[::17] = np.nan
    length = rng.uniform(100, 2000, 200)
    classes = rng.choice(["expressway", "arterial", "local", "track"], 200)
    groups = rng.integers(0, 9, 200)
    found, values = city_index_by(groups, index, segment_weights(length, classes))
    for g, v in zip(found, values, strict=True):
        mine = groups == g
        assert v == pytest.approx(city_index(index[mine], length[mine], classes[mine]))


# -- safety -----------------------------------------------------------------------------


def _alarm(store, alarm_id, sensor, at, exercise=False):
    store.write(lambda tx: tx.execute(
        "INSERT INTO alarms (alarm_id, rule_id, sensor_id, opened_at, exercise) "
        "VALUES (?, 'r', ?, ?, ?)", [alarm_id, sensor, at, exercise]))  # fmt: skip


def test_alarms_by_kind_and_scope(store):
    add_sensors(store, [("MH-1", "manhole", CELL_A, 600, None),
                        ("GAS-1", "gas", CELL_B, 60, None)])  # fmt: skip
    _alarm(store, "a1", "MH-1", local(5, 9))
    _alarm(store, "a2", "MH-1", local(5, 10), exercise=True)
    _alarm(store, "a3", "GAS-1", local(5, 11))
    _alarm(store, "a4", "MH-1", local(6, 11))
    approx(measure("safety.alarms", store, [DAY1, DAY2], kinds=["manhole"]), [1.0, 1.0])
    approx(measure("safety.alarms", store, [DAY1, DAY3]), [2.0, 0.0])
    approx(measure("safety.alarms", store, [DAY1], DISTRICT_B, kinds=["manhole"]), [0.0])
    approx(measure("safety.alarms", store, [DAY1], DISTRICT_B), [1.0])
    # as seen at 10:30 local on day 1: the gas alarm had not opened; day 2 had not begun
    approx(measure("safety.alarms", store, [DAY1, DAY2], now=local(5, 10.5)), [1.0, None])


def test_incidents_by_level_city_wide(store):
    for i, (level, day, exercise) in enumerate(
        [("I", 5, False), ("III", 5, False), ("IV", 5, False), ("II", 5, True), ("IV", 6, False)]
    ):
        store.write(lambda tx, i=i, level=level, day=day, exercise=exercise: tx.execute(
            "INSERT INTO incidents (incident_id, incident_type, level, title, status, exercise, "
            "opened_at) VALUES (?, 'flood', ?, 't', 'open', ?, ?)",
            [f"i{i}", level, exercise, local(day, 9)]))  # fmt: skip
    approx(measure("safety.incidents", store, [DAY1, DAY2]), [3.0, 1.0])
    approx(measure("safety.incidents", store, [DAY1, DAY2], levels=["I", "II", "III"]), [2.0, 0.0])
    approx(measure("safety.incidents", store, [DAY1], DISTRICT_B, levels=["IV"]), [1.0])
    approx(measure("safety.incidents", store, [DAY1], types=["fire"]), [0.0])


def test_sensor_availability_by_sensor_days(store):
    add_sensors(store, [("MH-1", "manhole", CELL_A, 600, None),
                        ("MH-2", "manhole", CELL_B, 600, None),
                        ("MH-3", "manhole", CELL_B, 600, None),
                        ("TD-1", "traffic", CELL_B, 300, None, "S1")])  # fmt: skip
    store.write(lambda tx: tx.execute(
        "UPDATE sensors SET installed_on = DATE '2026-11-07' WHERE sensor_id = 'MH-3'"))
    add_obs(store, [("MH-1", local(5, 9), "tilt_deg", 1.0), ("MH-1", local(5, 9), "open", 0.0),
                    ("MH-1", local(6, 23.9), "tilt_deg", 1.0),
                    ("MH-2", local(5, 0.1), "tilt_deg", 1.0),
                    ("MH-3", local(7, 12), "tilt_deg", 1.0)])  # fmt: skip
    add_obs(store, [("MH-2", local(6, 9), "tilt_deg", 1.0)], exercise=True)  # a drill
    # TD-1 reports through its segment's samples, on each of the three days
    frame = pd.DataFrame({"segment_id": "S1", "ts": [local(d, 12) for d in (5, 6, 7)],
                          "speed_kmh": 50.0})  # fmt: skip
    frame["msg_id"] = [f"s{i}" for i in range(len(frame))]
    frame["received_at"] = frame["ts"]
    store.append("traffic_samples", frame)
    # manholes: MH-1 2 of 3 days, MH-2 1 of 3, MH-3 (installed on the 7th) 1 of 1
    approx(measure("safety.sensor_availability", store, [SPAN], kinds=["manhole"]), [400 / 7])
    approx(measure("safety.sensor_availability", store, [SPAN]), [70.0])
    approx(measure("safety.sensor_availability", store, [SPAN], DISTRICT_A), [200 / 3])
    approx(measure("safety.sensor_availability", store, [DAY1, DAY2], kinds=["manhole"]),
           [100.0, 50.0])  # fmt: skip
    # ten minutes into the 7th no sensor has missed three intervals yet: the day is not owed
    early = local(7, 1 / 6)
    approx(measure("safety.sensor_availability", store, [SPAN, DAY3], kinds=["manhole"],
                   now=early), [75.0, None])  # fmt: skip


# -- grid work --------------------------------------------------------------------------


def _grid(store):
    box = shapely.box(116.6, 23.6, 116.61, 23.61).wkb
    store.write(lambda tx: tx.execute(
        "INSERT INTO grid_versions VALUES (1, 'g', ?, NULL, 'test', ?, 4, NULL)", [NOW, NOW]))
    cells = pd.DataFrame({"cell_code": [CELL_A, CELL_A2, CELL_B, CELL_B2]})
    cells["version_id"], cells["seq"] = 1, range(4)
    cells["district_code"] = cells["cell_code"].str[:6]
    cells["street_code"] = cells["cell_code"].str[:9]
    cells["community_code"] = cells["cell_code"].str[:12]
    cells["centroid_lon"], cells["centroid_lat"], cells["geom_wkb"] = 116.6, 23.6, box
    store.append("grid_cells", cells)


def test_patrol_coverage(store):
    assert measure("grid.patrol_coverage", store, [DAY1]) == [None]  # no grid yet
    _grid(store)
    rows = [("w1", local(5, 9), CELL_A), ("w1", local(5, 10), CELL_A), ("w2", local(5, 9), None),
            ("w2", local(6, 9), CELL_B), ("w3", local(6, 10), CELL_A2)]  # fmt: skip
    for user, at, cell in rows:
        store.write(lambda tx, user=user, at=at, cell=cell: tx.execute(
            "INSERT INTO patrol_checkins (username, checked_at, lon, lat, cell_code, in_scope) "
            "VALUES (?, ?, 116.6, 23.6, ?, TRUE)", [user, at, cell]))  # fmt: skip
    approx(measure("grid.patrol_coverage", store, [DAY1, DAY2, SPAN]), [25.0, 50.0, 75.0])
    approx(measure("grid.patrol_coverage", store, [DAY1, DAY2], DISTRICT_A), [50.0, 50.0])
    approx(measure("grid.patrol_coverage", store, [DAY1], Scope("cells", (CELL_B2,))), [0.0])
    approx(measure("grid.patrol_coverage", store, [DAY2], now=local(5, 12)), [None])


def test_reports_per_grid_worker(store):
    users = [("g1", "grid_worker", "cells", [CELL_A], False),
             ("g2", "grid_worker", "cells", [CELL_A2], False),
             ("g3", "grid_worker", "street", [CELL_B[:9]], False),
             ("g4", "grid_worker", "cells", [CELL_B], True),  # disabled: not counted
             ("op", "operator", "city", [], False)]  # fmt: skip
    for name, role, kind, codes, disabled in users:
        store.write(lambda tx, n=name, r=role, k=kind, c=codes, d=disabled: tx.execute(
            "INSERT INTO users (username, password_hash, role, scope_kind, scope_codes, "
            "disabled, created_at) VALUES (?, 'x', ?, ?, ?, ?, ?)", [n, r, k, c, d, NOW]))
    cases = [(CELL_A, "grid_worker", False), (CELL_A, "grid_worker", False),
             (CELL_A2, "grid_worker", False), (CELL_A, "hotline", False),
             (CELL_A, "grid_worker", True), (CELL_B, "grid_worker", False)]  # fmt: skip
    for i, (cell, source, exercise) in enumerate(cases):
        store.write(lambda tx, i=i, cell=cell, source=source, exercise=exercise: tx.execute(
            "INSERT INTO cases (case_id, source, reported_at, cell_code, exercise, stage) "
            "VALUES (?, ?, ?, ?, ?, 'reported')", [f"c{i}", source, local(5, 9), cell, exercise]))
    approx(measure("grid.reports_per_worker", store, [DAY1, DAY2]), [4 / 3, 0.0])
    approx(measure("grid.reports_per_worker", store, [DAY1], DISTRICT_A), [1.5])
    approx(measure("grid.reports_per_worker", store, [DAY1], Scope("cells", (CELL_A,))), [2.0])
    approx(measure("grid.reports_per_worker", store, [DAY1], Scope("district", ("445122",))),
           [None])  # fmt: skip
    # a grid whose cells list no grid worker leaves the accounts to count
    _grid(store)
    approx(measure("grid.reports_per_worker", store, [DAY1], DISTRICT_A), [1.5])
    # the grid's own roster (names per cell) counts when it has one: A 3 names, B 1
    store.write(lambda tx: tx.execute(
        "UPDATE grid_cells SET grid_workers = CASE cell_code WHEN ? THEN ['GW-1', 'GW-2'] "
        "WHEN ? THEN ['GW-2', 'GW-3'] WHEN ? THEN ['GW-9'] ELSE [] END", [CELL_A, CELL_A2, CELL_B]))
    approx(measure("grid.reports_per_worker", store, [DAY1], DISTRICT_A), [1.0])
    approx(measure("grid.reports_per_worker", store, [DAY1]), [1.0])
    approx(measure("grid.reports_per_worker", store, [DAY1], Scope("cells", (CELL_B,))), [1.0])


@pytest.mark.parametrize(
    ("measure_key", "params", "message"),
    [
        ("safety.alarms", {"kind": ["gas"]}, "unknown params"),
        ("safety.alarms", {"kinds": "gas"}, "params.kinds"),
        ("safety.incidents", {"levels": ["V"]}, "incident levels"),
        ("env.pm25_mean", {"min_hours": 30}, "params.min_hours"),
        ("env.water_target_share", {"waterbody": "sea"}, "params.waterbody"),
        ("traffic.congestion_index_peak", {"peak_hours": ["09:00-07:00"]}, "ends before"),
        ("traffic.congestion_index_peak", {"peak_hours": ["rush"]}, "not HH:MM-HH:MM"),
        ("external.value", {"x": 1}, "takes no params"),
        ("grid.patrol_coverage", {"cells": 1}, "unknown params"),
    ],
)
def test_bad_params_are_refused_on_loading_naming_the_indicator(measure_key, params, message):
    entry = {"id": "bad.one", "name_zh": "坏", "name_en": "bad", "dimension": "城市安全",
             "measure": measure_key, "params": params, "unit": "", "direction": "lower"}
    with pytest.raises(ValueError, match=message) as caught:
        parse_indicators([entry])
    assert "bad.one" in str(caught.value)


def test_before_monitoring_and_patrols_began_there_is_no_value_not_zero(store):
    # found by the independent tester: 2026-05 and 1970-01 showed 0 % availability and 0 %
    # patrol coverage (red) although nothing was monitored or patrolled then
    early = parse_period("2026-10-05")
    assert measure("safety.sensor_availability", store, [early]) == [None]  # no sensors
    add_sensors(store, [("MH-1", "manhole", CELL_A, 600, None),
                        ("MH-2", "manhole", CELL_B, 600, None)])  # fmt: skip
    assert measure("safety.sensor_availability", store, [early]) == [None]  # never heard
    add_obs(store, [("MH-1", local(5, 9), "tilt_deg", 1.0)])
    # monitoring began on the 5th: MH-2 (never heard) owes from then, MH-1 from its first
    assert measure("safety.sensor_availability", store, [early, DAY1]) == [None, 50.0]
    _grid(store)
    assert measure("grid.patrol_coverage", store, [early, DAY1]) == [None, None]
    store.write(lambda tx: tx.execute(
        "INSERT INTO patrol_checkins (username, checked_at, lon, lat, cell_code, in_scope) "
        "VALUES ('w1', ?, 116.6, 23.6, ?, TRUE)", [local(6, 9), CELL_A]))  # fmt: skip
    got = measure("grid.patrol_coverage", store, [early, DAY1, DAY2, DAY3])
    assert got == [None, None, 25.0, 0.0]  # from the day patrols began, 0 is a real 0
