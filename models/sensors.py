"""Sensor registry queries: freshness (fresh / stale / never reported) per SPEC §2.4."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from models.security import Scope
from models.store import Store

#: A sensor that misses this many expected intervals is stale.
STALE_AFTER_INTERVALS = 3


def sensor_freshness(store: Store, *, now: datetime, scope: Scope | None = None) -> pd.DataFrame:
    """One row per sensor in ``scope`` with its freshness at ``now`` (UTC, naive).

    Columns: sensor_id, kind, lon, lat, cell_code, interval_s, last_seen, age_s and
    status — ``fresh``, ``stale`` (silent for more than three expected intervals) or
    ``never`` (registered but never heard from).
    """
    where, params = (scope or Scope("city")).sql_filter("cell_code")
    return store.query_df(
        "SELECT sensor_id, kind, lon, lat, cell_code, interval_s, last_seen, "
        "date_diff('second', last_seen, ?::TIMESTAMP) AS age_s, "
        "CASE WHEN last_seen IS NULL THEN 'never' "
        f"WHEN date_diff('second', last_seen, ?::TIMESTAMP) > {STALE_AFTER_INTERVALS} * interval_s "
        "THEN 'stale' ELSE 'fresh' END AS status "
        f"FROM sensors WHERE {where} ORDER BY sensor_id",
        [now, now, *params],
    )


def freshness_counts(store: Store, *, now: datetime, scope: Scope | None = None) -> dict[str, int]:
    """How many sensors in ``scope`` are fresh, stale and never heard from."""
    df = sensor_freshness(store, now=now, scope=scope)
    counts = df["status"].value_counts()
    return {k: int(counts.get(k, 0)) for k in ("fresh", "stale", "never")}
