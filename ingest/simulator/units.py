"""Mobile units (AVL): patrol back and forth along their road route, now and then on a task.

Position and status are pure functions of time: each two-hour window may hold a task
(dispatched 15 min, on scene 40 min standing still, returning 15 min); otherwise the unit
is available and patrols. Out-of-service units stay at their base.
"""

from __future__ import annotations

from bisect import bisect_right

from ingest.simulator.clock import CST_OFFSET_S
from ingest.simulator.randomness import unit
from ingest.simulator.world import Unit

_WINDOW_S = 7200
_TASK_CHANCE = 0.12
_LEGS = (("dispatched", 900), ("on_scene", 2400), ("returning", 900))


def _task_start(u: Unit, window: int, seed: int) -> int | None:
    if unit(u.key ^ seed, window, 11) < _TASK_CHANCE:
        return window * _WINDOW_S + int(unit(u.key ^ seed, window, 12) * 3600)
    return None


def unit_state(u: Unit, t: int, *, seed: int) -> tuple[str, float]:
    """(status, seconds spent standing on scene since local midnight) at ``t``."""
    midnight = (t + CST_OFFSET_S) // 86400 * 86400 - CST_OFFSET_S
    status, paused = "available", 0.0
    for window in range(midnight // _WINDOW_S, t // _WINDOW_S + 1):
        start = _task_start(u, window, seed)
        if start is None:
            continue
        leg_start = start
        for name, length in _LEGS:
            leg_end = leg_start + length
            if leg_start <= t < leg_end:
                status = name
            if name == "on_scene":
                lo, hi = max(leg_start, midnight), min(leg_end, t)
                paused += max(0, hi - lo)
            leg_start = leg_end
    return status, paused


def unit_position(u: Unit, t: int, *, seed: int) -> tuple[float, float, str]:
    """(lon, lat, status) of a unit at ``t``."""
    if u.status == "out_of_service" or len(u.route_m) < 2 or u.route_m[-1] <= 0:
        return u.lon, u.lat, u.status
    status, paused = unit_state(u, t, seed=seed)
    midnight = (t + CST_OFFSET_S) // 86400 * 86400 - CST_OFFSET_S
    length = u.route_m[-1]
    travelled = (t - midnight - paused) * u.speed_kmh / 3.6 % (2 * length)
    d = travelled if travelled <= length else 2 * length - travelled
    i = min(bisect_right(u.route_m, d), len(u.route_m) - 1)
    a, b = u.route_m[i - 1], u.route_m[i]
    f = 0.0 if b <= a else (d - a) / (b - a)
    lon = u.route_lon[i - 1] + f * (u.route_lon[i] - u.route_lon[i - 1])
    lat = u.route_lat[i - 1] + f * (u.route_lat[i] - u.route_lat[i - 1])
    return round(lon, 6), round(lat, 6), status
