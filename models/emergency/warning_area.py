"""A warning's area as geometry and as CAP text: drawn rings and circles, picked districts and
streets turned into simplified outlines from admin_areas, and the area's size bound."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyproj
import shapely

from models.emergency.warning_content import Lang, WarningArea, WarningInvalid
from models.store import Store

#: The area of one warning may be at most this large (Chaozhou is about 3,100 km²).
MAX_AREA_KM2 = 20_000.0
#: Widest span of one warning's area, in degrees of longitude or latitude (about 550 km).
MAX_EXTENT_DEG = 5.0
#: Points of the outline of one picked district or street as CAP carries it.
MAX_OUTLINE_POINTS = 400
#: Parts of a picked outline smaller than this share of it are left out (islets), and at
#: most this many parts are kept.
MIN_PART_SHARE = 0.005
MAX_PARTS = 10
#: The geocode scheme of a code: districts by GB/T 2260, streets and towns by GB/T 10114.
GEOCODE_SCHEME = {6: "GB/T 2260", 9: "GB/T 10114"}
DRAWN = Lang("地图绘制区域", "area drawn on the map")
_GEOD = pyproj.Geod(ellps="WGS84")


@dataclass(frozen=True)
class ResolvedArea:
    """The area as published: CAP polygons ("lat,lon" pairs, closed) and circles ("lat,lon
    radius_km"), geocodes, the description per language, and the union as lon/lat geometry."""

    polygons: tuple[str, ...]
    circles: tuple[str, ...]
    geocodes: tuple[tuple[str, str], ...]
    description: Lang
    geometry: shapely.Geometry

    def as_json(self) -> dict[str, Any]:
        """What is stored with the draft: approval and publication see the same area."""
        return {
            "polygons": list(self.polygons),
            "circles": list(self.circles),
            "geocodes": [list(g) for g in self.geocodes],
            "description": {"zh": self.description.zh, "en": self.description.en},
        }


@functools.cache
def _transformers(metric_crs: str) -> tuple[pyproj.Transformer, pyproj.Transformer]:
    forward = pyproj.Transformer.from_crs("EPSG:4326", metric_crs, always_xy=True)
    back = pyproj.Transformer.from_crs(metric_crs, "EPSG:4326", always_xy=True)
    return forward, back


def _apply(geometry: shapely.Geometry, transformer: pyproj.Transformer) -> shapely.Geometry:
    return shapely.transform(
        geometry, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
    )


def to_metric(geometry: shapely.Geometry, metric_crs: str) -> shapely.Geometry:
    """Lon/lat geometry in the metric CRS."""
    return _apply(geometry, _transformers(metric_crs)[0])


def _cap_ring(ring: Any) -> str:
    return " ".join(f"{lat:.6f},{lon:.6f}" for lon, lat in ring)


def circle_geometry(lon: float, lat: float, radius_km: float) -> shapely.Geometry:
    """A circle as a lon/lat polygon: buffered in an equidistant projection centred on it
    (true wherever it lies, unlike a UTM zone far from the city)."""
    local = pyproj.Transformer.from_crs(
        f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m", "EPSG:4326",
        always_xy=True,
    )  # fmt: skip
    return _apply(shapely.Point(0.0, 0.0).buffer(radius_km * 1000.0, quad_segs=16), local)


def area_km2(geometry: shapely.Geometry) -> float:
    """The geodesic area of a lon/lat geometry (on the WGS84 ellipsoid), in km²."""
    return abs(_GEOD.geometry_area_perimeter(geometry)[0]) / 1e6


def _outline(geometry: shapely.Geometry, metric_crs: str) -> list[shapely.Polygon]:
    """A district's or street's outline as at most :data:`MAX_PARTS` simple lon/lat
    polygons (holes dropped: CAP polygons have none) of few enough points."""
    forward, back = _transformers(metric_crs)
    metric = _apply(geometry, forward)
    parts = [p for p in shapely.get_parts(metric) if p.area >= MIN_PART_SHARE * metric.area]
    parts = sorted(parts, key=lambda p: -p.area)[:MAX_PARTS]
    out = []
    budget = max(4, MAX_OUTLINE_POINTS // max(1, len(parts)))
    for part in parts:
        shell = shapely.Polygon(part.exterior)
        tolerance = 20.0
        simple = shell.simplify(tolerance, preserve_topology=True)
        while len(simple.exterior.coords) > budget and tolerance < 5000:
            tolerance *= 1.6
            simple = shell.simplify(tolerance, preserve_topology=True)
        lonlat = shapely.set_precision(_apply(simple, back), 1e-6)
        pieces = [p for p in shapely.get_parts(lonlat) if shapely.get_type_id(p) == 3]
        out += [shapely.Polygon(p.exterior) for p in pieces if p.is_valid and p.area > 0]
    return out


def _admin(store: Store, codes: tuple[str, ...]) -> dict[str, tuple[str, str | None, bytes]]:
    if not codes:
        return {}
    marks = ", ".join("?" for _ in codes)
    rows = store.query_rows(
        "SELECT code, name_zh, name_en, geom_wkb FROM admin_areas WHERE level IN "
        f"('district', 'street') AND geom_wkb IS NOT NULL AND code IN ({marks})",
        list(codes),
    )
    return {code: (zh, en, bytes(wkb)) for code, zh, en, wkb in rows}


def _description(area: WarningArea, names: list[tuple[str, str]]) -> Lang:
    if area.description is not None:
        return area.description
    zh = [n[0] for n in names]
    en = [n[1] for n in names]
    if area.polygons or area.circles:
        zh.append(DRAWN.zh)
        en.append(DRAWN.en)
    return Lang("、".join(zh)[:500], ", ".join(en)[:500])


def _reaches_the_city(store: Store, geometry: shapely.Geometry) -> bool:
    """Whether the area overlaps one of the city's districts (true while none is loaded)."""
    rows = store.query_rows(
        "SELECT geom_wkb FROM admin_areas WHERE level = 'district' AND geom_wkb IS NOT NULL"
    )
    shapes = [shapely.from_wkb(bytes(r[0])) for r in rows]
    return not shapes or any(shape.intersects(geometry) for shape in shapes)


def resolve_area(store: Store, area: WarningArea, *, metric_crs: str) -> ResolvedArea:
    """Turn the composed area into what a CAP ``<area>`` carries, and its geometry.

    Raises
    ------
    WarningInvalid
        A code that is no district or street of admin_areas, an area larger than
        :data:`MAX_AREA_KM2`, or one that reaches none of the city's districts.
    """
    known = _admin(store, area.codes)
    if missing := [c for c in area.codes if c not in known]:
        raise WarningInvalid(f"area.codes: no district or street {', '.join(missing)[:200]}")
    shapes: list[shapely.Geometry] = [shapely.Polygon(ring) for ring in area.polygons]
    polygons = [_cap_ring(ring) for ring in area.polygons]
    circles = []
    for lon, lat, radius in area.circles:
        shapes.append(circle_geometry(lon, lat, radius))
        circles.append(f"{lat:.6f},{lon:.6f} {radius:g}")
    names, geocodes = [], []
    for code in area.codes:
        zh, en, wkb = known[code]
        names.append((zh, en or zh))
        geocodes.append((GEOCODE_SCHEME[len(code)], code))
        outline = _outline(shapely.from_wkb(wkb), metric_crs)
        if not outline:
            raise WarningInvalid(f"area.codes: {code} has no usable outline")
        shapes += outline
        polygons += [_cap_ring(p.exterior.coords) for p in outline]
    geometry = shapely.union_all(shapes)
    if not geometry.is_valid or geometry.is_empty:
        raise WarningInvalid("the area is not a valid shape (near a pole or the date line?)")
    west, south, east, north = geometry.bounds
    if east - west > MAX_EXTENT_DEG or north - south > MAX_EXTENT_DEG:
        raise WarningInvalid(f"the area spans more than {MAX_EXTENT_DEG:g}° (it is too large)")
    km2 = area_km2(geometry)
    if not np.isfinite(km2) or km2 > MAX_AREA_KM2:
        raise WarningInvalid(f"the area is {km2:,.0f} km², more than {MAX_AREA_KM2:,.0f} km²")
    if not _reaches_the_city(store, geometry):
        raise WarningInvalid("the area does not reach the city (no district of it lies in it)")
    return ResolvedArea(
        tuple(polygons), tuple(circles), tuple(geocodes), _description(area, names), geometry
    )


def resolved_from_json(data: dict[str, Any]) -> ResolvedArea:
    """A stored :meth:`ResolvedArea.as_json` back, its geometry rebuilt from the CAP text."""
    shapes: list[shapely.Geometry] = []
    for text in data["polygons"]:
        pairs = [p.split(",") for p in text.split()]
        shapes.append(shapely.Polygon([(float(lon), float(lat)) for lat, lon in pairs]))
    for text in data["circles"]:
        centre, radius = text.split()
        lat, lon = (float(v) for v in centre.split(","))
        shapes.append(circle_geometry(lon, lat, float(radius)))
    return ResolvedArea(
        tuple(data["polygons"]),
        tuple(data["circles"]),
        tuple((a, b) for a, b in data["geocodes"]),
        Lang(data["description"]["zh"], data["description"]["en"]),
        shapely.union_all(shapes),
    )
