"""Case indicators: the evaluation's figures (``models.evaluation.FIGURES``, the same
predicates and cohort) over a selection of categories / sources, for many periods in one
query. Rates are given in percent (0–100), counts in cases, handling time in hours."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from models.case_selection import CaseSelection, case_conditions
from models.evaluation import COHORT_WHERE, FIGURES, PREDICATES, RATES
from models.security import Scope

#: measure key -> (evaluation figure, factor from the figure to the indicator's unit)
CASE_FIGURES: dict[str, tuple[str, float]] = {
    "cases.registered": ("registered", 1.0),
    "cases.closed": ("closed", 1.0),
    "cases.overdue_count": ("overdue_count", 1.0),
    "cases.on_time_dispatch_rate": ("on_time_dispatch_rate", 100.0),
    "cases.on_time_handling_rate": ("on_time_handling_rate", 100.0),
    "cases.closure_rate": ("closure_rate", 100.0),
    "cases.rework_rate": ("rework_rate", 100.0),
    "cases.mean_handling_hours": ("mean_handling_hours", 1.0),
}


def _aggregate(figure: str) -> tuple[list[str], str]:
    """The aggregates a figure needs (over the joined cases) and its value from them."""
    if figure in RATES:
        num, den = RATES[figure]
        aggs = [
            f"count(*) FILTER (WHERE {PREDICATES[num]}) AS {figure}__num",
            f"count(*) FILTER (WHERE {PREDICATES[den]}) AS {figure}__den",
        ]
        value = f"CASE WHEN g.{figure}__den > 0 THEN g.{figure}__num::DOUBLE / g.{figure}__den END"
        return aggs, value
    if figure == "mean_handling_hours":
        pred = PREDICATES["handling_timed"]
        return [f"avg(c.handling_used_s) FILTER (WHERE {pred}) / 3600.0 AS {figure}"], f"g.{figure}"
    if figure in PREDICATES:
        return [f"count(*) FILTER (WHERE {PREDICATES[figure]}) AS {figure}"], (
            f"coalesce(g.{figure}, 0)"
        )
    raise ValueError(f"figure {figure!r} has no value per period")


def figures_by_period(
    store: Any,
    *,
    figures: Iterable[str],
    periods: Sequence[tuple[datetime, datetime]],
    now: datetime,
    scope: Scope | None = None,
    selection: CaseSelection | None = None,
) -> pd.DataFrame:
    """Figures of :func:`models.evaluation.evaluate` (counts, rates as fractions,
    ``mean_handling_hours``) for each period, in one query over the cases.

    Each period's cohort is the evaluation's: cases registered in ``[start, end)`` and by
    ``now``, not drills, not voided; milestones count when reached by ``now``.

    Returns
    -------
    pandas.DataFrame
        One row per period in the given order (column ``period``: its index), one column
        per figure; counts 0 and rates / means NaN for a period without cases.
    """
    figures = list(dict.fromkeys(figures))
    if not periods:
        raise ValueError("no periods given")
    aggs, values = [], []
    for figure in figures:
        more, value = _aggregate(figure)
        aggs += more
        values.append(f"{value} AS {figure}")
    rows = ", ".join(f"({i}, $ps{i}::TIMESTAMP, $pe{i}::TIMESTAMP)" for i in range(len(periods)))
    params: dict[str, Any] = {"now": now}
    for i, (start, end) in enumerate(periods):
        if end <= start:
            raise ValueError(f"empty period: {start} .. {end}")
        params[f"ps{i}"], params[f"pe{i}"] = start, end
    params["start"] = min(s for s, _ in periods)
    params["end"] = max(e for _, e in periods)
    where, extra = case_conditions(scope, selection)
    sql = f"""
WITH p(period, ps, pe) AS (VALUES {rows}),
g AS (
  SELECT p.period, {", ".join(aggs)}
  FROM cases c JOIN p ON c.registered_at >= p.ps AND c.registered_at < p.pe
  WHERE {COHORT_WHERE} AND {where}
  GROUP BY p.period
)
SELECT p.period, {", ".join(values)}
FROM p LEFT JOIN g ON g.period = p.period
ORDER BY p.period
"""
    return store.query_df(sql, params | extra)


Measure = Callable[..., list[float | None]]


def selection_of(params: Any) -> CaseSelection:
    """An indicator's case selection from its parameters (ValueError on unknown ones)."""
    return CaseSelection.from_params(params)


def _measure(key: str) -> Measure:
    figure, factor = CASE_FIGURES[key]

    def measure(store: Any, ind: Any, periods: list, scope: Scope, now: datetime) -> list:
        frame = figures_by_period(
            store,
            figures=[figure],
            periods=[(p.start, p.end) for p in periods],
            now=now,
            scope=scope,
            selection=selection_of(ind.params),
        )
        return [None if pd.isna(v) else float(v) * factor for v in frame[figure]]

    measure.__name__ = key.replace(".", "_")
    measure.__doc__ = f"The evaluation's {figure!r} per period, times {factor:g}."
    measure.check_params = selection_of  # type: ignore[attr-defined]
    measure.figure = figure  # type: ignore[attr-defined]
    measure.factor = factor  # type: ignore[attr-defined]
    return measure


def figure_of(measure_key: str) -> str:
    """The evaluation figure (a key of ``FIGURES``) behind a case measure."""
    if measure_key not in CASE_FIGURES:
        raise ValueError(f"{measure_key!r} is not a case measure")
    figure = CASE_FIGURES[measure_key][0]
    assert figure in FIGURES
    return figure


MEASURES: dict[str, Measure] = {key: _measure(key) for key in CASE_FIGURES}
