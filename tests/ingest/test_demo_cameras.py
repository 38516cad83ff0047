"""The demo's generated cameras: a few hundred along roads and at landmarks, marked synthetic,
links on the reserved host camera.invalid, loaded with the demo city."""

from __future__ import annotations

import pytest
import shapely

from ingest.demo_city.cameras import build_cameras
from ingest.demo_city.generate import generate_demo_city
from models.config import load_config
from models.emergency.cameras import cameras_near, stream_url_problem
from models.store import Store


@pytest.fixture(scope="module")
def city():
    return generate_demo_city()


def test_cameras_are_generated_synthetic_on_a_fake_host(city):
    cams = city.cameras
    assert 250 <= len(cams) <= 600
    assert cams["camera_id"].is_unique and cams["synthetic"].all()
    assert set(cams["camera_class"]) == {1, 2, 3}
    assert all(u.startswith("rtsp://camera.invalid/") for u in cams["stream_url"])
    assert not any(stream_url_problem(u) for u in cams["stream_url"])
    assert all(n.startswith("（模拟）") for n in cams["name"])
    assert cams.crs.to_epsg() == 4326
    assert (cams["lon"] == shapely.get_x(cams.geometry.values)).all()
    # most of them watch the urban core's roads, a dozen or more the old city
    core = cams[(cams["lon"].between(116.58, 116.72)) & (cams["lat"].between(23.60, 23.72))]
    assert len(core) > len(cams) / 2
    old = cams[(cams["lon"].between(116.640, 116.652)) & (cams["lat"].between(23.662, 23.675))]
    assert len(old) >= 20


def test_the_same_seed_gives_the_same_cameras(city):
    roads = city.roads.to_crs("EPSG:32650")
    urban = shapely.box(*roads.total_bounds)
    one = build_cameras(roads, urban, seed=5)
    two = build_cameras(roads, urban, seed=5)
    assert one.geometry.geom_equals_exact(two.geometry, 0).all()
    assert not build_cameras(roads, urban, seed=6).geometry.geom_equals_exact(
        one.geometry, 0).all()  # fmt: skip


def test_the_demo_database_holds_them(demo_copy):
    folder = demo_copy()
    store = Store(load_config(folder / "config.yaml").database_path)
    try:
        assert store.query_value("SELECT count(*) FROM cameras WHERE synthetic") >= 250
        near = cameras_near(store, 116.6465, 23.6707, radius_m=500)  # 牌坊街, the old city
        assert len(near) >= 5 and near[0]["distance_m"] <= near[-1]["distance_m"]
    finally:
        store.close()
