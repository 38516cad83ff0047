"""GridIndex: which unit grid cell each lon/lat point falls in, exactly and fast."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from models.grid_index.plan import plan_raster
from models.grid_index.projection import MetricProjection
from models.grid_index.raster import CANDIDATES, Raster, classify_squares, squares_near

log = logging.getLogger(__name__)

_NONE = np.iinfo(np.int64).max


@dataclass(frozen=True)
class BuildStats:
    """What building an index chose, produced and cost (for logs and benchmarks)."""

    build_s: float
    resolution_m: float | None  # None: no raster, every point is queried exactly
    lattice_step_m: float | None
    levels: int
    polygons_tested: int
    squares: int
    covered: int
    ambiguous: int
    raster_bytes: int
    band_m: float | None
    projection_degree: int | None


@dataclass(frozen=True)
class _Raster:
    """The lookup structure: projection to raster units, square values, candidate lists."""

    grid: Raster
    to_squares: MetricProjection
    values: np.ndarray
    band: float  # in squares
    cand_ptr: np.ndarray
    cand_cells: np.ndarray


class GridIndex:
    """Point → cell lookup over one grid version, equal to a ``geopandas.sjoin``.

    ``assign(lon, lat)`` answers, per point, what
    ``geopandas.sjoin(points, cells, predicate="intersects")`` answers, with one rule for
    points that intersect several cells (on a shared edge or corner, or where cells
    overlap): the cell with the **lowest row position** in ``cells`` wins. Points in no
    cell, and NaN or infinite coordinates, get -1.

    How: points inside the cells' lon/lat bounds are projected to the metric CRS (a fitted
    polynomial with a measured error bound, or pyproj) and looked up in a raster built
    once. A square holds the one cell that contains every point that can land in it,
    EMPTY, or a short list of candidate cells tested exactly (``shapely.intersects_xy``,
    lowest first); points within a thin band along square edges, where the projection
    error and the bow between lon/lat and metric straight lines could matter, get the
    exact ``STRtree`` query. Squares are classified against the original lon/lat polygons,
    so answers are exact for any polygons and the raster only decides how much exact work
    is left. When the cells lie on a square lattice (the demo grid) the raster is aligned
    to it, and most squares are covered by one cell.

    Build with :meth:`GridIndex.build`. An index is immutable and may be shared between
    threads.

    Attributes
    ----------
    codes : numpy.ndarray
        Cell codes by row position (object array).
    version : int or None
        Grid version the cells belong to.
    stats : BuildStats
    """

    def __init__(
        self,
        *,
        codes: np.ndarray,
        version: int | None,
        geoms: np.ndarray,
        tree: shapely.STRtree,
        box: tuple[float, float, float, float],
        raster: _Raster | None,
        stats: BuildStats,
    ):
        self.codes = codes
        self.codes.flags.writeable = False
        self.version = version
        self.stats = stats
        self._geoms = geoms
        self._tree = tree
        self._box = box
        self._raster = raster
        self._codes_or_none = np.append(codes.astype(object), None)
        # Exact tests run one thread at a time: GEOS prepared geometries are not meant to
        # be used concurrently.
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.codes)

    def __repr__(self) -> str:
        s = self.stats
        return (
            f"GridIndex(version={self.version}, cells={len(self)}, "
            f"resolution_m={s.resolution_m}, raster_bytes={s.raster_bytes})"
        )

    @classmethod
    def build(
        cls,
        cells: gpd.GeoDataFrame,
        *,
        metric_crs: str = "EPSG:32650",
        resolution_m: float | None = None,
        version: int | None = None,
    ) -> GridIndex:
        """Index ``cells`` (EPSG:4326, with a ``cell_code`` column) for point lookups.

        Parameters
        ----------
        cells : geopandas.GeoDataFrame
            Unit grid cells in EPSG:4326; row positions are what :meth:`assign` returns.
            Missing or empty geometries never match. Invalid ones (topology is checked on
            import) get GEOS's answers as sjoin does, but never cover a raster square.
        metric_crs : str
            Projected CRS for the raster (UTM 50N for the demo city).
        resolution_m : float, optional
            Raster step in metres, squares on multiples of it. Default: half the step of
            the square lattice the cells lie on when there is one (squares nest in lattice
            squares), else an eighth of the 10th-percentile cell side; doubled while the
            raster would exceed ``raster.MAX_SQUARES`` squares.
        version : int, optional
            Grid version the cells belong to (kept as ``version``).

        Returns
        -------
        GridIndex

        Raises
        ------
        ValueError
            If ``cells`` is not in EPSG:4326 or lacks ``cell_code``, ``metric_crs`` is not
            projected, or ``resolution_m`` is not positive or needs too large a raster.
        """
        started = time.perf_counter()
        if cells.crs is None or cells.crs.to_epsg() != 4326:
            raise ValueError(f"cells must be in EPSG:4326 (lon/lat), not {cells.crs}")
        if "cell_code" not in cells.columns:
            raise ValueError("cells need a cell_code column")
        if resolution_m is not None and not (np.isfinite(resolution_m) and resolution_m > 0):
            raise ValueError(f"resolution_m must be a positive number, not {resolution_m}")
        crs = pyproj.CRS.from_user_input(metric_crs)
        if not crs.is_projected:
            raise ValueError(f"metric_crs must be a projected CRS, not {metric_crs}")
        forward = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        inverse = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

        codes = cells["cell_code"].to_numpy(dtype=object, copy=True)
        # Own copies: preparing them must not change the caller's geometries.
        geoms = shapely.from_wkb(shapely.to_wkb(np.asarray(cells.geometry.array)))
        usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        trusted = usable & shapely.is_valid(geoms)
        tree = shapely.STRtree(geoms)
        shapely.prepare(geoms[usable])
        _warm_up(geoms[usable])
        box = (np.inf, np.inf, -np.inf, -np.inf)
        raster = None
        if usable.any():
            west, south, east, north = shapely.total_bounds(geoms[usable])
            box = (float(west), float(south), float(east), float(north))
            raster = _build_raster(
                geoms, tree, usable, trusted, box, forward, inverse, resolution_m, started
            )
        return cls(
            codes=codes,
            version=version,
            geoms=geoms,
            tree=tree,
            box=box,
            raster=raster[0] if raster else None,
            stats=raster[1] if raster else _stats_without_raster(started),
        )

    def assign(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Row position in ``cells`` of the cell each point falls in, or -1.

        Parameters
        ----------
        lon, lat : array_like
            Coordinates in EPSG:4326, same shape. NaN or infinite values give -1.

        Returns
        -------
        numpy.ndarray
            int64, shaped like ``lon``. A point in several cells (on a shared edge or
            corner) gets the one with the lowest row position.
        """
        lon_a = np.asarray(lon, dtype=np.float64)
        lat_a = np.asarray(lat, dtype=np.float64)
        if lon_a.shape != lat_a.shape:
            raise ValueError(f"lon and lat differ in shape: {lon_a.shape} vs {lat_a.shape}")
        x, y = lon_a.ravel(), lat_a.ravel()
        west, south, east, north = self._box
        inside = (x >= west) & (x <= east) & (y >= south) & (y <= north)  # NaN: False
        if inside.all():
            return self._find(x, y).reshape(lon_a.shape)
        out = np.full(len(x), -1, dtype=np.int64)
        at = np.flatnonzero(inside)
        if len(at):
            out[at] = self._find(x[at], y[at])
        return out.reshape(lon_a.shape)

    def assign_codes(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Cell code of each point (object array shaped like ``lon``), None outside."""
        return self._codes_or_none[self.assign(lon, lat)]

    def _find(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Cells of finite points inside the lon/lat bounds."""
        r = self._raster
        if r is None:
            with self._lock:
                return self._exact(x, y)
        sx, sy = r.to_squares(x, y)
        ix, iy = np.floor(sx), np.floor(sy)
        # |fraction - 0.5| > 0.5 - band: the point lies in the band along a square edge.
        sx -= ix
        sx -= 0.5
        np.abs(sx, out=sx)
        sy -= iy
        sy -= 0.5
        np.abs(sy, out=sy)
        limit = 0.5 - r.band
        exact = (sx > limit) | (sy > limit)
        # Clipping only guards memory: every point inside the box maps inside the raster.
        flat = np.clip(iy, 0, r.grid.ny - 1).astype(np.int64)
        flat *= r.grid.nx
        flat += np.clip(ix, 0, r.grid.nx - 1).astype(np.int64)
        found = r.values.take(flat).astype(np.int64)
        listed = (found <= CANDIDATES) & ~exact
        if listed.any() or exact.any():
            with self._lock:
                at = np.flatnonzero(listed)
                found[at] = self._from_candidates(x[at], y[at], CANDIDATES - found[at])
                at = np.flatnonzero(exact)
                found[at] = self._exact(x[at], y[at])
        return found

    def _from_candidates(self, x: np.ndarray, y: np.ndarray, lists: np.ndarray) -> np.ndarray:
        """Test each point against its square's candidates, lowest first; stop at a hit."""
        r = self._raster
        assert r is not None
        found = np.full(len(x), -1, dtype=np.int64)
        start = r.cand_ptr[lists]
        count = r.cand_ptr[lists + 1] - start
        pending = np.arange(len(x))
        rank = 0
        while len(pending):
            pending = pending[count[pending] > rank]
            cell = r.cand_cells[start[pending] + rank]
            hit = shapely.intersects_xy(self._geoms[cell], x[pending], y[pending])
            found[pending[hit]] = cell[hit]
            pending = pending[~hit]
            rank += 1
        return found

    def _exact(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """What sjoin does: an STRtree query with ``intersects``; lowest position kept."""
        found = np.full(len(x), _NONE, dtype=np.int64)
        point, cell = self._tree.query(shapely.points(x, y), predicate="intersects")
        np.minimum.at(found, point, cell)
        found[found == _NONE] = -1
        return found


def _build_raster(
    geoms: np.ndarray,
    tree: shapely.STRtree,
    usable: np.ndarray,
    trusted: np.ndarray,
    box: tuple[float, float, float, float],
    forward: pyproj.Transformer,
    inverse: pyproj.Transformer,
    resolution_m: float | None,
    started: float,
) -> tuple[_Raster, BuildStats] | None:
    """Plan and classify the raster; None when the grid is better served without one."""
    metric = shapely.transform(
        geoms[usable], lambda xy: np.column_stack(forward.transform(xy[:, 0], xy[:, 1]))
    )
    metric_bounds = np.full((len(geoms), 4), np.nan)
    metric_bounds[usable] = shapely.bounds(metric)
    if not np.isfinite(metric_bounds[usable]).all():
        return None  # cells outside the metric CRS's domain
    plan = plan_raster(metric, box, forward, inverse, resolution_m=resolution_m)
    if plan is None:
        return None
    grid = plan.raster
    try:
        classified = classify_squares(
            grid,
            squares_near(grid.coarsened(grid.levels), metric_bounds, plan.margin),
            inset=plan.band / 2,
            inverse=inverse,
            cells=geoms,
            tree=tree,
            trusted=trusted,
        )
    except shapely.errors.GEOSException as exc:
        # Only speed is lost: every point then gets the exact query.
        log.warning("grid index without raster: GEOS failed classifying squares: %s", exc)
        return None
    values = classified.values
    raster = _Raster(
        grid=grid,
        to_squares=plan.projection.to_units((grid.origin_x, grid.origin_y), grid.step),
        values=values,
        band=plan.band / grid.step,
        cand_ptr=classified.cand_ptr,
        cand_cells=classified.cand_cells,
    )
    stats = BuildStats(
        build_s=time.perf_counter() - started,
        resolution_m=grid.step,
        lattice_step_m=plan.lattice.step if plan.lattice is not None else None,
        levels=grid.levels,
        polygons_tested=classified.polygons_tested,
        squares=grid.size,
        covered=int((values >= 0).sum()),
        ambiguous=int((values <= CANDIDATES).sum()),
        raster_bytes=int(values.nbytes + raster.cand_ptr.nbytes + raster.cand_cells.nbytes),
        band_m=plan.band,
        projection_degree=plan.projection.degree,
    )
    return raster, stats


def _stats_without_raster(started: float) -> BuildStats:
    return BuildStats(
        build_s=time.perf_counter() - started,
        resolution_m=None,
        lattice_step_m=None,
        levels=0,
        polygons_tested=0,
        squares=0,
        covered=0,
        ambiguous=0,
        raster_bytes=0,
        band_m=None,
        projection_degree=None,
    )


def _warm_up(geoms: np.ndarray) -> None:
    """Build the prepared geometries' lazy point locators now, in the building thread."""
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    if len(coords):
        first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        with contextlib.suppress(shapely.errors.GEOSException):  # invalid cells
            shapely.intersects_xy(geoms[owner[first]], coords[first, 0], coords[first, 1])
