"""Real landmarks of Chaozhou at approximate positions: bridge, old city, station, port, centre."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from ingest.demo_city.anchors import OLD_CITY_BOX, REAL_POINTS, WGS84


def _old_city_outline() -> shapely.Polygon:
    """The old city (古城) as a box with the river-side corners cut, roughly its wall line."""
    x0, y0, x1, y1 = OLD_CITY_BOX
    cut = 0.0015
    return shapely.Polygon(
        [
            (x0, y0 + cut),
            (x0 + cut, y0),
            (x1 - cut, y0),
            (x1, y0 + cut),
            (x1, y1 - cut),
            (x1 - cut, y1),
            (x0 + cut, y1),
            (x0, y1 - cut),
        ]
    )


def build_landmarks(places: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """List the landmarks shown on the map.

    Parameters
    ----------
    places : GeoDataFrame
        From :func:`load_places` (EPSG:4326); its "Chaozhou" point is the city centre.

    Returns
    -------
    GeoDataFrame in EPSG:4326
        ``name_zh``, ``name_en``, ``kind``, ``synthetic`` (False: real places, approximate
        positions), ``geometry`` (Point, or Polygon for the old city).
    """
    if places.crs is None or places.crs.to_epsg() != 4326:
        raise ValueError("places must be in EPSG:4326")
    rows = [(zh, en, kind, shapely.Point(lon, lat)) for zh, en, kind, lon, lat in REAL_POINTS]
    rows.insert(2, ("潮州古城", "Chaozhou Old City", "old_city", _old_city_outline()))
    centre = places[places["name"] == "Chaozhou"]
    if len(centre):
        rows.append(("潮州市中心", "Chaozhou city centre", "city_centre", centre.geometry.iloc[0]))
    return gpd.GeoDataFrame(
        {
            "name_zh": [r[0] for r in rows],
            "name_en": [r[1] for r in rows],
            "kind": [r[2] for r in rows],
            "synthetic": np.zeros(len(rows), dtype=bool),
        },
        geometry=[r[3] for r in rows],
        crs=WGS84,
    )
