"""Generated community/village zones (社区/村): one zone per real community, tiling its town."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from ingest.demo_city.anchors import UTM50N
from ingest.demo_city.partition import density_seeds, voronoi_partition

_STAGE = 2
#: Typical area (m²) of an urban community in a town seat; sets the size of the dense blob.
_URBAN_COMMUNITY_M2 = 0.45e6


def _order_seeds(seeds: np.ndarray, seat: np.ndarray, urban: np.ndarray) -> np.ndarray:
    """Map communities to seeds: urban ones take the seeds nearest the seat, villages the rest.

    Returns the seed index for each community (in the given community order).
    """
    rel = seeds - seat
    dist = np.hypot(rel[:, 0], rel[:, 1])
    by_dist = np.argsort(dist, kind="stable")
    n_urban = int(urban.sum())
    inner, outer = by_dist[:n_urban], by_dist[n_urban:]
    # villages go round the seat so that neighbouring codes are neighbours on the map
    angle = np.arctan2(rel[outer, 1], rel[outer, 0])
    outer = outer[np.argsort(angle, kind="stable")]
    inner = inner[np.argsort(np.arctan2(rel[inner, 1], rel[inner, 0]), kind="stable")]
    assignment = np.empty(len(seeds), dtype=int)
    assignment[np.flatnonzero(urban)] = inner
    assignment[np.flatnonzero(~urban)] = outer
    return assignment


def build_communities(
    streets_utm: gpd.GeoDataFrame, communities: pd.DataFrame, *, seed: int
) -> gpd.GeoDataFrame:
    """Lay out the communities of every town.

    Seeds come from k-means on samples that are denser around the town's seat when the
    town has residents' communities (社区), so those get the small zones near the seat and
    villages (村) the larger ones outside. Zones are the seeds' Voronoi cells clipped to the
    town, tiling it exactly.

    Parameters
    ----------
    streets_utm : GeoDataFrame
        From :func:`build_streets` (EPSG:32650, with ``seat_x``/``seat_y``).
    communities : DataFrame
        From :func:`load_communities`.
    seed : int

    Returns
    -------
    GeoDataFrame in EPSG:32650
        ``community_code``, ``street_code``, ``district_code``, ``name_zh``, ``name_full``,
        ``urban``, ``synthetic``, ``geometry``; in code order.
    """
    if streets_utm.crs is None or streets_utm.crs.to_string() != UTM50N:
        raise ValueError("streets must be in EPSG:32650")
    geoms: dict[str, object] = {}
    for i, town in enumerate(streets_utm.itertuples(index=False)):
        members = communities[communities["street_code"] == town.street_code]
        codes = members["community_code"].to_numpy()
        if len(codes) == 0:
            continue
        if len(codes) == 1:
            geoms[codes[0]] = town.geometry
            continue
        rng = np.random.default_rng([seed, _STAGE, i])
        urban = members["urban"].to_numpy(dtype=bool)
        seat = np.array([town.seat_x, town.seat_y])
        n_urban = int(urban.sum())
        all_urban = n_urban == len(codes)
        share = 0.0 if all_urban or n_urban == 0 else min(0.7, 0.2 + 2.0 * n_urban / len(codes))
        radius = float(np.sqrt(max(n_urban, 1) * _URBAN_COMMUNITY_M2 / np.pi))
        seeds = density_seeds(
            town.geometry,
            len(codes),
            rng,
            centre=(seat[0], seat[1]),
            dense_share=share,
            dense_radius=radius,
        )
        assignment = _order_seeds(seeds, seat, urban if not all_urban else np.zeros_like(urban))
        zones = voronoi_partition(town.geometry, seeds)
        for code, seed_index in zip(codes, assignment):
            geoms[code] = zones[seed_index]
    frame = communities.copy()
    missing = sorted(set(frame["community_code"]) - set(geoms))
    if missing:
        raise ValueError(f"communities without a town zone: {missing[:5]}")
    return gpd.GeoDataFrame(
        frame.assign(synthetic=True),
        geometry=[geoms[c] for c in frame["community_code"]],
        crs=UTM50N,
    )
