"""Line noding for the road network: cutting lines at shared points, chunking, connectivity."""

from __future__ import annotations

import math

import numpy as np
import shapely
from numpy.typing import NDArray


def split_line(line: shapely.LineString, cuts: NDArray[np.float64]) -> list[shapely.LineString]:
    """Cut a line at the given points, using each cut point's exact coordinates.

    Two lines cut at the same point therefore share a bit-identical end vertex.

    Parameters
    ----------
    line : LineString
    cuts : ndarray of shape (n, 2)
        Points on (or within rounding of) the line.

    Returns
    -------
    list of LineString, in order along the line; pieces shorter than 1 cm are skipped
    """
    coords = shapely.get_coordinates(line)
    if len(cuts) == 0:
        return [line]
    seg = np.hypot(*np.diff(coords, axis=0).T)
    along = np.r_[0.0, np.cumsum(seg)]
    where = shapely.line_locate_point(line, shapely.points(cuts))
    order = np.argsort(where, kind="stable")
    where, cuts = where[order], cuts[order]
    keep = (where > 0.01) & (where < along[-1] - 0.01)
    where, cuts = where[keep], cuts[keep]
    if len(where) == 0:
        return [line]
    pieces: list[shapely.LineString] = []
    start_pt = coords[0]
    start_d = 0.0
    last_d = -1.0
    for d, pt in zip(np.r_[where, along[-1]], np.vstack([cuts, coords[-1:]])):
        if d - last_d < 0.01 and last_d >= 0:
            continue
        inner = coords[(along > start_d) & (along < d)]
        piece = np.vstack([start_pt, inner, pt])
        if np.hypot(*(piece[-1] - piece[0])) > 0.01 or len(piece) > 2:
            pieces.append(shapely.LineString(piece))
        start_pt, start_d, last_d = pt, d, d
    return pieces


def chunk_line(line: shapely.LineString, max_length: float) -> list[shapely.LineString]:
    """Split a line into equal pieces no longer than ``max_length``, keeping its end vertices.

    Parameters
    ----------
    line : LineString
    max_length : float

    Returns
    -------
    list of LineString
    """
    n = math.ceil(line.length / max_length - 1e-9)
    if n <= 1:
        return [line]
    at = line.length * np.arange(1, n) / n
    cuts = shapely.get_coordinates(shapely.line_interpolate_point(line, at))
    return split_line(line, cuts)


def node_lines(lines: list[shapely.LineString]) -> list[list[shapely.LineString]]:
    """Cut every line wherever it meets another, so crossings become shared end vertices.

    Parameters
    ----------
    lines : list of LineString

    Returns
    -------
    list (one entry per input line) of its pieces
    """
    arr = np.asarray(lines, dtype=object)
    tree = shapely.STRtree(arr)
    a, b = tree.query(arr, predicate="intersects")
    pair = a < b
    a, b = a[pair], b[pair]
    hits = shapely.intersection(arr[a], arr[b])
    cuts: list[list[NDArray[np.float64]]] = [[] for _ in lines]
    for i, j, geom in zip(a, b, hits):
        pts = shapely.get_coordinates(geom)
        if len(pts):
            cuts[i].append(pts)
            cuts[j].append(pts)
    out = []
    for line, found in zip(lines, cuts):
        pts = np.unique(np.vstack(found), axis=0) if found else np.empty((0, 2))
        out.append(split_line(line, pts))
    return out


def largest_component(
    lines: list[shapely.LineString], *, tolerance: float = 0.01
) -> NDArray[np.bool_]:
    """Mark the lines that belong to the largest connected component (by end vertices).

    Parameters
    ----------
    lines : list of LineString
    tolerance : float
        End vertices closer than this (rounded to this grid) are the same node.

    Returns
    -------
    bool ndarray, one per line
    """
    ends = np.array([[*ln.coords[0], *ln.coords[-1]] for ln in lines])
    keys = np.round(np.vstack([ends[:, :2], ends[:, 2:]]) / tolerance).astype(np.int64)
    _, node = np.unique(keys, axis=0, return_inverse=True)
    node = node.ravel()
    n = len(lines)
    parent = np.arange(node.max() + 1)

    def find(v: int) -> int:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for k in range(n):
        ra, rb = find(node[k]), find(node[n + k])
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    root = np.array([find(node[k]) for k in range(n)])
    length = np.array([ln.length for ln in lines])
    totals: dict[int, float] = {}
    for r, ln in zip(root, length):
        totals[int(r)] = totals.get(int(r), 0.0) + float(ln)
    best = min(totals, key=lambda r: (-totals[r], r))
    return root == best
