"""Choosing the grid index's raster: step, lattice alignment, coarse levels and edge band."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyproj
import shapely

from models.grid_index.projection import MetricProjection, chord_bow, fit_projection
from models.grid_index.raster import MAX_SQUARES, Lattice, Raster, detect_lattice

#: With a lattice, the raster step is this fraction of the lattice step (squares nest).
LATTICE_STEP_SHARE = 1 / 2
#: Without a lattice, the raster step is this fraction of the 10th-percentile cell side.
FREE_STEP_SHARE = 1 / 8
#: At most this many halvings from the coarsest squares tried to the raster's squares.
COARSE_LEVELS = 3
#: The polynomial projection may err by up to this fraction of the raster step.
PROJECTION_ERROR_SHARE = 1 / 2000


@dataclass(frozen=True)
class Plan:
    """How to rasterise one grid.

    ``band`` (metres): points whose projection lies this close to a square edge are
    answered exactly, so the raster may ignore the projection error and the bow between
    lon/lat-straight and metric-straight lines. ``margin`` (metres): squares farther than
    this from every cell's metric bounds cannot meet a cell.
    """

    raster: Raster
    projection: MetricProjection
    band: float
    margin: float
    lattice: Lattice | None


def plan_raster(
    metric: np.ndarray,
    box: tuple[float, float, float, float],
    forward: pyproj.Transformer,
    inverse: pyproj.Transformer,
    *,
    resolution_m: float | None,
) -> Plan | None:
    """Pick the raster for cells ``metric`` (their metric-CRS geometries).

    Parameters
    ----------
    metric : numpy.ndarray
        Non-empty cell geometries projected to the metric CRS (vertex by vertex).
    box : tuple
        lon/lat bounds of the cells: points outside it are never looked up.
    forward, inverse : pyproj.Transformer
        lon/lat ↔ metric, ``always_xy=True``.
    resolution_m : float, optional
        Raster step chosen by the caller (squares on multiples of it).

    Returns
    -------
    Plan or None
        None when no raster can be trusted (the projection bends too much at this step):
        the index then answers every point with the exact query.

    Raises
    ------
    ValueError
        If ``resolution_m`` would need more than :data:`MAX_SQUARES` squares.
    """
    bounds = shapely.bounds(metric)
    lattice = detect_lattice(bounds, shapely.get_coordinates(metric))
    side = np.sqrt(np.maximum(shapely.area(metric), 0.0))
    if resolution_m is not None:
        step, origin = float(resolution_m), (0.0, 0.0)
    elif lattice is not None:
        step = lattice.step * LATTICE_STEP_SHARE
        origin = (lattice.origin_x, lattice.origin_y)
    else:
        step = max(float(np.percentile(side, 10)) * FREE_STEP_SHARE, 0.01)
        origin = (0.0, 0.0)
    # Coarse squares about as large as big cells are tried first: fewer polygons to test.
    big = max(float(np.percentile(side, 90)), step)
    levels = min(int(np.floor(np.log2(big / step))), COARSE_LEVELS)

    image = _metric_image(forward, box)
    while True:
        raster = Raster.covering(image, step, origin, levels)
        if raster.size <= MAX_SQUARES:
            break
        if resolution_m is not None:
            raise ValueError(
                f"resolution_m={resolution_m} needs {raster.size:,} squares "
                f"(at most {MAX_SQUARES:,})"
            )
        step *= 2  # multiples of a lattice step still nest in it
        levels = max(levels - 1, 0)

    projection = fit_projection(forward, box, max_error_m=step * PROJECTION_ERROR_SHARE)
    segments = _segment_lengths(metric)
    typical = float(np.percentile(segments, 90)) if len(segments) else 0.0
    longest = float(segments.max()) if len(segments) else 0.0
    jitter = lattice.jitter if lattice is not None and resolution_m is None else 0.0
    while True:
        bow_coarse = chord_bow(forward, inverse, image, step * 2**levels)
        # Correctness needs band / 2 > projection error + bow of a coarse square's side
        # (chord_bow already doubles the bow; the factor 4 leaves more room). A wider band,
        # up to step / 32, lets lattice squares along typical cell edges count as covered.
        needed = 4.0 * (projection.error_m + bow_coarse)
        if needed < step / 8 or levels == 0:
            break
        levels -= 1
    if needed >= step / 8:
        return None
    wanted = 2.0 * (chord_bow(forward, inverse, image, typical) + bow_coarse + jitter)
    band = max(needed, min(wanted, step / 32))
    if levels != raster.levels:
        raster = Raster.covering(image, step, origin, levels)
    margin = step * 2**levels + 4 * chord_bow(forward, inverse, image, longest)
    return Plan(raster, projection, band, margin, lattice)


def _segment_lengths(metric: np.ndarray) -> np.ndarray:
    coords, index = shapely.get_coordinates(shapely.boundary(metric), return_index=True)
    if len(coords) < 2:
        return np.zeros(0)
    seg = np.hypot(np.diff(coords[:, 0]), np.diff(coords[:, 1]))
    return seg[index[1:] == index[:-1]]


def _metric_image(
    forward: pyproj.Transformer, box: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    """Metric bounds of the lon/lat ``box``, traced along its edge, plus 1 % margin."""
    t = np.linspace(0.0, 1.0, 257)
    west, south, east, north = box
    lon = np.r_[
        west + (east - west) * t,
        np.full_like(t, east),
        west + (east - west) * t,
        np.full_like(t, west),
    ]
    lat = np.r_[
        np.full_like(t, south),
        south + (north - south) * t,
        np.full_like(t, north),
        south + (north - south) * t,
    ]
    x, y = forward.transform(lon, lat)
    x0, y0, x1, y1 = float(np.min(x)), float(np.min(y)), float(np.max(x)), float(np.max(y))
    pad = 0.01 * max(x1 - x0, y1 - y0) + 1.0
    return (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
