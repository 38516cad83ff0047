"""Where an incident is: the city's extent, and the district holding a point or most of an
area (from the admin areas' outlines)."""

from __future__ import annotations

import shapely
from shapely.geometry.base import BaseGeometry

from models.geography import load_admin_areas
from models.store import Store


def city_extent(store: Store) -> tuple[float, float, float, float] | None:
    """(min_lon, min_lat, max_lon, max_lat) of the city: its outline, else its districts',
    else its grid cells'; None before any geography is loaded."""
    for level in ("city", "district"):
        areas = load_admin_areas(store, level)
        if len(areas):
            x0, y0, x1, y1 = shapely.total_bounds(areas.geometry.values)
            return float(x0), float(y0), float(x1), float(y1)
    row = store.query_rows(
        "SELECT min(min_lon), min(min_lat), max(max_lon), max(max_lat) FROM grid_cells "
        "WHERE version_id = (SELECT max(version_id) FROM grid_versions WHERE valid_to IS NULL)"
    )[0]
    return None if row[0] is None else (row[0], row[1], row[2], row[3])


def district_of(store: Store, geom: BaseGeometry) -> str | None:
    """The code of the district that holds the point, or the largest part of the area;
    None outside every district (at sea, or before the outlines are loaded)."""
    districts = load_admin_areas(store, "district")
    if not len(districts):
        return None
    shapes = districts.geometry.values
    if isinstance(geom, shapely.Point):
        inside = shapely.covers(shapes, geom)
        hits = districts["code"].values[inside]
        return str(hits[0]) if len(hits) else None
    overlap = shapely.area(shapely.intersection(shapes, geom))
    best = int(overlap.argmax())
    return str(districts["code"].values[best]) if overlap[best] > 0 else None
