"""Entry point: generate the whole demo city (Chaozhou) from a seed, as lon/lat GeoDataFrames."""

from __future__ import annotations

from dataclasses import dataclass, fields

import geopandas as gpd
import numpy as np
import shapely

from ingest.demo_city.anchors import UTM50N, WGS84
from ingest.demo_city.boundaries import load_district_boundaries, load_places, load_rivers, load_sea
from ingest.demo_city.cameras import build_cameras
from ingest.demo_city.cells import build_cells
from ingest.demo_city.communities import build_communities
from ingest.demo_city.duty import assign_duty
from ingest.demo_city.geomutil import GRID_M, xy_to_lonlat
from ingest.demo_city.landmarks import build_landmarks
from ingest.demo_city.population import synthetic_population
from ingest.demo_city.registry import load_communities, load_towns
from ingest.demo_city.resources import build_resources
from ingest.demo_city.roads import build_roads
from ingest.demo_city.sensors import build_sensors
from ingest.demo_city.streets import build_streets

DEFAULT_SEED = 20261124

STREET_COLUMNS = ["street_code", "district_code", "name_zh", "kind", "synthetic", "geometry"]
COMMUNITY_COLUMNS = [
    "community_code",
    "street_code",
    "district_code",
    "name_zh",
    "name_full",
    "kind",
    "synthetic",
    "geometry",
]
CELL_COLUMNS = [
    "cell_code",
    "district_code",
    "street_code",
    "community_code",
    "seq",
    "size_class",
    "cell_size_m",
    "responsible_body",
    "grid_workers",
    "area_m2",
    "centroid_lon",
    "centroid_lat",
    "population",
    "synthetic",
    "geometry",
]
ROAD_COLUMNS = [
    "segment_id",
    "name_zh",
    "road_class",
    "free_flow_kmh",
    "lanes",
    "length_m",
    "synthetic",
    "geometry",
]
SENSOR_COLUMNS = [
    "sensor_id",
    "kind",
    "lon",
    "lat",
    "interval_s",
    "owner",
    "installed_on",
    "zone",
    "warning_level_m",
    "danger_level_m",
    "segment_id",
    "synthetic",
    "geometry",
]
CAMERA_COLUMNS = [
    "camera_id",
    "name",
    "lon",
    "lat",
    "camera_class",
    "stream_url",
    "owner",
    "synthetic",
    "geometry",
]
RESOURCE_COLUMNS = [
    "resource_id",
    "kind",
    "subtype",
    "name_zh",
    "name_en",
    "status",
    "capacity",
    "stock",
    "district_code",
    "lon",
    "lat",
    "synthetic",
    "geometry",
]


@dataclass(frozen=True)
class DemoCity:
    """The generated demo city; every layer is a GeoDataFrame in EPSG:4326.

    Generated layers carry ``synthetic=True``; real names are kept as names only. The
    district boundaries are derived from geotool-cn for demonstration: a real deployment
    imports its official boundaries and grids.
    """

    districts: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    sensors: gpd.GeoDataFrame
    resources: gpd.GeoDataFrame
    cameras: gpd.GeoDataFrame
    landmarks: gpd.GeoDataFrame
    rivers: gpd.GeoDataFrame
    sea: gpd.GeoDataFrame

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """All layers by name, in a fixed order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _to_wgs84(frame: gpd.GeoDataFrame, columns: list[str]) -> gpd.GeoDataFrame:
    out = frame.to_crs(WGS84)
    return gpd.GeoDataFrame(out[columns].reset_index(drop=True), geometry="geometry", crs=WGS84)


def _with_lonlat(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    lon, lat = xy_to_lonlat(
        shapely.get_x(frame.geometry.values), shapely.get_y(frame.geometry.values)
    )
    return frame.assign(lon=lon, lat=lat)


def _community_kind(frame: gpd.GeoDataFrame) -> np.ndarray:
    short = frame["name_zh"].to_numpy(dtype=object)
    kind = np.where(frame["urban"].to_numpy(dtype=bool), "社区", "村").astype(object)
    kind[[not (u or s.endswith("村")) for u, s in zip(frame["urban"], short)]] = "其他"
    return kind


def generate_demo_city(*, seed: int = DEFAULT_SEED) -> DemoCity:
    """Generate the demo city deterministically from ``seed``, offline, without a database.

    Districts are real (derived from geotool-cn); town zones, communities, unit grid cells,
    roads, sensors, emergency resources and cameras are generated inside them and named with the
    real town and community names. Metric work is done in UTM 50N (EPSG:32650).

    Parameters
    ----------
    seed : int
        The same seed gives identical layers; another seed gives other zones and cells.

    Returns
    -------
    DemoCity
    """
    districts = load_district_boundaries()
    districts_utm = districts.to_crs(UTM50N)
    districts_utm["geometry"] = shapely.set_precision(districts_utm.geometry.values, GRID_M)
    rivers = load_rivers()
    rivers_utm = rivers.to_crs(UTM50N)

    streets_utm = build_streets(districts_utm, load_towns(), seed=seed)
    communities_utm = build_communities(streets_utm, load_communities(), seed=seed)
    cells_utm = build_cells(communities_utm, streets_utm)
    urban_codes = set(cells_utm.loc[cells_utm["size_class"] == "urban", "community_code"])
    urban_area = shapely.union_all(
        communities_utm[communities_utm["community_code"].isin(urban_codes)].geometry.values,
        grid_size=GRID_M,
    )
    roads_utm = build_roads(streets_utm, urban_area, seed=seed)
    cells_utm = assign_duty(cells_utm, communities_utm, roads_utm, rivers_utm, seed=seed)
    sensors_utm = build_sensors(streets_utm, urban_area, roads_utm, rivers_utm, seed=seed)
    resources_utm = build_resources(districts_utm, streets_utm, rivers_utm, seed=seed)
    cameras_utm = build_cameras(roads_utm, urban_area, seed=seed)

    centroid = shapely.centroid(cells_utm.geometry.values)
    c_lon, c_lat = xy_to_lonlat(shapely.get_x(centroid), shapely.get_y(centroid))
    cells_utm = cells_utm.assign(
        area_m2=shapely.area(cells_utm.geometry.values),
        centroid_lon=c_lon,
        centroid_lat=c_lat,
        synthetic=True,
    )
    cells_utm["population"] = synthetic_population(cells_utm)  # synthetic, not census
    communities_utm = communities_utm.assign(kind=_community_kind(communities_utm))
    return DemoCity(
        districts=districts,
        streets=_to_wgs84(streets_utm, STREET_COLUMNS),
        communities=_to_wgs84(communities_utm, COMMUNITY_COLUMNS),
        cells=_to_wgs84(cells_utm, CELL_COLUMNS),
        roads=_to_wgs84(roads_utm, ROAD_COLUMNS),
        sensors=_to_wgs84(_with_lonlat(sensors_utm), SENSOR_COLUMNS),
        resources=_to_wgs84(_with_lonlat(resources_utm), RESOURCE_COLUMNS),
        cameras=_to_wgs84(_with_lonlat(cameras_utm), CAMERA_COLUMNS),
        landmarks=build_landmarks(load_places()),
        rivers=rivers,
        sea=load_sea(),
    )
