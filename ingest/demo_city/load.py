"""Writing a generated demo city into the store in one transaction (all or nothing)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import shapely

from models.store import Store, WriteTx

if TYPE_CHECKING:
    from ingest.demo_city.generate import DemoCity

log = logging.getLogger(__name__)

DEMO_SOURCE = "CityOps demo generator (synthetic inside real district boundaries)"
BOUNDARY_SOURCE = "geotool-cn 3.1.0 (for demonstration only; import official boundaries)"
CITY_NAMES = {"name_zh": "潮州市", "name_en": "Chaozhou"}


def _with_wkb(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    df = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    df["geom_wkb"] = shapely.to_wkb(gdf.geometry.values, output_dimension=2)
    return df


def _admin_rows(city: DemoCity) -> pd.DataFrame:
    d, s, c = city.districts, city.streets, city.communities
    city_geom = shapely.union_all(d.geometry.values)
    frames = [
        pd.DataFrame(
            {
                "code": ["445100"],
                "level": ["city"],
                "parent_code": [None],
                "name_zh": [CITY_NAMES["name_zh"]],
                "name_en": [CITY_NAMES["name_en"]],
                "kind": ["地级市"],
                "geom_wkb": [shapely.to_wkb(city_geom)],
                "synthetic": [False],
                "source": [BOUNDARY_SOURCE],
            }
        ),
        _with_wkb(d).assign(
            code=d["district_code"].values,
            level="district",
            parent_code="445100",
            kind=["县" if n.endswith("县") else "区" for n in d["name_zh"]],
            synthetic=False,
            source=BOUNDARY_SOURCE,
        ),
        _with_wkb(s).assign(
            code=s["street_code"].values,
            level="street",
            parent_code=s["district_code"].values,
            name_en=None,
            synthetic=True,
            source=DEMO_SOURCE,
        ),
        _with_wkb(c).assign(
            code=c["community_code"].values,
            level="community",
            parent_code=c["street_code"].values,
            name_en=None,
            synthetic=True,
            source=DEMO_SOURCE,
        ),
    ]
    cols = [
        "code",
        "level",
        "parent_code",
        "name_zh",
        "name_en",
        "kind",
        "geom_wkb",
        "synthetic",
        "source",
    ]
    return pd.concat([f[cols] for f in frames], ignore_index=True)


def _cell_rows(cells: gpd.GeoDataFrame, version_id: int) -> pa.Table:
    bounds = shapely.bounds(cells.geometry.values)
    df = pd.DataFrame(
        {
            "version_id": version_id,
            "cell_code": cells["cell_code"].values,
            "district_code": cells["district_code"].values,
            "street_code": cells["street_code"].values,
            "community_code": cells["community_code"].values,
            "seq": cells["seq"].astype("int32").values,
            "size_class": cells["size_class"].values,
            "responsible_body": cells["responsible_body"].values,
            "area_m2": cells["area_m2"].astype(float).values,
            "centroid_lon": cells["centroid_lon"].values,
            "centroid_lat": cells["centroid_lat"].values,
            "min_lon": bounds[:, 0],
            "min_lat": bounds[:, 1],
            "max_lon": bounds[:, 2],
            "max_lat": bounds[:, 3],
            "geom_wkb": shapely.to_wkb(cells.geometry.values, output_dimension=2),
            "synthetic": cells["synthetic"].astype(bool).values,
        }
    )
    table = pa.Table.from_pandas(df, preserve_index=False)
    if "population" in cells:  # synthetic residents (ingest/demo_city/population.py)
        people = [None if pd.isna(v) else int(v) for v in cells["population"]]
        table = table.append_column("population", pa.array(people, pa.int32()))
    workers = pa.array([list(w) for w in cells["grid_workers"]], type=pa.list_(pa.string()))
    return table.append_column("grid_workers", workers)


def _base_rows(city: DemoCity) -> pd.DataFrame:
    frames = []
    for layer, gdf in (("river", city.rivers), ("sea", city.sea), ("landmark", city.landmarks)):
        df = _with_wkb(gdf)
        frames.append(
            pd.DataFrame(
                {
                    "feature_id": [f"{layer}-{i:03d}" for i in range(len(df))],
                    "layer": layer,
                    "name_zh": df.get("name_zh", pd.Series([None] * len(df))).values,
                    "name_en": df.get("name_en", pd.Series([None] * len(df))).values,
                    "kind": df.get("kind", pd.Series([layer] * len(df))).values,
                    "geom_wkb": df["geom_wkb"].values,
                    "synthetic": df.get("synthetic", pd.Series([False] * len(df)))
                    .astype(bool)
                    .values,
                    "source": {
                        "river": "CIA World Data Bank II",
                        "sea": "Natural Earth 10m",
                        "landmark": "approximate positions",
                    }[layer],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _cell_of_points(points: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> pd.Series:
    joined = gpd.sjoin(
        points[["geometry"]], cells[["cell_code", "geometry"]], how="left", predicate="within"
    )
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined["cell_code"].reindex(points.index)


def load_demo_city(store: Store, city: DemoCity, *, now: datetime) -> dict[str, int]:
    """Write the demo city as grid version 1 in one transaction; refuse a non-empty grid.

    Returns the row count written per table.
    """
    if store.query_value("SELECT count(*) FROM grid_versions"):
        raise ValueError(
            "this database already holds a grid; the demo city loads only into an empty one"
        )
    version_id = 1
    admin = _admin_rows(city)
    cells = _cell_rows(city.cells, version_id)
    base = _base_rows(city)
    roads = _with_wkb(city.roads)  # columns as the generator builds them: the table's
    sensors = city.sensors.copy()
    sensors["cell_code"] = _cell_of_points(sensors, city.cells).values
    sensors["grid_version"] = version_id
    sensors = pd.DataFrame(sensors.drop(columns="geometry")).rename(
        columns={"warning_level_m": "warning_level", "danger_level_m": "danger_level"}
    )
    resources = pd.DataFrame(city.resources.drop(columns="geometry"))
    resources["position_at"] = now
    cameras = pd.DataFrame(city.cameras.drop(columns="geometry")).assign(imported_at=now)

    def write(tx: WriteTx) -> dict[str, int]:
        counts = {
            "admin_areas": tx.append("admin_areas", admin),
            "grid_cells": tx.append("grid_cells", cells),
            "base_features": tx.append("base_features", base),
            "road_segments": tx.append("road_segments", roads),
            "sensors": tx.append("sensors", sensors),
            "resources": tx.append("resources", resources),
            "cameras": tx.append("cameras", cameras),
        }
        tx.execute(
            "INSERT INTO grid_versions VALUES (?, ?, ?, NULL, ?, ?, ?, ?)",
            [
                version_id,
                "演示网格 demo grid v1",
                now,
                DEMO_SOURCE,
                now,
                cells.num_rows,
                "synthetic cells inside real district boundaries; for demonstration only",
            ],
        )
        return counts

    counts = store.write(write)
    store.audit("demo.load", actor="cli", detail=str(counts), at=now)
    log.info("demo city loaded", extra=counts)
    return counts
