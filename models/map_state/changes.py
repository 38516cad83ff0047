"""The change cursor (migration v8): the highest ``change_seq`` handed out so far."""

from __future__ import annotations

from models.store import Store

#: The tables whose rows carry a ``change_seq`` moved by every insert and update.
CURSOR_TABLES = ("cases", "alarms", "incidents", "resources", "alerts", "dispatch_orders")


def current_change_seq(store: Store) -> int:
    """The largest ``change_seq`` over the map tables (0 when they are empty).

    A screen keeps this number and next asks only for rows above it (``since_seq``).
    """
    parts = " UNION ALL ".join(f"SELECT max(change_seq) AS m FROM {t}" for t in CURSOR_TABLES)
    value = store.query_value(f"SELECT coalesce(max(m), 0) FROM ({parts})")
    return int(value or 0)
