"""Turning Shapely geometries into the nested coordinate lists deck.gl layers read."""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

#: 5 decimals of a degree is about 1 m: enough for a city map, half the JSON of full floats.
PRECISION = 5


def _ring(coords: Any) -> list[list[float]]:
    return [[round(x, PRECISION), round(y, PRECISION)] for x, y in coords]


def polygon_rings(geom: BaseGeometry) -> list[list[list[list[float]]]]:
    """Each polygon part as [exterior, *holes]; a MultiPolygon gives several parts."""
    parts = getattr(geom, "geoms", [geom])
    out = []
    for part in parts:
        if part.is_empty or part.geom_type != "Polygon":
            continue
        out.append([_ring(part.exterior.coords), *(_ring(h.coords) for h in part.interiors)])
    return out


def line_paths(geom: BaseGeometry) -> list[list[list[float]]]:
    """Each line part as a path; polygon outlines give their rings as paths."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        geom = shapely.boundary(geom)
    parts = getattr(geom, "geoms", [geom])
    return [_ring(p.coords) for p in parts if not p.is_empty and p.geom_type == "LineString"]
