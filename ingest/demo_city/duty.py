"""Who answers for each unit cell: its responsible body and its grid workers (网格员)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ingest.demo_city.registry import is_urban_community

_STAGE = 5

PARKS = "市园林局 (Parks)"
UTILITIES = "市政公用事业局 (Municipal utilities)"
WATER = "市水务局 (Water affairs)"
#: Share of cells left without a body so the 属地兜底 fallback (community, then street) is used.
UNSET_SHARE = 0.05
#: Lattice squares per worker patch side, by size class (urban patches are 3×3 cells).
_PATCH = {"urban": 3, "plain": 2, "rural": 2, "mountain": 2}
_SECOND_WORKER = {"urban": 0.4, "plain": 0.25, "rural": 0.15, "mountain": 0.1}


def committee_name(name_zh: str, name_full: str) -> str:
    """The committee that answers for a community: "桥东社区居委会", "下东村委会".

    Parameters
    ----------
    name_zh : str
        Short name ("桥东社区", "下东村").
    name_full : str
        Registered name.

    Returns
    -------
    str
    """
    if name_zh.endswith("生活区"):
        return f"{name_zh}管理处"
    if is_urban_community(name_full):
        return f"{name_zh}居委会"
    if name_zh.endswith("村"):
        return f"{name_zh}委会"
    return f"{name_zh}管理委员会"


def _bodies(
    cells: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    rivers: gpd.GeoDataFrame,
    rng: np.random.Generator,
) -> np.ndarray:
    names = communities.set_index("community_code")
    body = np.array(
        [
            committee_name(names.at[c, "name_zh"], names.at[c, "name_full"])
            for c in cells["community_code"]
        ],
        dtype=object,
    )
    centroid = shapely.centroid(cells.geometry.values)
    urban = (cells["size_class"] == "urban").to_numpy()
    # parks: a few synthetic park areas in the urban core
    urban_idx = np.flatnonzero(urban)
    if len(urban_idx):
        park_centres = centroid[rng.choice(urban_idx, size=min(6, len(urban_idx)), replace=False)]
        near_park = np.zeros(len(cells), bool)
        for p in park_centres:
            near_park |= shapely.distance(centroid, p) < 220.0
        body[near_park & urban] = PARKS
    # main roads: urban cells astride an arterial or expressway
    main = roads[roads["road_class"].isin(["arterial", "expressway"])].geometry.values
    if len(main):
        tree = shapely.STRtree(main)
        on_road = np.zeros(len(cells), bool)
        idx, _ = tree.query(centroid, predicate="dwithin", distance=40.0)
        on_road[idx] = True
        pick = on_road & urban & (body != PARKS) & (rng.random(len(cells)) < 0.6)
        body[pick] = UTILITIES
    # river banks in the core
    if len(rivers):
        river = shapely.union_all(rivers.geometry.values)
        on_bank = shapely.dwithin(centroid, river, 60.0) & urban & (body != PARKS)
        body[on_bank] = WATER
    unset = rng.random(len(cells)) < UNSET_SHARE
    body[unset] = None
    return body


def _workers(cells: gpd.GeoDataFrame, rng: np.random.Generator) -> list[list[str]]:
    patch = cells["size_class"].map(_PATCH).to_numpy()
    key = pd.DataFrame(
        {
            "community_code": cells["community_code"].to_numpy(),
            "pi": cells["lattice_i"].to_numpy() // patch,
            "pj": cells["lattice_j"].to_numpy() // patch,
            "seq": cells["seq"].to_numpy(),
        }
    )
    first_seq = key.groupby(["community_code", "pi", "pj"])["seq"].transform("min")
    key["first"] = first_seq
    out: list[list[str]] = [[] for _ in range(len(cells))]
    for code, group in key.groupby("community_code", sort=True):
        patches = sorted(group["first"].unique())
        cls = cells["size_class"].iloc[group.index[0]]
        numbering: dict[int, list[str]] = {}
        n = 0
        for p in patches:
            count = 2 if rng.random() < _SECOND_WORKER[cls] else 1
            ids = []
            for _ in range(count):
                n += 1
                ids.append(f"GW{code}-{n:02d}")
            numbering[int(p)] = ids
        if n > 99:
            raise ValueError(f"community {code} needs more than 99 grid workers")
        for row, p in zip(group.index, group["first"]):
            out[row] = list(numbering[int(p)])
    return out


def assign_duty(
    cells_utm: gpd.GeoDataFrame,
    communities_utm: gpd.GeoDataFrame,
    roads_utm: gpd.GeoDataFrame,
    rivers_utm: gpd.GeoDataFrame,
    *,
    seed: int,
) -> gpd.GeoDataFrame:
    """Set each cell's responsible body and grid workers.

    Most cells answer to their community committee; urban cells in a park answer to the
    parks bureau, many astride a main road to municipal utilities, those on the river bank
    to water affairs; about 5 % have no body so the locality fallback is exercised. Workers
    cover patches of neighbouring cells within one community (3×3 squares in the core,
    2×2 elsewhere), one or two per patch.

    Parameters
    ----------
    cells_utm : GeoDataFrame
        From :func:`build_cells` (EPSG:32650, with ``lattice_i``/``lattice_j``).
    communities_utm, roads_utm, rivers_utm : GeoDataFrame
        In EPSG:32650.
    seed : int

    Returns
    -------
    GeoDataFrame
        ``cells_utm`` with ``responsible_body`` (str or None) and ``grid_workers``
        (list of str) added.
    """
    rng = np.random.default_rng([seed, _STAGE])
    cells = cells_utm.reset_index(drop=True).copy()
    body = _bodies(cells, communities_utm, roads_utm, rivers_utm, rng)
    cells["responsible_body"] = pd.Series(body, dtype=object)
    cells["grid_workers"] = pd.Series(_workers(cells, rng), dtype=object)
    return cells
