"""A small hand-made road network (and units on it) whose travel times are worked out by hand.

Coordinates are laid out in UTM 50N metres around (X0, Y0) and stored in WGS 84, as the
table holds them. Speeds are chosen for whole metres per second (72 km/h = 20 m/s)::

    D(0,2000) ---S4 20 m/s--- E(2000,2000)
       |                          |
      S3 20 m/s                  S5 20 m/s
       |                          |
    A(0,0) --S1 20 m/s-- B(1000,0) --S2 10 m/s-- C(2000,0)
                          |
                         S6 5 m/s
                          |
                        F(1000,-1000)

    island: G(5000,5000) --S7 10 m/s-- H(6000,5000)   (no road to the rest)

Times to C: A 50+100 = 150 s (2,000 m); B 100 s; D min(100+150, 100+100) = 200 s via E
(4,000 m); E 100 s; F 200+100 = 300 s (2,000 m).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pyproj
import shapely

X0, Y0 = 500_000.0, 2_620_000.0
NOW = datetime(2026, 12, 1, 8, 0, 0)
_TO_LONLAT = pyproj.Transformer.from_crs("EPSG:32650", "EPSG:4326", always_xy=True)

NODES = {
    "A": (0, 0), "B": (1000, 0), "C": (2000, 0), "D": (0, 2000), "E": (2000, 2000),
    "F": (1000, -1000), "G": (5000, 5000), "H": (6000, 5000),
}  # fmt: skip
#: segment id → (from, to, km/h)
SEGMENTS = {
    "S1": ("A", "B", 72.0), "S2": ("B", "C", 36.0), "S3": ("A", "D", 72.0),
    "S4": ("D", "E", 72.0), "S5": ("E", "C", 72.0), "S6": ("B", "F", 18.0),
    "S7": ("G", "H", 36.0),
}  # fmt: skip


def lonlat(x: float, y: float) -> tuple[float, float]:
    """WGS 84 of a point given in metres from (X0, Y0)."""
    lon, lat = _TO_LONLAT.transform(X0 + x, Y0 + y)
    return float(lon), float(lat)


def segments_frame(ids: tuple[str, ...] | None = None) -> pd.DataFrame:
    """road_segments rows (``geom_wkb`` in WGS 84) of the network, or of some segments."""
    rows = []
    for sid, (a, b, kmh) in SEGMENTS.items():
        if ids is not None and sid not in ids:
            continue
        (ax, ay), (bx, by) = NODES[a], NODES[b]
        line = shapely.LineString([lonlat(ax, ay), lonlat(bx, by)])
        rows.append(
            {
                "segment_id": sid,
                "road_class": "arterial" if kmh >= 72 else "local",
                "free_flow_kmh": kmh,
                "length_m": float(np.hypot(bx - ax, by - ay)),
                "geom_wkb": shapely.to_wkb(line),
            }
        )
    columns = ["segment_id", "road_class", "free_flow_kmh", "length_m", "geom_wkb"]
    return pd.DataFrame(rows, columns=columns)


def unit(
    resource_id: str,
    x: float,
    y: float,
    *,
    kind: str = "team",
    subtype: str | None = "rescue",
    status: str = "available",
    age_s: float | None = 60.0,
    capacity: int | None = None,
    occupancy: int | None = None,
    stock: str | None = None,
    district: str | None = "445102",
) -> dict:
    """One resources row at (x, y) metres, its position ``age_s`` old at NOW."""
    lon, lat = lonlat(x, y)
    return {
        "resource_id": resource_id,
        "kind": kind,
        "subtype": subtype,
        "name_zh": f"单位{resource_id}",
        "name_en": f"Unit {resource_id}",
        "status": status,
        "capacity": capacity,
        "occupancy": occupancy,
        "stock": stock,
        "district_code": district,
        "lon": lon,
        "lat": lat,
        "position_at": None if age_s is None else NOW - timedelta(seconds=age_s),
    }


def units_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows as :func:`models.emergency.resources.load_units` returns them."""
    frame = pd.DataFrame(rows)
    frame["district_zh"] = frame["district_code"].map({"445102": "湘桥区", "445103": "潮安区"})
    frame["district_en"] = frame["district_code"].map({"445102": "Xiangqiao", "445103": "Chao'an"})
    return frame
