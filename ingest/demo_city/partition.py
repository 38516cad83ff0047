"""Exact partition of a polygon into seeded zones: Voronoi, Lloyd relaxation, density k-means."""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from ingest.demo_city.geomutil import GRID_M, polygon_parts, random_points_in, snap_inside

Points = NDArray[np.float64]


def _voronoi_cells(container: BaseGeometry, seeds: Points) -> NDArray[np.object_]:
    x0, y0, x1, y1 = container.bounds
    pad = max(x1 - x0, y1 - y0) + 1000.0
    envelope = shapely.box(x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    diagram = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=envelope, ordered=True)
    cells = shapely.get_parts(diagram)
    if len(cells) != len(seeds):
        raise ValueError("seed points must be distinct")
    return shapely.intersection(cells, container, grid_size=GRID_M)


def _shared_length(a: NDArray[np.object_], b: NDArray[np.object_]) -> NDArray[np.float64]:
    common = shapely.intersection(shapely.boundary(a), shapely.boundary(b), grid_size=GRID_M)
    return np.asarray(shapely.length(common), dtype=float)


def _consolidate(zones: NDArray[np.object_], seeds: Points) -> list[BaseGeometry]:
    """Give stray pieces of a zone to the neighbour they share the longest edge with."""
    parts, owner = shapely.get_parts(zones, return_index=True)
    keep = np.array([isinstance(p, shapely.Polygon) and not p.is_empty for p in parts])
    parts, owner = parts[keep], owner[keep]
    main = np.zeros(len(parts), dtype=bool)
    seed_pts = shapely.points(seeds)
    for zone in range(len(zones)):
        idx = np.flatnonzero(owner == zone)
        if len(idx) == 0:
            continue
        holds = shapely.covers(parts[idx], seed_pts[zone])
        main[idx[np.argmax(holds)] if holds.any() else idx[np.argmax(shapely.area(parts[idx]))]] = (
            True
        )
    if not main.all():
        tree = shapely.STRtree(parts)
        for _ in range(3):
            moved = False
            for i in np.flatnonzero(~main)[np.argsort(shapely.area(parts[~main]))]:
                cand = tree.query(parts[i], predicate="intersects")
                cand = cand[owner[cand] != owner[i]]
                if len(cand) == 0:
                    continue
                shared = _shared_length(np.repeat(parts[i], len(cand)), parts[cand])
                if shared.max() <= GRID_M:
                    continue
                owner[i] = owner[cand[np.argmax(shared)]]
                moved = True
            if not moved:
                break
    out: list[BaseGeometry] = []
    for zone in range(len(zones)):
        pieces = parts[owner == zone]
        merged = shapely.union_all(pieces, grid_size=GRID_M)
        polys = polygon_parts(merged)
        out.append(polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys))
    return out


def voronoi_partition(container: BaseGeometry, seeds: Points) -> list[BaseGeometry]:
    """Split a polygon into one zone per seed: Voronoi cells clipped to it, stray pieces merged.

    Parameters
    ----------
    container : Polygon or MultiPolygon
        In metres (UTM); the zones tile it exactly up to the snapping grid.
    seeds : ndarray of shape (n, 2)
        Distinct points inside ``container``.

    Returns
    -------
    list of Polygon or MultiPolygon, in seed order, each containing its seed
    """
    if len(seeds) == 1:
        return [container]
    return _consolidate(_voronoi_cells(container, seeds), seeds)


def lloyd_relax(
    container: BaseGeometry,
    seeds: Points,
    *,
    iterations: int = 2,
    damping: float = 0.5,
    fixed: NDArray[np.bool_] | None = None,
) -> Points:
    """Move seeds part of the way toward the centroids of their clipped Voronoi cells.

    Parameters
    ----------
    container : Polygon or MultiPolygon
    seeds : ndarray of shape (n, 2)
    iterations : int
    damping : float
        Fraction of the way to the centroid moved per iteration (1 = plain Lloyd).
    fixed : bool array of shape (n,), optional
        Seeds that do not move.

    Returns
    -------
    ndarray of shape (n, 2)
    """
    pts = np.array(seeds, dtype=float)
    if len(pts) < 2:
        return pts
    still = np.zeros(len(pts), bool) if fixed is None else np.asarray(fixed, bool)
    for _ in range(iterations):
        cells = _voronoi_cells(container, pts)
        cents = shapely.get_coordinates(shapely.centroid(cells))
        moved = pts + damping * (cents - pts)
        for i in np.flatnonzero(~still):
            moved[i] = snap_inside(container, *moved[i])
        pts = np.where(still[:, None], pts, moved)
    return pts


def density_seeds(
    container: BaseGeometry,
    k: int,
    rng: np.random.Generator,
    *,
    centre: tuple[float, float],
    dense_share: float = 0.0,
    dense_radius: float = 1000.0,
    samples_per_seed: int = 40,
    iterations: int = 12,
) -> Points:
    """Place ``k`` seeds by k-means on samples drawn with extra density around a centre.

    Zones grown from these seeds are smaller near ``centre`` (a town's urban part) and
    larger toward its edges.

    Parameters
    ----------
    container : Polygon or MultiPolygon
    k : int
    rng : numpy.random.Generator
    centre : tuple (x, y)
    dense_share : float
        Share of the samples drawn from a Gaussian around ``centre`` (the rest uniform).
    dense_radius : float
        Standard deviation (m) of that Gaussian.
    samples_per_seed, iterations : int

    Returns
    -------
    ndarray of shape (k, 2), distinct points inside ``container``
    """
    n = max(400, samples_per_seed * k)
    n_dense = int(np.rint(n * dense_share))
    uniform = random_points_in(container, n - n_dense, rng)
    if n_dense:
        blob = rng.normal(0.0, dense_radius, size=(n_dense * 3, 2)) + np.asarray(centre)
        blob = blob[shapely.contains_xy(container, blob[:, 0], blob[:, 1])][:n_dense]
        sample = np.concatenate([uniform, blob])
    else:
        sample = uniform
    # k-means++ initialisation, then Lloyd on the samples
    centres = np.empty((k, 2))
    centres[0] = sample[rng.integers(len(sample))]
    d2 = ((sample - centres[0]) ** 2).sum(1)
    for j in range(1, k):
        centres[j] = sample[rng.choice(len(sample), p=d2 / d2.sum())]
        d2 = np.minimum(d2, ((sample - centres[j]) ** 2).sum(1))
    for _ in range(iterations):
        dist = ((sample[:, None, :] - centres[None, :, :]) ** 2).sum(2)
        label = dist.argmin(1)
        for j in range(k):
            members = sample[label == j]
            if len(members):
                centres[j] = members.mean(0)
            else:
                centres[j] = sample[dist.min(1).argmax()]
    out = np.array([snap_inside(container, x, y, margin=5.0) for x, y in centres])
    # snapping can make two seeds coincide: nudge duplicates deterministically
    _, first = np.unique(np.round(out, 1), axis=0, return_index=True)
    for j in sorted(set(range(k)) - set(first.tolist())):
        out[j] = snap_inside(container, out[j, 0] + 7.0 * (j + 1), out[j, 1] + 3.0, margin=5.0)
    return out
