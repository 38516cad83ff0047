"""Peacetime and emergency mode of the wall (平战结合): 战时 while an incident of the configured
level or above is open (``emergency.wall_mode_level``), or when an operator switches it.

The operator's switch is kept in ``command_state`` under ``wall_mode``: ``auto`` (follow the
incidents, the default), ``war`` (emergency mode whatever the incidents) or ``peace``
(peacetime whatever they are, e.g. while a drill runs on another screen). Incidents are
city-wide on the wall (as on its map): a district's level III flood is the city's concern.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models.store import Store, WriteTx
from models.vocabulary import INCIDENT_LEVELS

MODES = ("auto", "war", "peace")
_KEY = "wall_mode"


@dataclass(frozen=True)
class WallMode:
    war: bool
    reason: str | None  # "incident", "operator" or None (peacetime by itself)
    setting: str  # one of MODES
    set_by: str | None = None
    set_at: datetime | None = None
    incidents: list[dict[str, Any]] = field(default_factory=list)


def levels_at_or_above(level: str) -> tuple[str, ...]:
    """The levels as grave as ``level`` or graver (I is the gravest)."""
    return INCIDENT_LEVELS[: INCIDENT_LEVELS.index(level) + 1]


def decide(setting: str, qualifying: int) -> tuple[bool, str | None]:
    """Whether the wall is at war, and why, from the switch and the qualifying incidents."""
    if setting == "war":
        return True, "operator"
    if setting == "peace":
        return False, "operator" if qualifying else None
    return (True, "incident") if qualifying else (False, None)


def set_wall_mode(tx: WriteTx, mode: str, *, actor: str, now: datetime) -> None:
    """Switch the wall (``auto``, ``war`` or ``peace``) and audit who did."""
    if mode not in MODES:
        raise ValueError(f"wall mode must be one of {', '.join(MODES)}")
    tx.execute(
        "INSERT OR REPLACE INTO command_state (key, value, set_by, set_at) VALUES (?, ?, ?, ?)",
        [_KEY, mode, actor, now],
    )
    tx.execute(
        "INSERT INTO audit_log (occurred_at, actor, action, target, outcome, detail) "
        "VALUES (?, ?, 'wall_mode', 'wall', 'ok', ?)",
        [now, actor, mode],
    )


_INCIDENT_COLUMNS = (
    "incident_id", "incident_type", "level", "title", "exercise", "opened_at", "lon", "lat",
    "tasks", "tasks_done", "tasks_overdue", "units_sent", "units_on_scene", "orders_unacked",
    "warnings",
)  # fmt: skip


def wall_mode(store: Store, *, level: str, now: datetime, at: datetime | None = None) -> WallMode:
    """The wall's mode now (or at a replayed instant ``at``: the switch is not replayed),
    with the open incidents of ``level`` or above and their progress, gravest first."""
    instant = at or now
    levels = list(levels_at_or_above(level))
    rows = store.query_rows(
        "SELECT i.incident_id, i.incident_type, i.level, i.title, i.exercise, i.opened_at, "
        "i.lon, i.lat, "
        "(SELECT count(*) FROM incident_tasks t WHERE t.incident_id = i.incident_id), "
        "(SELECT count(*) FROM incident_tasks t WHERE t.incident_id = i.incident_id "
        " AND t.done_at IS NOT NULL AND t.done_at <= $at), "
        "(SELECT count(*) FROM incident_tasks t WHERE t.incident_id = i.incident_id "
        " AND t.due_at < $at AND (t.done_at IS NULL OR t.done_at > $at)), "
        "(SELECT count(*) FROM dispatch_orders o WHERE o.incident_id = i.incident_id "
        " AND o.issued_at <= $at AND o.status <> 'cancelled'), "
        "(SELECT count(*) FROM dispatch_orders o WHERE o.incident_id = i.incident_id "
        " AND o.arrived_at <= $at), "
        "(SELECT count(*) FROM dispatch_orders o WHERE o.incident_id = i.incident_id "
        " AND o.status = 'unacked' AND o.unacked_at <= $at), "
        "(SELECT count(*) FROM alerts a WHERE a.incident_id = i.incident_id "
        " AND a.published_at <= $at) "
        "FROM incidents i WHERE i.opened_at <= $at AND (i.closed_at IS NULL OR i.closed_at > $at) "
        "AND i.level IN (SELECT unnest($levels::VARCHAR[])) "
        "ORDER BY i.level, i.opened_at",
        {"at": instant, "levels": levels},
    )
    incidents = [dict(zip(_INCIDENT_COLUMNS, r, strict=True)) for r in rows]
    setting, set_by, set_at = "auto", None, None
    if at is None:
        found = store.query_rows(
            "SELECT value, set_by, set_at FROM command_state WHERE key = ?", [_KEY]
        )
        if found and found[0][0] in MODES:
            setting, set_by, set_at = found[0]
    war, reason = decide(setting, len(incidents))
    return WallMode(war, reason, setting, set_by, set_at, incidents)
