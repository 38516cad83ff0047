"""Measures of city safety and grid work: alarms by sensor kind, incidents by level, sensor
availability, patrol coverage of grid cells and reports per grid worker.

Every period is computed in one query. Alarms and sensors are placed by the sensor's
``cell_code``; **incidents are city business and carry no cell: incident counts are
city-wide** whatever the scope (as the wall's incident layer, ``map_state.incidents_at``).
Drills (``exercise``) never count; nothing after ``now`` counts, and a period not begun at
``now`` has no value.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from models.freshness import STALE_AFTER_INTERVALS
from models.geography import current_grid_version
from models.indicators.measure_kit import (
    counts_per_period,
    per_period,
    periods_cte,
    texts,
    with_params,
)
from models.security import Scope
from models.store import Store

if TYPE_CHECKING:
    from models.indicators.periods import Period
    from models.indicators.registry import Indicator

Values = list[float | None]


def _kinds(ind: Indicator) -> list[str] | None:
    kinds = ind.params.get("kinds")
    return None if not kinds else [str(k) for k in kinds]


def alarms_opened(
    store: Store, ind: Indicator, periods: list[Period], scope: Scope, now: datetime
) -> Values:
    """Alarms opened in each period (not drills) on sensors in ``scope`` of the kinds in
    ``params.kinds`` (all kinds when absent), e.g. ``[manhole]`` or ``[gas, smoke]``."""
    cte, params = periods_cte(periods)
    where, scope_params = scope.sql_filter("s.cell_code")
    kinds = _kinds(ind)
    rows = store.query_rows(
        f"WITH {cte} SELECT p, count(*) FROM alarms a JOIN sensors s USING (sensor_id) "
        "JOIN periods ON a.opened_at >= p_start AND a.opened_at < p_end "
        f"WHERE NOT a.exercise AND a.opened_at <= ? AND (? OR list_contains(?, s.kind)) "
        f"AND {where} GROUP BY p",
        [*params, now, kinds is None, kinds or [], *scope_params],
    )
    return counts_per_period(periods, dict(rows), now)


def incidents_opened(
    store: Store, ind: Indicator, periods: list[Period], scope: Scope, now: datetime
) -> Values:
    """Incidents (突发事件) opened in each period, not exercises, city-wide (see above),
    of the levels in ``params.levels`` (I 特别重大 … IV 一般; all when absent) and the
    types in ``params.types`` (all when absent)."""
    del scope  # incidents carry no cell: city-wide
    cte, params = periods_cte(periods)
    levels = [str(v) for v in ind.params.get("levels") or []]
    types = [str(v) for v in ind.params.get("types") or []]
    rows = store.query_rows(
        f"WITH {cte} SELECT p, count(*) FROM incidents i "
        "JOIN periods ON i.opened_at >= p_start AND i.opened_at < p_end "
        "WHERE NOT i.exercise AND i.opened_at <= ? AND (? OR list_contains(?, i.level)) "
        "AND (? OR list_contains(?, i.incident_type)) GROUP BY p",
        [*params, now, not levels, levels, not types, types],
    )
    return counts_per_period(periods, dict(rows), now)


def sensor_availability(
    store: Store, ind: Indicator, periods: list[Period], scope: Scope, now: datetime
) -> Values:
    """Share (%) of sensor-days on which a sensor in ``scope`` reported (设备日在线率).

    A sensor owes a report on each local day of the period from its ``installed_on`` day,
    once the day is old enough for the sensor to have gone stale in it: the day's start
    plus :data:`~models.freshness.STALE_AFTER_INTERVALS` of its ``interval_s`` is at or
    before ``now`` (the one notion of "stale", ``models.freshness``). A day counts as
    received when the sensor sent at least one reading in it (an observation, or a sample on
    a traffic detector's segment). ``params.kinds`` limits the sensor kinds. A sensor without
    an ``installed_on`` owes reports from its first reading, or, never heard, from the first
    reading of any sensor (when monitoring began); before any reading at all nothing is owed
    and the value is None, not 0.
    """
    if not periods:
        return []
    cte, params = periods_cte(periods)
    where, scope_params = scope.sql_filter("s.cell_code")
    kinds = _kinds(ind)
    firsts = [p.first_day for p in periods]
    bounds = [min(p.start for p in periods), max(p.end for p in periods)]
    rows = store.query_rows(
        f"WITH {cte}, firsts AS (SELECT unnest(?::INTEGER[]) AS p, unnest(?::DATE[]) AS first), "
        "days AS (SELECT p, p_start, "
        "unnest(range(0, ceil(epoch(p_end - p_start) / 86400)::BIGINT)) AS d FROM periods), "
        "began AS (SELECT min(ts)::DATE AS day FROM observations WHERE NOT exercise), "
        "heard AS (SELECT sensor_id, min(ts)::DATE AS day FROM observations WHERE NOT exercise "
        "GROUP BY sensor_id), "
        "own AS (SELECT s.sensor_id, s.kind, s.interval_s, s.segment_id, "
        "coalesce(s.installed_on, heard.day, began.day) AS installed_on FROM sensors s "
        "LEFT JOIN heard USING (sensor_id) CROSS JOIN began "
        f"WHERE s.interval_s > 0 AND (? OR list_contains(?, s.kind)) AND {where} "
        "AND coalesce(s.installed_on, heard.day, began.day) IS NOT NULL), "
        "due AS (SELECT days.p, days.d, o.sensor_id FROM days JOIN firsts USING (p) "
        "CROSS JOIN own o "
        "WHERE (o.installed_on IS NULL OR o.installed_on <= first + days.d::INTEGER) "
        f"AND days.p_start + to_seconds((days.d * 86400 + {STALE_AFTER_INTERVALS} * o.interval_s)"
        "::BIGINT) <= ?), "
        "readings AS (SELECT r.sensor_id, r.ts FROM observations r JOIN own USING (sensor_id) "
        "WHERE NOT r.exercise AND r.ts >= ? AND r.ts < ? UNION ALL SELECT o.sensor_id, t.ts "
        "FROM traffic_samples t JOIN own o ON o.segment_id = t.segment_id AND o.kind = 'traffic' "
        "WHERE t.ts >= ? AND t.ts < ?), "
        "seen AS (SELECT DISTINCT p, r.sensor_id, floor(epoch(r.ts - p_start) / 86400)::BIGINT "
        "AS d FROM readings r JOIN periods ON r.ts >= p_start AND r.ts < p_end) "
        "SELECT due.p, count(*), count(seen.sensor_id) FROM due "
        "LEFT JOIN seen USING (p, d, sensor_id) GROUP BY due.p",
        [*params, list(range(len(periods))), firsts, kinds is None, kinds or [], *scope_params,
         now, *bounds, *bounds],
    )  # fmt: skip
    return per_period(len(periods), {p: 100.0 * got / due for p, due, got in rows if due})


def patrol_coverage(
    store: Store, ind: Indicator, periods: list[Period], scope: Scope, now: datetime
) -> Values:
    """Share (%) of the current grid's cells in ``scope`` with at least one patrol check-in
    (``patrol_checkins.cell_code``, whoever made it) in the period (巡查覆盖率); None for a
    period that ended before the first check-in ever recorded (patrols not yet kept)."""
    version = current_grid_version(store)
    if version is None:
        return [None] * len(periods)
    cte, params = periods_cte(periods)
    where, scope_params = scope.sql_filter("c.cell_code")
    total = store.query_value(
        f"SELECT count(*) FROM grid_cells c WHERE c.version_id = ? AND {where}",
        [version, *scope_params],
    )
    began = store.query_value("SELECT min(checked_at) FROM patrol_checkins")
    if not total or began is None:
        return [None] * len(periods)
    rows = store.query_rows(
        f"WITH {cte} SELECT p, count(DISTINCT k.cell_code) FROM patrol_checkins k "
        "JOIN periods ON k.checked_at >= p_start AND k.checked_at < p_end "
        "JOIN grid_cells c ON c.cell_code = k.cell_code AND c.version_id = ? "
        f"WHERE k.checked_at <= ? AND {where} GROUP BY p",
        [*params, version, now, *scope_params],
    )
    covered = dict(rows)
    return [
        None if p.start > now or p.end <= began else 100.0 * covered.get(i, 0) / total
        for i, p in enumerate(periods)
    ]


def _overlaps(kind: str, codes: Sequence[str], scope: Scope) -> bool:
    """Whether a user scope (kind, codes) shares ground with ``scope`` (place scopes only)."""
    if scope.kind == "city" or kind == "city":
        return scope.kind != "unit" and kind != "unit"
    if kind == "unit" or scope.kind == "unit":
        return False
    # codes nest by prefix: district 6, street 9, cell 15 digits
    return any(a.startswith(b) or b.startswith(a) for a in codes for b in scope.codes)


def grid_workers_in(store: Store, scope: Scope) -> int:
    """How many grid workers (网格员) ``scope`` has: the distinct names the current grid's
    cells in ``scope`` list (``grid_cells.grid_workers``, the grid's own roster); when the
    grid lists none there, the enabled ``grid_worker`` accounts whose scope shares ground
    with ``scope``, as they are now (neither keeps history)."""
    version = current_grid_version(store)
    if version is not None:
        where, params = scope.sql_filter("cell_code")
        listed = store.query_value(
            "SELECT count(DISTINCT w) FROM (SELECT unnest(grid_workers) AS w FROM grid_cells "
            f"WHERE version_id = ? AND {where}) WHERE w IS NOT NULL AND w <> ''",
            [version, *params],
        )
        if listed:
            return int(listed)
    users = store.query_rows(
        "SELECT scope_kind, scope_codes FROM users WHERE role = 'grid_worker' AND NOT disabled"
    )
    return sum(_overlaps(kind, list(codes), scope) for kind, codes in users)


def reports_per_grid_worker(
    store: Store, ind: Indicator, periods: list[Period], scope: Scope, now: datetime
) -> Values:
    """Cases reported by grid workers (``source = 'grid_worker'``, not drills) in ``scope``
    in the period, per grid worker of ``scope`` (人均上报, :func:`grid_workers_in`). None
    when the scope has no grid worker."""
    workers = grid_workers_in(store, scope)
    if not workers:
        return [None] * len(periods)
    cte, params = periods_cte(periods)
    where, scope_params = scope.case_filter("c.cell_code", "c.assigned_unit")
    rows = store.query_rows(
        f"WITH {cte} SELECT p, count(*) FROM cases c "
        "JOIN periods ON c.reported_at >= p_start AND c.reported_at < p_end "
        "WHERE c.source = 'grid_worker' AND NOT c.exercise AND c.reported_at <= ? "
        f"AND {where} GROUP BY p",
        [*params, now, *scope_params],
    )
    counts = counts_per_period(periods, dict(rows), now)
    return [None if v is None else v / workers for v in counts]


_LEVELS = ("I", "II", "III", "IV")


def _levels(value: Any) -> list[str]:
    if bad := [v for v in texts(value) if v not in _LEVELS]:
        raise ValueError(f"incident levels are {', '.join(_LEVELS)}, not {bad}")
    return list(value)


MEASURES: dict[str, Any] = {
    "safety.alarms": with_params(alarms_opened, kinds=texts),
    "safety.incidents": with_params(incidents_opened, levels=_levels, types=texts),
    "safety.sensor_availability": with_params(sensor_availability, kinds=texts),
    "grid.patrol_coverage": with_params(patrol_coverage),
    "grid.reports_per_worker": with_params(reports_per_grid_worker),
}
