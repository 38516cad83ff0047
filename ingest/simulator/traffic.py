"""Traffic signal model per road segment: demand by hour, speed by a BPR-type curve, occupancy.

Weekday rush hours 07:30-09:00 and 17:30-19:00; the urban core's arterials load up most and
slow down most; speed never exceeds the segment's free-flow speed.
"""

from __future__ import annotations

from ingest.simulator.clock import local_time
from ingest.simulator.environment import bump
from ingest.simulator.randomness import normal, unit, wobble
from ingest.simulator.scenarios import Scenario, traffic_factors
from ingest.simulator.weather import rain_mm_h
from ingest.simulator.world import Segment

#: Practical capacity (vehicles/hour/lane) and BPR alpha per road class.
CAPACITY_VPHPL = {"expressway": 1900.0, "arterial": 1000.0, "secondary": 750.0, "local": 450.0}
BPR_ALPHA = {"expressway": 0.35, "arterial": 1.0, "secondary": 0.8, "local": 0.6}
#: Effective vehicle length over a loop detector (m), for occupancy.
_EFFECTIVE_LENGTH_M = 6.5


def demand(hour: float, *, weekend: bool) -> float:
    """Demand as a share of capacity on a busy core road, by local hour."""
    if 6.0 <= hour < 9.0:
        day = (hour - 6.0) / 3.0
    elif 9.0 <= hour < 21.0:
        day = 1.0
    elif 21.0 <= hour < 24.0:
        day = 1.0 - (hour - 21.0) / 3.0
    else:
        day = 0.0
    base = 0.08 + 0.32 * day
    am = bump(hour, 8.25, 0.55)
    pm = bump(hour, 18.25, 0.6)
    if weekend:
        return base * 1.05 + 0.15 * bump(hour, 10.0, 1.2) + 0.3 * pm
    return base + 0.5 * am + 0.55 * pm


def traffic_sample(
    seg: Segment, t: int, *, seed: int, scenario: Scenario | None = None
) -> tuple[float, float, float]:
    """(speed km/h, flow veh/h over all lanes, occupancy 0..1) of a segment at ``t``."""
    lt = local_time(t)
    k = seg.key ^ seed
    cls = seg.road_class
    share = 1.0 if seg.core else 0.55
    if seg.core and cls == "arterial":
        share = 1.1
    x = demand(lt.hour, weekend=lt.weekday >= 5) * share * (0.75 + 0.5 * unit(k, 1))
    x *= 1.0 + 0.08 * wobble(k, t, 1800.0)
    speed_factor, demand_factor = traffic_factors(scenario, seg.lon, seg.lat, seg.old_city, t)
    x *= demand_factor
    rain = rain_mm_h(t, seed=seed, scenario=scenario)
    speed_factor *= 1.0 / (1.0 + rain / 150.0)
    lanes = max(seg.lanes, 1)
    capacity = CAPACITY_VPHPL.get(cls, 600.0) * lanes
    flow = capacity * (x if x <= 1.0 else max(0.7, 1.0 - 0.5 * (x - 1.0)))
    flow *= 1.0 + 0.05 * normal(k, t, 2)
    ff = seg.free_flow_kmh
    speed = ff / (1.0 + BPR_ALPHA.get(cls, 0.8) * x**4) * speed_factor
    speed *= 1.0 + 0.04 * normal(k, t, 3)
    speed = min(max(speed, 3.0), ff)
    flow = max(flow, 0.0)
    occupancy = min(0.95, flow / lanes / speed * _EFFECTIVE_LENGTH_M / 1000.0)
    return round(speed, 1), round(flow), round(occupancy, 3)
