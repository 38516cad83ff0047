"""Grid topology checks on import: invalid rings, overlaps (bad rows) and gaps (warnings)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely

from ingest.files.report import BadRow

#: Overlap between two cells (m², in the metric CRS) above which both codes are reported.
OVERLAP_TOLERANCE_M2 = 1.0
#: Holes in the union of the cells smaller than this (m²) are snapping noise, not gaps.
GAP_TOLERANCE_M2 = 1.0
#: Overlaps and gaps thinner than this on average (m) are slivers left by coordinate
#: snapping along shared edges (a 300 m edge snapped to 1 cm leaves up to ~3 m²): they are
#: summed up in one warning instead of failing the file.
SLIVER_WIDTH_M = 0.05
MAX_GAP_WARNINGS = 200


def mean_width(geom: shapely.Geometry) -> float:
    """2·area / perimeter of the polygonal parts: the width of a long thin sliver."""
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, shapely.Polygon)]
    perimeter = sum(p.length for p in parts)
    return 2 * sum(p.area for p in parts) / perimeter if perimeter else 0.0


def overlap_rows(
    metric: np.ndarray,
    codes: list[str],
    features: np.ndarray,
    *,
    tolerance_m2: float = OVERLAP_TOLERANCE_M2,
) -> tuple[list[BadRow], list[str]]:
    """One bad row per pair of cells that overlap by more than ``tolerance_m2``.

    The row is reported at the later feature and names both codes and the overlap area.
    Slivers (see :data:`SLIVER_WIDTH_M`) are summed up in a warning instead.
    """
    if len(metric) < 2:
        return [], []
    tree = shapely.STRtree(metric)
    left, right = tree.query(metric, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if not len(left):
        return [], []
    shared = shapely.intersection(metric[left], metric[right])
    areas = shapely.area(shared)
    rows = []
    slivers = []
    for a, b, area, piece in zip(left, right, areas, shared):
        if area <= tolerance_m2:
            continue
        if mean_width(piece) <= SLIVER_WIDTH_M:
            slivers.append(area)
        else:
            first, later = sorted((a, b), key=lambda i: features[i])
            rows.append(
                BadRow(
                    int(features[later]),
                    f"cell {codes[later]} overlaps cell {codes[first]} (feature "
                    f"{int(features[first])}) by {area:.1f} m²",
                    column="geometry",
                    value=codes[later],
                )
            )
    warnings = []
    if slivers:
        warnings.append(
            f"{len(slivers)} sliver overlap(s) thinner than {SLIVER_WIDTH_M * 100:.0f} cm between "
            f"cells ({sum(slivers):.1f} m² in all): snapping noise, not fatal"
        )
    return rows, warnings


def gap_polygons(
    metric: np.ndarray, *, tolerance_m2: float = GAP_TOLERANCE_M2
) -> tuple[list[shapely.Polygon], list[shapely.Polygon]]:
    """Holes in the union of the cells larger than ``tolerance_m2``, in the metric CRS:
    (gaps, largest first; slivers, see :data:`SLIVER_WIDTH_M`)."""
    if not len(metric):
        return [], []
    union = shapely.union_all(metric)
    holes = []
    for part in shapely.get_parts(union):
        if isinstance(part, shapely.Polygon):
            holes += [shapely.Polygon(ring) for ring in part.interiors]
    holes = [h for h in holes if h.area > tolerance_m2]
    slivers = [h for h in holes if mean_width(h) <= SLIVER_WIDTH_M]
    holes = [h for h in holes if mean_width(h) > SLIVER_WIDTH_M]
    holes.sort(key=lambda h: -h.area)
    return holes, slivers


def gap_warnings(
    metric: np.ndarray,
    to_lonlat: Callable[[float, float], tuple[float, float]],
    *,
    tolerance_m2: float = GAP_TOLERANCE_M2,
) -> list[str]:
    """Holes in the union of the cells (uncovered land inside the covered area), largest first."""
    holes, slivers = gap_polygons(metric, tolerance_m2=tolerance_m2)
    warnings = []
    if slivers:
        warnings.append(
            f"{len(slivers)} sliver gap(s) thinner than {SLIVER_WIDTH_M * 100:.0f} cm "
            f"between cells ({sum(h.area for h in slivers):.1f} m² in all): "
            "snapping noise, not reported one by one"
        )
    for hole in holes[:MAX_GAP_WARNINGS]:
        inside = hole.point_on_surface()
        lon, lat = to_lonlat(inside.x, inside.y)
        warnings.append(
            f"gap of {hole.area:.1f} m² not covered by any cell, near lon {lon:.6f}, lat {lat:.6f}"
        )
    if len(holes) > MAX_GAP_WARNINGS:
        rest = sum(h.area for h in holes[MAX_GAP_WARNINGS:])
        warnings.append(f"... and {len(holes) - MAX_GAP_WARNINGS} smaller gaps ({rest:.1f} m²)")
    return warnings
