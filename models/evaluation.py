"""Evaluation (考核) of districts, streets, departments and posts over case milestones, in SQL."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import pandas as pd

from models.case_selection import CaseSelection, case_conditions
from models.indicators.periods import parse_period
from models.security import Scope

#: ``by`` -> (cases column, name expression, joins giving the name). ``g`` is the aggregate.
GROUPS: dict[str, tuple[str, str, str]] = {
    "district": (
        "district_code",
        "a.name_zh",
        "LEFT JOIN admin_areas a ON a.code = g.group_value",
    ),
    "street": (
        "street_code",
        "a.name_zh",
        "LEFT JOIN admin_areas a ON a.code = g.group_value",
    ),
    # the units that are departments (the ``departments`` table): a locality body (street,
    # community, village committee answering for its cells) belongs to the street ranking,
    # the units without a department (and cases without a unit) are not ranked here
    "department": (
        "assigned_unit",
        "d.name_zh",
        "JOIN departments d ON d.dept_code = g.group_value",
    ),
    "post": (
        "assignee",
        "u.display_name",
        "LEFT JOIN users u ON u.username = g.group_value",
    ),
}

DEFAULT_WEIGHTS: dict[str, float] = {
    "dispatch": 0.2,
    "handling": 0.35,
    "closure": 0.25,
    "rework": 0.1,
    "overdue": 0.1,
}

# Milestones count only when they happened by ``now``: evaluating with an earlier ``now``
# gives the picture of that moment (for dispatch and closure exactly; handling uses the
# latest feedback). Every predicate is NULL-free, so NOT and FILTER behave plainly.

#: The tests on one case that the predicates are made of (NULL-free, on ``cases c``).
ATOMS: dict[str, str] = {
    "dispatched": "coalesce(c.dispatched_at <= $now, FALSE)",
    "handled": "coalesce(c.handled_at <= $now AND c.stage <> 'rework', FALSE)",
    "closed": "coalesce(c.closed_at <= $now, FALSE)",
    "handled_on_time": "coalesce(c.handling_used_s <= c.sla_limit_s, FALSE)",
    "past_due": "coalesce(c.due_at < $now, FALSE)",
    "past_dispatch_due": "coalesce(c.dispatch_due_at < $now, FALSE)",
    "dispatched_on_time": "coalesce(c.dispatched_at <= c.dispatch_due_at, FALSE)",
    "sent_back": "coalesce(c.rework_count > 0, FALSE)",
    "timed": "c.handling_used_s IS NOT NULL",
    "rated": "coalesce(c.rated_at <= $now, FALSE)",  # 12345 回访 given by now
    "content": "coalesce(c.satisfaction IN ('satisfied', 'basic'), FALSE)",  # 满意 or 基本满意
}

#: Each predicate as a form over :data:`ATOMS` (``{atom}``): filled with the atoms' SQL it
#: gives :data:`PREDICATES`; filled with column names it reads atoms computed once per case.
PREDICATE_FORMS: dict[str, str] = {
    "registered": "TRUE",
    "dispatched": "{dispatched}",
    "dispatch_due": "({dispatched} OR {past_dispatch_due})",
    "on_time_dispatch": "({dispatched} AND {dispatched_on_time})",
    "handled": "{handled}",
    "handling_due": "({dispatched} AND ({handled} OR {past_due}))",
    "on_time_handling": "({dispatched} AND {handled} AND {handled_on_time})",
    "closed": "{closed}",
    "closure_due": "({closed} OR {past_due})",
    "reworked": "({handled} AND {sent_back})",
    "overdue_count": (
        "(({handled} AND NOT {handled_on_time})"
        " OR ({dispatched} AND NOT {handled} AND NOT {closed} AND {past_due})"
        " OR (NOT {dispatched} AND NOT {closed} AND {past_dispatch_due}))"
    ),
    "handling_timed": "({handled} AND {timed})",
    "rated": "{rated}",
    "satisfied": "({rated} AND {content})",
}

#: The one table of case predicates: every count of ``evaluate`` and every list of
#: ``cases_behind`` is built from it, so a figure and its cases cannot drift apart.
PREDICATES: dict[str, str] = {k: form.format(**ATOMS) for k, form in PREDICATE_FORMS.items()}

#: Rate -> (numerator, denominator); NULL when the denominator is 0.
RATES: dict[str, tuple[str, str]] = {
    "on_time_dispatch_rate": ("on_time_dispatch", "dispatch_due"),
    "on_time_handling_rate": ("on_time_handling", "handling_due"),
    "closure_rate": ("closed", "closure_due"),
    "rework_rate": ("reworked", "handled"),
    "satisfaction_rate": ("satisfied", "rated"),  # 满意率: (满意 + 基本满意) / 回访
}

#: Figure -> (predicate of the cases behind it, predicate flagging the numerator or None).
FIGURES: dict[str, tuple[str, str | None]] = {
    **{name: (name, None) for name in PREDICATES},
    **{rate: (den, num) for rate, (num, den) in RATES.items()},
    "mean_handling_hours": ("handling_timed", None),
    "score": ("registered", None),
}

#: Which cases an evaluation looks at: the period's registrations (立案), drills and voided
#: cases left out.
COHORT_WHERE = (
    "NOT c.exercise AND c.stage <> 'void'"
    " AND c.registered_at >= $start AND c.registered_at < $end AND c.registered_at <= $now"
)
_COHORT = f"FROM cases c WHERE {COHORT_WHERE}"

_CASE_COLUMNS = (
    "c.case_id, c.category_code, c.district_code, c.street_code, c.assigned_unit, c.assignee,"
    " c.stage, c.registered_at, c.dispatched_at, c.dispatch_due_at, c.due_at, c.handled_at,"
    " c.closed_at, c.sla_limit_s, c.handling_used_s, c.rework_count, c.satisfaction,"
    " c.rated_at"
)

_MONTH = re.compile(r"(\d{4})-(\d{2})")


class _Reader(Protocol):
    def query_df(self, sql: str, params: Any = None) -> pd.DataFrame: ...


def _naive_utc(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _params(period_start: datetime, period_end: datetime, now: datetime) -> dict[str, Any]:
    start = _naive_utc(period_start, "period_start")
    end = _naive_utc(period_end, "period_end")
    if end <= start:
        raise ValueError(f"empty period: {start} .. {end}")
    return {"start": start, "end": end, "now": _naive_utc(now, "now")}


def _group(by: str) -> tuple[str, str, str]:
    key = {spec[0]: name for name, spec in GROUPS.items()}.get(by, by)
    if key not in GROUPS:
        raise ValueError(f"unknown grouping {by!r}; expected one of {', '.join(GROUPS)}")
    return GROUPS[key]


def validate_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """The score's weights, checked: known components, finite, non-negative, sum > 0.

    Components not named weigh 0; ``None`` gives :data:`DEFAULT_WEIGHTS`.

    Raises
    ------
    ValueError
        Unknown component, a negative or non-finite weight, or all weights zero.
    """
    if weights is None:
        return dict(DEFAULT_WEIGHTS)
    unknown = set(weights) - set(DEFAULT_WEIGHTS)
    if unknown:
        raise ValueError(
            f"unknown score components {sorted(unknown)}; expected {sorted(DEFAULT_WEIGHTS)}"
        )
    checked = {}
    for name in DEFAULT_WEIGHTS:
        value = weights.get(name, 0.0)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"weight {name} must be a number, not {value!r}")
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"weight {name} must be finite and non-negative, not {value}")
        checked[name] = float(value)
    if sum(checked.values()) <= 0:
        raise ValueError("weights must sum to more than 0")
    return checked


def _rate(num: str, den: str) -> str:
    return f"CASE WHEN {den} > 0 THEN {num}::DOUBLE / {den} END"


def _score_sql() -> str:
    # each component in 0..1 (higher is better); a NULL component drops out and the
    # remaining weights are renormalised, so a unit is not punished for having no cases of a kind
    parts = {
        "dispatch": "on_time_dispatch_rate",
        "handling": "on_time_handling_rate",
        "closure": "closure_rate",
        "rework": "1 - rework_rate",
        "overdue": "1 - least(1.0, overdue_count::DOUBLE / nullif(registered, 0))",
    }
    num = " + ".join(f"$w_{k} * coalesce({v}, 0)" for k, v in parts.items())
    den = " + ".join(f"CASE WHEN ({v}) IS NULL THEN 0 ELSE $w_{k} END" for k, v in parts.items())
    # not rated (NULL) while no case of the group is due for handling or closure yet
    return f"CASE WHEN handling_due + closure_due > 0 THEN 100 * ({num}) / nullif({den}, 0) END"


def evaluate(
    store: _Reader,
    *,
    period_start: datetime,
    period_end: datetime,
    by: str,
    weights: Mapping[str, float] | None = None,
    now: datetime,
    scope: Scope | None = None,
) -> pd.DataFrame:
    """Evaluate every district, street, department or post over one period, in one query.

    Cases looked at (the cohort): not an exercise, not voided, registered (立案) in
    ``[period_start, period_end)`` and by ``now``. Milestones count only if reached by
    ``now``. Over that cohort, per group:

    - ``registered``: the cohort. ``dispatched``: first dispatch by ``now``.
    - ``on_time_dispatch_rate`` = ``on_time_dispatch`` / ``dispatch_due``: dispatched with
      ``dispatched_at <= dispatch_due_at``, over cases dispatched or past their dispatch
      limit (应派遣数); a case still within its limit is not judged yet.
    - ``handled``: has a 处置反馈 by ``now`` and is not back in rework.
      ``on_time_handling_rate`` (按期处置率) = ``on_time_handling`` / ``handling_due``:
      handled with ``handling_used_s <= sla_limit_s``, over dispatched cases that are
      handled or past ``due_at`` (应处置数).
    - ``closure_rate`` (结案率) = ``closed`` / ``closure_due``: closed by ``now``, over cases
      closed or past their handling deadline ``due_at`` (应结案数).
    - ``rework_rate`` (返工率) = ``reworked`` / ``handled``: handled cases sent back at least once.
    - ``overdue_count`` (超期数): handled late (``handling_used_s > sla_limit_s``), or open,
      dispatched, not handled and past ``due_at`` at ``now``, or open, never dispatched and
      past ``dispatch_due_at`` at ``now``.
    - ``mean_handling_hours``: mean SLA working time used at feedback, over handled cases.
    - ``score``: 0–100, ``100 * Σ w·s / Σ w`` over components s in 0..1: dispatch (on-time
      dispatch rate), handling (on-time handling rate), closure (closure rate), rework
      (1 − rework rate), overdue (1 − min(1, overdue_count / registered)). A NULL
      component drops out, its weight with it. A group with no case due for handling or
      closure yet (``handling_due + closure_due = 0``: e.g. one case dispatched on time and
      still within its limit) is not rated: ``score`` is NULL (未评, never 100) and the
      group comes after every rated one.

    Rates are fractions 0..1 and NULL (never 0) when the denominator is 0.

    Parameters
    ----------
    store
        The store (anything with ``query_df``).
    period_start, period_end
        The period, naive UTC (aware datetimes are converted); see :func:`period_of_month`.
    by
        ``district``, ``street``, ``department`` (``assigned_unit``, only the units of the
        ``departments`` table: locality bodies and cases without a unit are not ranked) or
        ``post`` (``assignee``).
    weights
        Score weights by component (see :data:`DEFAULT_WEIGHTS`); unnamed ones weigh 0.
    now
        The moment of evaluation (naive UTC).
    scope
        Only the cases of this scope (``Scope.case_filter``); None: all (a district's
        leader sees a department judged on that district's cases).

    Returns
    -------
    pandas.DataFrame
        One row per group: ``group_value``, ``group_name``, every count of
        :data:`PREDICATES`, the rates, ``mean_handling_hours`` and ``score``; best first.
    """
    column, name_sql, joins = _group(by)
    w = validate_weights(weights)
    where, scope_params = case_conditions(scope)
    counts = ",\n    ".join(
        f"count(*) FILTER (WHERE {pred}) AS {name}" for name, pred in PREDICATES.items()
    )
    rates = ",\n    ".join(f"{_rate(n, d)} AS {rate}" for rate, (n, d) in RATES.items())
    sql = f"""
WITH g AS (
  SELECT c.{column} AS group_value,
    {counts},
    avg(c.handling_used_s) FILTER (WHERE {PREDICATES["handling_timed"]}) / 3600.0
        AS mean_handling_hours
  {_COHORT}
  AND {where}
  GROUP BY c.{column}
), r AS (
  SELECT g.*, {name_sql} AS group_name,
    {rates}
  FROM g {joins}
)
SELECT group_value, group_name,
  registered, dispatched, dispatch_due, on_time_dispatch, on_time_dispatch_rate,
  handled, handling_due, on_time_handling, on_time_handling_rate,
  closure_due, closed, closure_rate, reworked, rework_rate, overdue_count,
  handling_timed, mean_handling_hours, rated, satisfied, satisfaction_rate,
  {_score_sql()} AS score
FROM r
ORDER BY score DESC NULLS LAST, group_value NULLS LAST
"""
    params = _params(period_start, period_end, now) | {f"w_{k}": v for k, v in w.items()}
    return store.query_df(sql, params | scope_params)


def cases_behind(
    store: _Reader,
    *,
    figure: str,
    group_key: str | None = None,
    group_value: str | None = None,
    period_start: datetime,
    period_end: datetime,
    now: datetime,
    scope: Scope | None = None,
    selection: CaseSelection | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """The cases behind one figure of one group of :func:`evaluate`, by the same predicate.

    Parameters
    ----------
    figure
        A count (``registered``, ``overdue_count``, ...), a rate (its denominator's cases,
        ``in_numerator`` marking those counted above the line), ``mean_handling_hours``
        (the handled cases averaged) or ``score`` (the whole cohort).
    group_key
        The ``by`` of the evaluation (``district``, ...) or its column (``district_code``);
        ``None``: the whole cohort, no group.
    group_value
        The group's ``group_value``; ``None`` is the group of cases without one.
    period_start, period_end, now, scope
        As given to :func:`evaluate`.
    selection
        Only these categories / sources (a cockpit indicator's cases).
    limit
        At most this many rows (the first by ``case_id``).

    Returns
    -------
    pandas.DataFrame
        One row per case, ordered by ``case_id``, with its milestones and ``in_numerator``.
    """
    if figure not in FIGURES:
        raise ValueError(f"unknown figure {figure!r}; expected one of {', '.join(FIGURES)}")
    group, params = "TRUE", _params(period_start, period_end, now)
    if group_key is not None:
        group = f"c.{_group(group_key)[0]} IS NOT DISTINCT FROM $group_value"
        params["group_value"] = group_value
    rows, numerator = FIGURES[figure]
    flag = PREDICATES[numerator] if numerator else "TRUE"
    where, more = case_conditions(scope, selection)
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ValueError(f"limit must be a non-negative integer, not {limit!r}")
        more["limit"] = limit
    sql = f"""
SELECT {_CASE_COLUMNS}, {flag} AS in_numerator
{_COHORT}
  AND {group}
  AND {PREDICATES[rows]}
  AND {where}
ORDER BY c.case_id
{"LIMIT $limit" if limit is not None else ""}
"""
    return store.query_df(sql, params | more)


def period_of_month(month: str, tz: str = "Asia/Shanghai") -> tuple[datetime, datetime]:
    """The naive-UTC bounds ``[start, end)`` of a local calendar month, e.g. ``"2026-10"``.

    Raises
    ------
    ValueError
        Not ``YYYY-MM``, a month outside 1..12, or an unknown time zone.
    """
    match = _MONTH.fullmatch(month.strip()) if isinstance(month, str) else None
    if not match:
        raise ValueError(f"month must look like 2026-10, not {month!r}")
    period = parse_period(match[0], tz)  # the one calendar of periods
    return period.start, period.end
