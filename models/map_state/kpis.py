"""The KPI strip of the one-map screen at an instant, computed from the map's own layers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from models.map_state.cases import cases_at
from models.map_state.sensing import sensors_at, traffic_at
from models.security import Scope
from models.store import Store
from models.traffic import city_index
from models.work_calendar import WorkCalendar

#: An exercise counts as active when one of its rows appeared within this time before `at`.
EXERCISE_WINDOW = timedelta(hours=1)


def local_midnight(at: datetime, tz: str) -> datetime:
    """Naive UTC instant of the local midnight that began the day containing ``at``."""
    local = at.replace(tzinfo=UTC).astimezone(ZoneInfo(tz))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(UTC).replace(tzinfo=None)


def kpis_at(
    store: Store,
    scope: Scope,
    *,
    at: datetime,
    tz: str,
    calendar: WorkCalendar,
    cases: pd.DataFrame | None = None,
    sensors: pd.DataFrame | None = None,
    traffic: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The screen's KPIs at ``at`` (naive UTC); exercise cases are left out of every figure.

    - ``cases_today``: cases reported from local midnight (in ``tz``) up to ``at``.
    - ``open_cases``, ``overdue``: open at ``at``; overdue = SLA red at ``at``.
    - ``closure_rate`` (当日结案率): of today's cases, the share closed (not voided) by
      ``at``; ``None`` when no case was reported today.
    - ``aqi``: mean real-time AQI of the fresh air stations in scope, rounded; ``None``
      when none is fresh.
    - ``congestion_index``: the city's travel-time index (``models.traffic.city_index``)
      over segments sampled in the 15 minutes up to ``at``, 2 decimals; ``None`` without.
    - ``active_incidents``: non-exercise incidents open at ``at``.
    - ``exercise_active``: an exercise case reported, alarm opened, incident opened or
      alert sent within the hour up to ``at``, or an exercise incident still open.

    Parameters
    ----------
    cases, sensors, traffic
        The results of ``cases_at``, ``sensors_at`` and ``traffic_at`` for the same
        arguments, when the caller has them already.
    """
    if cases is None:
        cases = cases_at(store, scope, at=at, calendar=calendar)
    if sensors is None:
        sensors = sensors_at(store, scope, at=at, tz=tz)
    if traffic is None:
        traffic = traffic_at(store, at=at)
    start = local_midnight(at, tz)
    where, params = scope.sql_filter("cell_code")
    today, closed = store.query_rows(
        "SELECT count(*), count(*) FILTER (WHERE stage_at = 'closed') FROM (SELECT c.case_id, "
        "(SELECT arg_max(to_stage, seq) FROM case_transitions h WHERE h.case_id = c.case_id "
        "AND h.occurred_at <= ?) AS stage_at FROM cases c WHERE NOT c.exercise "
        f"AND c.reported_at >= ? AND c.reported_at <= ? AND {where})",
        [at, start, at, *params],
    )[0]
    live = cases[cases["open"].astype(bool) & ~cases["exercise"].astype(bool)]
    air = sensors[(sensors["kind"] == "air") & ~sensors["stale"].astype(bool)]
    aqi_values = [int(h.split()[1]) for h in air["headline"] if h.startswith("AQI ")]
    index = city_index(traffic["index"], traffic["length_m"], traffic["road_class"])
    incidents, exercise = store.query_rows(
        "SELECT count(*) FILTER (WHERE NOT exercise AND opened_at <= $at "
        "AND (closed_at IS NULL OR closed_at > $at)), "
        "(SELECT count(*) FROM cases WHERE exercise AND reported_at > $since "
        "AND reported_at <= $at) + (SELECT count(*) FROM alarms WHERE exercise "
        "AND opened_at > $since AND opened_at <= $at) + (SELECT count(*) FROM alerts "
        "WHERE exercise AND sent > $since AND sent <= $at) + count(*) FILTER (WHERE exercise "
        "AND opened_at <= $at AND (closed_at IS NULL OR closed_at > $since)) FROM incidents",
        {"at": at, "since": at - EXERCISE_WINDOW},
    )[0]
    return {
        "cases_today": int(today),
        "open_cases": len(live),
        "overdue": int((live["sla"] == "red").sum()),
        "closure_rate": round(closed / today, 4) if today else None,
        "aqi": round(sum(aqi_values) / len(aqi_values)) if aqi_values else None,
        "congestion_index": round(index, 2) if index is not None else None,
        "active_incidents": int(incidents),
        "exercise_active": bool(exercise),
    }
