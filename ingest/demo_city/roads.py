"""Generated road network: expressways, town-to-town arterials, an urban street grid."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ingest.demo_city.anchors import UTM50N
from ingest.demo_city.geomutil import lonlat_to_xy
from ingest.demo_city.linework import chunk_line, largest_component, node_lines, split_line

_STAGE = 4
MAX_SEGMENT_M = 1500.0
GRID_SPACING_M = 500.0
FREE_FLOW_KMH = {"expressway": 100, "arterial": 60, "secondary": 50, "local": 30}

#: Synthetic alignments (lon, lat) carrying real expressway names only as names.
EXPRESSWAYS: dict[str, tuple[tuple[float, float], ...]] = {
    "沈海高速": (
        (116.548, 23.556),
        (116.600, 23.552),
        (116.655, 23.575),
        (116.705, 23.612),
        (116.780, 23.628),
        (116.860, 23.660),
        (116.940, 23.690),
        (117.030, 23.705),
        (117.110, 23.705),
        (117.175, 23.712),
    ),
    "汕梅高速": (
        (116.668, 23.438),
        (116.640, 23.500),
        (116.595, 23.585),
        (116.562, 23.665),
        (116.535, 23.750),
        (116.528, 23.830),
    ),
}
_URBAN_ARTERIALS_NS = ("环城西路", "潮州大道", "新洋路", "桥东大道", "韩江大道", "枫春路")
_URBAN_ARTERIALS_EW = ("凤新路", "永护路", "西荣路", "绿榕路", "城新路", "潮汕路")
_NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class _Road:
    geom: shapely.LineString
    name: str
    road_class: str
    lanes: int


def _ordinal(n: int) -> str:
    if n <= 10:
        return _NUMERALS[n - 1]
    if n < 20:
        return "十" + _NUMERALS[n - 11]
    return _NUMERALS[n // 10 - 1] + "十" + ("" if n % 10 == 0 else _NUMERALS[n % 10 - 1])


def _short(name: str) -> str:
    for suffix in ("街道", "镇"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name.replace("潮州市", "").replace("广东", "")[:2]


def _urban_grid(
    urban: shapely.Geometry, streets: gpd.GeoDataFrame, rng: np.random.Generator
) -> tuple[list[_Road], np.ndarray]:
    x0, y0, x1, y1 = urban.bounds
    xs = np.arange(np.floor(x0 / GRID_SPACING_M), np.ceil(x1 / GRID_SPACING_M) + 1) * GRID_SPACING_M
    ys = np.arange(np.floor(y0 / GRID_SPACING_M), np.ceil(y1 / GRID_SPACING_M) + 1) * GRID_SPACING_M
    xs = xs + rng.uniform(-60, 60, len(xs))
    ys = ys + rng.uniform(-60, 60, len(ys))
    prefix_counter: dict[str, int] = {}
    roads: list[_Road] = []
    art = {"ns": iter(_URBAN_ARTERIALS_NS), "ew": iter(_URBAN_ARTERIALS_EW)}
    for axis, values in (("ns", xs), ("ew", ys)):
        for k, v in enumerate(values):
            if axis == "ns":
                line = shapely.LineString([(v, y0 - 200), (v, y1 + 200)])
            else:
                line = shapely.LineString([(x0 - 200, v), (x1 + 200, v)])
            cls = "arterial" if k % 4 == 2 else ("secondary" if k % 2 == 0 else "local")
            if cls == "arterial":
                name = next(art[axis], None)
                if name is None:
                    cls = "secondary"
            for piece in shapely.get_parts(shapely.intersection(urban, line)):
                if shapely.get_type_id(piece) != 1 or piece.length < 150:
                    continue
                if cls != "arterial":
                    mid = piece.interpolate(0.5, normalized=True)
                    hit = streets[streets.contains(mid)]
                    prefix = _short(hit["name_zh"].iloc[0]) if len(hit) else "城"
                    prefix_counter[prefix] = prefix_counter.get(prefix, 0) + 1
                    suffix = "路" if cls == "secondary" else "街"
                    name = f"{prefix}{_ordinal(prefix_counter[prefix])}{suffix}"
                lanes = {"arterial": 6, "secondary": 4, "local": 2}[cls]
                roads.append(_Road(piece, str(name), cls, lanes))
    nodes = np.array([[x, y] for x in xs for y in ys])
    nodes = nodes[shapely.contains_xy(urban, nodes[:, 0], nodes[:, 1])]
    return roads, nodes


def _curve(
    a: np.ndarray, b: np.ndarray, rng: np.random.Generator, city: shapely.Geometry
) -> shapely.LineString:
    straight = shapely.LineString([a, b])
    d = b - a
    normal = np.array([-d[1], d[0]]) / max(np.hypot(*d), 1e-9)
    ctrl = (a + b) / 2 + normal * rng.normal(0.0, 0.08) * np.hypot(*d)
    t = np.linspace(0.0, 1.0, 9)[:, None]
    pts = (1 - t) ** 2 * a + 2 * (1 - t) * t * ctrl + t**2 * b
    curved = shapely.LineString(pts)
    return curved if city.covers(curved) else straight


def _town_links(
    seats: np.ndarray,
    names: list[str],
    core: np.ndarray,
    city: shapely.Geometry,
    rng: np.random.Generator,
) -> list[_Road]:
    n = len(seats)
    ia, ib = np.triu_indices(n, 1)
    lines = shapely.linestrings(np.stack([seats[ia], seats[ib]], axis=1))
    inside = shapely.length(shapely.intersection(lines, city)) / np.maximum(
        shapely.length(lines), 1
    )
    length = shapely.length(lines)
    weight = np.full((n, n), np.inf)
    ok = inside > 0.98
    weight[ia[ok], ib[ok]] = length[ok]
    weight[ib[ok], ia[ok]] = length[ok]
    # Prim's minimum spanning tree over town seats
    in_tree = np.zeros(n, bool)
    in_tree[0] = True
    best = weight[0].copy()
    parent = np.zeros(n, int)
    edges: list[tuple[int, int]] = []
    for _ in range(n - 1):
        cand = np.where(in_tree, np.inf, best)
        j = int(np.argmin(cand))
        if not np.isfinite(cand[j]):
            break
        edges.append((int(parent[j]), j))
        in_tree[j] = True
        closer = weight[j] < best
        best[closer], parent[closer] = weight[j][closer], j
    mst = {tuple(sorted(e)) for e in edges}
    extra: list[tuple[int, int]] = []
    for i in range(n):
        order = np.argsort(weight[i], kind="stable")[:3]
        for j in order:
            e = tuple(sorted((i, int(j))))
            if (
                np.isfinite(weight[i, j])
                and weight[i, j] < 12000
                and e not in mst
                and e not in extra
            ):
                extra.append(e)  # type: ignore[arg-type]
    roads = []
    for cls, pairs in (("arterial", sorted(mst)), ("secondary", extra)):
        for i, j in pairs:
            if core[i] and core[j]:
                continue  # the urban grid links core seats
            geom = _curve(seats[i], seats[j], rng, city)
            name = f"{_short(names[i])[0]}{_short(names[j])[0]}公路"
            roads.append(_Road(geom, name, cls, 4 if cls == "arterial" else 2))
    return roads


def _expressways(
    city: shapely.Geometry, seats: np.ndarray, names: list[str]
) -> tuple[list[_Road], list[_Road]]:
    ways: list[_Road] = []
    links: list[_Road] = []
    for name, pts in EXPRESSWAYS.items():
        x, y = lonlat_to_xy(np.array([p[0] for p in pts]), np.array([p[1] for p in pts]))
        line = shapely.LineString(np.column_stack([x, y]))
        for piece in shapely.get_parts(shapely.intersection(line, city)):
            if shapely.get_type_id(piece) != 1 or piece.length < 1000:
                continue
            dist = shapely.distance(shapely.points(seats), piece)
            along = shapely.line_locate_point(piece, shapely.points(seats))
            chosen: list[int] = []
            for k in np.argsort(dist, kind="stable"):
                if dist[k] > 5000 and chosen:
                    break
                if all(abs(along[k] - along[c]) > 4000 for c in chosen):
                    chosen.append(int(k))
            cuts = []
            for k in chosen:
                at = piece.interpolate(along[k])
                cut = np.array([at.x, at.y])
                cuts.append(cut)
                links.append(
                    _Road(
                        shapely.LineString([cut, seats[k]]),
                        f"{_short(names[k])}互通连接线",
                        "secondary",
                        4,
                    )
                )
            for part in split_line(piece, np.array(cuts)):
                ways.append(_Road(part, name, "expressway", 6))
    return ways, links


def _town_streets(
    streets: gpd.GeoDataFrame, seats: np.ndarray, core: np.ndarray, rng: np.random.Generator
) -> list[_Road]:
    roads = []
    for k, row in enumerate(streets.itertuples(index=False)):
        if core[k]:
            continue
        angle = rng.uniform(-0.3, 0.3)
        industrial = row.kind == "其他" and "林场" not in row.name_zh
        short = _short(row.name_zh)
        for m, theta in enumerate((angle, angle + np.pi / 2)):
            half = rng.uniform(600, 1200)
            d = np.array([np.cos(theta), np.sin(theta)]) * half
            line = shapely.intersection(
                shapely.LineString([seats[k] - d, seats[k] + d]), row.geometry
            )
            parts = [p for p in shapely.get_parts(line) if shapely.get_type_id(p) == 1]
            if not parts:
                continue
            name = (
                f"工业{_ordinal(m + 1)}路"
                if industrial
                else f"{short}{'大街' if m == 0 else '中路'}"
            )
            roads.extend(_Road(p, name, "local", 2) for p in parts)
    return roads


def build_roads(
    streets_utm: gpd.GeoDataFrame, urban_area: shapely.Geometry, *, seed: int
) -> gpd.GeoDataFrame:
    """Build a connected road network and cut it into segments of at most 1.5 km.

    Arterials follow a minimum spanning tree over the town seats (plus a few shorter
    extra links as secondary roads), two expressways cross the city, and a 500 m street
    grid covers the urban core. Crossings are nodes, except with expressways, which meet
    the network only at interchanges.

    Parameters
    ----------
    streets_utm : GeoDataFrame
        Town zones in EPSG:32650 with ``seat_x``/``seat_y``.
    urban_area : Polygon or MultiPolygon
        The urban core (EPSG:32650) the street grid covers.
    seed : int

    Returns
    -------
    GeoDataFrame in EPSG:32650
        ``segment_id``, ``name_zh``, ``road_class``, ``free_flow_kmh``, ``lanes``,
        ``length_m``, ``synthetic``, ``geometry`` (LineString).
    """
    rng = np.random.default_rng([seed, _STAGE])
    city = shapely.union_all(streets_utm.geometry.values).buffer(1.0)
    names = streets_utm["name_zh"].tolist()
    seats = streets_utm[["seat_x", "seat_y"]].to_numpy(dtype=float, copy=True)
    grid, nodes = _urban_grid(urban_area, streets_utm, rng)
    core = shapely.contains_xy(urban_area, seats[:, 0], seats[:, 1])
    for k in np.flatnonzero(core):
        seats[k] = nodes[np.argmin(np.hypot(*(nodes - seats[k]).T))]
    links = _town_links(seats, names, core, city, rng)
    ways, ramps = _expressways(city, seats, names)
    local = _town_streets(streets_utm, seats, core, rng)
    noded_roads = grid + links + ramps + local
    pieces = node_lines([r.geom for r in noded_roads])
    rows: list[tuple[shapely.LineString, _Road]] = []
    for road, parts in zip(noded_roads, pieces):
        rows.extend((p, road) for p in parts)
    rows.extend((w.geom, w) for w in ways)
    segments: list[tuple[shapely.LineString, _Road]] = []
    for geom, road in rows:
        segments.extend((c, road) for c in chunk_line(geom, MAX_SEGMENT_M) if c.length >= 1.0)
    keep = largest_component([g for g, _ in segments])
    segments = [s for s, k in zip(segments, keep) if k]
    geoms = [g for g, _ in segments]
    frame = pd.DataFrame(
        {
            "segment_id": [f"R{n:05d}" for n in range(1, len(segments) + 1)],
            "name_zh": [r.name for _, r in segments],
            "road_class": [r.road_class for _, r in segments],
            "free_flow_kmh": [FREE_FLOW_KMH[r.road_class] for _, r in segments],
            "lanes": [r.lanes for _, r in segments],
            "length_m": [g.length for g in geoms],
            "synthetic": True,
        }
    )
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=UTM50N)
