"""Sensors, roads and emergency layers at an instant, from a tiny real store."""

from datetime import datetime, timedelta

import pandas as pd
import pytest
import shapely

from models.map_state import (
    incidents_at,
    resources_at,
    sensors_at,
    sensors_changed_since,
    traffic_at,
    traffic_changed_since,
    warning_areas_at,
)
from models.security import Scope
from models.store import Store

T0 = datetime(2026, 11, 24, 4, 0)  # 12:00 in Shanghai: the noise day period
TZ = "Asia/Shanghai"
CELL_A = "445102001001001"
CELL_B = "445103001001001"
SENSORS = [
    # id, kind, cell, interval, zone, warning, danger, segment
    ("AIR-1", "air", CELL_A, 3600, None, None, None, None),
    ("WQ-1", "water_quality", CELL_A, 14400, "III", None, None, None),
    ("NOISE-1", "noise", CELL_A, 300, "1", None, None, None),
    ("WL-1", "water_level", CELL_A, 300, None, 0.3, 0.5, None),
    ("WL-2", "water_level", CELL_A, 300, None, 0.3, 0.5, None),
    ("MH-1", "manhole", CELL_A, 600, None, None, None, None),
    ("GAS-1", "gas", CELL_B, 60, None, None, None, None),
    ("TD-1", "traffic", CELL_B, 300, None, None, None, "S1"),
]


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "s.duckdb")
    s.append(
        "sensors",
        pd.DataFrame(
            [
                dict(sensor_id=i, kind=k, lon=116.6, lat=23.6, cell_code=c, interval_s=n, zone=z,
                     warning_level=w, danger_level=d, segment_id=g)
                for i, k, c, n, z, w, d, g in SENSORS
            ]
        ),
    )  # fmt: skip
    square = shapely.box(116.0, 23.0, 116.01, 23.01).wkb
    line = shapely.LineString([(116.6, 23.6), (116.61, 23.6)]).wkb
    s.append(
        "road_segments",
        pd.DataFrame(
            {
                "segment_id": ["S1", "S2"],
                "name_zh": ["一路", "二路"],
                "road_class": ["arterial", "local"],
                "free_flow_kmh": [60.0, 40.0],
                "length_m": [1000.0, 500.0],
                "geom_wkb": [line, line],
            }
        ),
    )
    s.write(lambda tx: tx.execute("SELECT 1"))
    yield s, square
    s.close()


def _obs(store, rows):
    frame = pd.DataFrame(rows, columns=["sensor_id", "ts", "metric", "value"])
    frame["msg_id"] = [f"m{i}-{r.sensor_id}-{r.ts:%H%M}" for i, r in enumerate(frame.itertuples())]
    frame["received_at"] = frame["ts"] + timedelta(seconds=3)
    store.append("observations", frame)


def _readings(store):
    rows = []
    for h in range(24):  # hourly air readings for a day: PM 24 h means are 150 µg/m³
        t = T0 - timedelta(hours=h)
        rows += [("AIR-1", t, "pm25", 150.0), ("AIR-1", t, "pm10", 160.0)]
    rows += [("AIR-1", T0, "no2", 20.0), ("AIR-1", T0, "co", 0.5)]
    rows += [("WQ-1", T0 - timedelta(hours=2), m, v) for m, v in
             [("ph", 7.4), ("do", 6.5), ("cod", 15.0), ("nh3n", 1.2), ("tp", 0.1)]]  # fmt: skip
    rows += [("NOISE-1", T0 - timedelta(minutes=4), "leq", 58.0)]  # zone 1 day limit 55
    rows += [("WL-1", T0 - timedelta(minutes=1), "water_level_m", 0.35)]
    rows += [("WL-2", T0 - timedelta(minutes=1), "water_level_m", 0.6)]
    rows += [("MH-1", T0 - timedelta(minutes=5), "tilt_deg", 20.0)]
    rows += [("GAS-1", T0 - timedelta(minutes=10), "gas_ppm", 3.0)]  # 10 min > 3 x 60 s: stale
    _obs(store, rows)


def test_each_kind_gets_its_level_and_stale_sensors_none(store):
    store, _ = store
    _readings(store)
    store.append(
        "alarms",
        pd.DataFrame([dict(alarm_id="A1", rule_id="tilt", sensor_id="MH-1",
                           opened_at=T0 - timedelta(minutes=5))]),
    )  # fmt: skip
    df = sensors_at(store, Scope("city"), at=T0, tz=TZ).set_index("sensor_id")
    # PM2.5 24 h mean 150 → IAQI 200 (四级, red); the hourly NO2/CO are low
    assert df.loc["AIR-1", "level"] == "aqi_4" and df.loc["AIR-1", "rgb"] == [255, 0, 0]
    assert df.loc["AIR-1", "headline"] == "AQI 200 · PM2.5"
    assert df.loc["WQ-1", "level"] == "wq_4" and df.loc["WQ-1", "headline"] == "Ⅳ类 · NH3-N"
    assert df.loc["NOISE-1", "level"] == "noise_over" and df.loc["NOISE-1", "headline"] == (
        "58 dB(A)"
    )
    assert df.loc["WL-1", "level"] == "warning" and df.loc["WL-2", "level"] == "danger"
    assert df.loc["MH-1", "level"] == "alarm" and df.loc["MH-1", "alarm"]
    assert df.loc["MH-1", "values"] == {"tilt_deg": 20.0}
    assert df.loc["GAS-1", "stale"] and df.loc["GAS-1", "level"] == "no_data"
    assert df.loc["GAS-1", "last_ts"] == T0 - timedelta(minutes=10)
    assert df.loc["TD-1", "stale"] and not df.loc["WL-1", "stale"]
    # at night the same noise meets zone 1's night limit? 58 > 45: still over
    night = sensors_at(store, Scope("city"), at=T0 + timedelta(hours=11), tz=TZ)
    assert night.set_index("sensor_id").loc["NOISE-1", "level"] == "no_data"  # stale by then
    # a minute before the alarm opened the manhole was fine (and not read yet: no data)
    early = sensors_at(store, Scope("city"), at=T0 - timedelta(minutes=6), tz=TZ)
    assert not early.set_index("sensor_id").loc["MH-1", "alarm"]


def test_noise_is_judged_against_the_night_limit_at_night(store):
    store, _ = store
    night = datetime(2026, 11, 24, 15, 0)  # 23:00 local
    _obs(store, [("NOISE-1", night - timedelta(minutes=1), "leq", 50.0)])  # day 55, night 45
    row = sensors_at(store, Scope("city"), at=night, tz=TZ).set_index("sensor_id").loc["NOISE-1"]
    assert row["level"] == "noise_over"
    day = night - timedelta(hours=12)
    _obs(store, [("NOISE-1", day - timedelta(minutes=1), "leq", 50.0)])
    row = sensors_at(store, Scope("city"), at=day, tz=TZ).set_index("sensor_id").loc["NOISE-1"]
    assert row["level"] == "noise_ok"


def test_scope_and_changes_since(store):
    store, _ = store
    _readings(store)
    district = sensors_at(store, Scope("district", ("445103",)), at=T0, tz=TZ)
    assert sorted(district["sensor_id"]) == ["GAS-1", "TD-1"]
    cut = T0 - timedelta(minutes=2)  # only WL-1 and WL-2 (and AIR/no2 at T0) arrived since
    changed = sensors_changed_since(store, Scope("city"), received_after=cut, at=T0, tz=TZ)
    assert sorted(changed["sensor_id"]) == ["AIR-1", "WL-1", "WL-2"]


def test_traffic_bands_and_detectors_read_their_segment(store):
    store, _ = store
    store.append(
        "traffic_samples",
        pd.DataFrame(
            {
                "msg_id": ["t1", "t2", "t3"],
                "segment_id": ["S1", "S1", "S2"],
                "ts": [T0 - timedelta(minutes=10), T0 - timedelta(minutes=2),
                       T0 - timedelta(minutes=20)],
                "speed_kmh": [50.0, 20.0, 10.0],
                "flow_vph": [900.0, 1500.0, 100.0],
                "received_at": [T0 - timedelta(minutes=10), T0 - timedelta(minutes=2),
                                T0 - timedelta(minutes=20)],
            }
        ),
    )  # fmt: skip
    roads = traffic_at(store, at=T0).set_index("segment_id")
    assert roads.crs == "EPSG:4326"
    assert roads.loc["S1", "speed_kmh"] == 20.0 and roads.loc["S1", "index"] == 3.0
    assert roads.loc["S1", "band"] == 3  # 3.0 is on the threshold: the worse band
    assert roads.loc["S2", "band"] == -1  # its sample is older than 15 min
    earlier = traffic_at(store, at=T0 - timedelta(minutes=5)).set_index("segment_id")
    assert earlier.loc["S1", "band"] == 0  # 60/50 = 1.2
    assert traffic_changed_since(store, received_after=T0 - timedelta(minutes=5), at=T0)[
        "segment_id"
    ].tolist() == ["S1"]
    td = sensors_at(store, Scope("city"), at=T0, tz=TZ).set_index("sensor_id").loc["TD-1"]
    assert td["values"] == {"speed_kmh": 20.0, "flow_vph": 1500.0} and td["headline"] == "20 km/h"


def test_resources_are_where_their_last_position_put_them(store):
    store, _ = store
    store.append(
        "resources",
        pd.DataFrame(
            [
                dict(resource_id="V1", kind="vehicle", name_zh="车1", status="available",
                     district_code="445102", lon=116.0, lat=23.0),
                dict(resource_id="D1", kind="depot", name_zh="库1", status="available",
                     district_code="445103", lon=116.5, lat=23.5),
                dict(resource_id="T1", kind="team", name_zh="市队", status="available",
                     district_code=None, lon=116.2, lat=23.2),
            ]
        ),
    )  # fmt: skip
    store.append(
        "unit_positions",
        pd.DataFrame(
            {
                "msg_id": ["p1", "p2"],
                "unit_id": ["V1", "V1"],
                "ts": [T0 - timedelta(minutes=30), T0 - timedelta(minutes=10)],
                "lon": [116.1, 116.3],
                "lat": [23.1, 23.3],
                "status": ["dispatched", "on_scene"],
                "received_at": [T0 - timedelta(minutes=30), T0 - timedelta(minutes=10)],
            }
        ),
    )
    at = T0 - timedelta(minutes=20)
    df = resources_at(store, Scope("city"), at=at).set_index("resource_id")
    assert (df.loc["V1", "lon"], df.loc["V1", "status"]) == (116.1, "dispatched")
    assert df.loc["V1", "position_age_s"] == 600
    assert (df.loc["D1", "lon"], df.loc["D1", "status"]) == (116.5, "available")
    later = resources_at(store, Scope("city"), at=T0).set_index("resource_id")
    assert later.loc["V1", "status"] == "on_scene"
    district = resources_at(store, Scope("district", ("445102",)), at=T0)
    assert sorted(district["resource_id"]) == ["T1", "V1"]  # its own and the city's


def test_incidents_and_warning_areas_at_an_instant(store):
    store, square = store
    store.append(
        "incidents",
        pd.DataFrame(
            [
                dict(incident_id="I1", incident_type="flood", level="III", title="内涝",
                     lon=116.0, lat=23.0, area_wkb=square, status="open",
                     opened_at=T0 - timedelta(hours=2), closed_at=T0 - timedelta(hours=1)),
                dict(incident_id="I2", incident_type="fire", level="IV", title="火情",
                     lon=116.1, lat=23.1, area_wkb=None, status="open",
                     opened_at=T0 - timedelta(hours=3), closed_at=None),
            ]
        ),
    )  # fmt: skip
    now = incidents_at(store, Scope("city"), at=T0)
    assert now["incident_id"].tolist() == ["I2"] and now.geometry.iloc[0].geom_type == "Point"
    before = incidents_at(store, Scope("city"), at=T0 - timedelta(hours=1.5))
    assert before.set_index("incident_id").geometry["I1"].geom_type == "Polygon"
    xml = "<alert><sent>x</sent><info><expires>2026-11-24T14:00:00+08:00</expires></info></alert>"
    cancel = "<alert><references>cityops,W2,2026-11-24T11:00:00+08:00</references></alert>"
    sent = T0 - timedelta(hours=1)

    def alert(identifier, state, msg_type, headline, area, text, at=sent):
        return dict(identifier=identifier, direction="out", state=state, sent=at,
                    msg_type=msg_type, severity="Severe", headline=headline, area_wkb=area,
                    xml=text)  # fmt: skip

    store.append(
        "alerts",
        pd.DataFrame(
            [
                alert("W1", "imported", "Alert", "暴雨", square, xml),
                alert("W2", "published", "Alert", "大风", square, ""),
                alert("W3", "published", "Cancel", None, None, cancel, T0 + timedelta(hours=1)),
                alert("W4", "draft", "Alert", "草稿", square, ""),
            ]
        ),
    )
    areas = warning_areas_at(store, Scope("city"), at=T0)
    assert areas["identifier"].tolist() == ["W1", "W2"]
    assert areas.set_index("identifier").loc["W1", "expires"] == datetime(2026, 11, 24, 6, 0)
    # W1 expires at 06:00 UTC; W2 is cancelled at 05:00; W2 without expires would last 24 h
    later = warning_areas_at(store, Scope("city"), at=T0 + timedelta(hours=1.5))
    assert later["identifier"].tolist() == ["W1"]
    assert warning_areas_at(store, Scope("city"), at=T0 + timedelta(hours=2.5)).empty


def test_map_registry_and_rules_share_one_definition_of_stale(store):
    """Issue 9: exactly three intervals of silence is fresh everywhere; a second more is
    stale on the map, in the registry and for the staleness rule alike."""
    from models.rule_evaluation import evaluate
    from models.rules import STALE_RULE
    from models.sensors import sensor_freshness

    store, _ = store
    _obs(store, [("MH-1", T0, "tilt_deg", 2.0)])
    store.write(
        lambda tx: tx.execute("UPDATE sensors SET last_seen = ? WHERE sensor_id = 'MH-1'", [T0])
    )
    sensor = {"sensor_id": "MH-1", "kind": "manhole", "interval_s": 600, "last_seen": T0}
    for seconds, stale in ((1800, False), (1801, True)):
        now = T0 + timedelta(seconds=seconds)
        on_map = sensors_at(store, Scope("city"), at=now, tz=TZ).set_index("sensor_id")
        registry = sensor_freshness(store, now=now).set_index("sensor_id")
        _, events = evaluate([STALE_RULE], {}, sensor, [], now=now)
        assert bool(on_map.loc["MH-1", "stale"]) is stale, seconds
        assert (registry.loc["MH-1", "status"] == "stale") is stale, seconds
        assert bool(events) is stale, seconds


def test_registry_does_not_believe_a_last_seen_from_the_future(store):
    from models.sensors import sensor_freshness

    store, _ = store
    _obs(store, [("GAS-1", T0 - timedelta(minutes=10), "gas_ppm", 3.0)])
    store.write(
        lambda tx: tx.execute(
            "UPDATE sensors SET last_seen = ? WHERE sensor_id = 'GAS-1'", [datetime(2099, 1, 1)]
        )
    )
    row = sensor_freshness(store, now=T0).set_index("sensor_id").loc["GAS-1"]
    assert row["status"] == "stale" and row["age_s"] == 600
    assert row["last_seen"] == T0 - timedelta(minutes=10)
