"""The road network as a directed travel-time graph (road_segments → scipy CSR), one per
store, rebuilt only when the segments change.

Nodes are segment endpoints; endpoints closer than :data:`NODE_TOLERANCE_M` (in the metric
CRS) are one node, so segments that meet at a crossing connect there. Only endpoints join:
two segments that cross without sharing an endpoint (an expressway over a street) do not
connect, which is how the demo network models interchanges. Every segment is an edge both
ways (the table has no one-way attribute); its weight is ``length_m / free_flow_kmh`` in
seconds. Free-flow speed is already per road class, so no extra class factor is applied:
emergency vehicles are taken to drive at free-flow speed.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass
from functools import cache
from weakref import WeakKeyDictionary

import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from models.store import Store

DEFAULT_METRIC_CRS = "EPSG:32650"
#: Endpoints nearer than this are one node (WGS 84 round trips move a point by far less).
NODE_TOLERANCE_M = 1.0
#: The shortest edge time kept (scipy's sparse graphs read a zero weight as "no edge").
MIN_EDGE_S = 1e-6


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """Travel times between road nodes, and the segments to snap points onto.

    Attributes
    ----------
    fingerprint
        What the graph was built from (see :func:`road_fingerprint`); the cache compares it.
    node_xy
        ``(n, 2)`` node positions in ``metric_crs`` metres.
    forward, reverse
        ``n × n`` CSR matrices of edge times in seconds (``reverse`` is the transpose: a
        Dijkstra on it from the scene gives every node's time *to* the scene).
    edge_key, edge_m
        ``u * n + v`` of every edge, sorted, and its length in metres (same order).
    seg_ids, seg_from, seg_to, seg_length_m, seg_speed_ms, seg_geom
        Per kept segment: id, end nodes, length, speed (m/s), metric LineString.
    tree
        An STRtree over ``seg_geom``.
    skipped
        Segments left out (no usable geometry, speed or length).
    """

    fingerprint: Hashable
    metric_crs: str
    node_xy: np.ndarray
    forward: csr_matrix
    reverse: csr_matrix
    edge_key: np.ndarray
    edge_m: np.ndarray
    seg_ids: np.ndarray
    seg_from: np.ndarray
    seg_to: np.ndarray
    seg_length_m: np.ndarray
    seg_speed_ms: np.ndarray
    seg_geom: np.ndarray
    tree: shapely.STRtree
    skipped: int = 0

    @property
    def n_nodes(self) -> int:
        return int(self.node_xy.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.forward.nnz)

    @property
    def empty(self) -> bool:
        return len(self.seg_ids) == 0

    def edge_length(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Length in metres of the edges ``u[i] → v[i]`` (which must exist)."""
        keys = np.asarray(u, np.int64) * self.n_nodes + np.asarray(v, np.int64)
        at = np.searchsorted(self.edge_key, keys)
        return self.edge_m[np.minimum(at, len(self.edge_m) - 1)]


@cache
def to_metric(metric_crs: str) -> pyproj.Transformer:
    """The WGS 84 → ``metric_crs`` transformer (lon/lat order), built once per CRS."""
    return pyproj.Transformer.from_crs("EPSG:4326", metric_crs, always_xy=True)


def _geometries(frame: pd.DataFrame) -> np.ndarray:
    if "geometry" in frame.columns:
        return np.asarray(frame["geometry"].to_numpy(), dtype=object)
    raw = [bytes(b) if isinstance(b, bytes | bytearray | memoryview) else None
           for b in frame["geom_wkb"]]  # fmt: skip
    return np.asarray(shapely.from_wkb(np.array(raw, dtype=object), on_invalid="ignore"))


def _merge_endpoints(ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Node label of each endpoint and the node positions (mean of the merged endpoints)."""
    pairs = cKDTree(ends).query_pairs(NODE_TOLERANCE_M, output_type="ndarray")
    m = len(ends)
    link = csr_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(m, m))
    n, labels = connected_components(link, directed=False)
    count = np.bincount(labels, minlength=n)
    xy = np.column_stack([np.bincount(labels, ends[:, k], minlength=n) / count for k in (0, 1)])
    return labels, xy


def build_road_graph(
    segments: pd.DataFrame,
    *,
    metric_crs: str = DEFAULT_METRIC_CRS,
    fingerprint: Hashable = None,
) -> RoadGraph:
    """Build the travel-time graph of road segments (pure).

    Parameters
    ----------
    segments
        ``segment_id``, ``free_flow_kmh``, ``length_m`` and the LineString in WGS 84, as
        ``geom_wkb`` (the table's column) or a ``geometry`` column (a GeoDataFrame in
        EPSG:4326). Rows without a LineString or a positive finite speed are skipped; a
        length that is not a positive finite number is measured from the geometry.
    metric_crs
        The projected CRS distances are measured in (the config's ``map.metric_crs``).
    fingerprint
        Stored on the graph for the cache.

    Returns
    -------
    RoadGraph
        Possibly empty (no nodes) when no segment is usable.
    """
    crs = getattr(segments, "crs", None) if "geometry" in segments.columns else None
    if crs is not None and pyproj.CRS.from_user_input(crs).to_epsg() != 4326:
        raise ValueError(f"road segments must be in EPSG:4326, not {crs}")
    if len(segments) == 0:
        return _empty(metric_crs, fingerprint, 0)
    geoms = _geometries(segments)
    speed = pd.to_numeric(segments["free_flow_kmh"], errors="coerce").to_numpy(float) / 3.6
    length = pd.to_numeric(segments["length_m"], errors="coerce").to_numpy(float)
    is_line = np.array(
        [g is not None and shapely.get_type_id(g) == 1 and not g.is_empty for g in geoms], bool
    )
    keep = is_line & np.isfinite(speed) & (speed > 0)
    if keep.any():
        forward = to_metric(metric_crs)
        metric = shapely.transform(
            geoms[keep], lambda xy: np.column_stack(forward.transform(xy[:, 0], xy[:, 1]))
        )
        finite = np.array([np.isfinite(shapely.get_coordinates(g)).all() for g in metric], bool)
        keep[np.flatnonzero(keep)[~finite]] = False
        metric = metric[finite]
    else:
        metric = np.array([], dtype=object)
    skipped = int(len(segments) - keep.sum())
    ids = segments["segment_id"].to_numpy(dtype=object)[keep]
    speed, length = speed[keep], length[keep]
    measured = shapely.length(metric) if len(metric) else np.array([], float)
    length = np.where(np.isfinite(length) & (length > 0), length, measured)
    m = len(metric)
    if m == 0:
        return _empty(metric_crs, fingerprint, skipped)
    ends = np.vstack([shapely.get_coordinates(shapely.get_point(metric, i)) for i in (0, -1)])
    labels, node_xy = _merge_endpoints(ends)
    seg_from, seg_to = labels[:m], labels[m:]
    seconds = np.maximum(length / speed, MIN_EDGE_S)
    loop = seg_from == seg_to
    u = np.concatenate([seg_from[~loop], seg_to[~loop]])
    v = np.concatenate([seg_to[~loop], seg_from[~loop]])
    t = np.concatenate([seconds[~loop]] * 2)
    d = np.concatenate([length[~loop]] * 2)
    n = len(node_xy)
    key = u.astype(np.int64) * n + v
    order = np.lexsort((t, key))  # by edge, fastest first: parallel roads keep the fastest
    first = np.ones(len(order), bool)
    first[1:] = key[order][1:] != key[order][:-1]
    pick = order[first]
    graph = csr_matrix((t[pick], (u[pick], v[pick])), shape=(n, n))
    return RoadGraph(
        fingerprint=fingerprint,
        metric_crs=metric_crs,
        node_xy=node_xy,
        forward=graph,
        reverse=graph.transpose().tocsr(),
        edge_key=key[pick],
        edge_m=d[pick],
        seg_ids=ids,
        seg_from=seg_from,
        seg_to=seg_to,
        seg_length_m=length,
        seg_speed_ms=speed,
        seg_geom=metric,
        tree=shapely.STRtree(metric),
        skipped=skipped,
    )


def _empty(metric_crs: str, fingerprint: Hashable, skipped: int) -> RoadGraph:
    nothing = csr_matrix((0, 0))
    none_i = np.array([], np.int64)
    none_f = np.array([], float)
    return RoadGraph(
        fingerprint=fingerprint,
        metric_crs=metric_crs,
        node_xy=np.zeros((0, 2)),
        forward=nothing,
        reverse=nothing,
        edge_key=none_i,
        edge_m=none_f,
        seg_ids=np.array([], dtype=object),
        seg_from=none_i,
        seg_to=none_i,
        seg_length_m=none_f,
        seg_speed_ms=none_f,
        seg_geom=np.array([], dtype=object),
        tree=shapely.STRtree([]),
        skipped=skipped,
    )


def road_fingerprint(store: Store) -> tuple[int, int]:
    """``(count, checksum)`` of road_segments: any added, removed or edited segment changes
    it (about a millisecond for the demo's 1,256 segments)."""
    row = store.query_rows(
        "SELECT count(*), coalesce(sum(hash(segment_id, road_class, free_flow_kmh, length_m, "
        "geom_wkb)::HUGEINT), 0) FROM road_segments"
    )[0]
    return int(row[0]), int(row[1])


def load_road_graph(store: Store, *, metric_crs: str = DEFAULT_METRIC_CRS) -> RoadGraph:
    """Read road_segments and build their graph (uncached: see :class:`RoadGraphCache`)."""
    fingerprint = road_fingerprint(store)
    frame = store.query_df(
        "SELECT segment_id, road_class, free_flow_kmh, length_m, geom_wkb FROM road_segments "
        "ORDER BY segment_id"
    )
    return build_road_graph(frame, metric_crs=metric_crs, fingerprint=fingerprint)


class RoadGraphCache:
    """The road graph of a store, rebuilt only when :func:`road_fingerprint` changes.

    ``get(store)`` costs one checksum query when nothing changed. Thread-safe: one caller
    builds a changed network's graph while the others wait for it.
    """

    def __init__(self, *, metric_crs: str = DEFAULT_METRIC_CRS):
        self.metric_crs = metric_crs
        self.builds = 0
        self._graph: RoadGraph | None = None
        self._lock = threading.Lock()

    def get(self, store: Store) -> RoadGraph:
        """The graph of the store's current road segments (empty without any)."""
        fingerprint = road_fingerprint(store)
        graph = self._graph
        if graph is not None and graph.fingerprint == fingerprint:
            return graph
        with self._lock:
            graph = self._graph
            if graph is None or graph.fingerprint != fingerprint:
                graph = load_road_graph(store, metric_crs=self.metric_crs)
                self._graph = graph
                self.builds += 1
            return graph

    def clear(self) -> None:
        """Forget the cached graph (the next ``get`` rebuilds)."""
        with self._lock:
            self._graph = None


#: One graph cache per store and metric CRS.
_CACHES: WeakKeyDictionary[Store, dict[str, RoadGraphCache]] = WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def road_graph_cache(store: Store, *, metric_crs: str = DEFAULT_METRIC_CRS) -> RoadGraphCache:
    """The shared :class:`RoadGraphCache` of ``store`` (made on first use)."""
    with _CACHES_LOCK:
        per_store = _CACHES.setdefault(store, {})
        if metric_crs not in per_store:
            per_store[metric_crs] = RoadGraphCache(metric_crs=metric_crs)
        return per_store[metric_crs]


def road_graph_for(store: Store, *, metric_crs: str = DEFAULT_METRIC_CRS) -> RoadGraph:
    """The store's road graph from its shared cache (built on first use or after a change)."""
    return road_graph_cache(store, metric_crs=metric_crs).get(store)
