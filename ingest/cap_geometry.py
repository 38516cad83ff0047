"""CAP 1.2 areas as geometry: ``<polygon>`` and ``<circle>`` in lon/lat (circles buffered in
a metric CRS), and the union of an alert's areas."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely
from pyproj import Transformer

if TYPE_CHECKING:
    from ingest.cap import CapInfo

DEFAULT_METRIC_CRS = "EPSG:32650"


class InvalidCap(ValueError):
    """A CAP document (or one of its parts) that breaks the standard; the message says how."""


def _latlon(pair: str, what: str) -> tuple[float, float]:
    parts = pair.split(",")
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except (ValueError, IndexError):
        raise InvalidCap(f"{what}: {pair[:40]!r} is not a 'lat,lon' pair") from None
    if len(parts) != 2 or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidCap(f"{what}: {pair[:40]!r} is not a 'lat,lon' pair in range")
    return lon, lat


def polygon_from_cap(text: str) -> shapely.Polygon:
    """A CAP ``<polygon>`` ("lat,lon lat,lon ...", closed, >= 4 pairs) as a lon/lat Polygon."""
    points = [_latlon(p, "<polygon>") for p in text.split()]
    if len(points) < 4:
        raise InvalidCap(f"<polygon> needs at least 4 coordinate pairs, found {len(points)}")
    if points[0] != points[-1]:
        raise InvalidCap("<polygon> is not closed: the first and last pairs must be the same")
    polygon = shapely.Polygon(points)
    if not polygon.is_valid:
        raise InvalidCap(f"<polygon> is not a valid ring: {shapely.is_valid_reason(polygon)}")
    return polygon


def circle_from_cap(text: str, *, metric_crs: str = DEFAULT_METRIC_CRS) -> shapely.Polygon:
    """A CAP ``<circle>`` ("lat,lon radius_km") buffered in ``metric_crs``, back in lon/lat."""
    parts = text.split()
    if len(parts) != 2:
        raise InvalidCap(f"<circle> {text[:40]!r} is not 'lat,lon radius_km'")
    lon, lat = _latlon(parts[0], "<circle>")
    try:
        radius_km = float(parts[1])
    except ValueError:
        raise InvalidCap(f"<circle> radius {parts[1][:20]!r} is not a number") from None
    if not 0 < radius_km <= 5000:
        raise InvalidCap(f"<circle> radius {radius_km} km must be > 0 and <= 5000")
    forward = Transformer.from_crs("EPSG:4326", metric_crs, always_xy=True)
    back = Transformer.from_crs(metric_crs, "EPSG:4326", always_xy=True)
    x, y = forward.transform(lon, lat)
    disc = shapely.Point(x, y).buffer(radius_km * 1000.0, quad_segs=16)
    return shapely.transform(disc, lambda xy: _stack(back.transform(xy[:, 0], xy[:, 1])))


def _stack(xy: tuple) -> np.ndarray:
    return np.column_stack(xy)


def area_geometry(
    infos: tuple[CapInfo, ...], *, metric_crs: str = DEFAULT_METRIC_CRS
) -> shapely.Geometry | None:
    """The union of every polygon and circle of every area, or None when there is none."""
    parts = []
    for info in infos:
        for area in info.areas:
            parts += [polygon_from_cap(p) for p in area.polygons]
            parts += [circle_from_cap(c, metric_crs=metric_crs) for c in area.circles]
    return shapely.union_all(parts) if parts else None
