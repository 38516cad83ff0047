"""Every layer of the one map as a file for GIS users: the list of exportable layers, each
read at an instant through the same functions the wall draws from (replay included) and in
the caller's scope, and written as GeoJSON or a GeoPackage.

Scope: cases, sensors and grid cells are the scope's (a district's, a street's, a grid
worker's cells); resources and shelters those of the scope's districts and the city's own;
incidents, warning areas, traffic and cameras are city-wide for every scope, as on the wall.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import IO

import geopandas as gpd

from layers.export import geojson_bytes
from layers.export_shapes import (
    camera_features,
    case_features,
    grid_cell_features,
    incident_features,
    resource_features,
    sensor_features,
    traffic_features,
    warning_area_features,
)
from models.emergency.cameras import all_cameras
from models.geography import load_cells
from models.map_state import (
    case_counts_by_cell,
    cases_at,
    incidents_at,
    resources_at,
    sensors_at,
    traffic_at,
    warning_areas_at,
)
from models.security import Scope
from models.store import Store
from models.work_calendar import WorkCalendar


@dataclass(frozen=True)
class Moment:
    """What a layer is read with: the store, the caller's scope, the instant (naive UTC),
    the working calendar (SLA) and the local time zone (noise limits by day or night)."""

    store: Store
    scope: Scope
    at: datetime
    calendar: WorkCalendar
    tz: str


@dataclass(frozen=True)
class ExportLayer:
    """One exportable layer: its feature id column, what it is, and how it is read."""

    key: str
    about: str
    read: Callable[[Moment], gpd.GeoDataFrame]


def _cells(m: Moment) -> gpd.GeoDataFrame:
    counts = case_counts_by_cell(m.store, m.scope, at=m.at, calendar=m.calendar)
    return grid_cell_features(load_cells(m.store, scope=m.scope), counts)


def _cases(m: Moment) -> gpd.GeoDataFrame:
    return case_features(cases_at(m.store, m.scope, at=m.at, calendar=m.calendar))


def _sensors(m: Moment) -> gpd.GeoDataFrame:
    return sensor_features(sensors_at(m.store, m.scope, at=m.at, tz=m.tz))


def _resources(m: Moment, *, shelters: bool) -> gpd.GeoDataFrame:
    return resource_features(resources_at(m.store, m.scope, at=m.at), shelters=shelters)


#: The exportable layers by name (the wall's layer ids), in the order they are listed.
LAYERS: dict[str, ExportLayer] = {
    "grid-cells": ExportLayer(
        "cell_code", "unit grid cells (current version) with open and overdue cases", _cells
    ),
    "cases": ExportLayer("case_id", "cases open at the instant", _cases),
    "sensors": ExportLayer("sensor_id", "sensors with their level at the instant", _sensors),
    "traffic-segments": ExportLayer(
        "segment_id",
        "road segments with their congestion band",
        lambda m: traffic_features(traffic_at(m.store, at=m.at)),
    ),
    "incidents": ExportLayer(
        "incident_id",
        "emergency incidents open at the instant (area, else point)",
        lambda m: incident_features(incidents_at(m.store, m.scope, at=m.at)),
    ),
    "resources": ExportLayer(
        "resource_id",
        "emergency resources (teams, vehicles, depots, experts) where they were",
        lambda m: _resources(m, shelters=False),
    ),
    "shelters": ExportLayer(
        "resource_id", "emergency shelters", lambda m: _resources(m, shelters=True)
    ),
    "warning-areas": ExportLayer(
        "identifier",
        "CAP warning areas in force at the instant",
        lambda m: warning_area_features(warning_areas_at(m.store, m.scope, at=m.at)),
    ),
    "cameras": ExportLayer(
        "camera_id", "video surveillance cameras", lambda m: camera_features(all_cameras(m.store))
    ),
}
#: The media types of the two formats.
MEDIA = {"geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3"}


def layer_table(name: str, moment: Moment) -> gpd.GeoDataFrame:
    """Layer ``name`` at ``moment`` as a feature table (KeyError: no such layer)."""
    return LAYERS[name].read(moment)


def layer_geojson(name: str, moment: Moment) -> bytes:
    """Layer ``name`` at ``moment`` as RFC 7946 GeoJSON bytes."""
    return geojson_bytes(layer_table(name, moment), id_column=LAYERS[name].key)


def layer_gpkg(name: str, moment: Moment) -> IO[bytes]:
    """Layer ``name`` at ``moment`` as a GeoPackage, in an open file read from its start;
    the file is already removed from disk (gone once closed)."""
    table = layer_table(name, moment)
    folder = tempfile.mkdtemp(prefix="cityops-gpkg-")
    try:
        path = os.path.join(folder, f"{name}.gpkg")
        table.to_file(path, layer=name.replace("-", "_"), driver="GPKG", engine="pyogrio")
        return open(path, "rb")  # handed to the response, which closes it
    finally:
        shutil.rmtree(folder, ignore_errors=True)
