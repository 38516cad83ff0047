"""Signal models of environmental monitoring: air quality, surface-water quality and noise.

Pure functions of (sensor, simulated time, seed, scenario). Levels are typical of Chaozhou:
PM2.5 about 35 µg/m³ in winter and 12 in summer, an afternoon ozone peak highest in autumn,
NO2/CO peaks with the traffic, Han River sections around class II-III (GB 3838-2002), noise
near the GB 3096-2008 limits of each functional zone.
"""

from __future__ import annotations

import math

from ingest.simulator.clock import local_time
from ingest.simulator.randomness import normal, smooth, unit, wobble
from ingest.simulator.scenarios import Scenario, air_excess
from ingest.simulator.weather import rain_mm_h, recent_rain
from ingest.simulator.world import Sensor

#: Monthly mean PM2.5 (µg/m³) and afternoon O3 peak (µg/m³), January first.
PM25_MONTH = (38, 34, 30, 26, 20, 14, 12, 13, 18, 24, 30, 36)
O3_PEAK_MONTH = (85, 95, 110, 120, 130, 115, 110, 125, 160, 165, 135, 100)
#: Noise limits (day 06-22, night 22-06) in dB(A) per functional zone, GB 3096-2008.
ZONE_LIMITS = {"0": (50, 40), "1": (55, 45), "2": (60, 50), "3": (65, 55), "4a": (70, 55),
               "4b": (70, 60)}  # fmt: skip
#: Water targets per section class: COD, NH3-N, TP (mg/L) and DO as a share of saturation.
WATER_TARGETS = {
    "II": (11.0, 0.30, 0.06, 0.90),
    "III": (15.0, 0.55, 0.12, 0.80),
    "IV": (18.0, 0.80, 0.17, 0.70),
}
_DAY = 86400.0


def bump(hour: float, centre: float, width: float) -> float:
    """A Gaussian bump over the hours of the day (wraps round midnight), 1 at ``centre``."""
    d = (hour - centre + 12.0) % 24.0 - 12.0
    return math.exp(-0.5 * (d / width) ** 2)


def traffic_peaks(hour: float) -> float:
    """Morning and evening rush shape, 1 at 08:15 and 1.1 at 18:15."""
    return bump(hour, 8.25, 0.9) + 1.1 * bump(hour, 18.25, 1.1)


def air_values(
    s: Sensor, t: int, *, seed: int, scenario: Scenario | None = None
) -> dict[str, float]:
    """PM2.5, PM10, O3, NO2, SO2 (µg/m³) and CO (mg/m³), hourly means at station ``s``."""
    lt = local_time(t)
    h, k = lt.hour, s.key ^ seed
    north = s.lat > 23.85
    site = 0.7 if north else (1.1 if s.core else 0.95)
    # regional episodes (several days of stagnant air) hit every station together
    episode = 1.0 + 1.6 * max(0.0, smooth(seed * 17 + 3, t, 3 * _DAY) - 0.72) / 0.28
    rain = rain_mm_h(t, seed=seed, scenario=scenario)
    washout = max(0.35, 1.0 / (1.0 + rain / 8.0))  # rain scavenges particles, not all
    rush = traffic_peaks(h)
    pm25 = (
        PM25_MONTH[lt.month - 1]
        * site
        * episode
        * washout
        * (1.0 + 0.15 * math.cos(2 * math.pi * (h - 9.0) / 12.0))
        * (1.0 + 0.25 * wobble(k, t, 3 * 3600.0))
    )
    pm10 = pm25 * (1.55 + 0.2 * wobble(k + 5, t, 6 * 3600.0))
    urban = 10.0 if s.core else (0.0 if north else 5.0)
    no2 = (12.0 + urban) * (0.6 + 0.9 * rush) * (1.0 - 0.3 * bump(h, 13.5, 2.5))
    no2 *= math.sqrt(episode) * (1.0 + 0.2 * wobble(k + 7, t, 2 * 3600.0))
    co = (0.45 + 0.02 * urban) * (0.85 + 0.35 * rush) * episode**0.4
    co *= 1.0 + 0.1 * wobble(k + 9, t, 3 * 3600.0)
    so2 = (5.0 + 0.3 * urban) * (1.0 + 0.3 * wobble(k + 11, t, 6 * 3600.0))
    cloud = max(0.3, 1.0 / (1.0 + rain / 5.0))  # less sun, less photochemistry
    o3 = O3_PEAK_MONTH[lt.month - 1] * (1.1 if north else (0.9 if s.core else 1.0))
    o3 *= (0.18 + 0.82 * bump(h, 14.5, 2.8)) * cloud * (1.0 + 0.15 * wobble(k + 13, t, 4 * 3600.0))
    values = {"pm25": pm25, "pm10": pm10, "o3": o3, "no2": no2, "so2": so2, "co": co}
    for name, extra in air_excess(scenario, s.lon, s.lat, t).items():
        values[name] += extra
    values["pm10"] = max(values["pm10"], values["pm25"] * 1.05)
    return {n: round(max(v, 0.0), 2 if n == "co" else 1) for n, v in values.items()}


def _do_saturation(temp_c: float) -> float:
    """Dissolved-oxygen saturation (mg/L) of fresh water at sea level."""
    return 14.62 - 0.3898 * temp_c + 0.006969 * temp_c**2 - 0.00005897 * temp_c**3


_RUNOFF_WEIGHTS = (1.0, 1.0, 0.8, 0.6, 0.4, 0.3, 0.2)


def water_quality_values(
    s: Sensor, t: int, *, seed: int, scenario: Scenario | None = None
) -> dict[str, float]:
    """pH, DO, COD, NH3-N and TP (mg/L) of a river section, drifting slowly over days."""
    lt = local_time(t)
    k = s.key ^ seed
    cod, nh3n, tp, do_share = WATER_TARGETS.get(s.zone or "III", WATER_TARGETS["III"])
    temp = 21.0 - 7.5 * math.cos(2 * math.pi * (lt.yday - 20) / 365.0)
    sun = math.cos(2 * math.pi * (lt.hour - 15.0) / 24.0)
    runoff = recent_rain(t, seed=seed, scenario=scenario, step_s=3600.0, weights=_RUNOFF_WEIGHTS)
    drift = 2 * _DAY
    do = _do_saturation(temp) * do_share * (1.0 + 0.06 * sun) * (1.0 + 0.06 * wobble(k, t, drift))
    do /= 1.0 + runoff / 60.0
    return {
        "ph": round(7.35 + 0.2 * sun + 0.15 * wobble(k + 1, t, drift), 2),
        "do": round(do, 2),
        "cod": round(cod * (1.0 + 0.2 * wobble(k + 2, t, drift)) * (1.0 + runoff / 40.0), 1),
        "nh3n": round(nh3n * (1.0 + 0.3 * wobble(k + 3, t, drift)), 3),
        "tp": round(tp * (1.0 + 0.25 * wobble(k + 4, t, drift)) * (1.0 + runoff / 30.0), 3),
    }


def activity(hour: float) -> float:
    """How busy the city is, 0 (03:00) to 1 (day), for noise."""
    if hour < 5.0:
        return 0.05
    if hour < 8.0:
        return 0.05 + 0.95 * (hour - 5.0) / 3.0
    if hour < 20.0:
        return 1.0 - 0.1 * bump(hour, 13.0, 0.8)
    if hour < 23.0:
        return 1.0 - 0.85 * (hour - 20.0) / 3.0
    return 0.15 - 0.1 * (hour - 23.0)


def noise_values(
    s: Sensor, t: int, *, seed: int, scenario: Scenario | None = None
) -> dict[str, float]:
    """Equivalent sound level Leq dB(A) over the last interval at a noise point."""
    h = local_time(t).hour
    k = s.key ^ seed
    day_limit, night_limit = ZONE_LIMITS.get(s.zone or "2", ZONE_LIMITS["2"])
    site = 6.0 * (unit(k, 1) - 0.5)
    road = (s.zone or "").startswith("4")
    day = day_limit - (1.5 if road else 3.5) + site
    night = night_limit + (3.0 if road else -1.0) + site * 0.6
    leq = night + (day - night) * activity(h)
    leq += 1.5 * wobble(k, t, 3600.0) + 0.8 * normal(k, t // 60)
    if unit(k, int(t // 3600), 3) < 0.03 and 7.0 <= h < 22.0:
        leq += 6.0  # construction, horns, a loudspeaker for an hour
    if scenario is not None and scenario.kind == "typhoon":
        leq += 12.0 * scenario.envelope(t)
    return {"leq": round(min(max(leq, 30.0), 95.0), 1)}
