"""Travel times from many points to one scene over the road graph (pure): snapping onto the
nearest segment, one Dijkstra on the reversed graph, a straight line off the network.

A point within ``snap_max_m`` of a segment joins the network at its nearest point on that
segment; the leg to it (and the scene's leg from the road) is counted at the fallback
speed. The scene joins through both ends of its segment, so the reversed graph is searched
from those two nodes (one ``scipy.sparse.csgraph.dijkstra`` call), which gives every node's
time to the scene; a unit then leaves its segment by whichever end is quicker. Farther than
``snap_max_m`` from any road (the unit or the scene), or with no road route between them,
the unit is timed along the straight line at the fallback speed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

from models.emergency.road_graph import RoadGraph

VIA_ROAD = "road"
VIA_LINE = "straight_line"
#: Why a unit was timed along the straight line.
LINE_UNIT_OFF = "unit_off_network"
LINE_SCENE_OFF = "scene_off_network"
LINE_NO_ROUTE = "no_route"
LINE_NO_NETWORK = "no_network"


@dataclass(frozen=True)
class Snapped:
    """Points on their nearest segment: index (-1 without any segment), metres along it
    from its first end, and the distance from the point to it (inf without segments)."""

    seg: np.ndarray
    along_m: np.ndarray
    off_m: np.ndarray


@dataclass(frozen=True)
class Travel:
    """Per point: time and distance to the scene, ``via`` (:data:`VIA_ROAD` or
    :data:`VIA_LINE`), why a straight line (None on the road), the distance from the point to
    the nearest road, and the off-road metres a road route includes (both legs)."""

    eta_s: np.ndarray
    distance_m: np.ndarray
    via: np.ndarray
    line_why: np.ndarray
    road_m: np.ndarray
    off_road_m: np.ndarray
    scene_road_m: float


def snap(graph: RoadGraph, xy: np.ndarray) -> Snapped:
    """The nearest segment of each finite point ``xy`` (``(k, 2)`` metric metres)."""
    k = len(xy)
    seg = np.full(k, -1, np.int64)
    along = np.zeros(k)
    off = np.full(k, np.inf)
    finite = np.isfinite(xy).all(axis=1) if k else np.zeros(0, bool)
    if graph.empty or not finite.any():
        return Snapped(seg, along, off)
    points = shapely.points(xy[finite])
    (which, hit), dist = graph.tree.query_nearest(points, return_distance=True, all_matches=False)
    rows = np.flatnonzero(finite)[which]
    seg[rows], off[rows] = hit, dist
    along[rows] = (
        shapely.line_locate_point(graph.seg_geom[hit], points[which], normalized=True)
        * graph.seg_length_m[hit]
    )
    return Snapped(seg, along, off)


def _tree_lengths(graph: RoadGraph, pred: np.ndarray) -> np.ndarray:
    """Metres from every node to its search's source along the shortest-time tree
    (``pred`` as scipy returns it, one row per source), by pointer jumping."""
    rows, n = pred.shape
    flat = pred.ravel()
    idx = np.arange(rows * n)
    has = flat >= 0
    ptr = idx.copy()
    ptr[has] = (idx[has] // n) * n + flat[has]
    val = np.zeros(rows * n)
    # in the reversed graph p → x was used: on the road that is the edge x → p
    val[has] = graph.edge_length(idx[has] % n, flat[has])
    while True:
        nxt = ptr[ptr]
        if np.array_equal(nxt, ptr):
            return val.reshape(rows, n)
        val = val + val[ptr]
        ptr = nxt


def node_times_to(graph: RoadGraph, seg: int, along_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Seconds and metres from every node to the point ``along_m`` along segment ``seg``
    (inf where no road leads there)."""
    a, b = int(graph.seg_from[seg]), int(graph.seg_to[seg])
    length, speed = graph.seg_length_m[seg], graph.seg_speed_ms[seg]
    times, pred = dijkstra(graph.reverse, directed=True, indices=[a, b], return_predecessors=True)
    legs = np.array([[along_m], [length - along_m]])
    total = times + legs / speed
    metres = _tree_lengths(graph, pred) + legs
    win = np.argmin(total, axis=0)
    cols = np.arange(graph.n_nodes)
    return total[win, cols], metres[win, cols]


def travel_to_scene(
    graph: RoadGraph,
    scene_xy: tuple[float, float],
    xy: np.ndarray,
    *,
    snap_max_m: float,
    fallback_speed_kmh: float,
) -> Travel:
    """Time and distance from each point ``xy`` (``(k, 2)``, finite, metric) to the scene.

    Parameters
    ----------
    graph
        The road graph (may be empty: every point then goes along the straight line).
    scene_xy
        The scene in the graph's metric CRS; must be finite.
    xy
        The units' positions in the same CRS.
    snap_max_m
        Farther than this from every road: off the network.
    fallback_speed_kmh
        Speed off the road (the legs to and from it, and straight lines).

    Returns
    -------
    Travel
    """
    k = len(xy)
    line_ms = fallback_speed_kmh / 3.6
    scene = np.asarray(scene_xy, float).reshape(1, 2)
    line_m = np.hypot(xy[:, 0] - scene[0, 0], xy[:, 1] - scene[0, 1]) if k else np.zeros(0)
    eta, dist = line_m / line_ms, line_m.copy()
    via = np.full(k, VIA_LINE, dtype=object)
    why = np.full(k, LINE_NO_NETWORK if graph.empty else LINE_SCENE_OFF, dtype=object)
    off_road = np.zeros(k)
    units = snap(graph, xy)
    at_scene = snap(graph, scene)
    scene_off = float(at_scene.off_m[0])
    if graph.empty or scene_off > snap_max_m or k == 0:
        return Travel(eta, dist, via, why, units.off_m, off_road, scene_off)
    s, f = int(at_scene.seg[0]), float(at_scene.along_m[0])
    node_s, node_m = node_times_to(graph, s, f)
    on = units.off_m <= snap_max_m
    why[~on] = LINE_UNIT_OFF
    seg, g = units.seg[on], units.along_m[on]
    length, speed = graph.seg_length_m[seg], graph.seg_speed_ms[seg]
    a, b = graph.seg_from[seg], graph.seg_to[seg]
    t_a, t_b = g / speed + node_s[a], (length - g) / speed + node_s[b]
    by_b = t_b < t_a
    road_t = np.where(by_b, t_b, t_a)
    road_d = np.where(by_b, (length - g) + node_m[b], g + node_m[a])
    # on the scene's own segment the direct way along it may be shorter than via an end
    same = seg == s
    direct_t = np.abs(g - f) / speed
    shorter = same & (direct_t <= road_t)
    road_t = np.where(shorter, direct_t, road_t)
    road_d = np.where(shorter, np.abs(g - f), road_d)
    legs = units.off_m[on] + scene_off
    routed = np.isfinite(road_t)
    rows = np.flatnonzero(on)
    why[rows[~routed]] = LINE_NO_ROUTE
    rows, legs = rows[routed], legs[routed]
    eta[rows] = road_t[routed] + legs / line_ms
    dist[rows] = road_d[routed] + legs
    via[rows] = VIA_ROAD
    why[rows] = None
    off_road[rows] = legs
    return Travel(eta, dist, via, why, units.off_m, off_road, scene_off)
