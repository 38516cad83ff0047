"""The simulator's crews answer dispatch orders: ack, drive to the scene, stand, return."""

from __future__ import annotations

import json
import threading
from itertools import takewhile

from ingest.mqtt.publisher import Publisher
from ingest.simulator.responder import ON_SCENE_S, Responder
from ingest.simulator.stream import simulate_messages
from ingest.simulator.world import distance_m
from tests.broker import INGEST, SIMULATOR, mosquitto
from tests.ingest.mqtt_helpers import P, publish_all
from tests.ingest.test_simulator import DAY, SEED, world

SCENE = (116.6465, 23.6707)


def _order(order_id: str = "O1", lon: float = SCENE[0], lat: float = SCENE[1]) -> bytes:
    return json.dumps({"id": order_id, "order_id": order_id, "lon": lon, "lat": lat}).encode()


def _unit(kind: str = "vehicle"):
    return next(u for u in world().units if u.kind == kind and u.status != "out_of_service")


def test_a_crew_acks_drives_stands_and_returns() -> None:
    unit = _unit()
    crew = Responder(list(world().units))
    assert crew.step(unit, DAY, (unit.lon, unit.lat)).position is None  # no order: patrol
    crew.receive(f"{P}/dispatch/{unit.unit_id}", _order())
    first = crew.step(unit, DAY, (unit.lon, unit.lat))
    assert first.acks == ["O1"] and first.position[2] == "dispatched"
    leg_s = distance_m(unit.lon, unit.lat, *SCENE) / (max(unit.speed_kmh, 5) / 3.6)
    halfway = crew.step(unit, DAY + int(leg_s / 2), (0.0, 0.0))
    assert halfway.acks == [] and halfway.position[2] == "dispatched"
    d_half = distance_m(halfway.position[0], halfway.position[1], *SCENE)
    assert 0.3 < d_half / distance_m(unit.lon, unit.lat, *SCENE) < 0.7
    there = crew.step(unit, DAY + int(leg_s) + 60, (0.0, 0.0))
    assert there.position == (*SCENE, "on_scene")
    back = crew.step(unit, DAY + int(leg_s) + ON_SCENE_S + 30, (0.0, 0.0))
    assert back.position[2] == "returning"
    done = crew.step(unit, DAY + int(2 * leg_s) + ON_SCENE_S + 120, (1.0, 2.0))
    assert done.position is None  # patrolling again
    assert crew.step(unit, DAY + 10**6, (1.0, 2.0)).position is None


def test_a_resent_order_is_acknowledged_again_not_run_twice() -> None:
    unit = _unit()
    crew = Responder(list(world().units))
    crew.receive(f"{P}/dispatch/{unit.unit_id}", _order())
    crew.step(unit, DAY, (unit.lon, unit.lat))
    crew.receive(f"{P}/dispatch/{unit.unit_id}", _order())
    again = crew.step(unit, DAY + 30, (0.0, 0.0))
    assert again.acks == ["O1"] and again.position[2] == "dispatched"
    assert distance_m(again.position[0], again.position[1], unit.lon, unit.lat) > 0  # moving on


def test_orders_a_crew_cannot_read_or_answer_are_ignored() -> None:
    unit = _unit()
    idle = next(u for u in world().units if u.status == "out_of_service")
    crew = Responder(list(world().units))
    for topic, payload in [
        (f"{P}/dispatch/{unit.unit_id}", b"not json"),
        (f"{P}/dispatch/{unit.unit_id}", b'{"order_id": "x"}'),
        (f"{P}/dispatch/{unit.unit_id}", b'{"order_id": "x", "lon": "nan", "lat": 23}'),
        (f"{P}/dispatch/NOBODY", _order()),
        (f"{P}/dispatch/{idle.unit_id}", _order()),
    ]:
        crew.receive(topic, payload)
    assert crew.step(unit, DAY, (0.0, 0.0)).acks == []
    assert crew.step(idle, DAY, (0.0, 0.0)).acks == []


def test_the_stream_carries_the_ack_and_the_drive_to_the_scene() -> None:
    unit = _unit()
    crew = Responder(list(world().units))
    crew.receive(f"{P}/dispatch/{unit.unit_id}", _order("O7"))
    stream = simulate_messages(world(), start=DAY, seed=SEED, kinds=["units"], responder=crew)
    mine = [
        m for m in takewhile(lambda m: m.ts < DAY + 3 * 3600, stream)
        if f"/{unit.unit_id}/" in m.topic
    ]  # fmt: skip
    acks = [m for m in mine if m.topic.endswith("/ack")]
    assert len(acks) == 1 and json.loads(acks[0].payload)["order_id"] == "O7"
    statuses = [json.loads(m.payload)["status"] for m in mine if m.topic.endswith("/position")]
    assert "dispatched" in statuses and "on_scene" in statuses and "returning" in statuses
    on_scene = [
        json.loads(m.payload) for m in mine
        if m.topic.endswith("/position") and json.loads(m.payload)["status"] == "on_scene"
    ]  # fmt: skip
    assert all((p["lon"], p["lat"]) == SCENE for p in on_scene)


def test_the_simulator_login_receives_orders_on_its_one_connection(tmp_path) -> None:
    got: list[tuple[str, bytes]] = []
    with mosquitto(tmp_path / "broker") as port:
        pub = Publisher(
            "127.0.0.1", port, client_id=SIMULATOR[0], username=SIMULATOR[0],
            password=SIMULATOR[1],
        )  # fmt: skip
        done = threading.Event()

        def handler(topic: str, payload: bytes) -> None:
            got.append((topic, payload))
            done.set()

        try:
            pub.subscribe(f"{P}/dispatch/+", handler)
            for _ in range(50):  # until the subscription is in place
                publish_all(port, [(f"{P}/dispatch/V-1", _order())], user=INGEST)
                if done.wait(0.2):
                    break
            assert got and got[0][0] == f"{P}/dispatch/V-1"
            assert pub.publish(f"{P}/dispatch/V-1/ack", b"{}")  # and still publishes
        finally:
            pub.close()


def test_a_stand_down_sends_the_crew_back_to_its_patrol() -> None:
    unit = _unit()
    crew = Responder(list(world().units))
    crew.receive(f"{P}/dispatch/{unit.unit_id}", _order("O1"))
    assert crew.step(unit, DAY, (unit.lon, unit.lat)).position[2] == "dispatched"
    other = json.dumps({"id": "O9-cancel", "order_id": "O9", "cancel": True}).encode()
    crew.receive(f"{P}/dispatch/{unit.unit_id}", other)  # another order's: ignored
    assert crew.step(unit, DAY + 30, (0.0, 0.0)).position[2] == "dispatched"
    cancel = json.dumps({"id": "O1-cancel", "order_id": "O1", "cancel": True}).encode()
    crew.receive(f"{P}/dispatch/{unit.unit_id}", cancel)
    assert crew.step(unit, DAY + 60, (1.0, 2.0)).position is None  # patrolling again
