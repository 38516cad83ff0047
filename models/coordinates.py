"""What counts as a place on Earth: finite lon/lat within [-180, 180] × [-90, 90]."""

from __future__ import annotations

import math

LON_RANGE = (-180.0, 180.0)
LAT_RANGE = (-90.0, 90.0)


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
