"""Past sensor readings and traffic samples of the demo city (SYNTHETIC): the simulator's own
models evaluated back in time, so the indicators of environment, traffic and sensing have a
history on the first day of a demo, as the case history gives the case indicators one.

Environmental stations and water levels are written hourly (water quality every 4 h, its
interval), city devices (manholes, street lamps, smoke and gas detectors) every 6 h, traffic
detector segments hourly. Rows are historic: received when measured, source
``demo-history``. The history stops two hours before ``end``, so the sensor rules, which look
back two hours when they start, do not replay it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from ingest.simulator.stream import OBS_MODELS
from ingest.simulator.traffic import traffic_sample
from ingest.simulator.world import World, build_world
from models.store import Store, WriteTx

SOURCE = "demo-history"
#: The rules' start-up look-back (ingest.alarms.WARMUP) is two hours: stop before it.
GAP = timedelta(hours=2, minutes=5)
#: Seconds between written readings, by sensor kind (others: hourly).
STEP_S = {
    "water_quality": 4 * 3600,
    "manhole": 6 * 3600,
    "streetlamp": 6 * 3600,
    "smoke": 6 * 3600,
    "gas": 6 * 3600,
}
_EPOCH = datetime(1970, 1, 1)
_TS = pa.timestamp("us")
_OBS = pa.schema(
    [
        ("msg_id", pa.string()),
        ("sensor_id", pa.string()),
        ("ts", _TS),
        ("metric", pa.string()),
        ("value", pa.float64()),
        ("received_at", _TS),
        ("source", pa.string()),
    ]
)
_TRAFFIC = pa.schema(
    [
        ("msg_id", pa.string()),
        ("segment_id", pa.string()),
        ("ts", _TS),
        ("speed_kmh", pa.float64()),
        ("flow_vph", pa.float64()),
        ("occupancy", pa.float64()),
        ("received_at", _TS),
    ]
)


def _instants(start: int, end: int, step: int, key: int) -> range:
    """Epoch seconds from ``start`` to ``end`` every ``step``, each source at its own
    offset within the step (so the city's readings do not all land on the hour)."""
    offset = key % min(step, 3600)
    first = start - start % step + offset
    return range(first if first >= start else first + step, end, step)


def generate_readings_history(
    store: Store,
    *,
    end: datetime,
    days: int,
    seed: int,
    world: World | None = None,
) -> dict[str, int]:
    """Write ``days`` of past readings ending two hours before ``end``, in one transaction;
    nothing when the store holds readings already (a second run adds nothing).

    Parameters
    ----------
    end
        Naive UTC (aware is converted): usually the moment of ``init``.
    seed
        The simulator seed (``demo.seed``): the same values a live simulator would send.
    world
        The simulated world, when the caller has built it (else built from ``seed``).

    Returns
    -------
    dict
        ``observations`` and ``traffic_samples`` rows written.
    """
    if end.tzinfo is not None:
        end = end.astimezone(UTC).replace(tzinfo=None)
    nothing = {"observations": 0, "traffic_samples": 0}
    if days <= 0 or store.query_value(
        "SELECT (SELECT count(*) FROM observations) + (SELECT count(*) FROM traffic_samples)"
    ):
        return nothing
    world = world or build_world(seed=seed)
    stop = int((end - GAP - _EPOCH).total_seconds())
    start = int((end - timedelta(days=days) - _EPOCH).total_seconds())
    obs: dict[str, list[Any]] = {name: [] for name in _OBS.names}
    for s in world.sensors:
        model = OBS_MODELS.get(s.kind)
        if model is None:
            continue
        for t in _instants(start, stop, STEP_S.get(s.kind, 3600), s.key):
            at = _EPOCH + timedelta(seconds=t)
            for metric, value in model(s, t, seed=seed).items():
                obs["msg_id"].append(f"hist-{s.sensor_id}-{t}")
                obs["sensor_id"].append(s.sensor_id)
                obs["ts"].append(at)
                obs["metric"].append(metric)
                obs["value"].append(float(value))
                obs["received_at"].append(at)
                obs["source"].append(SOURCE)
    traffic: dict[str, list[Any]] = {name: [] for name in _TRAFFIC.names}
    for g in world.segments:
        if not g.detector:
            continue
        for t in _instants(start, stop, 3600, g.key):
            at = _EPOCH + timedelta(seconds=t)
            speed, flow, occupancy = traffic_sample(g, t, seed=seed)
            for name, value in (
                ("msg_id", f"hist-{g.segment_id}-{t}"),
                ("segment_id", g.segment_id),
                ("ts", at),
                ("speed_kmh", float(speed)),
                ("flow_vph", float(flow)),
                ("occupancy", float(occupancy)),
                ("received_at", at),
            ):
                traffic[name].append(value)
    obs_table = pa.table(obs, schema=_OBS)
    traffic_table = pa.table(traffic, schema=_TRAFFIC)

    def write(tx: WriteTx) -> dict[str, int]:
        return {
            "observations": tx.append("observations", obs_table),
            "traffic_samples": tx.append("traffic_samples", traffic_table),
        }

    return store.write(write)


#: Mean patrols a day per cell, by size class (urban cells walked most often).
PATROLS_PER_DAY = {"urban": 0.5, "suburban": 0.25, "rural": 0.1}


def generate_patrol_history(store: Store, *, end: datetime, days: int, seed: int) -> int:
    """Write ``days`` of past patrol check-ins (巡查签到) up to ``end``: each cell's grid
    worker checks in at the cell's centre a Poisson number of times a day, by the cell's size
    class, in working hours; nothing when the store holds check-ins already."""
    import numpy as np

    if end.tzinfo is not None:
        end = end.astimezone(UTC).replace(tzinfo=None)
    if days <= 0 or store.query_value("SELECT count(*) FROM patrol_checkins"):
        return 0
    cells = store.query_df(
        "SELECT version_id, cell_code, size_class, grid_workers[1] AS worker, centroid_lon, "
        "centroid_lat FROM grid_cells WHERE version_id = (SELECT max(version_id) FROM "
        "grid_cells) AND len(grid_workers) > 0"
    )
    rng = np.random.default_rng([seed, 31])
    rate = cells["size_class"].map(PATROLS_PER_DAY).fillna(0.2).to_numpy() * days
    visits = rng.poisson(rate)
    index = np.repeat(np.arange(len(cells)), visits)
    day = rng.integers(0, days, len(index))
    # 08:30-17:30 Beijing time is 00:30-09:30 UTC
    minute = rng.integers(30, 570, len(index))
    start = (end - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    at = [start + timedelta(days=int(d), minutes=int(m)) for d, m in zip(day, minute)]
    keep = np.array([start < t <= end and t >= end - timedelta(days=days) for t in at], bool)
    picked = cells.iloc[index[keep]]
    jitter = rng.normal(0, 0.00003, (int(keep.sum()), 2))
    table = pa.table(
        {
            "username": picked["worker"].to_numpy(),
            "checked_at": pa.array([t for t, k in zip(at, keep) if k], _TS),
            "lon": picked["centroid_lon"].to_numpy() + jitter[:, 0],
            "lat": picked["centroid_lat"].to_numpy() + jitter[:, 1],
            "accuracy_m": np.full(len(picked), 15.0),
            "grid_version": picked["version_id"].to_numpy(),
            "cell_code": picked["cell_code"].to_numpy(),
            "in_scope": np.ones(len(picked), bool),
            "note": pa.array([SOURCE] * len(picked), pa.string()),
        }
    )
    return store.write(lambda tx: tx.append("patrol_checkins", table))
