"""Generated town/street zones (镇街): one zone per real town, tiling its real district."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ingest.demo_city.anchors import CORE_CENTRE, STREET_CORE_RADIUS_M, TOWN_ANCHORS, UTM50N
from ingest.demo_city.geomutil import GRID_M, lonlat_to_xy, snap_inside
from ingest.demo_city.partition import lloyd_relax, voronoi_partition

_STAGE = 1
#: How far (m) a town's seed may wander from its anchor before relaxation.
_JITTER_M = 400.0


def _seeds_for(
    towns: pd.DataFrame, container: shapely.Geometry, rng: np.random.Generator, *, jitter: float
) -> np.ndarray:
    lon = np.array([TOWN_ANCHORS[c][0] for c in towns["street_code"]])
    lat = np.array([TOWN_ANCHORS[c][1] for c in towns["street_code"]])
    x, y = lonlat_to_xy(lon, lat)
    offsets = rng.uniform(-jitter, jitter, size=(len(x), 2))
    pts = np.column_stack([x, y]) + offsets
    return np.array([snap_inside(container, px, py, margin=300.0) for px, py in pts])


def _core_outline(rng: np.random.Generator) -> shapely.Polygon:
    """An irregular disc around the old city: the urban core the 街道 share."""
    cx, cy = lonlat_to_xy(*CORE_CENTRE)
    theta = np.linspace(0.0, 2.0 * np.pi, 97)[:-1]
    phase = rng.uniform(0.0, 2.0 * np.pi, 3)
    radius = STREET_CORE_RADIUS_M * (
        1.0
        + 0.14 * np.sin(2 * theta + phase[0])
        + 0.08 * np.sin(3 * theta + phase[1])
        + 0.04 * np.sin(5 * theta + phase[2])
    )
    ring = np.column_stack([cx + radius * np.cos(theta), cy + radius * np.sin(theta)])
    return shapely.set_precision(shapely.Polygon(ring), GRID_M)


def build_streets(
    districts_utm: gpd.GeoDataFrame, towns: pd.DataFrame, *, seed: int
) -> gpd.GeoDataFrame:
    """Lay out the town zones of every district.

    In a district with 街道, those share an urban core (a disc around the old city clipped
    to the district) and the other towns share the rest; elsewhere all towns share the
    district. Zones are Voronoi cells of seeds near each town's real seat, relaxed a little
    (街道 seeds stay put), clipped so the zones tile their district exactly.

    Parameters
    ----------
    districts_utm : GeoDataFrame
        ``district_code`` and geometry in EPSG:32650.
    towns : DataFrame
        ``street_code``, ``district_code``, ``name_zh``, ``kind`` (from the registry).
    seed : int

    Returns
    -------
    GeoDataFrame in EPSG:32650
        ``street_code``, ``district_code``, ``name_zh``, ``kind``, ``synthetic``,
        ``seat_x``, ``seat_y`` (the zone's seed, its notional centre) and ``geometry``.
    """
    if districts_utm.crs is None or districts_utm.crs.to_string() != UTM50N:
        raise ValueError("districts must be in EPSG:32650")
    rng = np.random.default_rng([seed, _STAGE])
    core_disc = _core_outline(rng)
    frames = []
    for code, geom in zip(districts_utm["district_code"], districts_utm.geometry):
        members = towns[towns["district_code"] == code].reset_index(drop=True)
        is_street = (members["kind"] == "街道").to_numpy()
        groups: list[tuple[np.ndarray, shapely.Geometry, bool]] = []
        if is_street.any() and not is_street.all():
            core = shapely.intersection(geom, core_disc, grid_size=GRID_M)
            rest = shapely.difference(geom, core, grid_size=GRID_M)
            groups = [
                (np.flatnonzero(is_street), core, True),
                (np.flatnonzero(~is_street), rest, False),
            ]
        else:
            groups = [(np.arange(len(members)), geom, False)]
        zones: list[shapely.Geometry] = [shapely.Polygon()] * len(members)
        seats = np.zeros((len(members), 2))
        for idx, container, keep_fixed in groups:
            sub = members.iloc[idx]
            pts = _seeds_for(sub, container, rng, jitter=0.0 if keep_fixed else _JITTER_M)
            if not keep_fixed:
                pts = lloyd_relax(container, pts, iterations=2, damping=0.5)
            for j, zone in zip(idx, voronoi_partition(container, pts)):
                zones[j] = zone
            seats[idx] = pts
        frame = gpd.GeoDataFrame(
            {
                "street_code": members["street_code"],
                "district_code": members["district_code"],
                "name_zh": members["name_zh"],
                "kind": members["kind"],
                "synthetic": True,
                "seat_x": seats[:, 0],
                "seat_y": seats[:, 1],
            },
            geometry=zones,
            crs=UTM50N,
        )
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=UTM50N).sort_values(
        "street_code", ignore_index=True
    )
