"""Unit grid cells (单元网格): lattice squares clipped to communities, sized, merged, numbered.

Squares lie on a lattice of multiples of ``cell_size_m`` in EPSG:32650 (so the square of
a cell spans ``[i*s, (i+1)*s) x [j*s, (j+1)*s)`` in UTM metres). Cell sizes are
multiples of 150 m, so coarser lattices nest in finer ones. A clipped piece smaller than
5 % of the nominal square is a sliver: it is merged into the neighbouring cell of the same
community it shares the longest edge with, or dropped when it touches none, except that
every community keeps at least one cell.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ingest.demo_city.anchors import CORE_CENTRE, UTM50N
from ingest.demo_city.geomutil import GRID_M, lonlat_to_xy, xy_to_lonlat

#: size class -> lattice sizes (m) tried in order until a community stays under the cap.
SIZE_LADDER: dict[str, tuple[int, ...]] = {
    "urban": (150, 300, 600),
    "plain": (600, 900, 1200),
    "rural": (1200, 1500, 1800),
    "mountain": (2100, 2400, 3000),
}
#: Distance (m) from the old city within which communities are urban core.
URBAN_CORE_RADIUS_M = 4800.0
#: Urban core communities larger than this (m²) are gridded as plain (industrial zones).
URBAN_MAX_COMMUNITY_M2 = 4.0e6
#: Latitude north of which land far from a town seat counts as mountain.
MOUNTAIN_LAT = 23.78
SLIVER_SHARE = 0.05
MAX_CELLS_PER_COMMUNITY = 999
#: Cells of a community aimed at before the size ladder steps up (well below the cap).
_SOFT_CAP = 600


def classify_communities(
    communities_utm: gpd.GeoDataFrame, streets_utm: gpd.GeoDataFrame
) -> pd.Series:
    """Give each community a size class from its distance to the core and its town seat.

    Parameters
    ----------
    communities_utm, streets_utm : GeoDataFrame
        In EPSG:32650; streets carry ``seat_x``/``seat_y`` and ``kind``.

    Returns
    -------
    pandas.Series of "urban" / "plain" / "rural" / "mountain", indexed like the communities
    """
    cx, cy = lonlat_to_xy(*CORE_CENTRE)
    towns = streets_utm.set_index("street_code")
    centroid = shapely.point_on_surface(communities_utm.geometry.values)
    x, y = shapely.get_x(centroid), shapely.get_y(centroid)
    _, lat = xy_to_lonlat(x, y)
    seat_x = towns.loc[communities_utm["street_code"], "seat_x"].to_numpy()
    seat_y = towns.loc[communities_utm["street_code"], "seat_y"].to_numpy()
    forest = towns.loc[communities_utm["street_code"], "name_zh"].str.contains("林场").to_numpy()
    d_core = np.hypot(x - cx, y - cy)
    d_seat = np.hypot(x - seat_x, y - seat_y)
    area = communities_utm.area.to_numpy()
    size_class = np.where(d_seat > 3000.0, "rural", "plain").astype(object)
    size_class[(lat >= MOUNTAIN_LAT) & (d_seat > 2000.0)] = "mountain"
    size_class[forest] = "mountain"
    size_class[(d_core <= URBAN_CORE_RADIUS_M) & (area <= URBAN_MAX_COMMUNITY_M2)] = "urban"
    return pd.Series(size_class, index=communities_utm.index, name="size_class")


def _pick_sizes(geoms: np.ndarray, classes: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = shapely.bounds(geoms).T
    area = shapely.area(geoms)
    sizes = np.zeros(len(geoms))
    for k, cls in enumerate(classes):
        for s in SIZE_LADDER[cls]:
            # squares touched: area share plus a boundary ring, a cheap upper-ish estimate
            est = area[k] / s**2 + 2 * ((x1[k] - x0[k]) + (y1[k] - y0[k])) / s
            sizes[k] = s
            if est <= _SOFT_CAP:
                break
    return sizes


def _lattice_squares(
    geoms: np.ndarray, sizes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x0, y0, x1, y1 = shapely.bounds(geoms).T
    i0, i1 = np.floor(x0 / sizes).astype(int), np.ceil(x1 / sizes).astype(int)
    j0, j1 = np.floor(y0 / sizes).astype(int), np.ceil(y1 / sizes).astype(int)
    owner, ii, jj = [], [], []
    for k in range(len(geoms)):
        gi, gj = np.meshgrid(np.arange(i0[k], i1[k]), np.arange(j0[k], j1[k]))
        owner.append(np.full(gi.size, k))
        ii.append(gi.ravel())
        jj.append(gj.ravel())
    own = np.concatenate(owner)
    i, j = np.concatenate(ii), np.concatenate(jj)
    s = sizes[own]
    squares = shapely.box(i * s, j * s, (i + 1) * s, (j + 1) * s)
    return own, i, j, squares


def _merge_slivers(
    parts: np.ndarray, owner: np.ndarray, kept: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return, for each part, the kept part it joins (itself if kept, -1 if dropped)."""
    target = np.where(kept, np.arange(len(parts)), -1)
    tree = shapely.STRtree(parts)
    for _ in range(4):
        pending = np.flatnonzero(target < 0)
        if len(pending) == 0:
            break
        src, cand = tree.query(parts[pending], predicate="intersects")
        src = pending[src]
        ok = (owner[src] == owner[cand]) & (target[cand] >= 0) & (src != cand)
        src, cand = src[ok], cand[ok]
        if len(src) == 0:
            break
        common = shapely.intersection(
            shapely.boundary(parts[src]), shapely.boundary(parts[cand]), grid_size=GRID_M
        )
        shared = shapely.length(common)
        edge = shared > GRID_M
        src, cand, shared = src[edge], cand[edge], shared[edge]
        if len(src) == 0:
            break
        order = np.lexsort((-shared, src))
        first = np.ones(len(order), bool)
        first[1:] = src[order][1:] != src[order][:-1]
        best = order[first]
        target[src[best]] = target[cand[best]]
    return target, np.flatnonzero(target < 0)


def build_cells(
    communities_utm: gpd.GeoDataFrame, streets_utm: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Grid every community into numbered unit cells.

    Parameters
    ----------
    communities_utm : GeoDataFrame
        From :func:`build_communities` (EPSG:32650).
    streets_utm : GeoDataFrame
        From :func:`build_streets` (EPSG:32650).

    Returns
    -------
    GeoDataFrame in EPSG:32650
        ``cell_code``, ``district_code``, ``street_code``, ``community_code``, ``seq``,
        ``size_class``, ``cell_size_m``, ``area_m2``, ``lattice_i``, ``lattice_j``,
        ``geometry`` (Polygon); sorted by cell code.

    Raises
    ------
    ValueError
        A community would need more than 999 cells.
    """
    comms = communities_utm.reset_index(drop=True)
    classes = classify_communities(comms, streets_utm).to_numpy()
    geoms = comms.geometry.values
    sizes = _pick_sizes(np.asarray(geoms), classes)
    own, ii, jj, squares = _lattice_squares(np.asarray(geoms), sizes)
    hit = shapely.intersects(squares, np.asarray(geoms)[own])
    own, ii, jj, squares = own[hit], ii[hit], jj[hit], squares[hit]
    clipped = shapely.intersection(squares, np.asarray(geoms)[own], grid_size=GRID_M)
    parts, sq = shapely.get_parts(clipped, return_index=True)
    poly = shapely.get_type_id(parts) == 3
    parts, sq = parts[poly], sq[poly]
    area = shapely.area(parts)
    owner = own[sq]
    # every piece of a square that is not a sliver is a cell (a square cut in two by a
    # neighbouring community gives two cells)
    kept = area >= SLIVER_SHARE * sizes[owner] ** 2
    # a community whose pieces are all slivers keeps its largest piece
    has_kept = np.zeros(len(comms), bool)
    has_kept[owner[kept]] = True
    for k in np.flatnonzero(~has_kept):
        idx = np.flatnonzero(owner == k)
        kept[idx[np.argmax(area[idx])]] = True
    target, _dropped = _merge_slivers(parts, owner, kept)
    keep_idx = np.flatnonzero(kept)
    geometry = parts[keep_idx].copy()
    joins = np.flatnonzero((target >= 0) & ~kept)
    if len(joins):
        slot = {int(p): n for n, p in enumerate(keep_idx)}
        groups: dict[int, list[int]] = {}
        for p in joins:
            groups.setdefault(int(target[p]), []).append(int(p))
        for tgt, members in groups.items():
            merged = shapely.union_all(np.r_[parts[[tgt]], parts[members]], grid_size=GRID_M)
            polys = [g for g in shapely.get_parts(merged) if shapely.get_type_id(g) == 3]
            # a join that does not stay one polygon is dropped rather than kept as multipart
            geometry[slot[tgt]] = max(polys, key=lambda g: g.area) if len(polys) > 1 else polys[0]
    cell_comm = owner[keep_idx]
    cell_i, cell_j = ii[sq[keep_idx]], jj[sq[keep_idx]]
    centre = shapely.centroid(parts[keep_idx])
    frame = pd.DataFrame(
        {
            "community_index": cell_comm,
            "lattice_i": cell_i,
            "lattice_j": cell_j,
            "_cx": shapely.get_x(centre),
            "_cy": shapely.get_y(centre),
            "_geom": list(geometry),
        }
    )
    # rows north→south, west→east within a row (two cells of one square: by their centre)
    frame = frame.sort_values(
        ["community_index", "lattice_j", "lattice_i", "_cy", "_cx"],
        ascending=[True, False, True, False, True],
    )
    frame["seq"] = frame.groupby("community_index").cumcount() + 1
    if frame["seq"].max() > MAX_CELLS_PER_COMMUNITY:
        raise ValueError("a community needs more than 999 cells; raise its cell size")
    ci = frame["community_index"].to_numpy()
    community_code = comms["community_code"].to_numpy()[ci]
    street_code = comms["street_code"].to_numpy()[ci]
    district_code = comms["district_code"].to_numpy()[ci]
    seq = frame["seq"].to_numpy()
    cell_code = [
        f"{d}{s[-3:]}{c[-3:]}{n:03d}"
        for d, s, c, n in zip(district_code, street_code, community_code, seq)
    ]
    geoms_out = np.asarray(frame["_geom"].to_list(), dtype=object)
    out = gpd.GeoDataFrame(
        {
            "cell_code": cell_code,
            "district_code": district_code,
            "street_code": street_code,
            "community_code": community_code,
            "seq": seq.astype(int),
            "size_class": classes[ci],
            "cell_size_m": sizes[ci].astype(int),
            "area_m2": shapely.area(geoms_out),
            "lattice_i": frame["lattice_i"].to_numpy(),
            "lattice_j": frame["lattice_j"].to_numpy(),
        },
        geometry=geoms_out,
        crs=UTM50N,
    )
    return out.sort_values("cell_code", ignore_index=True)
