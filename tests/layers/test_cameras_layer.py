"""The camera layer: one pickable point per placed camera, coloured by class, safe links only,
simulated cameras marked; its legend."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from layers.cameras import CLASS_RGB, build_camera_layer, camera_legend
from layers.deck import layer_json


def _cameras() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "camera_id": ["CAM-1", "CAM-2", "CAM-3", "CAM-4", "CAM-5"],
            "name": ["牌坊街北口", None, "港区", "无位置", "坏链接"],
            "lon": [116.6465, 116.65, 116.99, np.nan, 116.6],
            "lat": [23.6707, 23.67, 23.58, 23.6, 23.6],
            "camera_class": [1, 2, 3, 1, 7],
            "stream_url": ["rtsp://camera.invalid/1", None, "https://v.example/3.m3u8",
                           None, "javascript:alert(1)"],
            "owner": ["市公安局", None, "港务", None, None],
            "synthetic": [True, False, False, False, False],
        }
    )  # fmt: skip


def test_points_by_class_with_safe_links_and_the_simulated_mark():
    spec = build_camera_layer(_cameras(), lang="zh")
    assert spec.layer_id == "cameras" and spec.key == "id" and spec.props["pickable"]
    by_id = {r["id"]: r for r in spec.data}
    assert set(by_id) == {"CAM-1", "CAM-2", "CAM-3", "CAM-5"}  # no place, no point
    one = by_id["CAM-1"]
    assert one["color"][:3] == list(CLASS_RGB[1]) and one["url"] == "rtsp://camera.invalid/1"
    assert one["title"] == "牌坊街北口" and one["lines"][0].startswith("一类")
    assert "权属 市公安局" in one["lines"] and one["lines"][-1].startswith("模拟点位")
    assert by_id["CAM-2"]["title"] == "CAM-2" and "无视频链接" in by_id["CAM-2"]["lines"]
    assert by_id["CAM-5"]["url"] is None and by_id["CAM-5"]["camera_class"] is None
    assert not any("javascript" in line for line in by_id["CAM-5"]["lines"])
    wire = layer_json(spec)
    json.dumps(wire, allow_nan=False)


def test_english_labels_and_legend():
    spec = build_camera_layer(_cameras(), lang="en", word_labels={"owner": "Run by"})
    one = next(r for r in spec.data if r["id"] == "CAM-1")
    assert one["lines"][0].startswith("Class 1") and "Run by 市公安局" in one["lines"]
    legend = camera_legend("en")
    assert [item.rgb for item in legend] == [CLASS_RGB[1], CLASS_RGB[2], CLASS_RGB[3]]
    assert legend[0].label.startswith("Class 1") and camera_legend("zh")[2].label.startswith("三类")


def test_an_empty_registry_gives_an_empty_layer():
    assert build_camera_layer(_cameras().iloc[:0]).data == []
