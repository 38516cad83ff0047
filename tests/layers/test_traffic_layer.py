from datetime import datetime

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, MultiLineString

from layers.deck import layer_json
from layers.traffic import (
    BAND_RGB,
    NO_DATA_RGBA,
    ROAD_CLASS_WIDTH_PX,
    TRAFFIC_LAYER_ID,
    build_traffic_layer,
    traffic_legend,
)
from tests.layers.golden_files import check_golden

NOW = datetime(2026, 7, 1, 8, 0)


def _line(i: int) -> LineString:
    return LineString([(116.60 + 0.01 * i, 23.65), (116.605 + 0.01 * i, 23.655)])


def _traffic(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    """One segment per band 0..4, one without data, and a two-part expressway."""
    speeds = [60.0, 45.0, 30.0, 20.0, 8.0, np.nan, 70.0]
    bands = [0, 1, 2, 3, 4, np.nan, 0]
    geoms = [_line(i) for i in range(6)]
    geoms.append(
        MultiLineString([[(116.7, 23.6), (116.71, 23.61)], [(116.72, 23.62), (116.73, 23.63)]])
    )
    return gpd.GeoDataFrame(
        {
            "segment_id": [f"S{i}" for i in range(7)],
            "name_zh": ["潮州大道", "新洋路", "永护路", "环城西路", "枫春路", "", "潮汕高速"],
            "road_class": ["arterial", "secondary", "local", "arterial", "arterial", "local",
                           "expressway"],
            "free_flow_kmh": [60.0, 50.0, 40.0, 50.0, 50.0, 40.0, 100.0],
            "length_m": [800.0] * 7,
            "speed_kmh": speeds,
            "flow_vph": [900.0, 800.0, 700.0, 1200.0, 1500.0, np.nan, 2000.0],
            "ts": [NOW - np.timedelta64(5, "m")] * 5 + [None, NOW],
            "index": [1.0, 1.11, 1.33, 2.5, 6.25, np.nan, 1.43],
            "band": bands,
        },
        geometry=geoms,
        crs=crs,
    )  # fmt: skip


def test_each_band_has_its_colour_and_no_data_is_faint_grey():
    spec = build_traffic_layer(_traffic(), now=NOW)
    assert spec.layer_id == TRAFFIC_LAYER_ID and spec.key == "id" and spec.props["pickable"]
    by_id = {r["id"]: r for r in spec.data}
    for band in range(5):
        assert by_id[f"S{band}"]["color"][:3] == list(BAND_RGB[band])
        assert by_id[f"S{band}"]["band"] == band
    faint = by_id["S5"]
    assert faint["color"] == NO_DATA_RGBA and faint["band"] == -1
    assert faint["speed_kmh"] is None and faint["index"] is None
    assert faint["color"][3] < by_id["S0"]["color"][3]
    # free flow, then deeper red as congestion grows: the colours are all distinct
    assert len({tuple(BAND_RGB[b]) for b in range(5)} | {tuple(NO_DATA_RGBA[:3])}) == 6


def test_tooltip_has_name_speed_index_band_and_age():
    spec = build_traffic_layer(_traffic(), now=NOW, lang="zh")
    s3 = next(r for r in spec.data if r["id"] == "S3")
    assert s3["title"] == "环城西路"
    assert s3["lines"] == ["20 km/h", "拥堵指数 2.50", "中度拥堵", "5 分钟前"]
    s5 = next(r for r in spec.data if r["id"] == "S5")
    assert s5["title"] == "S5" and s5["lines"] == ["无数据"]  # no name: the id
    en = build_traffic_layer(
        _traffic(), now=NOW, lang="en", band_labels={4: "JAM"}, index_label="TTI"
    )
    s4 = next(r for r in en.data if r["id"] == "S4")
    assert s4["lines"] == ["8 km/h", "TTI 6.25", "JAM", "5 min ago"]


def test_speed_without_band_counts_as_no_data():
    frame = _traffic()
    frame.loc[0, "band"] = -1
    spec = build_traffic_layer(frame, now=NOW)
    assert next(r for r in spec.data if r["id"] == "S0")["color"] == NO_DATA_RGBA


def test_width_by_road_class_and_multiline_gives_records_with_one_id():
    spec = build_traffic_layer(_traffic(), now=NOW)
    parts = [r for r in spec.data if r["id"] == "S6"]
    assert len(parts) == 2 and parts[0]["path"] != parts[1]["path"]
    assert parts[0]["width"] == ROAD_CLASS_WIDTH_PX["expressway"]
    widths = {r["id"]: r["width"] for r in spec.data}
    assert widths["S6"] > widths["S0"] > widths["S1"] > widths["S2"]
    assert len(spec.data) == 8


def test_wrong_crs_is_refused_and_empty_frames_give_an_empty_layer():
    with pytest.raises(ValueError, match="EPSG:4326"):
        build_traffic_layer(_traffic().to_crs("EPSG:32650"), now=NOW)
    assert build_traffic_layer(_traffic().iloc[:0], now=NOW).data == []
    bare = gpd.GeoDataFrame()  # no columns, no geometry, no CRS
    assert layer_json(build_traffic_layer(bare, now=NOW))["data"] == []


def test_legend_lists_five_bands_and_no_data():
    zh = traffic_legend("zh")
    assert [i.label for i in zh] == [
        "畅通",
        "基本畅通",
        "轻度拥堵",
        "中度拥堵",
        "严重拥堵",
        "无数据",
    ]
    assert zh[0].rgb == BAND_RGB[0] and traffic_legend("en")[4].label == "Heavy congestion"


def test_golden_wire_form():
    check_golden("traffic_layer.json", layer_json(build_traffic_layer(_traffic(), now=NOW)))
