"""Sensor registry queries: when each sensor was last heard from, and its freshness (SPEC §2.4)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from models.freshness import MAX_CLOCK_SKEW_S, is_stale
from models.security import Scope
from models.store import Store, WriteTx


def last_heard(
    store: Store,
    *,
    now: datetime,
    scope: Scope | None = None,
    max_clock_skew_s: float = MAX_CLOCK_SKEW_S,
) -> pd.DataFrame:
    """Every sensor in ``scope`` with the time it was last heard from, as believed at ``now``.

    ``sensors.last_seen`` is the newest ``ts`` ever received, so one reading dated in the
    future would hold it there. A ``last_seen`` more than ``max_clock_skew_s`` after ``now``
    is therefore replaced by the sensor's newest believable reading (an observation, or a
    sample of a traffic detector's segment), and no time is later than ``now``.

    Returns
    -------
    pandas.DataFrame
        Columns sensor_id, kind, lon, lat, cell_code, interval_s, last_seen (NaT: never
        heard from), by ``sensor_id``.
    """
    where, params = (scope or Scope("city")).sql_filter("cell_code")
    df = store.query_df(
        "SELECT sensor_id, kind, lon, lat, cell_code, interval_s, last_seen "
        f"FROM sensors WHERE {where} ORDER BY sensor_id",
        params,
    )
    believable = now + timedelta(seconds=max_clock_skew_s)
    ahead = df["last_seen"] > pd.Timestamp(believable)
    if ahead.any():
        ids = df.loc[ahead, "sensor_id"].tolist()
        newest = store.query_df(
            "SELECT sensor_id, max(ts) AS ts FROM (SELECT sensor_id, ts FROM observations "
            "WHERE list_contains(?, sensor_id) AND ts <= ? UNION ALL SELECT s.sensor_id, t.ts "
            "FROM traffic_samples t JOIN sensors s USING (segment_id) "
            "WHERE list_contains(?, s.sensor_id) AND t.ts <= ?) GROUP BY sensor_id",
            [ids, believable, ids, believable],
        )
        found = dict(zip(newest["sensor_id"], newest["ts"], strict=True))
        believed = pd.Series(
            pd.to_datetime([found.get(sid) for sid in df["sensor_id"]]), index=df.index
        ).astype(df["last_seen"].dtype)
        df["last_seen"] = df["last_seen"].where(~ahead, believed)
    df["last_seen"] = df["last_seen"].clip(upper=pd.Timestamp(now))
    return df


def sensor_freshness(store: Store, *, now: datetime, scope: Scope | None = None) -> pd.DataFrame:
    """One row per sensor in ``scope`` with its freshness at ``now`` (UTC, naive).

    Columns: sensor_id, kind, lon, lat, cell_code, interval_s, last_seen (as
    :func:`last_heard`), age_s and status — ``fresh``, ``stale`` (silent for more than
    three expected intervals, :func:`models.freshness.is_stale`) or ``never`` (registered
    but never heard from).
    """
    df = last_heard(store, now=now, scope=scope)
    age = (pd.Timestamp(now) - df["last_seen"]).dt.total_seconds()
    df["age_s"] = age.round().astype("Int64")
    stale = is_stale(age, df["interval_s"].astype(float))
    df["status"] = np.where(df["last_seen"].isna(), "never", np.where(stale, "stale", "fresh"))
    return df


def freshness_counts(store: Store, *, now: datetime, scope: Scope | None = None) -> dict[str, int]:
    """How many sensors in ``scope`` are fresh, stale and never heard from."""
    df = sensor_freshness(store, now=now, scope=scope)
    counts = df["status"].value_counts()
    return {k: int(counts.get(k, 0)) for k in ("fresh", "stale", "never")}


#: Columns of the registry table on /admin, and those an administrator may edit there.
REGISTRY_COLUMNS = (
    "sensor_id", "kind", "lon", "lat", "cell_code", "owner", "interval_s", "zone",
    "warning_level", "danger_level", "last_seen",
)  # fmt: skip
EDITABLE_COLUMNS = (
    "lon", "lat", "owner", "interval_s", "zone", "warning_level", "danger_level",
)  # fmt: skip


def registry_rows(
    store: Store, *, kind: str | None = None, text: str | None = None, limit: int = 500
) -> tuple[pd.DataFrame, int]:
    """Sensors of ``kind`` whose id, owner or cell contains ``text`` (by id, at most
    ``limit``), and how many match in all."""
    where, params = ["TRUE"], []
    if kind:
        where.append("kind = ?")
        params.append(kind)
    if text:
        where.append("(contains(lower(sensor_id), ?) OR contains(lower(coalesce(owner, '')), ?) "
                     "OR contains(lower(coalesce(cell_code, '')), ?))")  # fmt: skip
        params += [text.lower()] * 3
    cond = " AND ".join(where)
    total = int(store.query_value(f"SELECT count(*) FROM sensors WHERE {cond}", params) or 0)
    df = store.query_df(
        f"SELECT {', '.join(REGISTRY_COLUMNS)} FROM sensors WHERE {cond} "
        "ORDER BY sensor_id LIMIT ?",
        [*params, int(limit)],
    )
    return df, total


def sensor_row(store: Store, sensor_id: str) -> dict | None:
    """One sensor's registry row as a dict (None when unknown)."""
    df = store.query_df(
        "SELECT sensor_id, kind, lon, lat, grid_version, cell_code, owner, installed_on, "
        "interval_s, zone, warning_level, danger_level, segment_id FROM sensors "
        "WHERE sensor_id = ?",
        [sensor_id],
    )
    return None if df.empty else df.to_dict("records")[0]


def update_sensor(
    store: Store,
    sensor_id: str,
    changes: dict[str, object],
    *,
    actor: str,
    remote: str | None = None,
) -> bool:
    """Write the changed registry fields of one sensor (``changes``: column → value, of
    :data:`EDITABLE_COLUMNS` plus ``cell_code`` and ``grid_version`` when it moved);
    audited. False when the sensor is unknown."""
    allowed = {*EDITABLE_COLUMNS, "cell_code", "grid_version"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    if not changes:
        return True
    names = sorted(changes)
    sets = ", ".join(f"{c} = ?" for c in names)

    def write(tx: WriteTx) -> int:
        rows = tx.fetch(
            f"UPDATE sensors SET {sets}, synthetic = FALSE WHERE sensor_id = ? RETURNING sensor_id",
            [*(changes[c] for c in names), sensor_id],
        )
        return len(rows)

    done = store.write(write)
    detail = "; ".join(f"{c}={changes[c]!r}" for c in names)[:2000]
    store.audit(
        "sensors.edit",
        actor=actor,
        target=sensor_id,
        outcome="ok" if done else "rejected",
        detail=detail,
        remote=remote,
    )
    return bool(done)
