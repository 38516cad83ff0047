"""Reading the city's geography from the store as GeoDataFrames (WKB → Shapely)."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from models.security import Scope
from models.store import Store

CRS = "EPSG:4326"


def _to_gdf(df: pd.DataFrame, column: str = "geom_wkb") -> gpd.GeoDataFrame:
    wkb = np.array([bytes(b) if b is not None else None for b in df[column]], dtype=object)
    geometry = shapely.from_wkb(wkb) if len(wkb) else []
    return gpd.GeoDataFrame(df.drop(columns=[column]), geometry=geometry, crs=CRS)


def current_grid_version(store: Store) -> int | None:
    """The grid version in force now (``valid_to`` unset), or None before any import."""
    return store.query_value("SELECT max(version_id) FROM grid_versions WHERE valid_to IS NULL")


def load_cells(
    store: Store,
    *,
    scope: Scope | None = None,
    version: int | None = None,
    bbox: Sequence[float] | None = None,
) -> gpd.GeoDataFrame:
    """Unit grid cells of one grid version (default: current), limited to ``scope`` and,
    with ``bbox`` (west, south, east, north), to the cells whose bounds meet the box (read
    from the stored bounds, so only those geometries are decoded)."""
    version = current_grid_version(store) if version is None else version
    where, params = (scope or Scope("city")).sql_filter("c.cell_code")
    if bbox is not None:
        west, south, east, north = (float(v) for v in bbox)
        where += " AND c.max_lon >= ? AND c.min_lon <= ? AND c.max_lat >= ? AND c.min_lat <= ?"
        params += [west, east, south, north]
    df = store.query_df(
        "SELECT c.cell_code, c.district_code, c.street_code, c.community_code, c.seq, "
        "c.size_class, c.responsible_body, c.grid_workers, c.area_m2, c.centroid_lon, "
        "c.centroid_lat, c.synthetic, c.geom_wkb, "
        "d.name_zh AS district_name, s.name_zh AS street_name, m.name_zh AS community_name "
        "FROM grid_cells c "
        "LEFT JOIN admin_areas d ON d.code = c.district_code "
        "LEFT JOIN admin_areas s ON s.code = c.street_code "
        "LEFT JOIN admin_areas m ON m.code = c.community_code "
        f"WHERE c.version_id = ? AND {where} ORDER BY c.cell_code",
        [version, *params],
    )
    return _to_gdf(df)


def load_admin_areas(store: Store, level: str, *, scope: Scope | None = None) -> gpd.GeoDataFrame:
    """Districts, streets or communities (``level``) with polygons, within ``scope``.

    An area is kept when it lies inside the scope or contains part of it (a street user
    still sees the outline of their district).
    """
    where, params = "TRUE", []
    if scope is not None and scope.kind != "city":
        # Narrow every scope to the street (or district) codes it touches.
        prefix_len = 6 if scope.kind == "district" else 9
        prefixes = sorted({code[:prefix_len] for code in scope.codes})
        n = min(prefix_len, _CODE_LEN[level])
        params = sorted({p[:n] for p in prefixes})
        where = f"substr(code, 1, {n}) IN ({', '.join('?' for _ in params)})"
    df = store.query_df(
        "SELECT code, parent_code, name_zh, name_en, kind, synthetic, geom_wkb FROM admin_areas "
        f"WHERE level = ? AND geom_wkb IS NOT NULL AND {where} ORDER BY code",
        [level, *params],
    )
    return _to_gdf(df)


_CODE_LEN = {"city": 6, "district": 6, "street": 9, "community": 12}


def load_base_features(store: Store, layer: str) -> gpd.GeoDataFrame:
    """Base-map features of one layer: ``river``, ``sea`` or ``landmark``."""
    df = store.query_df(
        "SELECT feature_id, name_zh, name_en, kind, synthetic, geom_wkb FROM base_features "
        "WHERE layer = ? ORDER BY feature_id",
        [layer],
    )
    return _to_gdf(df)


def load_roads(store: Store) -> gpd.GeoDataFrame:
    df = store.query_df(
        "SELECT segment_id, name_zh, road_class, free_flow_kmh, lanes, length_m, synthetic, "
        "geom_wkb FROM road_segments ORDER BY segment_id"
    )
    return _to_gdf(df)


def scope_bounds(store: Store, scope: Scope) -> tuple[float, float, float, float] | None:
    """(min_lon, min_lat, max_lon, max_lat) of the current cells inside ``scope``."""
    where, params = scope.sql_filter("cell_code")
    row = store.query_rows(
        "SELECT min(min_lon), min(min_lat), max(max_lon), max(max_lat) FROM grid_cells "
        "WHERE version_id = (SELECT max(version_id) FROM grid_versions WHERE valid_to IS NULL) "
        f"AND {where}",
        params,
    )[0]
    return None if row[0] is None else (row[0], row[1], row[2], row[3])


def first_street_cells(
    store: Store, district_code: str, *, limit: int = 12
) -> tuple[str, list[str]]:
    """The lowest-coded street of a district and up to ``limit`` cells of its lowest-coded
    community (the demo's street operator and grid worker take these as their scopes)."""
    street = store.query_value(
        "SELECT min(code) FROM admin_areas WHERE level = 'street' AND code LIKE ? || '%'",
        [district_code],
    )
    community = store.query_value(
        "SELECT min(community_code) FROM grid_cells WHERE street_code = ?", [street]
    )
    cells = store.query_rows(
        "SELECT cell_code FROM grid_cells WHERE community_code = ? ORDER BY cell_code LIMIT ?",
        [community, limit],
    )
    return street, [row[0] for row in cells]
