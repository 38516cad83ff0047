"""Writing one ingest batch in one transaction: inserts deduplicated on message ids, then the
side effects (sensor last-seen, unit positions on resources, dispatch acknowledgements)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from ingest.cap_references import referenced_identifiers, stolen_reference
from ingest.payloads import Observation, Rejected, UnitPosition
from ingest.rows import TS, BatchRows, dead_letter_table
from models.case_builder import write_cases
from models.config_sections import EmergencySettings
from models.emergency.orders import Position, record_acks, record_arrivals
from models.store import WriteTx

#: A unit this near its order's scene has arrived (``emergency.arrival_radius_m``).
DEFAULT_ARRIVAL_RADIUS_M = EmergencySettings().arrival_radius_m


def write_batch(
    tx: WriteTx, rows: BatchRows, *, arrival_radius_m: float = DEFAULT_ARRIVAL_RADIUS_M
) -> dict[str, int]:
    """Write ``rows`` inside the caller's transaction; returns rows inserted per table.

    Replayed messages (same id) insert nothing: every insert ignores existing keys, and the
    case builder skips reports whose message id made a case already. A CAP Update or Cancel
    that references an alert of another sender becomes a dead letter instead, and so do a
    reading of a sensor not in the registry and a position of a unit not among the resources
    (one query per batch and table, only over the batch's distinct ids).
    """
    _refuse_stolen_follow_ups(tx, rows)
    _refuse_unknown_devices(tx, rows)
    written = {
        "observations": _insert(tx, "observations", rows.observations),
        "traffic_samples": _insert(tx, "traffic_samples", rows.traffic),
        "unit_positions": _insert(tx, "unit_positions", rows.positions),
        "alerts": _insert(tx, "alerts", rows.alerts),
        "cases": 0,
        "dead_letters": 0,
    }
    if rows.cases is not None:
        written["cases"] = write_cases(tx, rows.cases).created
    if rows.dead_letters is not None:
        # dead letters have no natural key: a replayed bad message is stored again, which
        # keeps every delivery attempt visible to whoever inspects them
        written["dead_letters"] = tx.append("dead_letters", rows.dead_letters)
    if rows.sensor_seen:
        _touch_sensors(tx, rows.sensor_seen)
    if rows.traffic is not None and rows.traffic.num_rows:
        _touch_detectors(tx, rows.traffic)
    if rows.acks:
        record_acks(tx, rows.acks)
    if rows.positions is not None and rows.positions.num_rows:
        _move_resources(tx, rows.positions)
        p = rows.positions.select(["unit_id", "ts", "lon", "lat"]).to_pydict()
        record_arrivals(
            tx,
            [Position(*v) for v in zip(p["unit_id"], p["ts"], p["lon"], p["lat"], strict=True)],
            radius_m=arrival_radius_m,
        )
    return written


def referenced_senders(
    fetch: Callable[[str, list], list[tuple]], identifiers: list[str]
) -> dict[str, str | None]:
    """Sender of each stored alert among ``identifiers`` (absent when not stored).

    ``fetch`` runs a query: a write transaction's ``fetch`` or a store's ``query_rows``.
    """
    if not identifiers:
        return {}
    marks = ", ".join("?" for _ in identifiers)
    rows = fetch(
        f"SELECT identifier, sender FROM alerts WHERE identifier IN ({marks})", identifiers
    )
    return dict(rows)  # type: ignore[arg-type]


def _refuse_stolen_follow_ups(tx: WriteTx, rows: BatchRows) -> None:
    if not rows.follow_ups or rows.alerts is None:
        return
    wanted = sorted(
        {
            i
            for _, kind, refs, _ in rows.follow_ups.values()
            for i in referenced_identifiers(kind, refs)
        }
    )
    known = referenced_senders(tx.fetch, wanted)
    batch = rows.alerts.select(["identifier", "sender"]).to_pylist()
    for row in batch:  # an alert of the same batch counts as stored
        if row["identifier"] in wanted:
            known.setdefault(row["identifier"], row["sender"])
    refused: dict[str, Rejected] = {}
    xml = dict(
        zip(rows.alerts["identifier"].to_pylist(), rows.alerts["xml"].to_pylist(), strict=True)
    )
    for identifier, (sender, kind, refs, topic) in rows.follow_ups.items():
        if reason := stolen_reference(sender, kind, refs, known):
            refused[identifier] = Rejected(
                topic, xml[identifier].encode(), f"CAP: {identifier}: {reason}"
            )
    if not refused:
        return
    keep = pc.invert(pc.is_in(rows.alerts["identifier"], pa.array(list(refused), pa.string())))
    rows.alerts = rows.alerts.filter(keep)
    letters = dead_letter_table(list(refused.values()), received_at=rows.received_at)
    if rows.dead_letters is not None:
        letters = pa.concat_tables([rows.dead_letters, letters])
    rows.dead_letters = letters


def _unknown_ids(tx: WriteTx, ids: pa.ChunkedArray, table: str, key: str) -> set[str]:
    """Those of ``ids`` that ``table`` has no row for (``table``/``key`` are our constants)."""
    batch = pa.table({"id": pc.unique(ids)})
    with tx.registered(batch) as name:
        rows = tx.fetch(f"SELECT b.id FROM {name} b ANTI JOIN {table} t ON t.{key} = b.id")
    return {r[0] for r in rows}


def _as_received(item: Observation | UnitPosition) -> bytes:
    return item.raw or item.payload.model_dump_json().encode()


def _refuse_unknown(
    tx: WriteTx,
    table: pa.Table | None,
    items: list[Observation] | list[UnitPosition],
    *,
    column: str,
    registry: str,
    key: str,
    reason: str,
) -> tuple[pa.Table | None, set[str], list[Rejected]]:
    """Rows of ``table`` whose ``column`` names nothing in ``registry`` leave it; each of
    their messages becomes a rejection (``reason`` formatted with the id)."""
    if table is None or not table.num_rows:
        return table, set(), []
    unknown = _unknown_ids(tx, table[column], registry, key)
    if not unknown:
        return table, unknown, []
    drop = pc.is_in(table[column], pa.array(sorted(unknown), pa.string()))
    refused = [
        Rejected(item.topic, _as_received(item), reason.format(getattr(item, column)))
        for item in items
        if getattr(item, column) in unknown
    ]
    return table.filter(pc.invert(drop)), unknown, refused


def _refuse_unknown_devices(tx: WriteTx, rows: BatchRows) -> None:
    rows.observations, sensors, refused = _refuse_unknown(
        tx,
        rows.observations,
        rows.observation_items,
        column="sensor_id",
        registry="sensors",
        key="sensor_id",
        reason="unknown sensor {!r} (not in the sensor registry)",
    )
    for sensor_id in sensors:
        rows.sensor_seen.pop(sensor_id, None)
    rows.positions, _, more = _refuse_unknown(
        tx,
        rows.positions,
        rows.position_items,
        column="unit_id",
        registry="resources",
        key="resource_id",
        reason="unknown unit {!r} (not among the resources)",
    )
    refused += more
    if refused:
        letters = dead_letter_table(refused, received_at=rows.received_at)
        if rows.dead_letters is not None:
            letters = pa.concat_tables([rows.dead_letters, letters])
        rows.dead_letters = letters


def _insert(tx: WriteTx, table: str, data: pa.Table | None) -> int:
    if data is None or data.num_rows == 0:
        return 0
    return tx.append(table, data, ignore_duplicates=True)


def _touch_sensors(tx: WriteTx, seen: dict[str, datetime]) -> None:
    data = pa.table({"sensor_id": list(seen), "ts": pa.array(list(seen.values()), TS)})
    with tx.registered(data) as name:
        tx.execute(
            "UPDATE sensors SET last_seen = b.ts FROM " + name + " b "
            "WHERE sensors.sensor_id = b.sensor_id "
            "AND (sensors.last_seen IS NULL OR sensors.last_seen < b.ts)"
        )


def _touch_detectors(tx: WriteTx, traffic: pa.Table) -> None:
    # a traffic detector reports on its segment's topic: a sample means the detector is alive
    with tx.registered(traffic) as name:
        tx.execute(
            "UPDATE sensors SET last_seen = b.ts FROM (SELECT segment_id, max(ts) AS ts FROM "
            + name
            + " GROUP BY segment_id) b WHERE sensors.kind = 'traffic' "
            "AND sensors.segment_id = b.segment_id "
            "AND (sensors.last_seen IS NULL OR sensors.last_seen < b.ts)"
        )


def _move_resources(tx: WriteTx, positions: pa.Table) -> None:
    with tx.registered(positions) as name:
        tx.execute(
            # a unit with an open order stays dispatched whatever its radio says of
            # "available" (its crew has not read the order yet): the order is the truth
            "UPDATE resources SET lon = p.lon, lat = p.lat, status = CASE WHEN p.status = "
            "'available' AND EXISTS (SELECT 1 FROM dispatch_orders o WHERE o.resource_id = "
            "resources.resource_id AND o.status IN ('sent', 'acked', 'unacked')) "
            "THEN resources.status ELSE p.status END, "
            "position_at = p.ts, change_seq = nextval('change_seq') "
            "FROM (SELECT unit_id, arg_max(lon, ts) AS lon, "
            "arg_max(lat, ts) AS lat, arg_max(status, ts) AS status, max(ts) AS ts FROM "
            + name
            + " GROUP BY unit_id) p WHERE resources.resource_id = p.unit_id "
            "AND (resources.position_at IS NULL OR resources.position_at < p.ts)"
        )
