"""Reading the demo city's real geography: district polygons from geotool-cn, river, sea, places.

District polygons are derived at run time from the installed package ``geotool-cn`` (data
from DataV/Amap without an open data licence, so they are never stored in this repository).
Its geometry decoder is internal, hence the exact version pin checked here.
"""

from __future__ import annotations

import importlib.metadata
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

GEOTOOL_CN_VERSION = "3.1.0"
WGS84 = "EPSG:4326"

#: district_code -> (name_zh, name_en), in the order earlier districts win shared borders.
DISTRICTS: dict[str, tuple[str, str]] = {
    "445102": ("湘桥区", "Xiangqiao District"),
    "445103": ("潮安区", "Chao'an District"),
    "445122": ("饶平县", "Raoping County"),
}

#: Box (lon/lat) the river and sea layers are clipped to: the city plus a margin.
CITY_BOX = (116.25, 23.30, 117.30, 24.35)

_COORD_SCALE = 100_000.0  # geotool-cn stores integer 1e-5 degrees


class GeotoolVersionError(RuntimeError):
    """The installed geotool-cn is not the version whose internal decoder we rely on."""


def _data_path(name: str) -> Path:
    return Path(str(resources.files("ingest.demo_city").joinpath("data", name)))


def _check_geotool_version() -> None:
    try:
        installed = importlib.metadata.version("geotool-cn")
    except importlib.metadata.PackageNotFoundError as exc:
        raise GeotoolVersionError(
            f"geotool-cn=={GEOTOOL_CN_VERSION} is required to derive the demo city's "
            "district boundaries, and it is not installed"
        ) from exc
    if installed != GEOTOOL_CN_VERSION:
        raise GeotoolVersionError(
            f"geotool-cn=={GEOTOOL_CN_VERSION} is required (its internal geometry decoder "
            f"is read directly), found {installed}; install the pinned version"
        )


def _decode_district(data: object, code: str) -> BaseGeometry:
    index = data.index_of(code, "district")  # type: ignore[attr-defined]
    if index is None:
        raise LookupError(f"district {code} not found in geotool-cn")
    decoded = data.geometry(index)  # type: ignore[attr-defined]
    if decoded is None:
        raise LookupError(f"geotool-cn carries no geometry for district {code}")
    _bbox, polygons = decoded
    parts = []
    for rings in polygons:
        coords = [
            np.column_stack([np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)])
            / _COORD_SCALE
            for xs, ys in rings
        ]
        parts.append(shapely.Polygon(coords[0], coords[1:]))
    return shapely.MultiPolygon(parts)


def _as_multipolygon(geom: BaseGeometry) -> shapely.MultiPolygon:
    polys = [
        g for g in shapely.get_parts(geom) if isinstance(g, shapely.Polygon) and not g.is_empty
    ]
    return shapely.MultiPolygon(polys)


def load_district_boundaries() -> gpd.GeoDataFrame:
    """Read the three districts of Chaozhou from the installed geotool-cn package.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``district_code``, ``name_zh``, ``name_en``, ``geometry`` (valid, mutually
        disjoint MultiPolygons), CRS EPSG:4326. For demonstration only: a real deployment
        imports official boundaries through the grid import.

    Raises
    ------
    GeotoolVersionError
        geotool-cn is missing or not exactly version 3.1.0.
    """
    _check_geotool_version()
    from GeoToolCN import GeoTool

    with GeoTool() as tool:
        # the decoder copies vertices out of the memory map, so closing it afterwards is safe
        raw = [_decode_district(tool._data, code) for code in DISTRICTS]
    geoms: list[BaseGeometry] = []
    taken: BaseGeometry | None = None
    for geom in raw:
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        if taken is not None:
            # One source, but shared borders may overlap slightly: earlier districts win.
            geom = shapely.difference(geom, taken)
        geoms.append(_as_multipolygon(geom))
        taken = geom if taken is None else shapely.union(taken, geom)
    return gpd.GeoDataFrame(
        {
            "district_code": list(DISTRICTS),
            "name_zh": [v[0] for v in DISTRICTS.values()],
            "name_en": [v[1] for v in DISTRICTS.values()],
        },
        geometry=geoms,
        crs=WGS84,
    )


def _read_layer(name: str) -> gpd.GeoDataFrame:
    frame = pyogrio.read_dataframe(_data_path(name))
    if frame.crs is None:
        frame = frame.set_crs(WGS84)
    return frame.to_crs(WGS84)


def load_rivers() -> gpd.GeoDataFrame:
    """Read the Han River (韩江) lines, clipped to a box around the city.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``name_zh``, ``name_en``, ``source``, ``synthetic`` (False), ``geometry``
        (LineString), CRS EPSG:4326. Coarse data: the line passes up to ~0.8 km from the
        real banks.
    """
    frame = _read_layer("chaozhou_rivers_wdb2.geojson")
    clipped = shapely.clip_by_rect(frame.geometry.values, *CITY_BOX)
    lines = [
        part
        for geom in clipped
        for part in shapely.get_parts(geom)
        if isinstance(part, shapely.LineString) and not part.is_empty
    ]
    return gpd.GeoDataFrame(
        {
            "name_zh": ["韩江"] * len(lines),
            "name_en": ["Han River"] * len(lines),
            "source": ["CIA World Data Bank II"] * len(lines),
            "synthetic": [False] * len(lines),
        },
        geometry=lines,
        crs=WGS84,
    )


def load_sea() -> gpd.GeoDataFrame:
    """Read the sea (Natural Earth 10m ocean) clipped to a box around the city.

    Returns
    -------
    geopandas.GeoDataFrame
        One row: ``name_zh``, ``name_en``, ``source``, ``synthetic`` (False), ``geometry``
        (MultiPolygon), CRS EPSG:4326.
    """
    frame = _read_layer("chaozhou_sea_ne10m.geojson")
    geom = shapely.clip_by_rect(shapely.union_all(frame.geometry.values), *CITY_BOX)
    return gpd.GeoDataFrame(
        {
            "name_zh": ["南海"],
            "name_en": ["South China Sea"],
            "source": ["Natural Earth 10m"],
            "synthetic": [False],
        },
        geometry=[_as_multipolygon(geom)],
        crs=WGS84,
    )


def load_places() -> gpd.GeoDataFrame:
    """Read the city points (Chaozhou, Shantou) from Natural Earth populated places.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns as in the file (``name``, ``nameascii``, ``pop_max``, ``scalerank``) and
        ``geometry`` (Point), CRS EPSG:4326.
    """
    return _read_layer("chaozhou_places_ne10m.geojson")
