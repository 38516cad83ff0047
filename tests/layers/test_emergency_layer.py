import json
from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, Point, box

from layers.deck import layer_json
from layers.emergency import (
    EXERCISE_RGB,
    LEVEL_RGB,
    SEVERITY_RGB,
    STATUS_RGB,
    build_emergency_layers,
    incident_level_legend,
    resource_status_legend,
    warning_severity_legend,
)
from tests.layers.golden_files import check_golden

NOW = datetime(2026, 7, 1, 8, 0)
IDS = ["warning-areas", "incident-areas", "shelters", "resources", "incidents"]


def _incidents(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "incident_id": ["INC-1", "INC-2", "INC-3"],
            "incident_type": ["flood", "fire", "flood"],
            "level": ["II", "IV", "I"],
            "title": ["枫江内涝", "仓库火灾", "防汛演练"],
            "lon": [116.64, 116.62, 116.66],
            "lat": [23.66, 23.65, 23.67],
            "status": ["open", "open", "open"],
            "exercise": [False, False, True],
            "opened_at": [NOW - pd.Timedelta("40min"), NOW - pd.Timedelta("2h"), NOW],
        },
        geometry=[box(116.63, 23.65, 116.65, 23.67), None, box(116.655, 23.665, 116.665, 23.675)],
        crs=crs,
    )


def _res(rid, kind, subtype, zh, en, status, lon, lat, age=np.nan, capacity=np.nan, stock=None):
    return {
        "resource_id": rid,
        "kind": kind,
        "subtype": subtype,
        "name_zh": zh,
        "name_en": en,
        "status": status,
        "capacity": capacity,
        "stock": stock,
        "lon": lon,
        "lat": lat,
        "position_at": pd.NaT,
        "position_age_s": age,
    }


def _resources() -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            _res("R-T1", "team", "flood", "抢险队", "Flood team", "available", 116.63, 23.64, 30),
            _res("R-V1", "vehicle", "pump", "排涝车 1", "Pump 1", "dispatched", 116.6, 23.6, 600),
            _res("R-V2", "vehicle", "fire", "消防车 2", "Engine 2", "on_scene", 116.62, 23.65, 20),
            _res("R-V3", "vehicle", "fire", "消防车 3", "Engine 3", "returning", 116.61, 23.64),
            _res("R-E1", "expert", "hydrology", "李工", "Li", "out_of_service", 116.6, 23.6),
            _res("R-D1", "depot", "flood", "物资库", "Depot", "available", 116.65, 23.68,
                 stock={"沙袋": 5000}),
            _res("R-S1", "shelter", "school", "城南小学", "South school", "available", 116.6, 23.6,
                 capacity=1200.0),
            _res("R-S2", "shelter", "park", "西湖公园", "West park", "available", 116.63, 23.67,
                 capacity=300.0),
            _res("R-X", "team", "flood", "无位置队伍", "No position", "available", np.nan, np.nan),
        ]
    )  # fmt: skip
    frame["occupancy"] = [np.nan] * 6 + [300.0, np.nan, np.nan]
    return frame


def _warnings(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    two_parts = MultiPolygon([box(116.5, 23.5, 116.55, 23.55), box(116.6, 23.5, 116.65, 23.55)])
    return gpd.GeoDataFrame(
        {
            "identifier": ["CAP-1", "CAP-2", "CAP-3"],
            "severity": ["Severe", "Minor", "Extreme"],
            "headline": ["暴雨橙色预警", "大风蓝色预警", "台风红色预警（演练）"],
            "exercise": [False, False, True],
            "sent": [NOW - pd.Timedelta("1h")] * 3,
        },
        geometry=[two_parts, box(116.7, 23.7, 116.8, 23.8), box(116.5, 23.6, 116.6, 23.7)],
        crs=crs,
    )


def _layers(**kw):
    specs = build_emergency_layers(_incidents(), _resources(), _warnings(), now=NOW, **kw)
    return {s.layer_id: s for s in specs}


def _rec(spec, rid):
    return next(r for r in spec.data if r["id"] == rid)


def test_layer_ids_in_drawing_order_all_pickable_with_tooltip_fields():
    specs = build_emergency_layers(_incidents(), _resources(), _warnings(), now=NOW)
    assert [s.layer_id for s in specs] == IDS
    for spec in specs:
        assert spec.key == "id" and spec.props["pickable"] and spec.length
        for record in spec.data:
            assert isinstance(record["title"], str) and isinstance(record["lines"], list)


def test_multipolygon_warning_area_gives_several_records_with_one_id():
    warnings = _layers()["warning-areas"]
    parts = [r for r in warnings.data if r["id"] == "CAP-1"]
    assert len(parts) == 2 and parts[0]["polygon"] != parts[1]["polygon"]
    assert parts[0]["fill"][:3] == list(SEVERITY_RGB["Severe"]) and parts[0]["fill"][3] < 255
    assert _rec(warnings, "CAP-2")["line"][:3] == list(SEVERITY_RGB["Minor"])
    assert _rec(warnings, "CAP-2")["lines"] == ["一般", "1 小时前"]


def test_exercise_objects_are_violet_and_say_so_real_ones_are_not():
    layers = _layers(lang="en")
    drill_area = _rec(layers["warning-areas"], "CAP-3")
    real_area = _rec(layers["warning-areas"], "CAP-1")
    assert drill_area["fill"][:3] == list(EXERCISE_RGB) and drill_area["title"].startswith(
        "【EXERCISE】"
    )
    assert real_area["fill"][:3] != list(EXERCISE_RGB) and "EXERCISE" not in real_area["title"]
    drill = _rec(layers["incidents"], "INC-3")
    real = _rec(layers["incidents"], "INC-1")
    assert drill["fill"][:3] == list(EXERCISE_RGB) and drill["line"][:3] == list(LEVEL_RGB["I"])
    assert drill["title"] == "【EXERCISE】Level I (extremely serious) · 防汛演练"
    assert real["fill"][:3] == list(LEVEL_RGB["II"]) and not real["title"].startswith("【")
    assert _rec(layers["incident-areas"], "INC-3")["line"][:3] == list(EXERCISE_RGB)
    zh = _layers(exercise_label="演练")
    assert _rec(zh["incidents"], "INC-3")["title"].startswith("【演练】I级 特别重大")


def test_incident_levels_colours_areas_only_for_incidents_with_one():
    layers = _layers(type_labels={"flood": "洪涝"}, incident_status_labels={"open": "处置中"})
    assert {r["id"] for r in layers["incident-areas"].data} == {"INC-1", "INC-3"}
    assert _rec(layers["incidents"], "INC-2")["fill"][:3] == list(LEVEL_RGB["IV"])
    assert _rec(layers["incidents"], "INC-1")["lines"] == ["洪涝", "处置中", "40 分钟前"]
    assert layers["incidents"].props["radiusMinPixels"] >= 8


def test_point_geometry_gives_no_area_and_nullable_columns_do_not_break():
    incidents = _incidents()
    incidents.loc[0, "geometry"] = Point(116.64, 23.66)  # no area: the producer's point
    incidents["exercise"] = pd.array([True, pd.NA, False], dtype="boolean")
    resources = _resources()
    resources["position_age_s"] = pd.array([30, pd.NA, 20, pd.NA, pd.NA, pd.NA, pd.NA, pd.NA,
                                            pd.NA], dtype="Int64")  # fmt: skip
    specs = build_emergency_layers(incidents, resources, _warnings(), now=NOW)
    layers = {s.layer_id: s for s in specs}
    assert {r["id"] for r in layers["incident-areas"].data} == {"INC-3"}
    assert _rec(layers["incidents"], "INC-1")["exercise"] is True
    assert _rec(layers["incidents"], "INC-2")["exercise"] is False  # NA is not a drill
    assert _rec(layers["resources"], "R-V1")["lines"] == ["车辆 · pump", "已调派"]
    json.dumps([layer_json(s) for s in specs], allow_nan=False)


def test_resources_by_status_with_kind_cue_and_position_age():
    units = _layers()["resources"]
    assert {r["id"] for r in units.data} == {"R-T1", "R-V1", "R-V2", "R-V3", "R-E1", "R-D1"}
    for rid, status in [("R-T1", "available"), ("R-V1", "dispatched"), ("R-V2", "on_scene"),
                        ("R-V3", "returning"), ("R-E1", "out_of_service")]:  # fmt: skip
        assert _rec(units, rid)["fill"][:3] == list(STATUS_RGB[status])
    depot, vehicle = _rec(units, "R-D1"), _rec(units, "R-V1")
    assert depot["radius"] > vehicle["radius"] and depot["line_width"] > vehicle["line_width"]
    assert "库存 沙袋 5000" in depot["lines"]
    frame = _resources()
    frame.loc[5, "stock"] = '{"沙袋": 5000, "救生衣": 200}'  # as the store keeps it: JSON text
    frame.loc[6, "subtype"] = "shelter"
    layers = build_emergency_layers(_incidents(), frame, _warnings(), now=NOW)
    assert "库存 沙袋 5000, 救生衣 200" in _rec(layers[3], "R-D1")["lines"]
    assert _rec(layers[2], "R-S1")["lines"][0] == "避难场所"  # no "shelter · shelter"
    assert vehicle["lines"] == ["车辆 · pump", "已调派", "位置 10 分钟前"]


def test_shelters_sized_by_capacity_with_capacity_and_occupancy():
    shelters = _layers(lang="en")["shelters"]
    big, small = _rec(shelters, "R-S1"), _rec(shelters, "R-S2")
    assert big["radius"] > small["radius"]
    assert big["title"] == "South school"
    assert "Capacity 1200" in big["lines"] and "Occupancy 300 (25%)" in big["lines"]
    assert not any(line.startswith("Occupancy") for line in small["lines"])


def test_wrong_crs_refused_and_empty_frames_give_empty_layers():
    with pytest.raises(ValueError, match="incidents must be in EPSG:4326"):
        build_emergency_layers(_incidents("EPSG:32650"), _resources(), _warnings(), now=NOW)
    with pytest.raises(ValueError, match="warning areas"):
        build_emergency_layers(_incidents(), _resources(), _warnings("EPSG:3857"), now=NOW)
    specs = build_emergency_layers(
        gpd.GeoDataFrame(), pd.DataFrame(), _warnings().iloc[:0], now=NOW
    )
    assert [s.layer_id for s in specs] == IDS and all(s.data == [] for s in specs)


def test_legends():
    assert [i.rgb for i in incident_level_legend("zh")[:4]] == [
        LEVEL_RGB[k] for k in ("I", "II", "III", "IV")
    ]
    assert incident_level_legend("en")[-1] == ("Exercise", EXERCISE_RGB)
    assert [i.label for i in resource_status_legend("en")] == [
        "Available", "Dispatched", "On scene", "Returning", "Out of service"
    ]  # fmt: skip
    assert warning_severity_legend("zh")[0].rgb == SEVERITY_RGB["Extreme"]


def test_golden_wire_form():
    specs = build_emergency_layers(_incidents(), _resources(), _warnings(), now=NOW, lang="zh")
    check_golden("emergency_layers.json", [layer_json(s) for s in specs])
