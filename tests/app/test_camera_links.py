"""Cameras near a case or an incident, as links on their cards (调取周边视频)."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pytest

from app.camera_links import cameras_block
from models.emergency.cameras import upsert_cameras
from models.store import Store

HERE = (116.6465, 23.6707)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "c.duckdb")
    now = datetime(2026, 11, 24, 2, 0)
    batch = pa.table({
        "camera_id": ["CAM-1", "CAM-2", "CAM-3", "CAM-4"],
        "name": ["西湖路口", "牌坊街", "远处", "坏链接"],
        "lon": [HERE[0] + 0.001, HERE[0] + 0.003, HERE[0] + 0.05, HERE[0]],
        "lat": [HERE[1], HERE[1], HERE[1], HERE[1] + 0.001],
        "camera_class": [1, 2, 3, 2],
        "stream_url": ["rtsp://camera.invalid/1", "https://video.invalid/2",
                       "rtsp://camera.invalid/3", "javascript:alert(1)"],
        "owner": ["公安", "城管", "交警", "城管"],
        "synthetic": [True, True, True, True],
        "imported_at": [now] * 4,
    })  # fmt: skip
    s.write(lambda tx: upsert_cameras(tx, batch))
    yield s
    s.close()


def _text(block) -> str:
    return str(block.to_plotly_json())


def test_nearest_first_with_links_in_a_new_tab_and_no_script_links(store) -> None:
    block = cameras_block(store, *HERE, radius_m=500, lang="zh")
    text = _text(block)
    assert "周边视频（3）" in text
    assert text.index("西湖路口") < text.index("坏链接") < text.index("牌坊街")  # 102, 111, 306 m
    assert "远处" not in text  # 5 km away
    assert "javascript:" not in text and "无可用视频链接" in text
    links = [c for li in block.children[1].children for c in li.children
             if getattr(c, "href", None)]  # fmt: skip
    assert [a.href for a in links] == ["rtsp://camera.invalid/1", "https://video.invalid/2"]
    assert all(a.target == "_blank" and "noopener" in a.rel for a in links)


def test_no_position_no_block_and_an_empty_circle_says_so(store) -> None:
    assert cameras_block(store, None, 23.6, radius_m=500, lang="zh") is None
    assert cameras_block(store, float("nan"), 23.6, radius_m=500, lang="zh") is None
    empty = cameras_block(store, 116.9, 23.9, radius_m=300, lang="en")
    assert "no camera within 300 m" in _text(empty)
