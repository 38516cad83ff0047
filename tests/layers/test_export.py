"""Exported layers as RFC 7946 GeoJSON: winding, rounding, no crs, JSON-safe properties."""

from __future__ import annotations

import io
import json
from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon

from layers.export import feature_table, geojson_bytes, json_safe

CW_SQUARE = Polygon([(116.0, 23.0), (116.0, 23.1), (116.1, 23.1), (116.1, 23.0)])
HOLE_CCW = [(116.02, 23.02), (116.08, 23.02), (116.08, 23.08), (116.02, 23.08)]


def _table() -> gpd.GeoDataFrame:
    frame = pd.DataFrame(
        {
            "key": ["a", "b", "c", "d"],
            "value": [1.5, np.nan, np.inf, 2.0],
            "count": pd.array([1, None, 3, 4], dtype="Int32"),
            "at": [datetime(2026, 11, 24, 4, 0), pd.NaT, None, datetime(2026, 1, 1)],
            "nested": [{"pm25": np.float64(35.0)}, {}, None, {"x": [1, np.nan]}],
            "lon": [116.1234567891, 116.2, np.nan, 116.3],
            "lat": [23.5, 23.6, 23.7, 23.8],
        }
    )
    geometry = [
        Polygon(CW_SQUARE.exterior.coords, [HOLE_CCW]),
        MultiPolygon([CW_SQUARE, Polygon([(116.5, 23.5), (116.5, 23.6), (116.6, 23.5)])]),
        None,  # rows without a geometry are left out
        shapely.Point(116.1234567891, 23.987654321),
    ]
    return feature_table(
        frame, ("key", "value", "count", "at", "nested", "lon"), geometry, times=("at",),
        texts=("nested",),
    )  # fmt: skip


def test_polygons_follow_the_right_hand_rule_and_coordinates_are_rounded():
    assert not CW_SQUARE.exterior.is_ccw  # the check can fail
    body = json.loads(geojson_bytes(_table(), id_column="key"))
    assert body["type"] == "FeatureCollection" and "crs" not in body
    assert [f["id"] for f in body["features"]] == ["a", "b", "d"]
    first = shapely.geometry.shape(body["features"][0]["geometry"])
    assert first.exterior.is_ccw and not first.interiors[0].is_ccw
    for part in shapely.geometry.shape(body["features"][1]["geometry"]).geoms:
        assert part.exterior.is_ccw
    assert body["features"][2]["geometry"]["coordinates"] == [116.123457, 23.987654]


def test_properties_are_plain_json_without_nan():
    text = geojson_bytes(_table(), id_column="key").decode()
    assert "NaN" not in text and "Infinity" not in text
    props = [f["properties"] for f in json.loads(text)["features"]]
    assert props[0] == {"key": "a", "value": 1.5, "count": 1.0, "at": "2026-11-24T04:00:00Z",
                        "nested": '{"pm25": 35.0}', "lon": 116.123457}  # fmt: skip
    assert props[1]["value"] is None and props[1]["count"] is None and props[1]["at"] is None
    assert json.loads(props[2]["nested"]) == {"x": [1, None]}
    read = gpd.read_file(io.BytesIO(text.encode()))
    assert read.crs.to_epsg() == 4326 and len(read) == 3


def test_a_layer_in_another_crs_is_refused():
    table = _table().to_crs(32650)
    with pytest.raises(ValueError, match="4326"):
        geojson_bytes(table)


def test_json_safe_converts_all_the_way_down():
    value = {"a": [np.int64(3), np.float32(np.nan)], "b": pd.Timestamp("2026-11-24T12:00+08:00")}
    assert json_safe(value) == {"a": [3, None], "b": "2026-11-24T04:00:00Z"}
