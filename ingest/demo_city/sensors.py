"""Generated IoT sensor registry (物联感知): where each kind of sensor sits and its metadata."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ingest.demo_city.anchors import HSR_STATION, OLD_CITY_BOX, PORT, UTM50N
from ingest.demo_city.geomutil import lonlat_to_xy, random_points_in, snap_inside, xy_to_lonlat

_STAGE = 6

#: kind -> (id prefix, id digits, expected reporting interval s, owner)
SENSOR_KINDS: dict[str, tuple[str, int, int, str]] = {
    "air": ("AIR", 3, 3600, "市生态环境局 (Ecology and environment)"),
    "water_quality": ("WQ", 3, 14400, "市生态环境局 (Ecology and environment)"),
    "noise": ("NOISE", 3, 300, "市生态环境局 (Ecology and environment)"),
    "water_level": ("WL", 3, 300, "市水务局 (Water affairs)"),
    "manhole": ("MH", 4, 600, "市政公用事业局 (Municipal utilities)"),
    "streetlamp": ("LAMP", 4, 900, "市城市管理和综合执法局 (Urban management)"),
    "smoke": ("SMOKE", 3, 300, "市消防救援支队 (Fire and rescue)"),
    "gas": ("GAS", 3, 60, "市住房和城乡建设局 (Housing and construction)"),
    "traffic": ("TD", 4, 300, "市公安局交通警察支队 (Traffic police)"),
}
COUNTS = {
    "air": 12,
    "water_quality": 10,
    "noise": 30,
    "manhole": 300,
    "streetlamp": 400,
    "smoke": 60,
    "gas": 40,
}
_WATERLOGGING_POINTS = 16
#: Industrial zones (开发区) that get a class-3 noise point.
_INDUSTRIAL_TOWNS = ("445102401", "445103450")
_RIVER_GAUGES = 4
#: Towns (outside the core) that get an air station, then a noise point.
_AIR_TOWNS = (
    "445103110",
    "445122100",
    "445103117",
    "445122107",
    "445103104",
    "445122117",
    "445122122",
    "445103121",
)


def _rows(kind: str, xy: np.ndarray, **extra: object) -> pd.DataFrame:
    frame = pd.DataFrame({"kind": kind, "x": xy[:, 0], "y": xy[:, 1]})
    for key, value in extra.items():
        frame[key] = value
    return frame


def _along_lines(
    lines: np.ndarray, n: int, rng: np.random.Generator, *, offset: float
) -> np.ndarray:
    """Random points along lines (chosen by length), pushed sideways by up to ``offset``."""
    length = shapely.length(lines)
    pick = rng.choice(len(lines), size=n, p=length / length.sum())
    at = rng.uniform(0.05, 0.95, n) * length[pick]
    pts = shapely.get_coordinates(shapely.line_interpolate_point(lines[pick], at))
    ahead = shapely.get_coordinates(
        shapely.line_interpolate_point(lines[pick], np.minimum(at + 1.0, length[pick]))
    )
    d = ahead - pts
    norm = np.hypot(d[:, 0], d[:, 1])[:, None]
    side = np.column_stack([-d[:, 1], d[:, 0]]) / np.maximum(norm, 1e-9)
    return pts + side * rng.uniform(-offset, offset, (n, 1))


def _seat(streets: gpd.GeoDataFrame, code: str) -> np.ndarray:
    row = streets[streets["street_code"] == code].iloc[0]
    return np.array([row.seat_x, row.seat_y])


def _noise_zone(
    xy: np.ndarray,
    main_roads: shapely.Geometry,
    industrial: shapely.Geometry,
    quiet: np.ndarray,
    rng: np.random.Generator,
) -> list[str]:
    hx, hy = lonlat_to_xy(*HSR_STATION)
    pts = shapely.points(xy)
    zones = np.where(rng.random(len(xy)) < 0.4, "1", "2").astype(object)
    zones[shapely.intersects(pts, industrial)] = "3"
    zones[shapely.dwithin(pts, main_roads, 35.0)] = "4a"
    zones[np.hypot(xy[:, 0] - hx, xy[:, 1] - hy) < 1500.0] = "4b"
    zones[quiet] = "0"
    return list(zones)


def build_sensors(
    streets_utm: gpd.GeoDataFrame,
    urban_area: shapely.Geometry,
    roads_utm: gpd.GeoDataFrame,
    rivers_utm: gpd.GeoDataFrame,
    *,
    seed: int,
) -> gpd.GeoDataFrame:
    """Place the demo sensors of every kind.

    Parameters
    ----------
    streets_utm : GeoDataFrame
        Town zones with seats (EPSG:32650).
    urban_area : Polygon or MultiPolygon
        The urban core (EPSG:32650).
    roads_utm : GeoDataFrame
        From :func:`build_roads` (EPSG:32650).
    rivers_utm : GeoDataFrame
        Han River lines (EPSG:32650).
    seed : int

    Returns
    -------
    GeoDataFrame in EPSG:32650
        ``sensor_id``, ``kind``, ``interval_s``, ``owner``, ``installed_on``, ``zone``,
        ``warning_level_m``, ``danger_level_m``, ``segment_id``, ``synthetic``, ``geometry``.
    """
    rng = np.random.default_rng([seed, _STAGE])
    city = shapely.union_all(streets_utm.geometry.values)
    shapely.prepare(city)
    river = shapely.intersection(shapely.union_all(rivers_utm.geometry.values), city.buffer(-30))
    river_lines = np.array([g for g in shapely.get_parts(river) if shapely.get_type_id(g) == 1])
    old_city = shapely.box(
        *lonlat_to_xy(OLD_CITY_BOX[0], OLD_CITY_BOX[1]),
        *lonlat_to_xy(OLD_CITY_BOX[2], OLD_CITY_BOX[3]),
    )
    core_roads = roads_utm[roads_utm.intersects(urban_area)]
    main = roads_utm["road_class"].isin(["arterial", "expressway"])
    main_roads = shapely.union_all(roads_utm[main].geometry.values)
    industrial = shapely.union_all(
        streets_utm[
            (streets_utm["kind"] == "其他") & ~streets_utm["name_zh"].str.contains("林场")
        ].geometry.values
    )
    frames = []
    # air: four in the core, the rest at town seats
    core_air = random_points_in(urban_area, 4, rng)
    town_air = np.array([_seat(streets_utm, c) + rng.uniform(-300, 300, 2) for c in _AIR_TOWNS])
    frames.append(_rows("air", np.vstack([core_air, town_air])[: COUNTS["air"]]))
    # water quality: sections spread along the river inside the city
    total = shapely.length(river_lines)
    at = (np.arange(COUNTS["water_quality"]) + 0.5) / COUNTS["water_quality"] * total.sum()
    which = np.searchsorted(np.cumsum(total), at)
    local = at - np.r_[0, np.cumsum(total)][which]
    wq = shapely.get_coordinates(shapely.line_interpolate_point(river_lines[which], local))
    _, wq_lat = xy_to_lonlat(wq[:, 0], wq[:, 1])
    wq_zone = np.where(wq_lat > 23.72, "II", np.where(wq_lat > 23.58, "III", "IV"))
    frames.append(_rows("water_quality", wq, zone=list(wq_zone)))
    # noise: core points (some right on main roads), town seats, one quiet zone in 凤凰山
    core_noise = random_points_in(urban_area, 14, rng)
    core_main = core_roads[core_roads["road_class"] == "arterial"].geometry.values
    on_road = _along_lines(np.asarray(core_main), 4, rng, offset=10.0)
    hx, hy = lonlat_to_xy(*HSR_STATION)
    seats = np.array([_seat(streets_utm, c) for c in _AIR_TOWNS[:8]]) + rng.uniform(
        -500, 500, (8, 2)
    )
    quiet_seat = _seat(streets_utm, "445103117") + np.array([900.0, 1200.0])
    works = np.vstack(
        [
            random_points_in(streets_utm[streets_utm["street_code"] == c].geometry.iloc[0], 1, rng)
            for c in _INDUSTRIAL_TOWNS
        ]
    )
    noise = np.vstack([core_noise, on_road, [[hx + 250.0, hy + 150.0]], seats, works, [quiet_seat]])
    noise = np.array([snap_inside(city, x, y) for x, y in noise])
    quiet = np.zeros(len(noise), bool)
    quiet[-1] = True
    frames.append(
        _rows("noise", noise, zone=_noise_zone(noise, main_roads, industrial, quiet, rng))
    )
    # water level: waterlogging points in the old city and low streets near the river, gauges
    low = shapely.intersection(urban_area, shapely.buffer(river, 1500.0))
    logging = np.vstack(
        [
            random_points_in(old_city.intersection(city), 8, rng),
            random_points_in(low, _WATERLOGGING_POINTS - 8, rng),
        ]
    )
    gauges_at = np.array([0.12, 0.35, 0.62, 0.88]) * total.sum()
    gw = np.searchsorted(np.cumsum(total), gauges_at)
    gauges = shapely.get_coordinates(
        shapely.line_interpolate_point(river_lines[gw], gauges_at - np.r_[0, np.cumsum(total)][gw])
    )
    warn = np.r_[np.round(rng.uniform(0.15, 0.25, len(logging)), 2), [16.0, 13.5, 9.0, 6.5]]
    danger = np.r_[np.round(rng.uniform(0.40, 0.50, len(logging)), 2), [18.0, 15.5, 10.5, 7.5]]
    frames.append(
        _rows(
            "water_level", np.vstack([logging, gauges]), warning_level_m=warn, danger_level_m=danger
        )
    )
    # manholes and street lamps along the core's streets
    core_lines = np.asarray(
        core_roads[core_roads["road_class"] != "expressway"]
        .intersection(urban_area)
        .geometry.values
    )
    core_lines = np.array([g for g in shapely.get_parts(core_lines) if shapely.get_type_id(g) == 1])
    frames.append(_rows("manhole", _along_lines(core_lines, COUNTS["manhole"], rng, offset=6.0)))
    frames.append(
        _rows("streetlamp", _along_lines(core_lines, COUNTS["streetlamp"], rng, offset=14.0))
    )
    # smoke detectors: a third in the old city, the rest across the core
    smoke = np.vstack(
        [
            random_points_in(old_city.intersection(city), 20, rng),
            random_points_in(urban_area, COUNTS["smoke"] - 20, rng),
        ]
    )
    frames.append(_rows("smoke", smoke))
    # gas: the core and the industrial zones (枫溪's kilns count as industry)
    fengxi = streets_utm[streets_utm["street_code"] == "445103121"].geometry.iloc[0]
    # ... and four round the port's chemical berths, so a leak there is measured
    port_x, port_y = lonlat_to_xy(*PORT)
    port_area = shapely.Point(float(port_x), float(port_y)).buffer(3000).intersection(city)
    gas = np.vstack(
        [
            random_points_in(urban_area, 25, rng),
            random_points_in(shapely.union(industrial, fengxi), 11, rng),
            random_points_in(port_area, 4, rng),
        ]
    )
    frames.append(_rows("gas", gas))
    # traffic detectors: one per main-road segment in the core, at its middle
    tseg = core_roads[core_roads["road_class"].isin(["arterial", "expressway"])]
    mid = shapely.get_coordinates(
        shapely.line_interpolate_point(tseg.geometry.values, 0.5, normalized=True)
    )
    frames.append(_rows("traffic", mid, segment_id=tseg["segment_id"].to_list()))
    return _finish(pd.concat(frames, ignore_index=True), rng)


def _finish(frame: pd.DataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    def optional_text(col: str) -> pd.Series:
        values = frame[col].tolist() if col in frame else [None] * len(frame)
        return pd.Series([v if isinstance(v, str) else None for v in values], dtype=object)

    for col in ("warning_level_m", "danger_level_m"):
        frame[col] = frame[col].astype(float) if col in frame else np.nan
    ids, interval, owner = [], [], []
    counter: dict[str, int] = {}
    for kind in frame["kind"]:
        prefix, digits, every, who = SENSOR_KINDS[kind]
        counter[kind] = counter.get(kind, 0) + 1
        ids.append(f"{prefix}-{counter[kind]:0{digits}d}")
        interval.append(every)
        owner.append(who)
    start = dt.date(2018, 1, 1).toordinal()
    end = dt.date(2025, 10, 31).toordinal()
    installed = [dt.date.fromordinal(int(d)) for d in rng.integers(start, end, len(frame))]
    out = pd.DataFrame(
        {
            "sensor_id": ids,
            "kind": frame["kind"].to_numpy(),
            "interval_s": np.asarray(interval, dtype=int),
            "owner": owner,
            "installed_on": installed,
            "zone": optional_text("zone"),
            "warning_level_m": frame["warning_level_m"].to_numpy(),
            "danger_level_m": frame["danger_level_m"].to_numpy(),
            "segment_id": optional_text("segment_id"),
            "synthetic": True,
        }
    )
    return gpd.GeoDataFrame(out, geometry=shapely.points(frame[["x", "y"]].to_numpy()), crs=UTM50N)
