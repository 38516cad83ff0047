"""The wall's feed rows (new cases and alarms) and the watermarks live polling compares against."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from models.map_state.positions import drawable_sql
from models.security import Scope
from models.store import Store

#: Columns of :func:`feed_cases`.
FEED_CASE_COLUMNS = (
    "case_id, reported_at, source, category_zh, category_en, address, lon, lat, exercise, "
    "external_id"
)
#: Columns of :func:`feed_alarms`.
FEED_ALARM_COLUMNS = "alarm_id, opened_at, kind, sensor_id, rule_id, value, lon, lat, exercise"


def feed_cases(
    store: Store,
    scope: Scope,
    *,
    until: datetime,
    since: int | None,
    window: timedelta,
    limit: int,
    majors: tuple[str, ...] = (),
) -> pd.DataFrame:
    """The newest cases of ``scope`` for the feed, newest first, at most ``limit``; with
    ``majors`` (a theme map's), only cases of those category major codes.

    Without ``since``: reported by ``until``. With ``since`` (a change sequence): changed
    after it, reported in the ``window`` before ``until`` and not closed or voided.

    Returns
    -------
    pandas.DataFrame
        :data:`FEED_CASE_COLUMNS`.
    """
    where, params = scope.sql_filter("c.cell_code")
    if since is None:
        cond, cond_params = "c.reported_at <= ?", [until]
    else:
        cond = (
            "c.change_seq > ? AND c.reported_at > ? AND c.reported_at <= ? "
            "AND c.stage NOT IN ('closed', 'void')"
        )
        cond_params = [since, until - window, until]
    if majors:
        cond += f" AND substr(c.category_code, 1, 2) IN ({', '.join('?' * len(majors))})"
        cond_params = [*cond_params, *majors]
    return store.query_df(
        "SELECT c.case_id, c.reported_at, c.source, k.name_zh AS category_zh, "
        "k.name_en AS category_en, c.address, "
        f"{_drawn('c.lon', 'c.lat')}, c.exercise, c.external_id "
        "FROM cases c LEFT JOIN categories k ON k.category_code = c.category_code "
        f"WHERE {cond} AND {where} ORDER BY c.reported_at DESC LIMIT {int(limit)}",
        [*cond_params, *params],
    )


def feed_alarms(
    store: Store,
    scope: Scope,
    *,
    until: datetime,
    since: int | None,
    window: timedelta,
    limit: int,
) -> pd.DataFrame:
    """The newest alarms of the sensors of ``scope`` for the feed, newest first.

    Without ``since``: opened by ``until``. With ``since``: changed after it, opened in the
    ``window`` before ``until`` and still open.

    Returns
    -------
    pandas.DataFrame
        :data:`FEED_ALARM_COLUMNS` (``kind``, ``lon``, ``lat`` of the sensor).
    """
    where, params = scope.sql_filter("s.cell_code")
    if since is None:
        cond, cond_params = "a.opened_at <= ?", [until]
    else:
        cond = "a.change_seq > ? AND a.opened_at > ? AND a.cleared_at IS NULL"
        cond_params = [since, until - window]
    return store.query_df(
        "SELECT a.alarm_id, a.opened_at, s.kind, s.sensor_id, a.rule_id, a.value, "
        f"{_drawn('s.lon', 's.lat')}, "
        "a.exercise FROM alarms a JOIN sensors s ON s.sensor_id = a.sensor_id "
        f"WHERE {cond} AND {where} ORDER BY a.opened_at DESC LIMIT {int(limit)}",
        [*cond_params, *params],
    )


def newest_receipt(store: Store, after: datetime) -> datetime:
    """The latest receipt time of observations, traffic samples and unit positions after
    ``after`` (or ``after`` itself when nothing newer arrived)."""
    value = store.query_value(
        "SELECT max(r) FROM (SELECT max(received_at) AS r FROM observations WHERE received_at > ? "
        "UNION ALL SELECT max(received_at) FROM traffic_samples WHERE received_at > ? "
        "UNION ALL SELECT max(received_at) FROM unit_positions WHERE received_at > ?)",
        [after, after, after],
    )
    return value if isinstance(value, datetime) else after


def positions_moved(store: Store, after: datetime) -> bool:
    """Whether a unit reported its position after ``after``."""
    return bool(
        store.query_value("SELECT count(*) > 0 FROM unit_positions WHERE received_at > ?", [after])
    )


def emergency_changed(store: Store, since: int) -> bool:
    """Whether an incident, resource or warning changed after change sequence ``since``."""
    return bool(
        store.query_value(
            "SELECT count(*) > 0 FROM (SELECT change_seq FROM incidents WHERE change_seq > ? "
            "UNION ALL SELECT change_seq FROM resources WHERE change_seq > ? "
            "UNION ALL SELECT change_seq FROM alerts WHERE change_seq > ?)",
            [since, since, since],
        )
    )


def _drawn(lon: str, lat: str) -> str:
    """Select ``lon, lat`` as NULL where the wall cannot draw them (NaN, infinite, off the
    globe: JSON has no NaN, and a feed item without a position simply has no fly-to)."""
    ok = drawable_sql(lon, lat)
    return f"CASE WHEN {ok} THEN {lon} END AS lon, CASE WHEN {ok} THEN {lat} END AS lat"
