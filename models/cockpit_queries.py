"""What the leader cockpit reads besides the indicators, the evaluation and the report queries:
the period's cases per grid cell (its heat map), within a scope."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from models.geography import current_grid_version
from models.security import Scope
from models.store import Store


def cases_per_cell(store: Store, *, start: datetime, end: datetime, scope: Scope) -> pd.DataFrame:
    """Cases reported in ``[start, end)`` (no drills, not voided) per grid cell of the current
    grid, with the cell's centroid: ``cell_code``, ``centroid_lon``, ``centroid_lat``,
    ``cases``; only cells with cases, ordered by cell code (the same cases as
    ``models.report_queries.category_counts``)."""
    version = current_grid_version(store)
    cond, params = scope.case_filter("c.cell_code", "c.assigned_unit")
    return store.query_df(
        "SELECT c.cell_code, g.centroid_lon, g.centroid_lat, count(*) AS cases FROM cases c "
        "JOIN grid_cells g ON g.cell_code = c.cell_code AND g.version_id = ? "
        "WHERE NOT c.exercise AND c.stage <> 'void' AND c.reported_at >= ? "
        f"AND c.reported_at < ? AND {cond} "
        "GROUP BY c.cell_code, g.centroid_lon, g.centroid_lat ORDER BY c.cell_code",
        [version, start, end, *params],
    )
