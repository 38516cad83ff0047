"""Patrol check-ins of grid workers (巡查打卡): where and when, the cell located there and
whether it is one of the worker's own cells; the day's list. Feeds post evaluation."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from models.case_builder import DEFAULT_TIMEZONE, Locate
from models.case_service import Actor, Refused
from models.coordinates import coordinates_problem
from models.store import Store

#: Who patrols: grid workers (an admin may look at the page but does not patrol).
PATROL_ROLES = frozenset({"grid_worker"})
NOTE_MAX = 200
#: A GPS fix worse than this (metres) is no fix: refused with the reason.
ACCURACY_MAX_M = 5_000.0
_COLUMNS = "seq, checked_at, lon, lat, accuracy_m, grid_version, cell_code, in_scope, note"


def _row(values: tuple) -> dict[str, Any]:
    return dict(zip(_COLUMNS.split(", "), values, strict=True))


def check_in(
    store: Store,
    actor: Actor,
    lon: float,
    lat: float,
    *,
    at: datetime,
    locate: Locate,
    accuracy_m: float | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Record that ``actor`` was at (lon, lat) at ``at`` (naive UTC).

    Parameters
    ----------
    locate
        The grid locator (``ingest.locate.store_locator``): the cell of the position.
    accuracy_m
        The GPS fix's accuracy radius, when the device gave one.
    note
        Free text, at most :data:`NOTE_MAX` characters.

    Returns
    -------
    dict
        The stored check-in: ``seq``, ``checked_at``, ``lon``, ``lat``, ``accuracy_m``,
        ``grid_version``, ``cell_code`` (None outside every cell), ``in_scope`` (the cell is
        one of the actor's own) and ``note``.

    Raises
    ------
    Refused
        403 for a role that does not patrol; 422 for coordinates that are not a place on
        Earth, a bad accuracy or a note too long. Nothing is written then.
    """
    if actor.role not in PATROL_ROLES:
        raise Refused(f"a {actor.role} does not patrol", 403)
    problem = coordinates_problem(lon, lat)
    if problem or lon is None or lat is None:
        raise Refused(problem or "a check-in needs a position", 422)
    if accuracy_m is not None:
        try:
            accuracy_m = float(accuracy_m)
        except (TypeError, ValueError):
            raise Refused(f"accuracy {accuracy_m!r} is not a number", 422) from None
        if not (math.isfinite(accuracy_m) and 0 <= accuracy_m <= ACCURACY_MAX_M):
            raise Refused(f"accuracy {accuracy_m} m is not a usable fix", 422)
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise Refused(f"the note is longer than {NOTE_MAX} characters", 422)
    cells, version = locate(np.array([float(lon)]), np.array([float(lat)]))
    cell = str(cells[0]) if cells[0] is not None else None
    inside = bool(cell) and actor.scope.contains_cell(cell)  # type: ignore[arg-type]
    values = [actor.username, at, float(lon), float(lat), accuracy_m, version, cell, inside, note]
    row = store.write(
        lambda tx: tx.fetch(
            "INSERT INTO patrol_checkins (username, checked_at, lon, lat, accuracy_m, "
            f"grid_version, cell_code, in_scope, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            f"RETURNING {_COLUMNS}",
            values,
        )[0]
    )
    return _row(row)


def local_day_bounds(now: datetime, tz: str = DEFAULT_TIMEZONE) -> tuple[datetime, datetime]:
    """The naive-UTC start and end of the local day (in ``tz``) holding naive-UTC ``now``."""
    zone = ZoneInfo(tz)
    local = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=1)).replace(tzinfo=zone)
    to_utc = lambda d: d.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)  # noqa: E731
    return to_utc(start), to_utc(end)


def checkins_of_day(
    store: Store, username: str, *, now: datetime, tz: str = DEFAULT_TIMEZONE
) -> list[dict[str, Any]]:
    """``username``'s check-ins of the local day holding ``now``, latest first."""
    start, end = local_day_bounds(now, tz)
    rows = store.query_rows(
        f"SELECT {_COLUMNS} FROM patrol_checkins WHERE username = ? "
        "AND checked_at >= ? AND checked_at < ? ORDER BY checked_at DESC, seq DESC",
        [username, start, end],
    )
    return [_row(r) for r in rows]
