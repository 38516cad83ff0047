"""What changed between two grid versions: cells added, removed, reshaped, or given another
responsible body or other grid workers (pure: two GeoDataFrames in, a :class:`GridDiff` out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

#: Vertices closer than this (degrees, about 10 cm) are the same: a grid written to GeoJSON
#: or a shapefile and read back is not "reshaped".
GEOMETRY_TOLERANCE_DEG = 1e-6
#: The kinds of change, in the order the screen lists and colours them.
KINDS = ("added", "removed", "geometry", "duty")


@dataclass(frozen=True)
class GridDiff:
    """Cell codes by kind of change between an older and a newer grid version.

    ``geometry``: the cell's shape moved; ``duty``: only its responsible body or grid
    workers changed (a reshaped cell whose duty changed too is counted under ``geometry``
    and listed in ``fields``).
    """

    added: list[str]
    removed: list[str]
    geometry: list[str]
    duty: list[str]
    unchanged: int
    #: code -> the fields that changed ("geometry", "responsible_body", "grid_workers")
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "geometry": len(self.geometry),
            "duty": len(self.duty),
            "unchanged": self.unchanged,
        }

    def kind_of(self) -> dict[str, str]:
        """code -> kind of change, for every changed cell."""
        out: dict[str, str] = {}
        for kind in KINDS:
            out.update(dict.fromkeys(getattr(self, kind), kind))
        return out

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.geometry or self.duty)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def _workers(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    elif not isinstance(value, list | tuple | np.ndarray):
        return ()  # None, NaN: no workers
    return tuple(sorted(w for w in (str(v).strip() for v in value if v is not None) if w))


def _same_shape(old: np.ndarray, new: np.ndarray, tolerance: float) -> np.ndarray:
    a, b = shapely.normalize(old), shapely.normalize(new)
    same = shapely.equals_exact(a, b, tolerance=tolerance)
    rest = np.flatnonzero(~same)
    if len(rest):  # a vertex more or less on a straight edge is the same cell
        distance = shapely.hausdorff_distance(a[rest], b[rest])
        same[rest] = distance <= tolerance
    return np.asarray(same, dtype=bool)


def _indexed(cells: gpd.GeoDataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "cell_code": [str(c) for c in cells["cell_code"]],
            "geometry": np.asarray(cells.geometry.values, dtype=object),
            "body": [_text(v) for v in cells.get("responsible_body", [None] * len(cells))],
            "workers": [_workers(v) for v in cells.get("grid_workers", [None] * len(cells))],
        }
    )
    return frame.drop_duplicates("cell_code").set_index("cell_code")


def diff_cells(
    old: gpd.GeoDataFrame,
    new: gpd.GeoDataFrame,
    *,
    tolerance_deg: float = GEOMETRY_TOLERANCE_DEG,
) -> GridDiff:
    """Compare two versions' cells (EPSG:4326, with ``cell_code``, optional
    ``responsible_body`` and ``grid_workers``) by cell code.

    Parameters
    ----------
    old, new
        The older and the newer version's cells.
    tolerance_deg
        Shapes whose vertices stay within this distance (degrees) are unchanged.

    Returns
    -------
    GridDiff
        Sorted codes per kind of change and the number of unchanged cells.
    """
    for frame in (old, new):
        if frame.crs is not None and frame.crs.to_epsg() != 4326:
            raise ValueError("grid cells must be in EPSG:4326")
    a, b = _indexed(old), _indexed(new)
    added = sorted(set(b.index) - set(a.index))
    removed = sorted(set(a.index) - set(b.index))
    common = sorted(set(a.index) & set(b.index))
    fields: dict[str, tuple[str, ...]] = {}
    geometry: list[str] = []
    duty: list[str] = []
    if common:
        left, right = a.loc[common], b.loc[common]
        shape_same = _same_shape(
            np.asarray(left["geometry"].values, dtype=object),
            np.asarray(right["geometry"].values, dtype=object),
            tolerance_deg,
        )
        body_same = left["body"].to_numpy() == right["body"].to_numpy()
        workers_same = np.array(
            [x == y for x, y in zip(left["workers"], right["workers"])], dtype=bool
        )
        for code, shape, body, workers in zip(common, shape_same, body_same, workers_same):
            changed = tuple(
                name
                for name, same in (
                    ("geometry", shape),
                    ("responsible_body", body),
                    ("grid_workers", workers),
                )
                if not same
            )
            if not changed:
                continue
            fields[code] = changed
            (geometry if "geometry" in changed else duty).append(code)
    unchanged = len(common) - len(geometry) - len(duty)
    return GridDiff(added, removed, geometry, duty, unchanged, fields)
