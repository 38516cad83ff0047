"""Generated video cameras (视频监控点位) of the demo: at crossings and along the roads of the
urban core, dense in the old city, around the station and the port, along the expressways.

Every camera is marked synthetic and named as simulated; its stream link points at the
reserved host ``camera.invalid`` (RFC 2606), so nothing can ever be fetched from it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ingest.demo_city.anchors import HSR_STATION, OLD_CITY_BOX, PORT, REAL_POINTS, UTM50N
from ingest.demo_city.geomutil import lonlat_to_xy

_STAGE = 11
#: How many cameras each placement gets.
COUNTS = {"old_city": 60, "crossing": 160, "road": 90, "landmark": 24, "expressway": 16}
STREAM_HOST = "rtsp://camera.invalid/demo"
#: Owner of each class (named as simulated).
OWNERS = {
    1: "潮州市公安局（模拟）",
    2: "潮州市交通运输局（模拟）",
    3: "街道综治中心（模拟）",
}
COLUMNS = ["camera_id", "name", "camera_class", "stream_url", "owner", "synthetic", "geometry"]


def _along(lines: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Random points on lines chosen by their length."""
    if n <= 0 or not len(lines):
        return np.empty(0, dtype=object)
    length = shapely.length(lines)
    pick = rng.choice(len(lines), size=n, p=length / length.sum())
    return shapely.line_interpolate_point(lines[pick], rng.uniform(0.1, 0.9, n) * length[pick])


def _crossings(lines: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Road ends shared by two or more segments (crossings), ``n`` of them at random."""
    ends = np.vstack([shapely.get_coordinates(shapely.get_point(lines, i)) for i in (0, -1)]).round(
        1
    )
    keys, counts = np.unique(ends, axis=0, return_counts=True)
    shared = keys[counts >= 2]
    if not len(shared):
        return np.empty(0, dtype=object)
    chosen = shared[rng.choice(len(shared), size=min(n, len(shared)), replace=False)]
    return shapely.points(chosen)


def _near(lon: float, lat: float, n: int, rng: np.random.Generator, spread_m: float) -> np.ndarray:
    x, y = lonlat_to_xy(np.array([lon]), np.array([lat]))
    offsets = rng.normal(0.0, spread_m, (n, 2))
    return shapely.points(x[0] + offsets[:, 0], y[0] + offsets[:, 1])


def build_cameras(
    roads_utm: gpd.GeoDataFrame, urban_area: shapely.Geometry, *, seed: int
) -> gpd.GeoDataFrame:
    """Place the demo's cameras (EPSG:32650).

    Returns
    -------
    GeoDataFrame
        ``camera_id`` (CAM-0001...), ``name``, ``camera_class`` (1 crossings, landmarks and
        the old city's main streets; 2 expressways, the station and the port; 3 side
        streets), ``stream_url`` on ``camera.invalid``, ``owner``, ``synthetic`` True.
    """
    rng = np.random.default_rng([seed, _STAGE])
    lines = roads_utm.geometry.values
    classes = roads_utm["road_class"].to_numpy()
    names = roads_utm["name_zh"].to_numpy(dtype=object)
    urban = shapely.intersects(lines, urban_area)
    x0, y0 = lonlat_to_xy(np.array([OLD_CITY_BOX[0]]), np.array([OLD_CITY_BOX[1]]))
    x1, y1 = lonlat_to_xy(np.array([OLD_CITY_BOX[2]]), np.array([OLD_CITY_BOX[3]]))
    old = shapely.intersects(lines, shapely.box(x0[0], y0[0], x1[0], y1[0]))
    main = urban & np.isin(classes, ("arterial", "secondary"))
    placed: list[tuple[np.ndarray, int, str]] = [
        (_along(lines[old], COUNTS["old_city"], rng), 1, "古城"),
        (_crossings(lines[main], COUNTS["crossing"], rng), 1, "路口"),
        (_along(lines[urban & (classes == "local")], COUNTS["road"], rng), 3, "街巷"),
        (_along(lines[classes == "expressway"], COUNTS["expressway"], rng), 2, "高速"),
    ]
    per = COUNTS["landmark"] // 4
    for zh, _en, kind, lon, lat in REAL_POINTS:
        spread = 400.0 if kind in ("station", "port") else 120.0
        klass = 2 if (lon, lat) in (HSR_STATION, PORT) else 1
        placed.append((_near(lon, lat, per, rng, spread), klass, zh))
    frames = []
    for points, klass, label in placed:
        if not len(points):
            continue
        frames.append(pd.DataFrame({"geometry": points, "camera_class": klass, "label": label}))
    cams = pd.concat(frames, ignore_index=True)
    # the road a camera watches names it; landmarks name their own
    road = shapely.STRtree(lines).nearest(cams["geometry"].values)
    street = np.where(cams["label"].isin(("古城", "路口", "街巷", "高速")), names[road],
                      cams["label"])  # fmt: skip
    ids = [f"CAM-{i:04d}" for i in range(1, len(cams) + 1)]
    return gpd.GeoDataFrame(
        {
            "camera_id": ids,
            "name": [f"（模拟）{s}监控点{i[-4:]}" for s, i in zip(street, ids)],
            "camera_class": cams["camera_class"].astype("int32").values,
            "stream_url": [f"{STREAM_HOST}/{i}" for i in ids],
            "owner": [OWNERS[int(c)] for c in cams["camera_class"]],
            "synthetic": True,
        },
        geometry=cams["geometry"].values,
        crs=UTM50N,
    )[COLUMNS]  # fmt: skip
