"""The simulated world, read from the demo city: sensors, segments, mobile units, report places.

The simulator never opens the database (the server process owns it); it regenerates the
demo city from the same seed, so sensor, segment, unit and cell ids match the server's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from ingest.demo_city.anchors import OLD_CITY_BOX, PORT
from ingest.demo_city.generate import DEFAULT_SEED, DemoCity, generate_demo_city
from ingest.simulator.randomness import text_key
from models.coordinates import METRES_PER_DEGREE

#: Where the forest-fire drill starts: the east slopes of 凤凰山 in the north mountains.
FIRE_ANCHOR = (116.70, 23.96)
#: Report weight of one cell by its size class: the urban core reports far more.
CELL_WEIGHT = {"urban": 12.0, "plain": 1.5, "rural": 0.6, "mountain": 0.15}
_PLACES_PER_CELL = 3
_STREET_PLACES = 4000
#: Mobile units: (AVL interval s, patrol speed km/h, patrol route length m).
UNIT_MOTION = {"vehicle": (30, 30.0, 15_000.0), "team": (60, 15.0, 8_000.0)}
_CLASS_PREFERENCE = {"arterial": 3.0, "secondary": 2.0, "local": 1.0, "expressway": 0.7}
_M_PER_DEG_LAT = METRES_PER_DEGREE
_M_PER_DEG_LON = METRES_PER_DEGREE * math.cos(math.radians(23.67))


@dataclass(frozen=True, slots=True)
class Sensor:
    """One registered sensor, with what the signal models need to know about its place."""

    sensor_id: str
    kind: str
    lon: float
    lat: float
    interval_s: int
    zone: str | None
    warning: float | None
    danger: float | None
    segment_id: str | None
    key: int
    old_city: bool
    core: bool


@dataclass(frozen=True, slots=True)
class Segment:
    """One road segment; ``detector`` when a traffic detector (TD-…) sits on it."""

    segment_id: str
    name: str
    road_class: str
    free_flow_kmh: float
    lanes: int
    length_m: float
    lon: float
    lat: float
    core: bool
    old_city: bool
    detector: bool
    key: int


@dataclass(frozen=True, slots=True)
class Unit:
    """A mobile unit (team or vehicle) and the road route it patrols back and forth."""

    unit_id: str
    kind: str
    subtype: str
    lon: float
    lat: float
    status: str
    interval_s: int
    speed_kmh: float
    route_lon: tuple[float, ...]
    route_lat: tuple[float, ...]
    route_m: tuple[float, ...]  # cumulative length at each vertex
    key: int


@dataclass(frozen=True, slots=True)
class Place:
    """A spot where a report can come from, with its cell and grid worker."""

    lon: float
    lat: float
    cell_code: str
    reporter: str
    name: str
    old_city: bool
    core: bool
    mountain: bool


@dataclass(frozen=True)
class World:
    """Everything the simulator reads from the demo city, as plain tuples for the hot path."""

    sensors: tuple[Sensor, ...]
    segments: tuple[Segment, ...]
    units: tuple[Unit, ...]
    places: tuple[Place, ...]
    place_weights: tuple[float, ...]  # cumulative, for weighted picks
    street_places: tuple[Place, ...]
    port: tuple[float, float]
    fire: tuple[float, float]

    def places_within(
        self, lon: float, lat: float, radius_m: float, *, mountain_only: bool = False
    ) -> tuple[Place, ...]:
        """Report places within ``radius_m`` of a point, nearest first."""
        found = []
        for p in self.places:
            d = distance_m(lon, lat, p.lon, p.lat)
            if d <= radius_m and (p.mountain or not mountain_only):
                found.append((d, p))
        found.sort(key=lambda item: item[0])
        return tuple(p for _, p in found)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Distance in metres on a local flat approximation (good to 0.1 % inside the city)."""
    return math.hypot((lon2 - lon1) * _M_PER_DEG_LON, (lat2 - lat1) * _M_PER_DEG_LAT)


def offset_m(lon1: float, lat1: float, lon2: float, lat2: float) -> tuple[float, float]:
    """East and north offset in metres from point 1 to point 2."""
    return (lon2 - lon1) * _M_PER_DEG_LON, (lat2 - lat1) * _M_PER_DEG_LAT


def in_old_city(lon: float, lat: float) -> bool:
    """Inside the old city (古城) box."""
    x0, y0, x1, y1 = OLD_CITY_BOX
    return bool(x0 <= lon <= x1 and y0 <= lat <= y1)


def _cell_of(cells_geom: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Index of the cell containing each point, -1 outside every cell."""
    tree = shapely.STRtree(cells_geom)
    pts, idx = tree.query(shapely.points(lon, lat), predicate="within")
    out = np.full(len(lon), -1, dtype=int)
    out[pts[::-1]] = idx[::-1]  # first match wins
    return out


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _float(value: object) -> float | None:
    if isinstance(value, int | float) and not math.isnan(value):
        return float(value)
    return None


def _cell_places(city: DemoCity, rng: np.random.Generator) -> tuple[list[Place], list[float]]:
    cells = city.cells
    names = dict(zip(city.communities["community_code"], city.communities["name_zh"]))
    geoms = np.asarray(cells.geometry.values)
    bounds = shapely.bounds(geoms)
    n = len(cells)
    k = _PLACES_PER_CELL * 4
    lon = bounds[:, [0]] + rng.random((n, k)) * (bounds[:, [2]] - bounds[:, [0]])
    lat = bounds[:, [1]] + rng.random((n, k)) * (bounds[:, [3]] - bounds[:, [1]])
    inside = shapely.contains_xy(np.repeat(geoms, k).reshape(n, k), lon, lat)
    surface = shapely.get_coordinates(shapely.point_on_surface(geoms))
    places: list[Place] = []
    weights: list[float] = []
    total = 0.0
    for i, row in enumerate(cells.itertuples(index=False)):
        chosen = [(lon[i, j], lat[i, j]) for j in range(k) if inside[i, j]][:_PLACES_PER_CELL]
        if not chosen:
            chosen = [(surface[i, 0], surface[i, 1])]
        workers = list(row.grid_workers)
        for x, y in chosen:
            places.append(
                Place(
                    float(x),
                    float(y),
                    row.cell_code,
                    workers[0] if workers else "",
                    names.get(row.community_code, ""),
                    in_old_city(x, y),
                    row.size_class == "urban",
                    row.size_class == "mountain",
                )
            )
            total += CELL_WEIGHT.get(row.size_class, 1.0) / len(chosen)
            weights.append(total)
    return places, weights


def _street_places(
    city: DemoCity, segments: list[Segment], rng: np.random.Generator
) -> list[Place]:
    roads = city.roads
    core = np.array([s.core and s.road_class != "expressway" for s in segments])
    lines = roads.geometry.values[core]
    names = roads["name_zh"].to_numpy()[core]
    length = shapely.length(lines)
    pick = rng.choice(len(lines), size=_STREET_PLACES, p=length / length.sum())
    pts = shapely.line_interpolate_point(
        lines[pick], rng.uniform(0.05, 0.95, len(pick)), normalized=True
    )
    xy = shapely.get_coordinates(pts) + rng.normal(0, 0.00004, (len(pick), 2))
    cell = _cell_of(city.cells.geometry.values, xy[:, 0], xy[:, 1])
    codes = city.cells["cell_code"].to_numpy()
    workers = city.cells["grid_workers"].to_numpy()
    out = []
    for (x, y), c, road in zip(xy, cell, names[pick]):
        if c < 0:
            continue
        w = list(workers[c])
        out.append(
            Place(
                float(x),
                float(y),
                codes[c],
                w[0] if w else "",
                road,
                in_old_city(x, y),
                True,
                False,
            )
        )
    return out


def _segments(city: DemoCity, urban: np.ndarray) -> list[Segment]:
    roads = city.roads
    mid = shapely.get_coordinates(
        shapely.line_interpolate_point(roads.geometry.values, 0.5, normalized=True)
    )
    cell = _cell_of(city.cells.geometry.values, mid[:, 0], mid[:, 1])
    detectors = set(city.sensors["segment_id"].dropna())
    out = []
    for i, row in enumerate(roads.itertuples(index=False)):
        lon, lat = float(mid[i, 0]), float(mid[i, 1])
        out.append(
            Segment(
                row.segment_id,
                row.name_zh,
                row.road_class,
                float(row.free_flow_kmh),
                int(row.lanes),
                float(row.length_m),
                lon,
                lat,
                bool(cell[i] >= 0 and urban[cell[i]]),
                in_old_city(lon, lat),
                row.segment_id in detectors,
                text_key(row.segment_id),
            )
        )
    return out


def _sensors(city: DemoCity, urban: np.ndarray) -> list[Sensor]:
    s = city.sensors
    cell = _cell_of(city.cells.geometry.values, s["lon"].to_numpy(), s["lat"].to_numpy())
    out = []
    for i, row in enumerate(s.itertuples(index=False)):
        out.append(
            Sensor(
                row.sensor_id,
                row.kind,
                float(row.lon),
                float(row.lat),
                int(row.interval_s),
                _text(row.zone),
                _float(row.warning_level_m),
                _float(row.danger_level_m),
                _text(row.segment_id),
                text_key(row.sensor_id),
                in_old_city(row.lon, row.lat),
                bool(cell[i] >= 0 and urban[cell[i]]),
            )
        )
    return out


def _road_graph(city: DemoCity) -> dict[tuple[float, float], list]:
    """Nodes (rounded lon/lat) → [(neighbour, vertices from here, road class)]."""
    adjacency: dict[tuple[float, float], list] = {}
    for geom, cls in zip(city.roads.geometry.values, city.roads["road_class"]):
        xy = [(round(x, 6), round(y, 6)) for x, y in shapely.get_coordinates(geom)]
        a, b = xy[0], xy[-1]
        adjacency.setdefault(a, []).append((b, xy, cls))
        adjacency.setdefault(b, []).append((a, xy[::-1], cls))
    return adjacency


def _routes(city: DemoCity, seed: int) -> list[Unit]:
    adjacency = _road_graph(city)
    nodes = list(adjacency)
    node_xy = np.array(nodes)
    rng = np.random.default_rng([seed, 91])
    units = []
    mobile = city.resources[city.resources["kind"].isin(list(UNIT_MOTION))]
    for row in mobile.itertuples(index=False):
        interval, speed, target = UNIT_MOTION[row.kind]
        lon, lat = float(row.lon), float(row.lat)
        path = [(lon, lat)]
        if row.status != "out_of_service":
            d = np.hypot(
                (node_xy[:, 0] - lon) * _M_PER_DEG_LON, (node_xy[:, 1] - lat) * _M_PER_DEG_LAT
            )
            here, prev, total = nodes[int(np.argmin(d))], None, float(d.min())
            path.append(here)
            for _ in range(200):
                if total >= target:
                    break
                options = [o for o in adjacency[here] if o[0] != prev] or adjacency[here]
                w = np.array([_CLASS_PREFERENCE.get(o[2], 1.0) for o in options])
                nxt, vertices, _cls = options[int(rng.choice(len(options), p=w / w.sum()))]
                for a, b in zip(vertices[:-1], vertices[1:]):
                    total += distance_m(a[0], a[1], b[0], b[1])
                path.extend(vertices[1:])
                prev, here = here, nxt
        cum = [0.0]
        for a, b in zip(path[:-1], path[1:]):
            cum.append(cum[-1] + distance_m(a[0], a[1], b[0], b[1]))
        units.append(
            Unit(
                row.resource_id,
                row.kind,
                row.subtype if isinstance(row.subtype, str) else "",
                lon,
                lat,
                row.status,
                interval if row.status != "out_of_service" else 300,
                speed,
                tuple(p[0] for p in path),
                tuple(p[1] for p in path),
                tuple(cum),
                text_key(row.resource_id),
            )
        )
    return units


def _fire_point(city: DemoCity) -> tuple[float, float]:
    mountain = city.cells[city.cells["size_class"] == "mountain"]
    d = np.hypot(
        (mountain["centroid_lon"] - FIRE_ANCHOR[0]) * _M_PER_DEG_LON,
        (mountain["centroid_lat"] - FIRE_ANCHOR[1]) * _M_PER_DEG_LAT,
    ).to_numpy()
    best = mountain.iloc[int(np.argmin(d))]
    return float(best["centroid_lon"]), float(best["centroid_lat"])


def build_world(city: DemoCity | None = None, *, seed: int = DEFAULT_SEED) -> World:
    """Read the simulated world from the demo city.

    Parameters
    ----------
    city : DemoCity, optional
        An already generated city; by default ``generate_demo_city(seed=seed)``.
    seed : int
        The demo-city seed: must be the server's ``demo.seed`` so that ids match.

    Returns
    -------
    World
    """
    if city is None:
        city = generate_demo_city(seed=seed)
    rng = np.random.default_rng([seed, 90])
    urban = (city.cells["size_class"] == "urban").to_numpy()
    segments = _segments(city, urban)
    places, weights = _cell_places(city, rng)
    return World(
        sensors=tuple(_sensors(city, urban)),
        segments=tuple(segments),
        units=tuple(_routes(city, seed)),
        places=tuple(places),
        place_weights=tuple(weights),
        street_places=tuple(_street_places(city, segments, rng)),
        port=PORT,
        fire=_fire_point(city),
    )
