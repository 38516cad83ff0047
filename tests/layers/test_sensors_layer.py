import json
from datetime import datetime

import pandas as pd

from layers.deck import layer_json
from layers.legend import format_age
from layers.sensors import (
    ALARM_LAYER_ID,
    ALARM_RGB,
    ENV_LAYER_ID,
    KIND_RADIUS_M,
    NO_LEVEL_RGB,
    SENSOR_LAYER_ID,
    STALE_RGBA,
    WATER_CLASS_RGB,
    build_sensor_layers,
    environment_legend,
    sensor_legend,
)
from models.environment import AQI_LEVELS, WaterClass
from tests.layers.golden_files import check_golden

NOW = datetime(2026, 7, 1, 8, 0)


def _sensors() -> pd.DataFrame:
    rows = [
        # sensor_id, kind, lon, lat, last_ts, stale, level, zh, en, rgb, headline, alarm
        ("AIR-001", "air", 116.6301, 23.6612, NOW.replace(minute=0) - pd.Timedelta("10min"),
         False, "good", "良", "Good", [255, 255, 0], "AQI 72 · PM2.5", False),
        ("WQ-001", "water_quality", 116.6512, 23.6711, NOW - pd.Timedelta("2D"),
         True, "III", "III类", "Class III", [0, 255, 0], "III类", False),
        ("NOISE-001", "noise", 116.6405, 23.6555, NOW - pd.Timedelta("2min"),
         False, "over", "超标", "Over limit", [255, 0, 0], "68 dB(A) > 60", True),
        ("MH-0001", "manhole", 116.6201, 23.6502, NOW - pd.Timedelta("5min"),
         False, "ok", "正常", "Normal", [0, 200, 120], "", False),
        ("GAS-001", "gas", 116.6111, 23.6405, NOW - pd.Timedelta("3h"),
         True, "alarm", "超限", "Over limit", [255, 0, 0], "LEL 25%", True),
        ("LAMP-0001", "streetlamp", 116.6222, 23.6433, None,
         False, None, None, None, None, None, False),
        ("TD-0001", "traffic", 116.6333, 23.6444, NOW - pd.Timedelta("1min"),
         False, "ok", "正常", "Normal", [0, 200, 120], "42 km/h", False),
    ]  # fmt: skip
    cols = "sensor_id kind lon lat last_ts stale level level_zh level_en rgb headline alarm"
    frame = pd.DataFrame(rows, columns=cols.split())
    frame["cell_code"] = "445102007002001"
    frame["interval_s"] = 300
    frame["values"] = [{"pm25": 50.0}] + [{}] * (len(frame) - 1)
    return frame


def _by_id(spec):
    return {r["id"]: r for r in spec.data}


def test_layers_come_in_order_with_env_stations_apart_and_traffic_detectors_left_out():
    env, iot, alarms = build_sensor_layers(_sensors(), now=NOW)
    assert [env.layer_id, iot.layer_id, alarms.layer_id] == [
        ENV_LAYER_ID,
        SENSOR_LAYER_ID,
        ALARM_LAYER_ID,
    ]
    assert set(_by_id(env)) == {"AIR-001", "WQ-001", "NOISE-001"}
    assert set(_by_id(iot)) == {"MH-0001", "GAS-001", "LAMP-0001"}
    assert all(s.key == "id" and s.props["pickable"] for s in (env, iot, alarms))
    _, with_td, _ = build_sensor_layers(_sensors(), now=NOW, include_traffic=True)
    assert "TD-0001" in _by_id(with_td)


def test_fresh_sensor_takes_its_level_colour_and_stale_one_is_grey_with_its_age():
    env, iot, _ = build_sensor_layers(_sensors(), now=NOW, lang="zh", stale_label="离线")
    air, water = _by_id(env)["AIR-001"], _by_id(env)["WQ-001"]
    assert air["color"][:3] == [255, 255, 0] and air["color"][3] > STALE_RGBA[3]
    assert air["lines"] == ["AQI 72 · PM2.5", "良", "10 分钟前"]
    assert water["color"] == STALE_RGBA and water["stale"]
    assert water["lines"] == ["III类", "离线 · 2 天前"]  # a headline equal to the level once
    gas = _by_id(iot)["GAS-001"]
    assert gas["color"] == STALE_RGBA  # stale wins over the alarm level's red fill
    lamp = _by_id(iot)["LAMP-0001"]  # never reported, no level: neutral fill, unknown age
    assert lamp["color"][:3] == list(NO_LEVEL_RGB) and lamp["lines"] == ["—"]
    frame = _sensors()
    frame.loc[5, "stale"] = True
    lamp = _by_id(build_sensor_layers(frame, now=NOW, stale_label="离线")[1])["LAMP-0001"]
    assert lamp["lines"] == ["离线"]  # stale, never heard from: no "· —"


def test_alarm_rings_only_for_alarms_red_unfilled_and_bigger():
    env, iot, alarms = build_sensor_layers(_sensors(), now=NOW, lang="en", alarm_label="ALARM")
    assert set(_by_id(alarms)) == {"NOISE-001", "GAS-001"}
    ring = _by_id(alarms)["NOISE-001"]
    assert ring["color"] == [*ALARM_RGB, 255] and ring["title"].startswith("ALARM · ")
    assert ring["radius"] > _by_id(env)["NOISE-001"]["radius"]
    assert alarms.props["filled"] is False and alarms.props["stroked"] is True
    assert alarms.props["getLineColor"] == "color"
    assert _by_id(env)["NOISE-001"]["lines"][1] == "Over limit"  # level_en in English


def test_stations_drawn_bigger_than_manholes_and_labels_come_from_the_caller():
    env, iot, _ = build_sensor_layers(
        _sensors(), now=NOW, kind_labels={"air": "AIR STATION"}, age_fmt=lambda s: f"{s:.0f}s"
    )
    assert _by_id(env)["AIR-001"]["radius"] > _by_id(iot)["MH-0001"]["radius"]
    assert KIND_RADIUS_M["air"] > KIND_RADIUS_M["manhole"]
    assert _by_id(env)["AIR-001"]["title"] == "AIR STATION AIR-001"
    assert _by_id(env)["AIR-001"]["lines"][-1] == "600s"
    assert _by_id(iot)["MH-0001"]["title"] == "井盖传感器 MH-0001"


def test_nullable_flags_count_as_false_and_records_are_json_clean():
    frame = _sensors()
    frame["stale"] = pd.array([False, True, pd.NA, False, True, pd.NA, False], dtype="boolean")
    frame["alarm"] = pd.array([pd.NA, False, True, False, True, False, False], dtype="boolean")
    env, iot, alarms = build_sensor_layers(frame, now=NOW)
    assert _by_id(env)["NOISE-001"]["stale"] is False and _by_id(env)["AIR-001"]["alarm"] is False
    assert set(_by_id(alarms)) == {"NOISE-001", "GAS-001"}
    json.dumps([layer_json(s) for s in (env, iot, alarms)], allow_nan=False)


def test_empty_frame_gives_three_empty_layers():
    empty = _sensors().iloc[:0]
    layers = build_sensor_layers(empty, now=NOW)
    assert [s.length for s in layers] == [0, 0, 0]
    assert [layer_json(s)["data"] for s in layers] == [[], [], []]


def test_legends_name_the_six_aqi_levels_and_water_classes_in_both_languages():
    zh = environment_legend("zh")
    en = environment_legend("en")
    assert [item.label for item in zh[:6]] == [
        f"AQI {x}" for x in ("优", "良", "轻度污染", "中度污染", "重度污染", "严重污染")
    ]
    assert [item.rgb for item in zh[:6]] == [lv.colour_rgb for lv in AQI_LEVELS]
    assert en[0].label == "AQI Excellent" and en[5].label == "AQI Severely polluted"
    assert zh[6 + 5] == (f"水质 {WaterClass.WORSE_THAN_V.label_zh}", WATER_CLASS_RGB[WaterClass(6)])
    assert len(zh) == 6 + len(WaterClass) + 2 and len(WATER_CLASS_RGB) == len(WaterClass)
    assert [item.label for item in sensor_legend("en")] == [
        "No reading",
        "Stale (3 intervals silent)",
        "Alarm",
    ]


def test_legends_follow_the_producer_tables_when_given():
    water = {1: [1, 2, 3], 2: [4, 5, 6], 3: [7, 8, 9], 4: [0, 0, 4], 5: [0, 0, 5], 6: [0, 0, 6]}
    legend = environment_legend("en", water_rgb=water)
    assert legend[6] == ("Water Class I", (1, 2, 3)) and legend[11].rgb == (0, 0, 6)
    levels = {"ok": ("正常", "OK", [0, 200, 83]), "alarm": ("告警", "Alarm", [230, 0, 0])}
    items = sensor_legend("zh", levels=levels)
    assert items[:2] == [("正常", (0, 200, 83)), ("告警", (230, 0, 0))] and len(items) == 5


def test_age_text():
    assert format_age(30, "zh") == "刚刚" and format_age(3 * 3600 + 5, "en") == "3 h ago"
    assert format_age(float("nan")) == "—" and format_age(-5) == "—"


def test_golden_wire_form():
    layers = build_sensor_layers(_sensors(), now=NOW, lang="zh")
    check_golden("sensors_layers.json", [layer_json(s) for s in layers])


def test_water_class_colours_have_one_definition():
    """Issue 9 merges: the points (models.map_state) and the legend share one colour table."""
    from models.environment import water
    from models.map_state import sensing

    assert WATER_CLASS_RGB is water.WATER_CLASS_RGB
    assert not hasattr(sensing, "WATER_RGB")
    legend = environment_legend("en")[6 : 6 + len(WaterClass)]
    assert [item.rgb for item in legend] == [c.colour_rgb for c in WaterClass]
