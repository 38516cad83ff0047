"""The simulated message stream: every source on its own schedule, merged in time order.

Each sensor, segment and unit reports at its own interval from a hashed phase with ±3 %
jitter; reports come per minute. Message ids are deterministic: the run tag (seed, and the
drill with its start), the source and the simulated second, so replaying the same seed
over the same period repeats the same ids, which ingest deduplicates.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Collection, Iterator
from typing import Any, NamedTuple

from ingest.payloads import DEFAULT_PREFIX
from ingest.simulator.clock import iso_local
from ingest.simulator.devices import (
    gas_values,
    manhole_values,
    smoke_values,
    streetlamp_values,
    water_level_values,
)
from ingest.simulator.drills import (
    DrillPlaces,
    cap_alert,
    drill_places,
    drill_reports_in_minute,
)
from ingest.simulator.environment import air_values, noise_values, water_quality_values
from ingest.simulator.randomness import unit
from ingest.simulator.reports import ReportDraft, reports_in_minute
from ingest.simulator.responder import Responder
from ingest.simulator.scenarios import Scenario
from ingest.simulator.traffic import traffic_sample
from ingest.simulator.units import unit_position
from ingest.simulator.weather import rain_mm_h
from ingest.simulator.world import Segment, Sensor, Unit, World

#: Observation models by sensor kind (traffic detectors report on ``traffic/{segment}``).
OBS_MODELS: dict[str, Callable[..., dict[str, float]]] = {
    "air": air_values,
    "water_quality": water_quality_values,
    "noise": noise_values,
    "water_level": water_level_values,
    "manhole": manhole_values,
    "streetlamp": streetlamp_values,
    "smoke": smoke_values,
    "gas": gas_values,
}
#: Stream kinds: the observation kinds plus these.
OTHER_KINDS = ("traffic", "reports", "units", "alerts")
STREAM_KINDS = (*OBS_MODELS, *OTHER_KINDS)
TRAFFIC_INTERVAL_S = 300
JITTER_SHARE = 0.03


class Message(NamedTuple):
    """One MQTT message of the simulation at simulated second ``ts``."""

    ts: int
    topic: str
    payload: bytes


def run_tag(seed: int, scenario: Scenario | None) -> str:
    """Prefix of every message id of a run: the seed, and the drill with its start."""
    return f"s{seed}" if scenario is None else f"s{seed}{scenario.code}{scenario.start}"


def _dumps(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def schedule(key: int, interval_s: int, start: int, *, seed: int) -> Iterator[int]:
    """Reporting times (epoch s) of one source from ``start`` on.

    The source keeps a hashed phase within its interval, and each report is jittered by up
    to ±3 % of the interval, so consecutive reports are 94-106 % of the interval apart.
    """
    phase = int(unit(key, seed, 21) * interval_s)
    jitter = max(1, int(interval_s * JITTER_SHARE))
    k = (start - phase) // interval_s - 1
    while True:
        t = phase + k * interval_s + round((2.0 * unit(key ^ seed, k, 22) - 1.0) * jitter)
        if t >= start:
            yield t
        k += 1


def _sensor_messages(
    s: Sensor, start: int, seed: int, scenario: Scenario | None, prefix: str, tag: str
) -> Iterator[Message]:
    model = OBS_MODELS[s.kind]
    topic = f"{prefix}/obs/{s.kind}/{s.sensor_id}"
    for t in schedule(s.key, s.interval_s, start, seed=seed):
        values = model(s, t, seed=seed, scenario=scenario)
        payload: dict[str, Any] = {
            "id": f"{tag}-{s.sensor_id}-{t}",
            "ts": iso_local(t),
            "values": values,
        }
        # a reading the drill shaped (it differs from the same moment without the drill,
        # also after the drill while rain drains) is an exercise: its alarms and cases too
        if (
            scenario is not None
            and t >= scenario.start
            and values != model(s, t, seed=seed, scenario=None)
        ):
            payload["exercise"] = True
        yield Message(t, topic, _dumps(payload))


def _segment_messages(
    g: Segment, start: int, seed: int, scenario: Scenario | None, prefix: str, tag: str
) -> Iterator[Message]:
    topic = f"{prefix}/traffic/{g.segment_id}"
    for t in schedule(g.key, TRAFFIC_INTERVAL_S, start, seed=seed):
        speed, flow, occupancy = traffic_sample(g, t, seed=seed, scenario=scenario)
        payload = {
            "id": f"{tag}-{g.segment_id}-{t}",
            "ts": iso_local(t),
            "speed_kmh": speed,
            "flow_vph": flow,
            "occupancy": occupancy,
        }
        yield Message(t, topic, _dumps(payload))


def _unit_messages(
    u: Unit, start: int, seed: int, prefix: str, tag: str, responder: Responder | None = None
) -> Iterator[Message]:
    topic = f"{prefix}/units/{u.unit_id}/position"
    for t in schedule(u.key, u.interval_s, start, seed=seed):
        lon, lat, status = unit_position(u, t, seed=seed)
        if responder is not None:  # a crew on a dispatch order: its acks, its own way
            step = responder.step(u, t, (lon, lat))
            for order_id in step.acks:
                ack = {"id": f"{tag}-ack-{order_id}-{t}", "ts": iso_local(t), "order_id": order_id}
                yield Message(t, f"{prefix}/dispatch/{u.unit_id}/ack", _dumps(ack))
            if step.position is not None:
                lon, lat, status = step.position
        payload = {
            "id": f"{tag}-{u.unit_id}-{t}",
            "ts": iso_local(t),
            "lon": lon,
            "lat": lat,
            "status": status,
        }
        yield Message(t, topic, _dumps(payload))


def report_payload(draft: ReportDraft, message_id: str) -> bytes:
    """The ``reports`` payload of a draft (``exercise`` only when true)."""
    payload: dict[str, Any] = {
        "id": message_id,
        "ts": iso_local(draft.ts),
        "source": draft.source,
        "category": draft.category,
        "lon": draft.lon,
        "lat": draft.lat,
        "text": draft.text,
        "reporter": draft.reporter,
    }
    if draft.exercise:
        payload["exercise"] = True
    return _dumps(payload)


def _report_messages(
    world: World,
    start: int,
    seed: int,
    scenario: Scenario | None,
    places: DrillPlaces | None,
    prefix: str,
    tag: str,
) -> Iterator[Message]:
    topic = f"{prefix}/reports"
    minute = start // 60
    while True:
        t0 = minute * 60
        rain = rain_mm_h(t0, seed=seed, scenario=scenario)
        drafts = reports_in_minute(world, minute, seed=seed, rain=rain)
        if scenario is not None and places is not None and scenario.start - 60 < t0 <= scenario.end:
            drafts = sorted(
                drafts + drill_reports_in_minute(places, scenario, minute, seed=seed),
                key=lambda d: (d.ts, d.seq),
            )
        for d in drafts:
            if d.ts >= start:
                yield Message(d.ts, topic, report_payload(d, f"{tag}-RPT-{minute}-{d.seq}"))
        minute += 1


def _alert_messages(scenario: Scenario, start: int, prefix: str, tag: str) -> Iterator[Message]:
    sent, xml = cap_alert(scenario, f"{tag}-CAP-{scenario.kind}")
    if sent >= start:
        yield Message(sent, f"{prefix}/alerts/in", xml.encode("utf-8"))


def simulate_messages(
    world: World,
    *,
    start: int,
    seed: int,
    scenario: Scenario | None = None,
    prefix: str = DEFAULT_PREFIX,
    traffic: str = "all",
    kinds: Collection[str] | None = None,
    responder: Responder | None = None,
) -> Iterator[Message]:
    """All messages of the simulation from simulated second ``start`` on, in time order.

    Parameters
    ----------
    world : World
        From :func:`build_world`.
    start : int
        Simulated start, epoch seconds.
    seed : int
        Seed of the signals and reports (not of the world).
    scenario : Scenario, optional
        A drill on the timeline.
    prefix : str
        MQTT topic prefix.
    traffic : {"all", "detectors"}
        Samples for every road segment, or only those with a traffic detector (TD-…).
    kinds : collection of str, optional
        Only these of :data:`STREAM_KINDS` (default: all).
    responder : Responder, optional
        The units' crews answering dispatch orders (acks, driving to the scene).

    Returns
    -------
    Iterator[Message]
        Endless; stop by count or time.
    """
    if traffic not in ("all", "detectors"):
        raise ValueError("traffic must be 'all' or 'detectors'")
    wanted = set(STREAM_KINDS if kinds is None else kinds)
    unknown = wanted - set(STREAM_KINDS)
    if unknown:
        raise ValueError(f"unknown stream kinds: {sorted(unknown)}")
    tag = run_tag(seed, scenario)
    sources: list[Iterator[Message]] = [
        _sensor_messages(s, start, seed, scenario, prefix, tag)
        for s in world.sensors
        if s.kind in OBS_MODELS and s.kind in wanted
    ]
    if "traffic" in wanted:
        sources += [
            _segment_messages(g, start, seed, scenario, prefix, tag)
            for g in world.segments
            if traffic == "all" or g.detector
        ]
    if "units" in wanted:
        sources += [_unit_messages(u, start, seed, prefix, tag, responder) for u in world.units]
    places = drill_places(world, scenario) if scenario is not None else None
    if "reports" in wanted:
        sources.append(_report_messages(world, start, seed, scenario, places, prefix, tag))
    if "alerts" in wanted and scenario is not None:
        sources.append(_alert_messages(scenario, start, prefix, tag))
    return heapq.merge(*sources, key=lambda m: m.ts)
