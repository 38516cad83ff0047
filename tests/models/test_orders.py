"""Dispatch orders: issue, acknowledge, arrive, cancel; the re-send and the red flag."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from models.coordinates import distance_m
from models.emergency.orders import (
    OrderRefused,
    Position,
    cancel_order,
    issue_order,
    orders_of,
    record_acks,
    record_arrivals,
    sweep_unacknowledged,
)
from models.emergency.timeline import timeline
from models.store import Store

T0 = datetime(2026, 11, 24, 2, 0)
P = "cityops/v1"
SCENE = (116.6465, 23.6707)


@pytest.fixture
def store(demo_copy):
    s = Store(demo_copy() / "cityops.duckdb")
    s.write(
        lambda tx: tx.execute(
            "INSERT INTO incidents (incident_id, incident_type, level, title, lon, lat, status, "
            "exercise, opened_at) VALUES ('I1', 'flood', 'III', '西湖路积水', ?, ?, 'active', "
            "TRUE, ?), ('I2', 'fire', 'IV', '已结束', ?, ?, 'closed', FALSE, ?)",
            [*SCENE, T0, *SCENE, T0],
        )
    )
    yield s
    s.close()


def _unit(store: Store, kind: str = "team") -> str:
    return store.query_value(
        "SELECT min(resource_id) FROM resources WHERE kind = ? AND status = 'available'", [kind]
    )


def _order(store: Store, unit: str, at: datetime = T0, incident: str = "I1") -> str:
    return store.write(
        lambda tx: issue_order(
            tx, incident_id=incident, unit_id=unit, actor="ops", now=at, prefix=P, eta_s=300.0
        )
    )


def test_an_order_goes_on_the_outbox_and_the_unit_turns_dispatched(store) -> None:
    unit = _unit(store)
    order_id = _order(store, unit)
    topic, payload = store.query_rows("SELECT topic, payload FROM mqtt_outbox")[0]
    body = json.loads(bytes(payload))
    assert topic == f"{P}/dispatch/{unit}"
    assert body["order_id"] == body["id"] == order_id
    assert (body["lon"], body["lat"]) == SCENE and body["exercise"] is True
    assert body["title"] == "西湖路积水" and body["ts"].endswith("Z")
    assert store.query_value("SELECT status FROM resources WHERE resource_id = ?", [unit]) == (
        "dispatched"
    )
    (row,) = orders_of(store, "I1")
    assert row["status"] == "sent" and row["unit"] == unit and row["exercise"] is True
    assert [e["kind"] for e in timeline(store, "I1")] == ["order"]


@pytest.mark.parametrize(
    ("incident", "unit_sql", "code"),
    [
        ("I9", "SELECT min(resource_id) FROM resources WHERE kind = 'team'", "unknown_incident"),
        ("I2", "SELECT min(resource_id) FROM resources WHERE kind = 'team'", "closed"),
        ("I1", "SELECT 'NOPE-1'", "unknown_unit"),
        ("I1", "SELECT min(resource_id) FROM resources WHERE kind = 'shelter'", "not_mobile"),
        ("I1", "SELECT min(resource_id) FROM resources WHERE status = 'out_of_service' "
               "AND kind IN ('team', 'vehicle')", "unavailable"),
    ],
)  # fmt: skip
def test_orders_that_cannot_be_given_are_refused_and_leave_nothing(
    store, incident, unit_sql, code
) -> None:
    unit = store.query_value(unit_sql)
    assert unit is not None
    with pytest.raises(OrderRefused) as info:
        _order(store, unit, incident=incident)
    assert info.value.code == code
    assert store.query_value("SELECT count(*) FROM dispatch_orders") == 0
    assert store.query_value("SELECT count(*) FROM mqtt_outbox") == 0


def test_a_unit_already_dispatched_cannot_be_sent_twice(store) -> None:
    unit = _unit(store)
    _order(store, unit)
    with pytest.raises(OrderRefused) as info:
        _order(store, unit)
    assert info.value.code == "unavailable"


def test_ack_then_arrival_record_times_and_timeline(store) -> None:
    unit = _unit(store)
    order_id = _order(store, unit)
    ack_at = T0 + timedelta(seconds=40)
    assert store.write(lambda tx: record_acks(tx, [(unit, order_id, ack_at)])) == 1
    assert store.write(lambda tx: record_acks(tx, [(unit, order_id, ack_at)])) == 0  # replay
    assert store.write(lambda tx: record_acks(tx, [("OTHER", order_id, ack_at)])) == 0
    far = Position(unit, T0 + timedelta(minutes=3), SCENE[0] + 0.02, SCENE[1])
    near = Position(unit, T0 + timedelta(minutes=9), SCENE[0] + 0.0005, SCENE[1])
    assert distance_m(*SCENE, near.lon, near.lat) < 150 < distance_m(*SCENE, far.lon, far.lat)
    assert store.write(lambda tx: record_arrivals(tx, [far], radius_m=150)) == []
    assert store.write(lambda tx: record_arrivals(tx, [far, near], radius_m=150)) == [order_id]
    (row,) = orders_of(store, "I1")
    assert row["status"] == "arrived" and row["acked_at"] == ack_at
    assert row["arrived_at"] == near.ts and row["unit_status"] == "on_scene"
    kinds = [(e["kind"], e["detail"].get("after_s")) for e in timeline(store, "I1")]
    assert kinds == [("order", None), ("ack", 40.0), ("arrived", 540.0)]


def test_a_position_from_before_the_order_is_not_an_arrival(store) -> None:
    unit = _unit(store)
    _order(store, unit)
    old = Position(unit, T0 - timedelta(minutes=1), *SCENE)
    assert store.write(lambda tx: record_arrivals(tx, [old], radius_m=150)) == []


def test_unacknowledged_is_resent_once_then_flagged_red_and_a_late_ack_still_counts(
    store,
) -> None:
    unit = _unit(store)
    order_id = _order(store, unit)

    def sweep(after_s: int) -> dict[str, int]:
        now = T0 + timedelta(seconds=after_s)
        return store.write(
            lambda tx: sweep_unacknowledged(tx, now=now, ack_timeout_s=120, prefix=P)
        )

    assert sweep(60) == {"resent": 0, "unacked": 0}
    assert sweep(121) == {"resent": 1, "unacked": 0}
    assert sweep(130) == {"resent": 0, "unacked": 0}  # once only
    payloads = store.query_rows("SELECT payload FROM mqtt_outbox ORDER BY seq")
    assert len(payloads) == 2 and bytes(payloads[0][0]) == bytes(payloads[1][0])
    assert sweep(242) == {"resent": 0, "unacked": 1}
    assert orders_of(store, "I1")[0]["status"] == "unacked"
    assert store.write(lambda tx: record_acks(tx, [(unit, order_id, T0 + timedelta(minutes=5))]))
    assert orders_of(store, "I1")[0]["status"] == "acked"
    kinds = [e["kind"] for e in timeline(store, "I1")]
    assert kinds == ["order", "resent", "unacked", "ack"]


def test_an_acknowledged_order_is_never_resent(store) -> None:
    unit = _unit(store)
    order_id = _order(store, unit)
    store.write(lambda tx: record_acks(tx, [(unit, order_id, T0 + timedelta(seconds=5))]))
    done = store.write(
        lambda tx: sweep_unacknowledged(
            tx, now=T0 + timedelta(hours=1), ack_timeout_s=120, prefix=P
        )
    )
    assert done == {"resent": 0, "unacked": 0}


def test_a_cancelled_order_frees_the_unit_and_ignores_late_messages(store) -> None:
    unit = _unit(store)
    order_id = _order(store, unit)
    store.write(lambda tx: cancel_order(tx, order_id, actor="ops", now=T0, prefix=P))
    assert store.query_value("SELECT status FROM resources WHERE resource_id = ?", [unit]) == (
        "available"
    )
    # the crew is told (found by the independent tester: it drove to the scene anyway)
    topic, payload = store.query_rows("SELECT topic, payload FROM mqtt_outbox ORDER BY seq")[-1]
    body = json.loads(bytes(payload))
    assert topic == f"{P}/dispatch/{unit}" and body["cancel"] is True
    assert body["order_id"] == order_id and body["id"] != order_id
    assert store.write(lambda tx: record_acks(tx, [(unit, order_id, T0)])) == 0
    assert (
        store.write(lambda tx: record_arrivals(tx, [Position(unit, T0, *SCENE)], radius_m=1e3))
        == []
    )
    with pytest.raises(OrderRefused):
        store.write(lambda tx: cancel_order(tx, order_id, actor="ops", now=T0, prefix=P))


def test_an_ack_dated_before_its_order_counts_from_the_order(store) -> None:
    # found by the independent tester: an ack whose ts was 50 minutes before the order made
    # acked_at earlier than issued_at (and the sitrep's ack minutes wrong)
    unit = _unit(store)
    order_id = _order(store, unit)
    assert store.write(lambda tx: record_acks(tx, [(unit, order_id, T0 - timedelta(minutes=50))]))
    (row,) = orders_of(store, "I1")
    assert row["status"] == "acked" and row["acked_at"] == T0
    ack = [e for e in timeline(store, "I1") if e["kind"] == "ack"][0]
    assert ack["at"] == T0 and ack["detail"]["after_s"] == 0.0


def test_every_order_step_moves_the_change_cursor(store) -> None:
    # found by CI: an ack changed no table the screens' cursor read, so /emergency showed it
    # only when the minute turned (its browser test timed out at 30 s)
    from models.map_state.changes import current_change_seq

    unit = _unit(store)
    order_id = _order(store, unit)
    before = current_change_seq(store)
    store.write(lambda tx: record_acks(tx, [(unit, order_id, T0 + timedelta(seconds=5))]))
    assert current_change_seq(store) > before
