"""Case indicators: the evaluation's figures (``models.evaluation.FIGURES``, the same
predicates and cohort) over a selection of categories / sources, for many periods and many
indicators in one query. Rates are given in percent (0–100), counts in cases, handling
time in hours."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from models.case_selection import CaseSelection, scope_sql
from models.evaluation import ATOMS, COHORT_WHERE, FIGURES, PREDICATE_FORMS, RATES
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
    "cases.satisfaction_rate": ("satisfaction_rate", 100.0),
}
Request = tuple[str, CaseSelection | None]  # (figure, selection)


def _needs(figure: str) -> list[str]:
    """The predicates a figure is counted from."""
    if figure in RATES:
        return list(RATES[figure])
    if figure == "mean_handling_hours":
        return ["handling_timed"]
    if figure in PREDICATE_FORMS:
        return [figure]
    raise ValueError(f"figure {figure!r} has no value per period")


def _bucket(periods: Sequence[tuple[datetime, datetime]]) -> tuple[str, dict[str, Any]]:
    """A CASE giving each case the index of the period holding its registration (NULL in
    none): a balanced search over the periods sorted by start, a few comparisons a case."""
    params: dict[str, Any] = {}
    order = sorted(range(len(periods)), key=lambda i: periods[i][0])
    for before, i in zip([None, *order], order, strict=False):
        start, end = periods[i]
        if end <= start:
            raise ValueError(f"empty period: {start} .. {end}")
        if before is not None and periods[before][1] > start:
            raise ValueError("periods must not overlap")
        params[f"ps{i}"], params[f"pe{i}"] = start, end

    def search(lo: int, hi: int) -> str:  # over order[lo:hi]
        if hi - lo == 1:
            i = order[lo]
            return f"CASE WHEN c.registered_at >= $ps{i} AND c.registered_at < $pe{i} THEN {i} END"
        mid = (lo + hi) // 2
        left, right = search(lo, mid), search(mid, hi)
        return f"CASE WHEN c.registered_at < $ps{order[mid]} THEN {left} ELSE {right} END"

    return search(0, len(order)), params


def case_figures(
    store: Any,
    requests: Sequence[Request],
    *,
    periods: Sequence[tuple[datetime, datetime]],
    now: datetime,
    scope: Scope | None = None,
) -> list[list[float | None]]:
    """Figures of :func:`models.evaluation.evaluate`, each over its own selection of cases,
    for every period, in one scan of the cases.

    Each period's cohort is the evaluation's: cases registered in ``[start, end)`` and by
    ``now``, not drills, not voided; milestones count when reached by ``now``.

    Parameters
    ----------
    requests
        ``(figure, selection)`` pairs: a count or rate of ``FIGURES`` or
        ``mean_handling_hours``; ``selection`` None for every case.
    periods
        ``[start, end)`` naive UTC, not overlapping.

    Returns
    -------
    list
        Per request, one value per period: counts (0 without cases), rates as fractions
        0..1 and mean hours (None when there is nothing to divide by).
    """
    if not periods:
        raise ValueError("no periods given")
    bucket, params = _bucket(periods)
    preds = list(dict.fromkeys(p for figure, _ in requests for p in _needs(figure)))
    atoms = {a: f"a_{a}" for a in ATOMS}  # the atoms computed once per case, then combined
    flags = [f"{PREDICATE_FORMS[p].format(**atoms)} AS f_{p}" for p in preds]
    sels: dict[CaseSelection | None, int] = {}
    conds = []
    for _, sel in requests:
        if sel not in sels:
            sels[sel] = k = len(sels)
            cond, more = ("TRUE", {}) if sel is None else sel.sql(f"s{k}")
            conds.append(f"{cond} AS s{k}")
            params |= more
    aggs, names = [], {}
    for figure, sel in requests:
        k = sels[sel]
        for p in _needs(figure):
            if (k, p) not in names:
                names[k, p] = name = f"n{len(names)}"
                aggs.append(f"coalesce(sum(n) FILTER (WHERE s{k} AND f_{p}), 0) AS {name}")
        if figure == "mean_handling_hours" and (k, "mean") not in names:
            names[k, "mean"] = name = f"n{len(names)}"
            timed = f"FILTER (WHERE s{k} AND f_handling_timed)"
            aggs.append(f"sum(used) {timed} / sum(n) {timed} / 3600.0 AS {name}")
    where, more = scope_sql(scope)
    params |= more | {
        "now": now,
        "start": min(s for s, _ in periods),
        "end": max(e for _, e in periods),
    }
    # each case's atoms once, packed as bits; the cases folded by period, category, source
    # and atoms (a few thousand groups); there the predicates and each selection's counts
    bits = " + ".join(f"({sql})::INTEGER * {1 << i}" for i, sql in enumerate(ATOMS.values()))
    unpack = ", ".join(f"(g.bits & {1 << i}) <> 0 AS a_{a}" for i, a in enumerate(ATOMS))
    sql = f"""
WITH g AS (
  SELECT {bucket} AS period, c.category_code, c.source, {bits} AS bits,
    count(*) AS n, sum(c.handling_used_s) AS used
  FROM cases c
  WHERE {COHORT_WHERE} AND {where}
  GROUP BY ALL
), a AS (
  SELECT g.*, {unpack} FROM g WHERE g.period IS NOT NULL
), s AS (
  SELECT c.period, c.n, c.used, {", ".join(flags)}, {", ".join(conds)} FROM a c
)
SELECT period, {", ".join(aggs)} FROM s GROUP BY period
"""
    got = store.query_df(sql, params).set_index("period")
    out = []
    for figure, sel in requests:
        k, values = sels[sel], []
        for i in range(len(periods)):
            row = got.loc[i] if i in got.index else None

            def count(p: str, row: Any = row, k: int = k) -> int:
                return 0 if row is None else int(row[names[k, p]])

            if figure in RATES:
                num, den = (count(p) for p in RATES[figure])
                values.append(num / den if den else None)
            elif figure == "mean_handling_hours":
                mean = None if row is None else row[names[k, "mean"]]
                values.append(None if mean is None or pd.isna(mean) else float(mean))
            else:
                values.append(float(count(figure)))
        out.append(values)
    return out


def figures_by_period(
    store: Any,
    *,
    figures: Sequence[str],
    periods: Sequence[tuple[datetime, datetime]],
    now: datetime,
    scope: Scope | None = None,
    selection: CaseSelection | None = None,
) -> pd.DataFrame:
    """:func:`case_figures` of one selection as a frame: column ``period`` (the index into
    ``periods``) and one column per figure (rates as fractions, NaN where undefined)."""
    figures = list(dict.fromkeys(figures))
    values = case_figures(
        store, [(f, selection) for f in figures], periods=periods, now=now, scope=scope
    )
    frame = pd.DataFrame(
        {f: pd.Series(v, dtype="float64") for f, v in zip(figures, values, strict=True)}
    )
    frame.insert(0, "period", range(len(periods)))
    return frame


def selection_of(params: Any) -> CaseSelection:
    """An indicator's case selection from its parameters (ValueError on unknown ones)."""
    return CaseSelection.from_params(params)


def figure_of(measure_key: str) -> str:
    """The evaluation figure (a key of ``FIGURES``) behind a case measure."""
    if measure_key not in CASE_FIGURES:
        raise ValueError(f"{measure_key!r} is not a case measure")
    figure = CASE_FIGURES[measure_key][0]
    assert figure in FIGURES
    return figure


def measure_many(
    store: Any, indicators: Sequence[Any], periods: Sequence[Any], scope: Scope, now: datetime
) -> list[list[float | None]]:
    """The values of many case indicators (one list per indicator, one value per period)
    in one query: what each case measure gives, all at once. A period not begun at
    ``now`` has no value (None), not a count of 0."""
    requests = [(figure_of(i.measure), selection_of(i.params)) for i in indicators]
    found = case_figures(
        store, requests, periods=[(p.start, p.end) for p in periods], now=now, scope=scope
    )
    return [
        [
            None if v is None or p.start > now else v * CASE_FIGURES[i.measure][1]
            for v, p in zip(values, periods, strict=True)
        ]
        for i, values in zip(indicators, found, strict=True)
    ]


Measure = Callable[..., list[float | None]]


def _measure(key: str) -> Measure:
    figure, factor = CASE_FIGURES[key]

    def measure(store: Any, ind: Any, periods: list, scope: Scope, now: datetime) -> list:
        return measure_many(store, [ind], periods, scope, now)[0]

    measure.__name__ = key.replace(".", "_")
    measure.__doc__ = f"The evaluation's {figure!r} per period, times {factor:g}."
    measure.check_params = selection_of  # type: ignore[attr-defined]
    return measure


MEASURES: dict[str, Measure] = {key: _measure(key) for key in CASE_FIGURES}
