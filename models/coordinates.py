"""What counts as a place on Earth: finite lon/lat within [-180, 180] × [-90, 90]."""

from __future__ import annotations

import math

LON_RANGE = (-180.0, 180.0)
LAT_RANGE = (-90.0, 90.0)
#: Metres per degree of latitude (and of longitude at the equator), on a sphere: for boxes
#: and short distances; exact lengths are measured in the configured metric CRS.
METRES_PER_DEGREE = 111_320.0


def degree_box(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """``(min_lon, min_lat, max_lon, max_lat)`` of a box holding the circle of ``radius_m``
    around the point (degrees of longitude shrink with latitude)."""
    dlat = radius_m / METRES_PER_DEGREE
    dlon = dlat / max(math.cos(math.radians(min(abs(lat) + dlat, 89.9))), 1e-6)
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


def coordinates_problem(lon: float | None, lat: float | None) -> str | None:
    """Why ``(lon, lat)`` is not a place on Earth, or None when it is (or when both are
    missing: a report located by its area code instead).

    Parameters
    ----------
    lon, lat
        Degrees (WGS 84).

    Returns
    -------
    str or None
        A reason a person can act on, e.g. ``"coordinates nan, 23.6707 are not finite
        numbers"``.
    """
    if lon is None and lat is None:
        return None
    shown = f"{lon}, {lat}"
    if lon is None or lat is None:
        return f"coordinates {shown}: longitude and latitude go together"
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        return f"coordinates {shown} are not numbers"
    if not (math.isfinite(x) and math.isfinite(y)):
        return f"coordinates {shown} are not finite numbers"
    if not (LON_RANGE[0] <= x <= LON_RANGE[1] and LAT_RANGE[0] <= y <= LAT_RANGE[1]):
        return (
            f"coordinates {shown} are not a place on Earth "
            "(longitude within [-180, 180], latitude within [-90, 90])"
        )
    return None


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Metres between two nearby points (equirectangular: good to well under 1 % over the
    few kilometres it is used for — duplicates, arrivals at a scene, cases near an incident)."""
    dx = (lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2)) * METRES_PER_DEGREE
    dy = (lat2 - lat1) * METRES_PER_DEGREE
    return math.hypot(dx, dy)
