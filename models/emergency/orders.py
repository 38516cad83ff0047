"""Dispatch orders (调度指令) to emergency units: issued with the order on the outbox, then
acknowledged by the unit over MQTT, arrived when the unit's position reaches the scene;
an order not acknowledged in time is re-sent once and then flagged unacknowledged (red).

Every step is a row change (dispatch_orders, the unit's status on resources) and a timeline
entry of the incident, in the same transaction. An order's life:
``sent`` → ``acked`` → ``arrived``, or ``sent`` → (re-sent) → ``unacked``; a late ack still
counts (``unacked`` → ``acked``); ``cancelled`` by the command centre at any time before
arrival.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from models.coordinates import distance_m
from models.emergency.timeline import append_event
from models.outbox import enqueue
from models.store import Store, WriteTx

#: Statuses of an order still waiting for its unit to reach the scene.
OPEN = ("sent", "acked", "unacked")
#: Kinds of resources that move and can be sent somewhere.
MOBILE_KINDS = ("team", "vehicle")


class OrderRefused(ValueError):
    """An order that cannot be given, with the reason (the API answers 409 or 404)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Position:
    unit_id: str
    ts: datetime
    lon: float
    lat: float


def dispatch_topic(prefix: str, unit_id: str) -> str:
    return f"{prefix}/dispatch/{unit_id}"


def _payload(order: dict[str, Any]) -> bytes:
    return json.dumps(order, ensure_ascii=False, separators=(",", ":")).encode()


def _utc_iso(ts: datetime) -> str:
    return ts.replace(microsecond=0).isoformat() + "Z"


def issue_order(
    tx: WriteTx,
    *,
    incident_id: str,
    unit_id: str,
    actor: str,
    now: datetime,
    prefix: str,
    eta_s: float | None = None,
    note: str | None = None,
) -> str:
    """Order ``unit_id`` to the incident's scene; returns the order id.

    The unit must be a mobile resource that is available; the incident must be open.
    The order goes on the outbox in this transaction, the unit turns ``dispatched``.

    Raises
    ------
    OrderRefused
        ``unknown_incident``, ``closed``, ``unknown_unit``, ``not_mobile``, ``unavailable``.
    """
    found = tx.fetch(
        "SELECT incident_type, level, title, lon, lat, status, exercise FROM incidents "
        "WHERE incident_id = ?",
        [incident_id],
    )
    if not found:
        raise OrderRefused("unknown_incident", f"no incident {incident_id}")
    itype, level, title, lon, lat, status, exercise = found[0]
    if status == "closed":
        raise OrderRefused("closed", f"incident {incident_id} is closed")
    if lon is None or lat is None:
        raise OrderRefused("no_scene", f"incident {incident_id} has no point to go to")
    unit = tx.fetch("SELECT kind, status, name_zh FROM resources WHERE resource_id = ?", [unit_id])
    if not unit:
        raise OrderRefused("unknown_unit", f"no unit {unit_id}")
    kind, unit_status, name = unit[0]
    if kind not in MOBILE_KINDS:
        raise OrderRefused("not_mobile", f"{unit_id} is of kind {kind}, not a unit that moves")
    if unit_status != "available":
        raise OrderRefused("unavailable", f"{unit_id} is {unit_status}, not available")
    if note is not None and len(note) > 500:
        raise OrderRefused("note_too_long", "the note is longer than 500 characters")
    order_id = f"O{now:%Y%m%d}-{uuid.uuid4().hex[:10]}"
    order = {
        "id": order_id,
        "order_id": order_id,
        "ts": _utc_iso(now),
        "incident_id": incident_id,
        "type": itype,
        "level": level,
        "title": title,
        "lon": lon,
        "lat": lat,
        "exercise": bool(exercise),
        "note": note,
    }
    tx.execute(
        "INSERT INTO dispatch_orders (order_id, incident_id, resource_id, issued_at, issued_by, "
        "note, status, scene_lon, scene_lat, eta_s, exercise) "
        "VALUES (?, ?, ?, ?, ?, ?, 'sent', ?, ?, ?, ?)",
        [order_id, incident_id, unit_id, now, actor, note, lon, lat, eta_s, bool(exercise)],
    )
    tx.execute(
        "UPDATE resources SET status = 'dispatched', change_seq = nextval('change_seq') "
        "WHERE resource_id = ?",
        [unit_id],
    )
    enqueue(tx, dispatch_topic(prefix, unit_id), _payload(order), now=now)
    append_event(
        tx, incident_id, "order", at=now, actor=actor,
        detail={"order_id": order_id, "unit": unit_id, "name": name, "eta_s": eta_s},
    )  # fmt: skip
    return order_id


def cancel_order(tx: WriteTx, order_id: str, *, actor: str, now: datetime, prefix: str) -> None:
    """Stand an open order down: the unit is available again and its crew is told on its
    dispatch topic (``{"id", "order_id", "ts", "cancel": true}``) to turn back."""
    found = tx.fetch(
        "SELECT incident_id, resource_id, status FROM dispatch_orders WHERE order_id = ?",
        [order_id],
    )
    if not found:
        raise OrderRefused("unknown_order", f"no order {order_id}")
    incident_id, unit_id, status = found[0]
    if status not in OPEN:
        raise OrderRefused("not_open", f"order {order_id} is {status}")
    tx.execute(
        "UPDATE dispatch_orders SET status = 'cancelled', change_seq = nextval('change_seq') "
        "WHERE order_id = ?",
        [order_id],
    )
    tx.execute(
        "UPDATE resources SET status = 'available', change_seq = nextval('change_seq') "
        "WHERE resource_id = ? AND status = 'dispatched'",
        [unit_id],
    )
    stand_down = {"id": f"{order_id}-cancel", "order_id": order_id, "ts": _utc_iso(now),
                  "incident_id": incident_id, "cancel": True}  # fmt: skip
    enqueue(tx, dispatch_topic(prefix, unit_id), _payload(stand_down), now=now)
    append_event(
        tx, incident_id, "status", at=now, actor=actor,
        detail={"order_id": order_id, "unit": unit_id, "status": "cancelled"},
    )  # fmt: skip


def record_acks(tx: WriteTx, acks: Iterable[tuple[str, str, datetime]]) -> int:
    """Acknowledgements ``(unit_id, order_id, ts)`` from the units; an ack for another
    unit's order or a repeated ack changes nothing. Returns the orders acknowledged."""
    done = 0
    for unit_id, order_id, ts in acks:
        # an ack dated before its order (a unit's clock behind) counts from the order
        found = tx.fetch(
            "UPDATE dispatch_orders SET acked_at = greatest(?, issued_at), status = CASE WHEN "
            "status IN ('sent', 'unacked') THEN 'acked' ELSE status END, "
            "change_seq = nextval('change_seq') WHERE order_id = ? AND resource_id = ? "
            "AND acked_at IS NULL AND status <> 'cancelled' "
            "RETURNING incident_id, issued_at, acked_at",
            [ts, order_id, unit_id],
        )
        for incident_id, issued_at, acked_at in found:
            done += 1
            if incident_id:
                append_event(
                    tx, incident_id, "ack", at=acked_at, actor=unit_id,
                    detail={"order_id": order_id, "unit": unit_id,
                            "after_s": (acked_at - issued_at).total_seconds()},
                )  # fmt: skip
    return done


def record_arrivals(tx: WriteTx, positions: Sequence[Position], *, radius_m: float) -> list[str]:
    """Orders whose unit reported a position within ``radius_m`` of the scene: arrived at
    that position's time, the unit ``on_scene``. Returns the orders that arrived."""
    units = sorted({p.unit_id for p in positions})
    if not units:
        return []
    open_orders = tx.fetch(
        "SELECT order_id, incident_id, resource_id, scene_lon, scene_lat, issued_at "
        "FROM dispatch_orders WHERE status IN ('sent', 'acked', 'unacked') "
        "AND resource_id IN (SELECT unnest(?::VARCHAR[]))",
        [units],
    )
    arrived: list[str] = []
    for order_id, incident_id, unit_id, slon, slat, issued_at in open_orders:
        near = sorted(
            (p for p in positions if p.unit_id == unit_id and p.ts >= issued_at
             and distance_m(p.lon, p.lat, slon, slat) <= radius_m),
            key=lambda p: p.ts,
        )  # fmt: skip
        if not near:
            continue
        at = near[0].ts
        tx.execute(
            "UPDATE dispatch_orders SET arrived_at = ?, status = 'arrived', "
            "change_seq = nextval('change_seq') WHERE order_id = ?",
            [at, order_id],
        )
        tx.execute(
            "UPDATE resources SET status = 'on_scene', change_seq = nextval('change_seq') "
            "WHERE resource_id = ? AND status IN ('available', 'dispatched')",
            [unit_id],
        )
        if incident_id:
            append_event(
                tx, incident_id, "arrived", at=at, actor=unit_id,
                detail={"order_id": order_id, "unit": unit_id,
                        "after_s": max(0.0, (at - issued_at).total_seconds())},
            )  # fmt: skip
        arrived.append(order_id)
    return arrived


def sweep_unacknowledged(
    tx: WriteTx, *, now: datetime, ack_timeout_s: float, prefix: str
) -> dict[str, int]:
    """Re-send once every order unacknowledged for ``ack_timeout_s``; flag ``unacked`` (red)
    every re-sent order still unacknowledged ``ack_timeout_s`` after the re-send."""
    limit = now - timedelta(seconds=ack_timeout_s)
    resend = tx.fetch(
        "SELECT o.order_id, o.incident_id, o.resource_id, p.payload FROM dispatch_orders o "
        "LEFT JOIN mqtt_outbox p ON p.topic = ? || '/dispatch/' || o.resource_id "
        "AND json_extract_string(decode(p.payload), '$.order_id') = o.order_id "
        "WHERE o.status = 'sent' AND o.resent_at IS NULL AND o.issued_at <= ? "
        "ORDER BY o.issued_at",
        [prefix, limit],
    )
    seen: set[str] = set()
    for order_id, incident_id, unit_id, payload in resend:
        if order_id in seen or payload is None:
            continue
        seen.add(order_id)
        tx.execute(
            "UPDATE dispatch_orders SET resent_at = ?, change_seq = nextval('change_seq') "
            "WHERE order_id = ?",
            [now, order_id],
        )
        enqueue(tx, dispatch_topic(prefix, unit_id), bytes(payload), now=now)
        if incident_id:
            append_event(
                tx, incident_id, "resent", at=now, actor=None,
                detail={"order_id": order_id, "unit": unit_id},
            )  # fmt: skip
    late = tx.fetch(
        "UPDATE dispatch_orders SET status = 'unacked', unacked_at = ?, "
        "change_seq = nextval('change_seq') WHERE status = 'sent' AND resent_at IS NOT NULL "
        "AND resent_at <= ? RETURNING order_id, incident_id, resource_id",
        [now, limit],
    )
    for order_id, incident_id, unit_id in late:
        if incident_id:
            append_event(
                tx, incident_id, "unacked", at=now, actor=None,
                detail={"order_id": order_id, "unit": unit_id},
            )  # fmt: skip
    return {"resent": len(seen), "unacked": len(late)}


ORDER_COLUMNS = (
    "order_id", "incident_id", "unit", "name_zh", "name_en", "kind", "subtype", "status",
    "issued_at", "issued_by", "acked_at", "arrived_at", "resent_at", "unacked_at", "eta_s",
    "unit_status", "exercise",
)  # fmt: skip


def orders_of(store: Store, incident_id: str) -> list[dict[str, Any]]:
    """The incident's orders, newest first, with their unit's name and current status."""
    rows = store.query_rows(
        "SELECT o.order_id, o.incident_id, o.resource_id, r.name_zh, r.name_en, r.kind, "
        "r.subtype, o.status, o.issued_at, o.issued_by, o.acked_at, o.arrived_at, "
        "o.resent_at, o.unacked_at, o.eta_s, r.status, o.exercise FROM dispatch_orders o "
        "LEFT JOIN resources r ON r.resource_id = o.resource_id WHERE o.incident_id = ? "
        "ORDER BY o.issued_at DESC, o.order_id",
        [incident_id],
    )
    return [dict(zip(ORDER_COLUMNS, row, strict=True)) for row in rows]
