"""The offline base map: sea, land, rivers, roads and boundaries from the city's own vectors."""

from __future__ import annotations

import geopandas as gpd

from layers.geometry import line_paths, polygon_rings
from layers.palette import (
    DISTRICT_LINE,
    LAND,
    RIVER,
    ROAD,
    ROAD_WIDTH_M,
    SEA,
    STREET_LINE,
)
from layers.spec import LayerSpec


def _polygons(gdf: gpd.GeoDataFrame) -> list[dict]:
    return [{"polygon": rings} for geom in gdf.geometry for rings in polygon_rings(geom)]


def _paths(gdf: gpd.GeoDataFrame, **extra: object) -> list[dict]:
    return [{"path": p, **extra} for geom in gdf.geometry for p in line_paths(geom)]


def _fill(layer_id: str, gdf: gpd.GeoDataFrame, color: list[int]) -> LayerSpec:
    return LayerSpec(
        "PolygonLayer",
        layer_id,
        _polygons(gdf),
        {
            "getPolygon": "polygon",
            "getFillColor": color,
            "stroked": False,
            "filled": True,
            "pickable": False,
        },
    )


def _lines(layer_id: str, data: list[dict], color: list[int], width_px: float) -> LayerSpec:
    return LayerSpec(
        "PathLayer",
        layer_id,
        data,
        {
            "getPath": "path",
            "getColor": color,
            "getWidth": 1,
            "widthUnits": "pixels",
            "widthMinPixels": width_px,
            "pickable": False,
        },
    )


def build_base_layers(
    *,
    districts: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
    sea: gpd.GeoDataFrame,
    rivers: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
) -> tuple[list[LayerSpec], list[LayerSpec]]:
    """Layers drawn under the thematic layers and over them (boundary outlines).

    Returns
    -------
    (below, above)
        ``below``: sea, land, rivers, roads; ``above``: street and district outlines.
    """
    for name, gdf in {
        "districts": districts,
        "streets": streets,
        "sea": sea,
        "rivers": rivers,
        "roads": roads,
    }.items():
        if len(gdf) and (gdf.crs is None or gdf.crs.to_epsg() != 4326):
            raise ValueError(f"{name} must be in EPSG:4326")
    road_rows = []
    for road_class, geom in zip(roads.get("road_class", []), roads.geometry):
        for p in line_paths(geom):
            road_rows.append(
                {
                    "path": p,
                    "color": ROAD.get(road_class, ROAD["local"]),
                    "width": ROAD_WIDTH_M.get(road_class, 8),
                }
            )
    below = [
        _fill("base-sea", sea, SEA),
        _fill("base-land", districts, LAND),
        LayerSpec(
            "PathLayer",
            "base-roads",
            road_rows,
            {
                "getPath": "path",
                "getColor": "color",
                "getWidth": "width",
                "widthUnits": "meters",
                "widthMinPixels": 0.6,
                "pickable": False,
            },
        ),
        _lines("base-rivers", _paths(rivers), RIVER, 2.0),
    ]
    above = [
        _lines("base-streets", _paths(streets), STREET_LINE, 0.8),
        _lines("base-districts", _paths(districts), DISTRICT_LINE, 2.2),
    ]
    return below, above
