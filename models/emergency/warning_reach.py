"""A warning's reach before it is published: the cells of the current grid it covers, the
share of each inside, and the resident population estimate (cells without one counted)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from models.emergency.warning_area import to_metric
from models.geography import current_grid_version
from models.store import Store

#: A cell touched by less than this share of its area is not counted as reached.
MIN_SHARE = 1e-4


@dataclass(frozen=True)
class CellReach:
    cell_code: str
    share: float  # of the cell's area inside the warning area, 0..1
    population: int | None  # the cell's whole population estimate; None: unknown


@dataclass(frozen=True)
class Reach:
    """The cells reached and the people estimated in them (None when no cell has a figure)."""

    grid_version: int | None
    cells: tuple[CellReach, ...]
    population: int | None
    cells_without_population: int

    def as_json(self) -> dict[str, Any]:
        return {
            "grid_version": self.grid_version,
            "cell_count": len(self.cells),
            "population": self.population,
            "cells_without_population": self.cells_without_population,
            "cells": [
                {"cell_code": c.cell_code, "share": c.share, "population": c.population}
                for c in self.cells
            ],
        }


def warning_reach(store: Store, geometry: shapely.Geometry, *, metric_crs: str) -> Reach:
    """The cells of the current grid version inside ``geometry`` (lon/lat), each with its
    share inside, and the population estimate: the sum of population × share.

    Parameters
    ----------
    store
        The store with the grid.
    geometry
        The warning's area (lon/lat).
    metric_crs
        The CRS areas are measured in.
    """
    version = current_grid_version(store)
    if version is None or geometry is None or geometry.is_empty:
        return Reach(version, (), None, 0)
    west, south, east, north = shapely.bounds(geometry)
    rows = store.query_rows(
        "SELECT cell_code, population, geom_wkb FROM grid_cells WHERE version_id = ? "
        "AND max_lon >= ? AND min_lon <= ? AND max_lat >= ? AND min_lat <= ? ORDER BY cell_code",
        [version, west, east, south, north],
    )
    if not rows:
        return Reach(version, (), None, 0)
    codes = [r[0] for r in rows]
    populations = [None if r[1] is None else int(r[1]) for r in rows]
    cells = to_metric(shapely.from_wkb([bytes(r[2]) for r in rows]), metric_crs)
    area = to_metric(geometry, metric_crs)
    shapely.prepare(area)
    hit = np.flatnonzero(shapely.intersects(area, cells))
    inside = shapely.area(shapely.intersection(cells[hit], area))
    whole = shapely.area(cells[hit])
    shares = np.clip(np.divide(inside, whole, out=np.zeros_like(inside), where=whole > 0), 0, 1)
    reached = []
    for k, share in zip(hit, shares):
        if share >= MIN_SHARE:
            reached.append(CellReach(codes[k], round(float(share), 4), populations[k]))
    known = [c.population * c.share for c in reached if c.population is not None]
    unknown = sum(1 for c in reached if c.population is None)
    return Reach(version, tuple(reached), round(sum(known)) if known else None, unknown)
