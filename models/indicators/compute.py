"""Indicator values for a period (with previous period and trend), the city score in the
manner of Boston's CityScore, and the cases behind a case indicator's figure."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from models import evaluation
from models.config_sections import DIMENSIONS
from models.indicators import case_measures
from models.indicators.in_force import indicators_in_force
from models.indicators.measures import MEASURES
from models.indicators.periods import Period, last_periods
from models.indicators.registry import Indicator, indicator_by_id, status_of
from models.security import Scope

#: The shortest period, in days, an indicator of each update frequency has a value over: a
#: monthly figure (patrol coverage, satisfaction) over a day or a week is not kept, so it is
#: None there, not a partial figure judged against a monthly target.
FREQUENCY_DAYS = {
    "realtime": 0,
    "hourly": 0,
    "daily": 1,
    "weekly": 7,
    "monthly": 28,
    "quarterly": 90,
    "yearly": 365,
}

#: The most an indicator's achievement of its target counts for in the city score (120 %):
#: doing far better on one indicator makes up a little for another, not without bound.
ACHIEVEMENT_CAP = 1.2


def _clean(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def compute_indicators(
    store: Any,
    *,
    period: Period,
    scope: Scope,
    now: datetime,
    indicators: Iterable[Indicator] | None = None,
    trend_periods: int = 12,
) -> list[dict]:
    """Every indicator's value for ``period`` as seen by ``scope`` at ``now``.

    Every measure is asked once for the ``max(trend_periods, 2)`` periods ending with
    ``period``; the case indicators are computed together in one query
    (:func:`~models.indicators.case_measures.measure_many`, the same values as their
    measures one by one).

    Returns
    -------
    list of dict
        One per indicator, in declaration order: ``id``, ``name_zh``, ``name_en``,
        ``dimension``, ``value`` (float or None), ``unit``, ``target``, ``direction``,
        ``status`` (see :func:`~models.indicators.registry.status_of`), ``previous`` (the
        previous period's value), ``change`` (value − previous, None if either is None),
        ``trend`` (``trend_periods`` values, oldest first, ending with ``value``),
        ``case_based``, ``source_dept``, ``frequency``. An indicator over a period
        shorter than its frequency (:data:`FREQUENCY_DAYS`) has no values.
    """
    if trend_periods < 1:
        raise ValueError(f"trend_periods must be at least 1, not {trend_periods}")
    inds = tuple(indicators_in_force(store) if indicators is None else indicators)
    periods = last_periods(period, max(trend_periods, 2))
    # the case indicators all at once (one scan of the cases), the others measure by measure
    days = (period.last_day - period.first_day).days + 1
    kept = {i.id for i in inds if days >= FREQUENCY_DAYS.get(i.frequency, 0)}
    cased = [i for i in inds if i.measure in case_measures.MEASURES and i.id in kept]
    batch = case_measures.measure_many(store, cased, periods, scope, now) if cased else []
    found = dict(zip([i.id for i in cased], batch, strict=True))
    out = []
    for ind in inds:
        got = found.get(ind.id) if ind.id in kept else [None] * len(periods)
        if got is None:
            got = MEASURES[ind.measure](store, ind, periods, scope, now)
        values = [_clean(v) for v in got]
        if len(values) != len(periods):
            raise RuntimeError(f"measure {ind.measure} gave {len(values)} values for "
                               f"{len(periods)} periods")  # fmt: skip
        value, previous = values[-1], values[-2]
        out.append(
            {
                "id": ind.id,
                "name_zh": ind.name_zh,
                "name_en": ind.name_en,
                "dimension": ind.dimension,
                "value": value,
                "unit": ind.unit,
                "target": ind.target,
                "direction": ind.direction,
                "status": status_of(ind, value),
                "previous": previous,
                "change": None if value is None or previous is None else value - previous,
                "trend": values[-trend_periods:],
                "case_based": ind.case_based,
                "source_dept": ind.source_dept,
                "frequency": ind.frequency,
            }
        )
    return out


def achievement(value: float | None, target: float | None, direction: str) -> float | None:
    """How far ``value`` reaches ``target``: 1.0 on target, capped at :data:`ACHIEVEMENT_CAP`.

    Higher is better: ``value / target`` (None for a target ≤ 0), floored at 0. Lower is
    better: ``target / value``; a value of 0 (or below) earns the cap, and with a target of
    0 any value above 0 earns 0. None without a value or a target.
    """
    if value is None or target is None:
        return None
    if direction == "higher":
        if target <= 0:
            return None
        return min(ACHIEVEMENT_CAP, max(0.0, value / target))
    if value <= 0:
        return ACHIEVEMENT_CAP
    return min(ACHIEVEMENT_CAP, max(0.0, target / value))


def city_score(results: list[dict], dimension_weights: Mapping[str, float]) -> dict:
    """The city score of one period, in the manner of Boston's CityScore.

    Each indicator with a value and a target scores its :func:`achievement` (1.0 = on
    target, at most 1.2). A dimension scores ``min(100, 100 × mean achievement)`` of its
    indicators that have one, None when none has. The city scores the weighted mean of the
    dimensions that have a score, ``Σ w·s / Σ w`` with ``dimension_weights`` (a dimension
    not named weighs 0); a dimension without a score drops out, its weight with it. None
    when no weighted dimension has a score.

    Returns
    -------
    dict
        ``{"score": 0..100 | None, "dimensions": {dimension: 0..100 | None}}``, every
        dimension of ``DIMENSIONS`` (and any other named by a result) present.
    """
    achieved: dict[str, list[float]] = {d: [] for d in DIMENSIONS}
    for row in results:
        got = achievement(row.get("value"), row.get("target"), row.get("direction", "higher"))
        bucket = achieved.setdefault(row["dimension"], [])
        if got is not None:
            bucket.append(got)
    dims = {d: (min(100.0, 100.0 * sum(v) / len(v)) if v else None) for d, v in achieved.items()}
    num = den = 0.0
    for d, score in dims.items():
        weight = float(dimension_weights.get(d, 0.0))
        if score is not None and weight > 0:
            num += weight * score
            den += weight
    return {"score": num / den if den > 0 else None, "dimensions": dims}


def cases_behind(
    store: Any,
    indicator_id: str,
    *,
    period: Period,
    scope: Scope,
    now: datetime,
    limit: int | None = None,
    indicators: Iterable[Indicator] | None = None,
) -> pd.DataFrame:
    """The cases behind a case indicator's figure for ``period``, by the same predicates
    (:func:`models.evaluation.cases_behind`): for a count, the cases counted; for a rate,
    its denominator's cases with ``in_numerator`` marking the numerator's; for a mean
    time, the cases averaged. Ordered by ``case_id``; at most ``limit`` rows. None of them
    over a period shorter than the indicator's frequency (it has no figure there).

    Raises
    ------
    ValueError
        An unknown indicator, or one whose figure is not made of cases.
    """
    ind = indicator_by_id(
        indicator_id, indicators_in_force(store) if indicators is None else tuple(indicators)
    )
    if not ind.case_based:
        raise ValueError(f"indicator {indicator_id!r} is not computed from cases")
    days = (period.last_day - period.first_day).days + 1
    return evaluation.cases_behind(
        store,
        figure=case_measures.figure_of(ind.measure),
        period_start=period.start,
        period_end=period.end,
        now=now,
        scope=scope,
        selection=case_measures.selection_of(ind.params),
        limit=0 if days < FREQUENCY_DAYS.get(ind.frequency, 0) else limit,
    )
