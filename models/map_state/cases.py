"""Cases on the map at an instant (live or replayed from the history) and per-cell counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from models.map_state.positions import blank_undrawable
from models.map_state.working_time import WorkingTable
from models.security import Scope
from models.sla import YELLOW_FRACTION
from models.store import Store
from models.work_calendar import WorkCalendar

#: Stages in which the SLA clock has been started by a dispatch (the case has a due time).
CLOCK_STAGES = ("dispatched", "handling", "extension_requested", "handled", "verified", "rework")
#: A category whose handling limit is at most this much working time is urgent.
URGENT_LIMIT = timedelta(hours=4)
#: Replay reaches this far back (SPEC §4: any moment of the last 90 days); older instants
#: are refused rather than drawn empty.
REPLAY_DAYS = 90
CASE_COLUMNS = [
    "case_id",
    "lon",
    "lat",
    "category_code",
    "category_zh",
    "category_en",
    "source",
    "stage",
    "reported_at",
    "due_at",
    "closed_at",
    "exercise",
    "cell_code",
    "district_code",
    "street_code",
    "escalation_level",
    "severity",
    "sla",
    "time_left_h",
    "open",
    "change_seq",
    "assigned_unit",
    "rework_count",
]

# One pass over the history up to `at`, joined only to the cases alive then (or changed).
_CASES_SQL = """
WITH c AS (
    SELECT case_id, lon, lat, category_code, source, stage AS stage_now, reported_at, due_at,
           closed_at, exercise, cell_code, district_code, street_code, sla_limit_s, change_seq,
           assigned_unit AS unit_now
    FROM cases
    WHERE reported_at <= $at AND {where} AND {which}
), t AS (
    SELECT h.case_id,
           arg_max(h.to_stage, h.seq) FILTER (WHERE h.occurred_at <= $at) AS stage_at,
           max(h.occurred_at) FILTER (WHERE h.occurred_at <= $at AND h.action = 'dispatch')
               AS dispatched_at,
           arg_max(h.occurred_at, h.seq) FILTER (WHERE h.occurred_at <= $at
               AND h.action = 'request_extension') AS paused_at,
           sum(coalesce(try_cast(json_extract_string(h.data, '$.extension') AS DOUBLE), 0))
               FILTER (WHERE h.occurred_at <= $at AND h.action = 'approve_extension')
               AS granted_s,
           count(*) FILTER (WHERE h.occurred_at > $at
               AND h.action IN ('dispatch', 'approve_extension', 'deny_extension'))
               AS deadline_moves_after,
           arg_max(json_extract_string(h.data, '$.unit'), h.seq)
               FILTER (WHERE h.occurred_at <= $at AND h.action = 'dispatch') AS unit_at,
           count(*) FILTER (WHERE h.occurred_at > $at AND h.action = 'dispatch')
               AS dispatches_after,
           count(*) FILTER (WHERE h.occurred_at <= $at AND h.action = 'verify_fail') AS rework_at
    FROM case_transitions h SEMI JOIN c USING (case_id)
    GROUP BY h.case_id
), e AS (
    SELECT case_id, count(*) FILTER (WHERE kind = 'escalation') AS escalation_level,
           arg_max(json_extract_string(detail, '$.unit'), seq)
               FILTER (WHERE kind = 'route_suggested') AS suggested_unit
    FROM case_events SEMI JOIN c USING (case_id)
    WHERE kind IN ('escalation', 'route_suggested') AND occurred_at <= $at
    GROUP BY case_id
)
SELECT c.*, coalesce(t.stage_at, c.stage_now) AS stage, t.dispatched_at, t.paused_at,
       coalesce(t.granted_s, 0) AS granted_s, coalesce(t.deadline_moves_after, 0) > 0 AS moved,
       coalesce(e.escalation_level, 0)::INTEGER AS escalation_level,
       -- the unit of the last dispatch by $at; before one, the routing's suggestion
       coalesce(t.unit_at, CASE WHEN coalesce(t.dispatches_after, 0) = 0 THEN c.unit_now
                                ELSE e.suggested_unit END) AS assigned_unit,
       coalesce(t.rework_at, 0)::INTEGER AS rework_count,
       k.name_zh AS category_zh, k.name_en AS category_en, k.limit_value, k.limit_unit
FROM c LEFT JOIN t USING (case_id) LEFT JOIN e USING (case_id)
LEFT JOIN categories k USING (category_code)
"""


def _category_limit_s(frame: pd.DataFrame, calendar: WorkCalendar) -> np.ndarray:
    day_s = calendar.day_length.total_seconds()
    value = frame["limit_value"].to_numpy(dtype=float)
    days = frame["limit_unit"].to_numpy(dtype=object) == "working_days"
    return np.where(days, value * day_s, value * 3600.0)


def sla_total_s(frame: pd.DataFrame, calendar: WorkCalendar) -> np.ndarray:
    """Each case's whole SLA time in working seconds: ``sla_limit_s`` (the limit it was
    dispatched with, granted extensions included), else its category's limit."""
    total_s = frame["sla_limit_s"].to_numpy(dtype=float)
    return np.where(
        np.isfinite(total_s) & (total_s > 0), total_s, _category_limit_s(frame, calendar)
    )


def sla_levels(left_s: np.ndarray, total_s: np.ndarray) -> np.ndarray:
    """SLA level per case from working seconds left and in all: ``none`` (NaN left),
    ``red`` (overdue), ``yellow`` (at least :data:`YELLOW_FRACTION` used) or ``green``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = (total_s - left_s) / total_s
    return np.where(
        np.isnan(left_s),
        "none",
        np.where(left_s < 0, "red", np.where(fraction >= YELLOW_FRACTION, "yellow", "green")),
    )


def cases_at(
    store: Store,
    scope: Scope,
    *,
    at: datetime,
    calendar: WorkCalendar,
    since_seq: int | None = None,
    case_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The cases of ``scope`` as they stood at ``at`` (naive UTC): the live or replayed map.

    Without ``since_seq``: the cases reported by ``at`` and not closed or voided by then
    (their stage at ``at`` is the ``to_stage`` of the last transition up to ``at``). With
    ``since_seq``: only cases whose ``change_seq`` is above it, closed ones included, so a
    screen can drop them (``open`` is False). With ``case_ids`` (not with ``since_seq``):
    those cases reported by ``at``, closed ones included (a card).

    The due time is the case row's ``due_at`` when no dispatch or granted extension came
    after ``at``; otherwise it is rebuilt as the last dispatch up to ``at`` plus the
    category limit and the extensions granted by ``at`` (working time, ignoring the clock's
    pause while an extension request was pending — a few hours' error at most, on a few
    replayed cases).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CASE_COLUMNS`: ``escalation_level`` counts the 督办 tiers raised by
        ``at``; ``severity`` is ``escalated`` (a tier raised), ``urgent`` (category limit at
        most 4 working hours) or ``normal``; ``sla`` is ``none`` (not dispatched, or not
        open), ``green``, ``yellow`` (≥ 80 % of the limit used) or ``red`` (past due);
        ``time_left_h`` is working hours to the due time at ``at`` (clock paused while an
        extension request is pending), negative when overdue, NaN without a due time;
        ``due_at`` stays on a case closed after its dispatch; ``assigned_unit`` is the unit
        of the last dispatch by ``at`` (before one: the routing's suggestion);
        ``rework_count`` counts the failed verifications by ``at``.
    """
    where, named = named_scope_filter(scope)
    extra: dict[str, object]
    if case_ids is not None:
        if since_seq is not None:
            raise ValueError("cases_at takes since_seq or case_ids, not both")
        marks = ", ".join(f"$c{i}" for i in range(len(case_ids)))
        which = f"case_id IN ({marks})" if case_ids else "FALSE"
        extra = {f"c{i}": str(v) for i, v in enumerate(case_ids)}
    elif since_seq is None:
        which, extra = "(closed_at IS NULL OR closed_at > $at)", {}
    else:
        which, extra = "change_seq > $since", {"since": int(since_seq)}
    named |= extra
    return read_cases(store, at=at, calendar=calendar, where=where, which=which, params=named)


def named_scope_filter(scope: Scope) -> tuple[str, dict[str, object]]:
    """The scope's filter on ``cell_code`` with named marks, for queries that use names.

    Returns
    -------
    tuple
        The SQL condition with ``$p0, $p1 …`` in place of the scope filter's ``?`` marks,
        and ``{"p0": …, "p1": …}`` to pass with the query.
    """
    where, params = scope.sql_filter("cell_code")
    for i in range(len(params)):
        where = where.replace("?", f"$p{i}", 1)
    return where, {f"p{i}": p for i, p in enumerate(params)}


def read_cases(
    store: Store,
    *,
    at: datetime,
    calendar: WorkCalendar,
    which: str,
    where: str = "TRUE",
    params: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """The cases reported by ``at`` that match ``where`` and ``which``, as they stood at ``at``.

    Parameters
    ----------
    at
        The instant, naive UTC (``$at`` in the conditions).
    which, where
        SQL conditions on the ``cases`` row, with named marks only (e.g.
        ``"list_contains($ids, case_id)"``; ``where`` from :func:`named_scope_filter`).
    params
        The values of the conditions' named marks (all but ``$at``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CASE_COLUMNS`, computed as :func:`cases_at` describes.
    """
    sql = _CASES_SQL.format(where=where, which=which)
    frame = store.query_df(sql, {"at": at, **(params or {})})
    return _finish(frame, at=at, calendar=calendar)


def _finish(frame: pd.DataFrame, *, at: datetime, calendar: WorkCalendar) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CASE_COLUMNS})
    stage = frame["stage"].to_numpy(dtype=object)
    is_open = ~np.isin(stage, ["closed", "void"])
    limit_s = _category_limit_s(frame, calendar)
    due = frame["due_at"].to_numpy(dtype="datetime64[ns]").copy()
    has_due = np.isin(stage, (*CLOCK_STAGES, "closed"))
    clock = has_due & is_open
    moved = frame["moved"].to_numpy(dtype=bool) & clock
    dispatched = frame["dispatched_at"].to_numpy(dtype="datetime64[ns]")
    paused = frame["paused_at"].to_numpy(dtype="datetime64[ns]")
    at64 = np.datetime64(at, "ns")
    table = WorkingTable.spanning(calendar, due, dispatched, np.array([at64]))
    if moved.any():
        total = limit_s[moved] + frame["granted_s"].to_numpy(dtype=float)[moved]
        due[moved] = table.add(dispatched[moved], total)
    due[~has_due] = np.datetime64("NaT")
    # the clock stands still from an extension request until it is answered
    pausing = stage == "extension_requested"
    stop = np.where(pausing & ~np.isnat(paused), paused, at64).astype("datetime64[ns]")
    left_s = np.where(clock, table.seconds_between(stop, due), np.nan)
    sla = sla_levels(left_s, sla_total_s(frame, calendar))
    escalation = frame["escalation_level"].to_numpy(dtype=int)
    urgent = np.nan_to_num(limit_s, nan=np.inf) <= URGENT_LIMIT.total_seconds()
    out = frame.assign(
        due_at=pd.to_datetime(due),
        severity=np.where(escalation > 0, "escalated", np.where(urgent, "urgent", "normal")),
        sla=sla,
        time_left_h=left_s / 3600.0,
        open=is_open,
        escalation_level=escalation,
    )
    out.loc[~is_open, "sla"] = "none"
    out = blank_undrawable(out, key="case_id", what="case")
    return out[CASE_COLUMNS].sort_values("case_id", ignore_index=True)


def case_counts_by_cell(
    store: Store,
    scope: Scope,
    *,
    at: datetime,
    calendar: WorkCalendar,
    cases: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Open and overdue (red) non-exercise cases per cell at ``at``.

    Parameters
    ----------
    cases
        The result of :func:`cases_at` for the same arguments, to avoid reading it twice.

    Returns
    -------
    pandas.DataFrame
        ``cell_code, open_cases, overdue``; only cells with at least one open case.
    """
    frame = cases if cases is not None else cases_at(store, scope, at=at, calendar=calendar)
    live = frame[frame["open"].astype(bool) & ~frame["exercise"].astype(bool)]
    live = live[live["cell_code"].notna()]
    grouped = live.assign(red=live["sla"] == "red").groupby("cell_code", sort=True)
    out = grouped.agg(open_cases=("case_id", "size"), overdue=("red", "sum")).reset_index()
    return out.astype({"open_cases": int, "overdue": int})


def scope_districts(scope: Scope) -> list[str] | None:
    """The district codes a scope lies in; ``None`` for the whole city."""
    if scope.kind == "city":
        return None
    return sorted({code[:6] for code in scope.codes})
