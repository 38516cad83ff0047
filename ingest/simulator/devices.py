"""Signal models of urban IoT devices: water level, manhole cover, street lamp, smoke, gas.

Pure functions of (sensor, simulated time, seed, scenario). Faults are rare, hashed per
sensor and time window, so a fault starts, lasts a while and clears by itself.
"""

from __future__ import annotations

import math

from ingest.simulator.clock import local_time, sun_hours
from ingest.simulator.randomness import unit, wobble
from ingest.simulator.scenarios import Scenario, gas_excess
from ingest.simulator.weather import WETNESS, rain_mm_h, recent_rain
from ingest.simulator.world import Sensor

#: Waterlogging points remember the last two hours of rain (10-minute steps).
_PONDING_WEIGHTS = tuple(math.exp(-k * 600 / 1800) for k in range(12))
#: River gauges respond to the catchment's rain over the last half day, peaking after ~4 h.
_BASIN_WEIGHTS = tuple(k * math.exp(-k / 3.0) + 0.05 for k in range(13))
_TIDE_S = 12.42 * 3600


def _episode(
    key: int, t: float, window_s: int, chance: float, min_s: float, max_s: float
) -> tuple[float, int] | None:
    """(progress 0..1, window number) of a rare hashed episode on at ``t``, else None.

    Each window of ``window_s`` seconds holds an episode with probability ``chance``,
    starting at a hashed moment and lasting ``min_s``..``max_s``.
    """
    w = int(t // window_s)
    for win in (w, w - 1):  # an episode may run on into the next window
        if unit(key, win, 1) < chance:
            start = win * window_s + unit(key, win, 2) * window_s
            length = min_s + unit(key, win, 3) * (max_s - min_s)
            if start <= t < start + length:
                return (t - start) / length, win
    return None


def is_waterlogging_point(s: Sensor) -> bool:
    """A 内涝点 (depth gauge, levels under a metre) rather than a river gauge."""
    return (s.danger or 0.0) < 2.0


def water_level_values(
    s: Sensor, t: int, *, seed: int, scenario: Scenario | None = None
) -> dict[str, float]:
    """``water_level_m`` (depth at a 内涝点, stage at a river gauge) and ``rain_mm_h``.

    Waterlogging points stay dry until the rain outruns the drains (about 22 mm/h in the
    old city, 28 elsewhere); river gauges sit about 2 m under warning, with a tide on the
    lower reaches, and rise hours after heavy rain in the catchment.
    """
    k = s.key ^ seed
    rain = rain_mm_h(t, seed=seed, scenario=scenario)
    if is_waterlogging_point(s):
        drain, depth_per_mm = (22.0, 0.013) if s.old_city else (28.0, 0.008)
        excess = 0.0
        for i, w in enumerate(_PONDING_WEIGHTS):
            r = rain if i == 0 else rain_mm_h(t - i * 600, seed=seed, scenario=scenario)
            excess += w * max(0.0, r - drain)
        depth = depth_per_mm * excess / sum(_PONDING_WEIGHTS) * (0.9 + 0.2 * unit(k, 5))
        level = max(0.0, depth + 0.004 * wobble(k, t, 1800.0) + 0.003)
    else:
        warning = s.warning or 0.0
        wet = WETNESS[local_time(t).month - 1]
        tide_amp = 0.25 if warning < 8 else (0.1 if warning < 10 else 0.0)
        basin = recent_rain(t, seed=seed, scenario=scenario, step_s=3600.0, weights=_BASIN_WEIGHTS)
        level = (
            warning
            - 2.4
            + 0.9 * wet
            + tide_amp * math.sin(2 * math.pi * t / _TIDE_S)
            + 0.05 * basin
            + 0.05 * wobble(k, t, 86400.0)
        )
    return {"water_level_m": round(level, 3), "rain_mm_h": round(rain, 1)}


def manhole_values(
    s: Sensor, t: int, *, seed: int, scenario: Scenario | None = None
) -> dict[str, float]:
    """``tilt_deg`` and ``open`` (0/1) of a manhole cover; about one fault a day citywide."""
    k = s.key ^ seed
    tilt = abs(0.8 + 0.5 * wobble(k, t, 6 * 3600.0))
    is_open = 0
    fault = _episode(k, t, 6 * 3600, 0.004, 3600.0, 5 * 3600.0)
    if fault is not None:
        win = fault[1]
        if unit(k, win, 4) < 0.6:
            tilt = 8.0 + 17.0 * unit(k, win, 5)
        else:
            tilt, is_open = 30.0 + 50.0 * unit(k, win, 5), 1
    if scenario is not None and scenario.kind == "typhoon":
        # flood water lifts covers in the old city; the same covers stay lifted as it peaks
        chance = (0.3 if s.old_city else 0.03) * scenario.envelope(t)
        if unit(k, scenario.start, 6) < chance:
            tilt, is_open = 40.0 + 30.0 * unit(k, scenario.start, 7), 1
    return {"tilt_deg": round(tilt, 1), "open": is_open}


def streetlamp_values(
    s: Sensor, t: int, *, seed: int, scenario: Scenario | None = None
) -> dict[str, float]:
    """``on`` (lit from dusk to dawn) and ``fault`` (0/1); a few lamps are broken for days."""
    k = s.key ^ seed
    lt = local_time(t)
    sunrise, sunset = sun_hours(lt.yday)
    on = 1 if (lt.hour >= sunset + 0.1 or lt.hour < sunrise - 0.1) else 0
    broken = _episode(k, t, 3 * 86400, 0.03, 86400.0, 3 * 86400.0)
    fault, stuck = 0, 0.5
    if broken is not None:
        fault, stuck = 1, unit(k, broken[1], 8)
    typhoon = scenario is not None and scenario.kind == "typhoon"
    if typhoon and unit(k, scenario.start, 6) < 0.08 * scenario.envelope(t):  # type: ignore[union-attr]
        fault, stuck = 1, 1.0
    if fault:
        on = 1 if stuck < 0.3 else 0  # stuck on by day, or dark at night
    return {"on": on, "fault": fault}


def smoke_values(
    s: Sensor, t: int, *, seed: int, scenario: Scenario | None = None
) -> dict[str, float]:
    """``smoke`` (0/1); an alarm (mostly cooking) every few days somewhere in the city."""
    alarm = _episode(s.key ^ seed, t, 86400, 0.003, 300.0, 1200.0)
    return {"smoke": 0 if alarm is None else 1}


def gas_values(
    s: Sensor, t: int, *, seed: int, scenario: Scenario | None = None
) -> dict[str, float]:
    """``gas_ppm``: a few ppm of background, a rare small leak, a drill's plume."""
    k = s.key ^ seed
    ppm = 1.5 + 1.0 * wobble(k, t, 3 * 3600.0) + 0.3 * unit(k, t, 9)
    leak = _episode(k, t, 86400, 0.004, 600.0, 3600.0)
    if leak is not None:
        ppm += (30.0 + 270.0 * unit(k, leak[1], 10)) * math.sin(math.pi * leak[0])
    ppm += gas_excess(scenario, s.lon, s.lat, t)
    return {"gas_ppm": round(max(ppm, 0.0), 1)}
