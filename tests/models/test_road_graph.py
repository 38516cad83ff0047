"""The road graph: nodes where segments meet, times by hand, snapping, fallbacks, the cache."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from models.emergency.road_graph import (
    RoadGraphCache,
    build_road_graph,
    load_road_graph,
    road_graph_for,
    to_metric,
)
from models.emergency.travel import (
    LINE_NO_NETWORK,
    LINE_NO_ROUTE,
    LINE_SCENE_OFF,
    LINE_UNIT_OFF,
    VIA_LINE,
    VIA_ROAD,
    node_times_to,
    travel_to_scene,
)
from tests.models.road_fixtures import NODES, X0, Y0, lonlat, segments_frame

FALLBACK_KMH = 36.0  # 10 m/s


@pytest.fixture(scope="module")
def graph():
    return build_road_graph(segments_frame())


def xy(*points: tuple[float, float]) -> np.ndarray:
    return np.array([(X0 + x, Y0 + y) for x, y in points], float)


def node_of(graph, name: str) -> int:
    x, y = NODES[name]
    return int(np.argmin(np.hypot(*(graph.node_xy - [X0 + x, Y0 + y]).T)))


def travel(graph, scene, *points, snap_max_m=500.0):
    return travel_to_scene(
        graph,
        tuple(xy(scene)[0]),
        xy(*points),
        snap_max_m=snap_max_m,
        fallback_speed_kmh=FALLBACK_KMH,
    )


def test_segments_meet_at_shared_endpoints(graph):
    assert graph.n_nodes == 8
    assert graph.n_edges == 14  # seven segments, both ways
    assert graph.skipped == 0
    a, b = node_of(graph, "A"), node_of(graph, "B")
    assert graph.forward[a, b] == pytest.approx(50.0)  # 1,000 m at 20 m/s
    assert graph.reverse[b, a] == pytest.approx(50.0)
    assert graph.edge_length(np.array([a]), np.array([b]))[0] == pytest.approx(1000.0)


def test_node_times_to_a_node_by_hand(graph):
    c = node_of(graph, "C")
    seg = list(graph.seg_ids).index("S2")  # B → C: C is its far end
    seconds, metres = node_times_to(graph, seg, float(graph.seg_length_m[seg]))
    expected = {"A": (150, 2000), "B": (100, 1000), "C": (0, 0), "D": (200, 4000),
                "E": (100, 2000), "F": (300, 2000)}  # fmt: skip
    for name, (t, m) in expected.items():
        assert seconds[node_of(graph, name)] == pytest.approx(t, abs=1e-6), name
        assert metres[node_of(graph, name)] == pytest.approx(m, abs=1e-3), name
    assert np.isinf(seconds[node_of(graph, "G")])
    assert seconds[c] == pytest.approx(0.0, abs=1e-9)


def test_units_on_nodes_to_a_scene_at_a_node(graph):
    got = travel(graph, (2000, 0), (0, 0), (0, 2000), (1000, -1000))
    assert list(got.via) == [VIA_ROAD] * 3
    np.testing.assert_allclose(got.eta_s, [150, 200, 300], atol=1e-3)
    np.testing.assert_allclose(got.distance_m, [2000, 4000, 2000], atol=1e-2)


def test_scene_inside_a_segment_and_units_beside_the_road(graph):
    # scene halfway along S2 (10 m/s): 50 s from B, 50 s from C
    got = travel(graph, (1500, 0), (0, 0), (1000, 100), (0, 2000), (1000, -1000))
    # A: 50 + 50; 100 m off the road at B: 10 s + 50; D: min(100+50+50, 200+50); F: 200+50
    np.testing.assert_allclose(got.eta_s, [100, 60, 200, 250], atol=1e-3)
    np.testing.assert_allclose(got.distance_m, [1500, 600, 3500, 1500], atol=1e-2)
    np.testing.assert_allclose(got.off_road_m, [0, 100, 0, 0], atol=1e-3)


def test_along_the_scene_segment_directly(graph):
    # a unit on S2 300 m short of the scene drives straight on: 30 s, not via B or C
    got = travel(graph, (1500, 0), (1200, 0), (1800, 0))
    np.testing.assert_allclose(got.eta_s, [30, 30], atol=1e-3)
    np.testing.assert_allclose(got.distance_m, [300, 300], atol=1e-2)


def test_scene_off_the_road_adds_its_leg(graph):
    got = travel(graph, (2000, -300), (0, 0))
    assert got.via[0] == VIA_ROAD
    assert got.eta_s[0] == pytest.approx(150 + 30, abs=1e-3)
    assert got.distance_m[0] == pytest.approx(2300, abs=1e-2)


def test_off_the_network_goes_straight(graph):
    # 2 km below C (farther than 500 m from a road): 2,000 m at 10 m/s
    got = travel(graph, (2000, 0), (2000, -2000), (5000, 5000))
    assert list(got.via) == [VIA_LINE, VIA_LINE]
    assert list(got.line_why) == [LINE_UNIT_OFF, LINE_NO_ROUTE]  # the island has no road here
    assert got.eta_s[0] == pytest.approx(200.0, abs=1e-3)
    assert got.road_m[0] == pytest.approx(1414.2, abs=0.5)  # to F, the nearest road end
    assert got.distance_m[1] == pytest.approx(np.hypot(3000, 5000), abs=1e-2)
    # a scene far from every road: everyone straight
    far = travel(graph, (3000, -3000), (0, 0))
    assert far.via[0] == VIA_LINE and far.line_why[0] == LINE_SCENE_OFF
    assert far.eta_s[0] == pytest.approx(np.hypot(3000, 3000) / 10, abs=1e-3)


def test_empty_network_goes_straight():
    empty = build_road_graph(segments_frame(()))
    assert empty.empty and empty.n_nodes == 0
    got = travel(empty, (0, 0), (300, 400))
    assert got.via[0] == VIA_LINE and got.line_why[0] == LINE_NO_NETWORK
    assert got.eta_s[0] == pytest.approx(50.0)
    assert len(travel(empty, (0, 0)).eta_s) == 0


def test_parallel_roads_keep_the_fastest_and_bad_rows_are_skipped():
    frame = segments_frame(("S1",))
    slow = frame.iloc[0].to_dict() | {"segment_id": "S1slow", "free_flow_kmh": 18.0}
    no_length = frame.iloc[0].to_dict() | {"segment_id": "S1nolen", "length_m": float("nan"),
                                           "free_flow_kmh": 3.6}  # fmt: skip
    bad = [
        {"segment_id": "X1", "free_flow_kmh": 0.0},  # no speed
        {"segment_id": "X2", "free_flow_kmh": float("nan")},
        {"segment_id": "X3", "geom_wkb": shapely.to_wkb(shapely.Point(lonlat(0, 0)))},
        {"segment_id": "X4", "geom_wkb": b"not wkb"},
        {"segment_id": "X5", "geom_wkb": None},
    ]
    rows = [slow, no_length] + [frame.iloc[0].to_dict() | b for b in bad]
    graph = build_road_graph(pd.concat([frame, pd.DataFrame(rows)], ignore_index=True))
    assert graph.skipped == 5
    assert graph.n_nodes == 2 and graph.n_edges == 2
    assert graph.forward.data.min() == pytest.approx(50.0)  # 72 km/h wins over 18 and 3.6
    # a missing length is measured from the geometry
    k = list(graph.seg_ids).index("S1nolen")
    assert graph.seg_length_m[k] == pytest.approx(1000.0, abs=0.01)


def test_endpoints_within_a_metre_are_one_node():
    near = segments_frame(("S1",))
    other = shapely.LineString([lonlat(1000.4, 0.3), lonlat(2000, 0)])
    apart = shapely.LineString([lonlat(1003, 0), lonlat(1003, 900)])
    rows = pd.DataFrame([
        {"segment_id": "N1", "road_class": "local", "free_flow_kmh": 36.0, "length_m": 1000.0,
         "geom_wkb": shapely.to_wkb(other)},
        {"segment_id": "N2", "road_class": "local", "free_flow_kmh": 36.0, "length_m": 900.0,
         "geom_wkb": shapely.to_wkb(apart)},
    ])  # fmt: skip
    graph = build_road_graph(pd.concat([near, rows], ignore_index=True))
    assert graph.n_nodes == 5  # A, B (= N1's start), N1's end, N2's two ends


def test_geodataframe_input_and_crs_check():
    frame = segments_frame()
    gdf = gpd.GeoDataFrame(
        frame.drop(columns="geom_wkb"),
        geometry=shapely.from_wkb(frame["geom_wkb"].to_numpy()),
        crs="EPSG:4326",
    )
    assert build_road_graph(gdf).n_edges == 14
    with pytest.raises(ValueError, match="EPSG:4326"):
        build_road_graph(gdf.to_crs("EPSG:32650"))


def test_metric_transformer_is_the_configured_crs():
    x, y = to_metric("EPSG:32650").transform(*lonlat(0, 0))
    assert (x, y) == pytest.approx((X0, Y0), abs=1e-6)


def test_cache_rebuilds_only_when_segments_change(store):
    store.append("road_segments", segments_frame(("S1", "S2")))
    cache = RoadGraphCache()
    first = cache.get(store)
    assert cache.get(store) is first and cache.builds == 1
    assert first.n_edges == 4
    store.append("road_segments", segments_frame(("S6",)))
    added = cache.get(store)
    assert cache.builds == 2 and added.n_edges == 6
    store.write(lambda tx: tx.execute(
        "UPDATE road_segments SET free_flow_kmh = 18 WHERE segment_id = 'S1'"))  # fmt: skip
    slower = cache.get(store)
    assert cache.builds == 3 and slower.forward.data.max() == pytest.approx(200.0)
    store.write(lambda tx: tx.execute("DELETE FROM road_segments WHERE segment_id = 'S6'"))
    assert cache.get(store).n_edges == 4 and cache.builds == 4
    assert cache.get(store) is cache.get(store) and cache.builds == 4
    cache.clear()
    cache.get(store)
    assert cache.builds == 5


def test_store_graph_is_the_built_graph_and_shared(store):
    store.append("road_segments", segments_frame())
    loaded = load_road_graph(store)
    assert loaded.n_nodes == 8 and loaded.n_edges == 14
    assert road_graph_for(store) is road_graph_for(store)
    empty_store_graph = road_graph_for(store, metric_crs="EPSG:32649")
    assert empty_store_graph.metric_crs == "EPSG:32649" and empty_store_graph.n_edges == 14


def test_no_roads_in_the_store_is_an_empty_graph(store):
    graph = road_graph_for(store)
    assert graph.empty and graph.n_edges == 0
