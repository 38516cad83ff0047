"""Metric projection, fixed precision and small vectorised geometry helpers for the generator."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from ingest.demo_city.anchors import UTM50N, WGS84

#: All metric overlays snap to this grid (m) so shared edges stay bit-identical.
GRID_M = 0.01

GeomArray = NDArray[np.object_]


@lru_cache(maxsize=2)
def _transformer(forward: bool) -> pyproj.Transformer:
    src, dst = (WGS84, UTM50N) if forward else (UTM50N, WGS84)
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


def _apply(geoms: GeomArray | BaseGeometry, forward: bool) -> GeomArray | BaseGeometry:
    transformer = _transformer(forward)

    def project(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, project)


def to_utm(geoms: GeomArray | BaseGeometry) -> GeomArray | BaseGeometry:
    """Project lon/lat geometries to UTM 50N (EPSG:32650), vertex by vertex.

    Parameters
    ----------
    geoms : array of geometries or geometry

    Returns
    -------
    same shape as the input
    """
    return _apply(geoms, True)


def to_wgs84(geoms: GeomArray | BaseGeometry) -> GeomArray | BaseGeometry:
    """Project UTM 50N geometries back to lon/lat (EPSG:4326), vertex by vertex.

    Parameters
    ----------
    geoms : array of geometries or geometry

    Returns
    -------
    same shape as the input
    """
    return _apply(geoms, False)


def lonlat_to_xy(
    lon: NDArray[np.float64] | float, lat: NDArray[np.float64] | float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Project lon/lat coordinates to UTM 50N metres.

    Parameters
    ----------
    lon, lat : float or array

    Returns
    -------
    tuple of arrays (x, y)
    """
    x, y = _transformer(True).transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, float), np.asarray(y, float)


def xy_to_lonlat(
    x: NDArray[np.float64] | float, y: NDArray[np.float64] | float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Project UTM 50N metres to lon/lat.

    Parameters
    ----------
    x, y : float or array

    Returns
    -------
    tuple of arrays (lon, lat)
    """
    lon, lat = _transformer(False).transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, float), np.asarray(lat, float)


def polygon_parts(geom: BaseGeometry) -> list[shapely.Polygon]:
    """Non-empty polygon parts of any geometry (lines and points from overlays are dropped)."""
    return [p for p in shapely.get_parts(geom) if isinstance(p, shapely.Polygon) and not p.is_empty]


def as_multipolygon(geom: BaseGeometry) -> shapely.MultiPolygon:
    """Normalise an areal overlay result to a MultiPolygon."""
    return shapely.MultiPolygon(polygon_parts(geom))


def random_points_in(geom: BaseGeometry, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Draw ``n`` uniform random points inside a polygon by rejection sampling.

    Parameters
    ----------
    geom : Polygon or MultiPolygon
    n : int
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of shape (n, 2)
    """
    x0, y0, x1, y1 = geom.bounds
    shapely.prepare(geom)
    out: list[NDArray[np.float64]] = []
    have = 0
    ratio = max(geom.area / max((x1 - x0) * (y1 - y0), 1e-12), 0.02)
    while have < n:
        m = int((n - have) / ratio * 1.3) + 16
        xs = rng.uniform(x0, x1, m)
        ys = rng.uniform(y0, y1, m)
        inside = shapely.contains_xy(geom, xs, ys)
        pts = np.column_stack([xs[inside], ys[inside]])
        out.append(pts)
        have += len(pts)
    return np.concatenate(out)[:n]


def snap_inside(
    geom: BaseGeometry, x: float, y: float, *, margin: float = 50.0
) -> tuple[float, float]:
    """Move a point into a polygon: unchanged when inside, else just inside the nearest edge.

    Parameters
    ----------
    geom : Polygon or MultiPolygon
    x, y : float
    margin : float
        How far (same units as ``geom``) inside the boundary a moved point lands.

    Returns
    -------
    tuple (x, y)
    """
    if shapely.contains_xy(geom, x, y):
        return x, y
    inner = shapely.buffer(geom, -margin)
    target = inner if not inner.is_empty else geom
    nearest = shapely.shortest_line(shapely.Point(x, y), target)
    px, py = shapely.get_coordinates(nearest)[-1]
    if not shapely.contains_xy(geom, px, py):
        px, py = shapely.get_coordinates(shapely.point_on_surface(geom))[0]
    return float(px), float(py)
