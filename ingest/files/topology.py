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
MAX_GAP_WARNINGS = 200


def overlap_rows(
    metric: np.ndarray,
    codes: list[str],
    features: np.ndarray,
    *,
    tolerance_m2: float = OVERLAP_TOLERANCE_M2,
) -> list[BadRow]:
    """One bad row per pair of cells that overlap by more than ``tolerance_m2``.

    The row is reported at the later feature and names both codes and the overlap area.
    """
    if len(metric) < 2:
        return []
    tree = shapely.STRtree(metric)
    left, right = tree.query(metric, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if not len(left):
        return []
    areas = shapely.area(shapely.intersection(metric[left], metric[right]))
    rows = []
    for a, b, area in zip(left, right, areas):
        if area > tolerance_m2:
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
    return rows


def gap_warnings(
    metric: np.ndarray,
    to_lonlat: Callable[[float, float], tuple[float, float]],
    *,
    tolerance_m2: float = GAP_TOLERANCE_M2,
) -> list[str]:
    """Holes in the union of the cells (uncovered land inside the covered area), largest first."""
    if not len(metric):
        return []
    union = shapely.union_all(metric)
    holes = []
    for part in shapely.get_parts(union):
        if isinstance(part, shapely.Polygon):
            holes += [shapely.Polygon(ring) for ring in part.interiors]
    holes = [h for h in holes if h.area > tolerance_m2]
    holes.sort(key=lambda h: -h.area)
    warnings = []
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
