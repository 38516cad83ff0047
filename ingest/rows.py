"""Turning a batch of parsed MQTT messages into Arrow tables, one per target table (pure)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

import numpy as np
import pyarrow as pa

from ingest.cap import CapAlertRecord, parse_cap
from ingest.cap_write import alert_row
from ingest.payloads import (
    CapAlert,
    DispatchAck,
    Observation,
    Parsed,
    Rejected,
    Report,
    TrafficSample,
    UnitPosition,
)
from ingest.time_window import DEFAULT_WINDOW, TimeWindow
from models.case_builder import CaseBatch, NewReport

TS = pa.timestamp("us")
#: a dead letter keeps this much of its payload, with the original size and sha256
DEAD_LETTER_KEEP_BYTES = 64 * 1024
_T = TypeVar("_T")
#: Locates points: (lon, lat) arrays → cell codes (None outside), plus the grid version.
Locator = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, int | None]]


@dataclass
class BatchRows:
    """Rows of one batch, ready for the store (each table deduplicated on its key)."""

    observations: pa.Table | None = None
    traffic: pa.Table | None = None
    reports: list[NewReport] = field(default_factory=list)  # new cases, for the builder
    positions: pa.Table | None = None
    dead_letters: pa.Table | None = None
    sensor_seen: dict[str, datetime] = field(default_factory=dict)
    acks: list[tuple[str, str, datetime]] = field(default_factory=list)
    alerts: pa.Table | None = None
    cases: CaseBatch | None = None  # the reports checked and routed by ingest.route_reports
    #: CAP Updates/Cancels of the batch: identifier → (sender, msg_type, references, topic);
    #: the sink refuses those that reference a stored alert of another sender
    follow_ups: dict[str, tuple[str, str, str | None, str]] = field(default_factory=dict)
    received_at: datetime | None = None
    #: the parsed readings and positions, so the sink can dead-letter those of a sensor or
    #: unit it does not know (as received)
    observation_items: list[Observation] = field(default_factory=list)
    position_items: list[UnitPosition] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        tables = {
            "observations": self.observations,
            "traffic": self.traffic,
            "positions": self.positions,
            "dead_letters": self.dead_letters,
            "alerts": self.alerts,
        }
        counts = {k: (t.num_rows if t is not None else 0) for k, t in tables.items()}
        return {**counts, "cases": len(self.reports)}


def dead_letter_table(rejected: Sequence[Rejected], *, received_at: datetime) -> pa.Table:
    """Dead-letter rows of rejected messages: the first :data:`DEAD_LETTER_KEEP_BYTES` of each
    payload, with the whole payload's size and sha256 (an oversized message stays small).

    Parameters
    ----------
    rejected
        The rejected messages of a batch.
    received_at
        When the batch was received (UTC-naive).

    Returns
    -------
    pyarrow.Table
        Columns of the ``dead_letters`` table.
    """
    n = len(rejected)
    return pa.table(
        {
            "received_at": pa.array([received_at] * n, TS),
            "channel": ["mqtt"] * n,
            "topic": [r.topic[:1000] for r in rejected],
            "payload": pa.array(
                [r.payload[:DEAD_LETTER_KEEP_BYTES] for r in rejected], pa.binary()
            ),
            "reason": [r.reason[:2000] for r in rejected],
            "payload_size": pa.array([len(r.payload) for r in rejected], pa.int64()),
            "payload_sha256": [hashlib.sha256(r.payload).hexdigest() for r in rejected],
        }
    )


def _observations(items: list[Observation], received_at: datetime) -> pa.Table:
    msg, sensor, ts, metric, value, exercise = [], [], [], [], [], []
    seen: set[tuple[str, str]] = set()
    for o in items:
        p = o.payload
        for name, v in p.values.items():
            key = (p.id, name)
            if key in seen:
                continue
            seen.add(key)
            msg.append(p.id)
            sensor.append(o.sensor_id)
            ts.append(p.ts)
            metric.append(name)
            value.append(v)
            exercise.append(p.exercise)
    n = len(msg)
    return pa.table(
        {
            "msg_id": msg,
            "sensor_id": sensor,
            "ts": pa.array(ts, TS),
            "metric": metric,
            "value": pa.array(value, pa.float64()),
            "received_at": pa.array([received_at] * n, TS),
            "source": ["mqtt"] * n,
            "exercise": pa.array(exercise, pa.bool_()),
        }
    )


def _first_of_each(items: Sequence[_T], key: Callable[[_T], str]) -> list[_T]:
    """The first copy of each key, in order (a redelivered id must not replace the first)."""
    seen: set[str] = set()
    out = []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


def _traffic(items: list[TrafficSample], received_at: datetime) -> pa.Table:
    uniq = _first_of_each(items, lambda t: t.payload.id)
    return pa.table(
        {
            "msg_id": [t.payload.id for t in uniq],
            "segment_id": [t.segment_id for t in uniq],
            "ts": pa.array([t.payload.ts for t in uniq], TS),
            "speed_kmh": [t.payload.speed_kmh for t in uniq],
            "flow_vph": [t.payload.flow_vph for t in uniq],
            "occupancy": [t.payload.occupancy for t in uniq],
            "received_at": pa.array([received_at] * len(uniq), TS),
        }
    )


def _first_copies(items: list[Report]) -> list[Report]:
    seen: set[str] = set()
    out = []
    for r in items:
        if r.payload.id not in seen:
            seen.add(r.payload.id)
            out.append(r)
    return out


def _reports(items: list[Report], locate: Locator) -> list[NewReport]:
    """The batch's reports for the case builder, located in bulk; the first copy of an id wins."""
    uniq = _first_copies(items)
    lon = np.array([r.payload.lon for r in uniq], dtype=float)
    lat = np.array([r.payload.lat for r in uniq], dtype=float)
    cells, version = locate(lon, lat)
    out = []
    for r, cell in zip(uniq, cells, strict=True):
        p = r.payload
        out.append(
            NewReport(
                category_code=p.category,
                lon=p.lon,
                lat=p.lat,
                at=p.ts,
                source=p.source,
                actor=p.reporter or p.source,
                role="grid_worker" if p.source == "grid_worker" else "operator",
                text=p.text,
                reporter=p.reporter,
                external_id=f"mqtt:{p.id}",
                exercise=p.exercise,
                note="received over MQTT",
                cell_code=str(cell) if cell is not None else None,
                grid_version=version,
            )
        )
    return out


def _positions(items: list[UnitPosition], received_at: datetime, locate: Locator) -> pa.Table:
    uniq = _first_of_each(items, lambda u: u.payload.id)
    lon = np.array([u.payload.lon for u in uniq], dtype=float)
    lat = np.array([u.payload.lat for u in uniq], dtype=float)
    cells, version = locate(lon, lat)
    return pa.table(
        {
            "msg_id": [u.payload.id for u in uniq],
            "unit_id": [u.unit_id for u in uniq],
            "ts": pa.array([u.payload.ts for u in uniq], TS),
            "lon": lon,
            "lat": lat,
            "status": [u.payload.status for u in uniq],
            "received_at": pa.array([received_at] * len(uniq), TS),
            "grid_version": pa.array([version if c else None for c in cells], pa.int32()),
            "cell_code": pa.array(list(cells), pa.string()),
        }
    )


def build_rows(
    parsed: Sequence[Parsed | Rejected],
    *,
    received_at: datetime,
    locate: Locator,
    window: TimeWindow | None = None,
) -> BatchRows:
    """Group a batch by target table; duplicates inside the batch keep their first copy.

    With a ``window``, a CAP alert whose ``<sent>`` lies outside it (at ``received_at``)
    becomes a dead letter, as other messages' ``ts`` do in :func:`parse_message`.
    """
    groups: dict[type, list] = {}
    for item in parsed:
        groups.setdefault(type(item), []).append(item)
    rows = BatchRows(received_at=received_at)
    if obs := groups.get(Observation):
        rows.observations = _observations(obs, received_at)
        rows.observation_items = obs
        for o in obs:
            prev = rows.sensor_seen.get(o.sensor_id)
            if prev is None or o.payload.ts > prev:
                rows.sensor_seen[o.sensor_id] = o.payload.ts
    if traffic := groups.get(TrafficSample):
        rows.traffic = _traffic(traffic, received_at)
    if reports := groups.get(Report):
        rows.reports = _reports(reports, locate)
    if positions := groups.get(UnitPosition):
        rows.positions = _positions(positions, received_at, locate)
        rows.position_items = positions
    rejected = list(groups.get(Rejected, []))
    if cap := groups.get(CapAlert):
        alerts = []
        for item in cap:
            record = parse_cap(
                item.xml, now=received_at if window else None, window=window or DEFAULT_WINDOW
            )
            if isinstance(record, CapAlertRecord):
                alerts.append(alert_row(record, item.xml))
                if record.references and record.identifier not in rows.follow_ups:
                    rows.follow_ups[record.identifier] = (
                        record.sender,
                        record.msg_type,
                        record.references,
                        item.topic,
                    )
            else:
                rejected.append(Rejected(item.topic, item.xml.encode(), f"CAP: {record.reason}"))
        if alerts:
            uniq = _first_of_each(alerts, lambda a: a["identifier"])
            rows.alerts = pa.Table.from_pylist(uniq, schema=_ALERT_SCHEMA)
    if rejected:
        rows.dead_letters = dead_letter_table(rejected, received_at=received_at)
    rows.acks = [(a.unit_id, a.payload.order_id, a.payload.ts) for a in groups.get(DispatchAck, [])]
    return rows


_ALERT_SCHEMA = pa.schema(
    [
        ("identifier", pa.string()),
        ("direction", pa.string()),
        ("state", pa.string()),
        ("sender", pa.string()),
        ("sent", TS),
        ("msg_type", pa.string()),
        ("severity", pa.string()),
        ("headline", pa.string()),
        ("area_wkb", pa.binary()),
        ("xml", pa.string()),
        ("exercise", pa.bool_()),
    ]
)
