"""Drill scenarios (typhoon, chemical leak, forest fire): timeline, plume and physical effects.

A scenario is pure data plus pure functions of the simulated time: its envelope rises
(onset), holds (peak) and falls (recovery); the signal models add its effects to their
readings. Reports, announcements and CAP alerts of a drill live in ``drills``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ingest.simulator.randomness import wobble
from ingest.simulator.world import World, distance_m, offset_m

SCENARIOS = ("typhoon", "chemical_leak", "forest_fire")
#: Old city (潮州古城) centre, where the typhoon's waterlogging concentrates.
OLD_CITY_CENTRE = (116.646, 23.668)


@dataclass(frozen=True)
class Scenario:
    """One drill on the simulated timeline.

    ``wind_to_deg`` is where the wind blows to (degrees clockwise from north); it carries
    the leak's gas and the fire's smoke.
    """

    kind: str
    start: int
    onset_s: int
    peak_s: int
    recovery_s: int
    lon: float
    lat: float
    wind_to_deg: float
    name_zh: str
    name_en: str

    @property
    def end(self) -> int:
        """Epoch second when recovery is over."""
        return self.start + self.onset_s + self.peak_s + self.recovery_s

    @property
    def code(self) -> str:
        """One letter for message ids: t, c or f."""
        return {"typhoon": "t", "chemical_leak": "c", "forest_fire": "f"}[self.kind]

    def envelope(self, t: float) -> float:
        """Strength in [0, 1]: 0 before and after, smooth rise, 1 at peak, smooth fall."""
        x = t - self.start
        if x <= 0 or t >= self.end:
            return 0.0
        if x < self.onset_s:
            f = x / self.onset_s
        elif x < self.onset_s + self.peak_s:
            return 1.0
        else:
            f = 1.0 - (x - self.onset_s - self.peak_s) / self.recovery_s
        return f * f * (3.0 - 2.0 * f)

    def phase(self, t: float) -> str:
        """``before``, ``onset``, ``peak``, ``recovery`` or ``after``."""
        x = t - self.start
        if x < 0:
            return "before"
        for name, length in (("onset", self.onset_s), ("peak", self.peak_s)):
            if x < length:
                return name
            x -= length
        return "recovery" if x < self.recovery_s else "after"

    def plume_at(self, lon: float, lat: float) -> float:
        """Relative concentration in [0, 1] of what the source emits, at a place."""
        dx, dy = offset_m(self.lon, self.lat, lon, lat)
        return plume(dx, dy, self.wind_to_deg)


def plume(dx_m: float, dy_m: float, wind_to_deg: float) -> float:
    """Relative concentration at an offset from a source: near-field halo plus a wind plume.

    A crude Gaussian plume: it widens downwind (sigma = 300 m + 15 % of the distance) and
    thins with distance; nothing upwind beyond the 1.5 km halo.
    """
    d = math.hypot(dx_m, dy_m)
    near = math.exp(-d / 1500.0)
    th = math.radians(wind_to_deg)
    along = dx_m * math.sin(th) + dy_m * math.cos(th)
    if along <= 0:
        return near
    cross = -dx_m * math.cos(th) + dy_m * math.sin(th)
    sigma = 300.0 + 0.15 * along
    far = (
        math.exp(-along / 25_000.0) * math.exp(-(cross**2) / (2 * sigma**2)) * min(1.0, 800 / sigma)
    )
    return max(near, far)


def make_scenario(kind: str, start: int, world: World) -> Scenario:
    """The named drill starting at epoch second ``start``.

    Raises
    ------
    ValueError
        For an unknown kind.
    """
    if kind == "typhoon":
        return Scenario(
            kind,
            start,
            3 * 3600,
            3 * 3600,
            4 * 3600,
            *OLD_CITY_CENTRE,
            315.0,
            "台风暴雨内涝应急演练",
            "typhoon and rainstorm drill",
        )
    if kind == "chemical_leak":
        return Scenario(
            kind,
            start,
            15 * 60,
            75 * 60,
            150 * 60,
            *world.port,
            8.0,
            "潮州港危化品泄漏应急演练",
            "hazardous chemical leak drill at the port",
        )
    if kind == "forest_fire":
        return Scenario(
            kind,
            start,
            3600,
            3 * 3600,
            4 * 3600,
            *world.fire,
            222.0,
            "北部山区森林火灾应急演练",
            "forest fire drill in the north mountains",
        )
    raise ValueError(f"unknown scenario {kind!r}; choose from {', '.join(SCENARIOS)}")


# -- effects on the signal models -------------------------------------------------------


def scenario_rain(s: Scenario | None, t: float) -> float:
    """Extra rain (mm/h) of a typhoon: about 65 mm/h at peak, in bursts."""
    if s is None or s.kind != "typhoon":
        return 0.0
    env = s.envelope(t)
    if env == 0.0:
        return 0.0
    return max(0.0, 65.0 * env * (0.85 + 0.3 * wobble(4242, t, 1800.0)))


def air_excess(s: Scenario | None, lon: float, lat: float, t: float) -> dict[str, float]:
    """Pollutants a drill adds at an air station (µg/m³; CO in mg/m³)."""
    if s is None or s.kind == "typhoon":
        return {}
    env = s.envelope(t)
    if env == 0.0:
        return {}
    c = env * s.plume_at(lon, lat) * (0.8 + 0.4 * wobble(4343, t, 1200.0))
    if c < 1e-4:
        return {}
    if s.kind == "chemical_leak":
        return {"so2": 2500.0 * c, "no2": 700.0 * c, "co": 1.5 * c}
    return {"pm25": 600.0 * c, "pm10": 750.0 * c, "co": 6.0 * c, "no2": 40.0 * c}


def gas_excess(s: Scenario | None, lon: float, lat: float, t: float) -> float:
    """Extra gas (ppm) a chemical leak brings to a gas detector."""
    if s is None or s.kind != "chemical_leak":
        return 0.0
    env = s.envelope(t)
    return 1500.0 * env * s.plume_at(lon, lat) if env else 0.0


def traffic_factors(
    s: Scenario | None, lon: float, lat: float, old_city: bool, t: float
) -> tuple[float, float]:
    """(speed factor, demand factor) of a drill on a segment: rain slows, closures empty."""
    if s is None or s.kind == "forest_fire":
        return 1.0, 1.0
    env = s.envelope(t)
    if env == 0.0:
        return 1.0, 1.0
    if s.kind == "typhoon":
        speed = 1.0 - (0.65 if old_city else 0.35) * env
        return speed, 1.0 - 0.4 * env
    d = distance_m(s.lon, s.lat, lon, lat)
    if d > 3000.0:
        return 1.0, 1.0
    return 1.0 - 0.8 * env, 1.0 - 0.7 * env  # cordon around the port
