"""SYNTHETIC resident population per unit grid cell of the demo city (a warning's reach).

Not census data: each district's total is spread over its cells by cell area weighted by a
density per size class (the old city densest, mountains nearly empty). The district totals
add up to Chaozhou's 2020 census total (2,568,387 residents) split roughly by the districts'
shares in the city's later statistical bulletins (湘桥 ≈ 22 %, 潮安 ≈ 46 %, 饶平 ≈ 32 %);
they are approximate, and the distribution inside a district is invented.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: District -> residents (approximate; the sum is the 2020 census total of the city).
DISTRICT_TOTALS: dict[str, int] = {"445102": 577_000, "445103": 1_177_000, "445122": 814_387}
#: Relative residents per m² by the cell's size class (urban core ≫ plain ≫ rural ≫ mountain).
DENSITY_WEIGHT: dict[str, float] = {"urban": 60.0, "plain": 8.0, "rural": 2.5, "mountain": 0.4}


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Whole numbers proportional to ``weights`` that add up to ``total`` exactly."""
    if weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    exact = total * weights / weights.sum()
    out = np.floor(exact).astype(np.int64)
    short = total - int(out.sum())
    if short > 0:
        out[np.argsort(-(exact - out), kind="stable")[:short]] += 1
    return out


def synthetic_population(cells: pd.DataFrame) -> pd.Series:
    """Residents per cell (synthetic), from ``district_code``, ``size_class``, ``area_m2``.

    Returns
    -------
    pandas.Series of nullable integers, indexed like ``cells``: each district's cells add
    up to its :data:`DISTRICT_TOTALS` entry; cells of other districts have no figure (NA).
    """
    out = pd.Series(pd.NA, index=cells.index, dtype="Int64")
    weight = cells["area_m2"].to_numpy(float) * cells["size_class"].map(DENSITY_WEIGHT).fillna(
        1.0
    ).to_numpy(float)
    district = cells["district_code"].to_numpy()
    for code, total in DISTRICT_TOTALS.items():
        mine = np.flatnonzero(district == code)
        if len(mine):
            out.iloc[mine] = _largest_remainder(total, weight[mine])
    return out
