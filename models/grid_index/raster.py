"""The grid index's metric raster: lattice detection and classifying squares once at build."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyproj
import shapely

#: Raster values: a cell row position (>= 0), or one of these.
EMPTY = -1  # no cell reaches the square's inner part
CANDIDATES = -2  # -2 - k: test the cells of candidate list k, lowest first
#: Never allocate more squares than this (int32: 64 MB).
MAX_SQUARES = 16_000_000
#: A lattice explains the grid when this share of vertices (x and y) lies on it.
LATTICE_SHARE = 0.25
#: Vertices within this distance (m) of a lattice line count as on it.
LATTICE_TOLERANCE_M = 0.05


@dataclass(frozen=True)
class Lattice:
    """Square lattice ``origin + k * step`` (metric) that the cells' vertices lie on."""

    step: float
    origin_x: float
    origin_y: float
    jitter: float  # typical (99th percentile) distance (m) of on-lattice vertices from it


def _mode(values: np.ndarray) -> float:
    uniq, counts = np.unique(values, return_counts=True)
    return float(uniq[np.argmax(counts)])


def _on_lattice(values: np.ndarray, origin: float, step: float) -> np.ndarray:
    off = np.mod(values - origin, step)
    return np.minimum(off, step - off)


def detect_lattice(metric_bounds: np.ndarray, vertices: np.ndarray) -> Lattice | None:
    """The square lattice the cells were cut from, if any.

    The step is the greatest common divisor (to the millimetre) of the frequent widths of
    square cells; it is accepted when at least :data:`LATTICE_SHARE` of vertex x and y
    coordinates lie on lines ``origin + k * step``.

    Parameters
    ----------
    metric_bounds : numpy.ndarray
        (n, 4) cell bounds in the metric CRS.
    vertices : numpy.ndarray
        (m, 2) all cell vertices in the metric CRS.
    """
    if len(metric_bounds) == 0 or len(vertices) == 0:
        return None
    width = metric_bounds[:, 2] - metric_bounds[:, 0]
    height = metric_bounds[:, 3] - metric_bounds[:, 1]
    sane = (width < 1e9) & (height < 1e9)  # millimetres must fit in int64
    w = np.round(np.where(sane, width, 0.0) * 1000).astype(np.int64)
    h = np.round(np.where(sane, height, 0.0) * 1000).astype(np.int64)
    square = (w == h) & (w > 0)
    if not square.any():
        return None
    sizes, counts = np.unique(w[square], return_counts=True)
    frequent = sizes[counts >= max(3, 0.01 * len(w))]
    if len(frequent) == 0:
        return None
    step = float(np.gcd.reduce(frequent)) / 1000
    if step < 1.0:
        return None
    x, y = vertices[:, 0], vertices[:, 1]
    origin_x = _mode(np.round(np.mod(x, step), 3)) % step
    origin_y = _mode(np.round(np.mod(y, step), 3)) % step
    dx, dy = _on_lattice(x, origin_x, step), _on_lattice(y, origin_y, step)
    on_x, on_y = dx < LATTICE_TOLERANCE_M, dy < LATTICE_TOLERANCE_M
    if on_x.mean() < LATTICE_SHARE or on_y.mean() < LATTICE_SHARE:
        return None
    jitter = float(max(np.percentile(dx[on_x], 99), np.percentile(dy[on_y], 99)))
    return Lattice(step, origin_x, origin_y, jitter)


@dataclass(frozen=True)
class Raster:
    """Square raster in the metric CRS: square (i, j) spans ``origin + [i, i+1) * step``.

    Its extent is a whole number of coarse squares of ``step * 2**levels``, so each coarse
    square is a block of fine ones (build classifies coarse squares first).
    """

    origin_x: float
    origin_y: float
    step: float
    nx: int
    ny: int
    levels: int = 0

    @classmethod
    def covering(
        cls,
        box: tuple[float, float, float, float],
        step: float,
        origin: tuple[float, float],
        levels: int = 0,
    ) -> Raster:
        """The smallest raster aligned to ``origin + k * step * 2**levels`` containing box."""
        coarse = step * 2**levels
        i0 = np.floor((box[0] - origin[0]) / coarse)
        j0 = np.floor((box[1] - origin[1]) / coarse)
        x0, y0 = origin[0] + i0 * coarse, origin[1] + j0 * coarse
        nx = int(np.floor((box[2] - x0) / coarse)) + 1
        ny = int(np.floor((box[3] - y0) / coarse)) + 1
        return cls(float(x0), float(y0), float(step), nx * 2**levels, ny * 2**levels, levels)

    @property
    def size(self) -> int:
        return self.nx * self.ny

    def coarsened(self, level: int) -> Raster:
        """The same extent in squares of ``step * 2**level``."""
        f = 2**level
        return Raster(self.origin_x, self.origin_y, self.step * f, self.nx // f, self.ny // f)


def squares_near(raster: Raster, metric_bounds: np.ndarray, margin: float) -> np.ndarray:
    """Flat indices of the squares within ``margin`` of any of the boxes (sorted, unique)."""
    ok = np.isfinite(metric_bounds).all(axis=1)
    b = metric_bounds[ok]
    if len(b) == 0:
        return np.zeros(0, dtype=np.int64)
    i0 = np.clip(np.floor((b[:, 0] - margin - raster.origin_x) / raster.step), 0, raster.nx - 1)
    j0 = np.clip(np.floor((b[:, 1] - margin - raster.origin_y) / raster.step), 0, raster.ny - 1)
    i1 = np.clip(np.floor((b[:, 2] + margin - raster.origin_x) / raster.step), 0, raster.nx - 1)
    j1 = np.clip(np.floor((b[:, 3] + margin - raster.origin_y) / raster.step), 0, raster.ny - 1)
    i0, j0, i1, j1 = (a.astype(np.int64) for a in (i0, j0, i1, j1))
    mark = np.zeros(raster.size, dtype=bool)
    mark[_blocks(raster.nx, j0 * raster.nx + i0, i1 - i0 + 1, j1 - j0 + 1)] = True
    return np.flatnonzero(mark)


def _blocks(nx: int, corner: np.ndarray, width: np.ndarray, height: np.ndarray) -> np.ndarray:
    """Flat indices of rectangular blocks of squares (lower-left ``corner``, row-major)."""
    box_of_run = np.repeat(np.arange(len(corner)), height)
    first_run = np.cumsum(height) - height
    row = np.arange(len(box_of_run)) - first_run[box_of_run]
    run_start = corner[box_of_run] + row * nx
    run_len = width[box_of_run]
    first_sq = np.cumsum(run_len) - run_len
    return np.repeat(run_start - first_sq, run_len) + np.arange(int(run_len.sum()))


@dataclass(frozen=True)
class Classified:
    """Raster values (int32, flat) and the candidate lists of ambiguous squares (CSR)."""

    values: np.ndarray
    cand_ptr: np.ndarray
    cand_cells: np.ndarray
    polygons_tested: int


def inner_polygons(
    raster: Raster, i: np.ndarray, j: np.ndarray, inset: float, inverse: pyproj.Transformer
) -> np.ndarray:
    """lon/lat quadrilaterals through the corners of squares (i, j) shrunk by ``inset``."""
    x0 = raster.origin_x + i * raster.step + inset
    y0 = raster.origin_y + j * raster.step + inset
    x1 = raster.origin_x + (i + 1) * raster.step - inset
    y1 = raster.origin_y + (j + 1) * raster.step - inset
    xs = np.stack([x0, x1, x1, x0], axis=1)
    ys = np.stack([y0, y0, y1, y1], axis=1)
    lon, lat = inverse.transform(xs.ravel(), ys.ravel())
    ring = np.stack([lon, lat], axis=1).reshape(len(i), 4, 2)
    return shapely.polygons(ring)


def classify_squares(
    raster: Raster,
    near: np.ndarray,
    *,
    inset: float,
    inverse: pyproj.Transformer,
    cells: np.ndarray,
    tree: shapely.STRtree,
    trusted: np.ndarray,
) -> Classified:
    """Give each fine raster square a cell, EMPTY or a candidate list, coarse to fine.

    Parameters
    ----------
    raster : Raster
    near : numpy.ndarray
        Flat indices of the coarsest squares (``raster.coarsened(raster.levels)``) that may
        meet a cell; all others stay EMPTY.
    inset : float
        Metres by which squares are shrunk before their corners are taken to lon/lat; the
        quadrilateral then contains every point whose projection lies in the square less
        its edge band (see GridIndex).
    inverse : pyproj.Transformer
        Metric → lon/lat.
    cells : numpy.ndarray
        Cell geometries (lon/lat) in row-position order; ``tree`` is an STRtree over them.
    trusted : numpy.ndarray
        Boolean per cell: valid geometry, whose ``contains_properly`` may decide a square.

    Notes
    -----
    A square gets cell ``c`` when ``c`` is the lowest-positioned cell meeting its polygon
    and contains that polygon: every point there joins ``c`` and no lower cell (the tie
    rule). When no cell meets the polygon the square is EMPTY. Other squares are split in
    four and tried again one level finer; at the finest level the cells meeting the
    polygon, ascending, become the square's candidate list.
    """
    values = np.full(raster.size, EMPTY, dtype=np.int32)
    level = raster.levels
    coarse = raster.coarsened(level)
    i, j = near % coarse.nx, near // coarse.nx
    tested = 0
    cand_ptr = np.zeros(1, dtype=np.int64)
    cand_cells = np.zeros(0, dtype=np.int32)
    while len(i):
        grid = raster.coarsened(level)
        polygons = inner_polygons(grid, i, j, inset, inverse)
        tested += len(polygons)
        q, c = tree.query(polygons, predicate="intersects")
        order = np.lexsort((c, q))
        q, c = q[order], c[order]
        starts = np.flatnonzero(np.r_[True, q[1:] != q[:-1]]) if len(q) else q[:0]
        owner, lowest = q[starts], c[starts]
        covered = np.zeros(len(starts), dtype=bool)
        ok = trusted[lowest]
        covered[ok] = shapely.contains_properly(cells[lowest[ok]], polygons[owner[ok]])
        f = 2**level
        cov = owner[covered]
        block = _blocks(
            raster.nx, (j[cov] * raster.nx + i[cov]) * f, np.full(len(cov), f), np.full(len(cov), f)
        )
        values[block] = np.repeat(lowest[covered], f * f)
        amb = owner[~covered]
        if level == 0:
            sizes = np.diff(np.r_[starts, len(q)])
            keep = np.repeat(~covered, sizes)
            cand_ptr = np.r_[0, np.cumsum(sizes[~covered])].astype(np.int64)
            cand_cells = c[keep].astype(np.int32)
            values[j[amb] * raster.nx + i[amb]] = CANDIDATES - np.arange(len(amb))
            break
        i = (2 * i[amb])[:, None] + np.array([0, 1, 0, 1])
        j = (2 * j[amb])[:, None] + np.array([0, 0, 1, 1])
        i, j = i.ravel(), j.ravel()
        level -= 1
    return Classified(values, cand_ptr, cand_cells, tested)
