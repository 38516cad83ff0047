"""Emergency layers at an instant: open incidents, resources where they were, warning areas."""

from __future__ import annotations

from datetime import datetime, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from models.map_state.cases import scope_districts
from models.security import Scope
from models.store import Store

#: How far back a unit's last position is looked for; older units show at their home.
POSITION_WINDOW = timedelta(hours=24)
#: An alert whose CAP message gives no ``expires`` is shown this long after it was sent.
ALERT_DEFAULT_LIFE = timedelta(hours=24)


def _is_wkb(value: object) -> bool:
    return isinstance(value, bytes | bytearray | memoryview)


def _geometry(wkb: pd.Series, lon: pd.Series, lat: pd.Series) -> np.ndarray:
    points = shapely.points(lon.to_numpy(float), lat.to_numpy(float))
    areas = np.array([shapely.from_wkb(bytes(b)) if _is_wkb(b) else None for b in wkb])
    has_area = np.array([a is not None for a in areas], dtype=bool)
    return np.where(has_area, areas, points) if len(areas) else points


def incidents_at(store: Store, scope: Scope, *, at: datetime) -> gpd.GeoDataFrame:
    """Incidents open at ``at`` (``opened_at <= at`` and not closed by then).

    Incidents are city business: every scope sees all of them (they carry no cell).
    ``geometry`` is the incident's area when it has one, else its point (EPSG:4326).

    Returns
    -------
    geopandas.GeoDataFrame
        ``incident_id, incident_type, level, title, status, exercise, opened_at, closed_at,
        lon, lat, change_seq, geometry``.
    """
    del scope  # incidents are not limited by scope (see above)
    frame = store.query_df(
        "SELECT incident_id, incident_type, level, title, status, exercise, opened_at, "
        "closed_at, lon, lat, change_seq, area_wkb FROM incidents WHERE opened_at <= ? "
        "AND (closed_at IS NULL OR closed_at > ?) ORDER BY opened_at, incident_id",
        [at, at],
    )
    geometry = _geometry(frame.pop("area_wkb"), frame["lon"], frame["lat"])
    return gpd.GeoDataFrame(frame, geometry=list(geometry), crs="EPSG:4326")


def resources_at(store: Store, scope: Scope, *, at: datetime) -> pd.DataFrame:
    """Resources of ``scope`` where and in what status they were at ``at``.

    A unit's position and status are its latest ``unit_positions`` row with ``ts <= at``
    (within 24 h before ``at``); without one, the resource's stored place and status (for
    replay that is where it is now: fixed resources do not move). A district or narrower
    scope sees the resources of its districts and the city's own (no district).

    Returns
    -------
    pandas.DataFrame
        ``resource_id, kind, subtype, name_zh, name_en, status, capacity, stock,
        district_code, lon, lat, position_at, position_age_s, change_seq``.
    """
    districts = scope_districts(scope)
    where, params = "TRUE", []
    if districts is not None:
        where = "(r.district_code IS NULL OR list_contains(?, r.district_code))"
        params = [districts]
    return store.query_df(
        "WITH p AS (SELECT unit_id AS resource_id, arg_max(lon, ts) AS lon, "
        "arg_max(lat, ts) AS lat, arg_max(status, ts) AS status, max(ts) AS ts "
        "FROM unit_positions WHERE ts > ? AND ts <= ? GROUP BY unit_id) "
        "SELECT r.resource_id, r.kind, r.subtype, r.name_zh, r.name_en, "
        "coalesce(p.status, r.status) AS status, r.capacity, r.stock, r.district_code, "
        "coalesce(p.lon, r.lon) AS lon, coalesce(p.lat, r.lat) AS lat, "
        "p.ts AS position_at, date_diff('second', p.ts, ?::TIMESTAMP) AS position_age_s, "
        "r.change_seq FROM resources r LEFT JOIN p USING (resource_id) "
        f"WHERE {where} ORDER BY r.resource_id",
        [at - POSITION_WINDOW, at, at, *params],
    )


def warning_areas_at(store: Store, scope: Scope, *, at: datetime) -> gpd.GeoDataFrame:
    """CAP warnings with an area in force at ``at``: sent by then, not expired, not cancelled.

    ``expires`` is the stored one (our own warnings), else read from the stored CAP XML (the
    first ``<expires>``, converted to UTC); without one an alert lasts 24 h after ``sent``.
    An ``Update`` or ``Cancel`` sent by ``at`` that references an alert ends it when it comes
    from the alert's own sender; a ``Cancel`` itself draws nothing. Only published (outbound)
    or imported (inbound) alerts count. Warnings are city-wide: every scope sees them.

    Returns
    -------
    geopandas.GeoDataFrame
        ``identifier, direction, sender, sent, expires, msg_type, severity, headline,
        exercise, change_seq, geometry`` (EPSG:4326).
    """
    del scope
    frame = store.query_df(
        # the stored expiry (our own warnings since migration 17), else the XML's
        "WITH a AS (SELECT * EXCLUDE (expires), coalesce(expires, try_cast(regexp_extract(xml, "
        "'<(?:\\w+:)?expires>\\s*([^<\\s]+)\\s*</', 1) AS TIMESTAMPTZ) AT TIME ZONE 'UTC', "
        "sent + INTERVAL (?) SECOND) AS expires FROM alerts "
        "WHERE state IN ('published', 'imported') AND sent <= ?) "
        "SELECT identifier, direction, sender, sent, expires, msg_type, severity, headline, "
        "exercise, change_seq, area_wkb FROM a WHERE area_wkb IS NOT NULL "
        "AND coalesce(msg_type, 'Alert') <> 'Cancel' AND expires > ? "
        "AND NOT EXISTS (SELECT 1 FROM a b WHERE b.msg_type IN ('Update', 'Cancel') "
        "AND b.identifier <> a.identifier AND b.sender IS NOT DISTINCT FROM a.sender "
        "AND contains(coalesce(regexp_extract(b.xml, "
        "'<(?:\\w+:)?references>([^<]*)</', 1), ''), ',' || a.identifier || ',')) "
        "ORDER BY sent, identifier",
        [int(ALERT_DEFAULT_LIFE.total_seconds()), at, at],
    )
    geometry = [shapely.from_wkb(bytes(b)) if _is_wkb(b) else None for b in frame.pop("area_wkb")]
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
