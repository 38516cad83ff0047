"""Rain over the city as a pure function of time: seasonal showers plus a typhoon's rainstorm."""

from __future__ import annotations

from functools import lru_cache

from ingest.simulator.clock import local_time
from ingest.simulator.randomness import smooth
from ingest.simulator.scenarios import Scenario, scenario_rain

#: How rainy each month is in Chaozhou (wet season April-September, dry winter).
WETNESS = (0.10, 0.15, 0.22, 0.32, 0.45, 0.55, 0.42, 0.45, 0.38, 0.15, 0.08, 0.06)
_SPELL_S = 30 * 3600.0
_SHOWER_S = 2.5 * 3600.0


def rain_mm_h(t: float, *, seed: int, scenario: Scenario | None = None) -> float:
    """Rain intensity (mm/h) at epoch second ``t``, the same everywhere in the city.

    Rainy spells come and go over days (more of them in the wet season); inside a spell,
    showers of up to about 25 mm/h pass every few hours. A typhoon drill adds its storm.
    The value holds for a whole minute (and is cached: every model asks for it).
    """
    return _rain_in_minute(int(t // 60), seed, scenario)


@lru_cache(maxsize=8192)
def _rain_in_minute(minute: int, seed: int, scenario: Scenario | None) -> float:
    t = minute * 60.0 + 30.0
    wet = WETNESS[local_time(t).month - 1]
    spell = smooth(seed * 31 + 1, t, _SPELL_S)
    base = 0.0
    if spell < wet:
        strength = min(1.0, (wet - spell) / 0.1)
        shower = smooth(seed * 31 + 2, t, _SHOWER_S)
        base = 25.0 * strength * max(0.0, shower - 0.45) / 0.55
    return base + scenario_rain(scenario, t)


def recent_rain(
    t: float,
    *,
    seed: int,
    scenario: Scenario | None,
    step_s: float,
    weights: tuple[float, ...],
) -> float:
    """Weighted mean of the rain at ``t``, ``t - step_s``, ``t - 2 step_s`` … (catchment memory)."""
    total = 0.0
    for k, w in enumerate(weights):
        if w:
            total += w * rain_mm_h(t - k * step_s, seed=seed, scenario=scenario)
    return total / sum(weights)
