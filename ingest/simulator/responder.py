"""The simulator plays the emergency units' crews: a dispatch order received on
``{prefix}/dispatch/{unit}`` is acknowledged at the unit's next report, the unit drives to
the scene in a straight line at its speed (status ``dispatched``), stands there
(``on_scene``), drives back to its base (``returning``) and patrols again; a stand-down
(``"cancel": true`` for its order) sends it back to its patrol at once.

Orders come in on the MQTT network thread (:meth:`Responder.receive`); the unit's message
generator asks, in simulated time, what the unit does (:meth:`Responder.step`). A repeated
order (the server re-sends an unacknowledged one) is acknowledged again, never run twice.
Crews of out-of-service units do not answer.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field

from ingest.simulator.world import Unit, distance_m

#: Seconds a crew stands on scene before driving back.
ON_SCENE_S = 1800


@dataclass
class _Task:
    order_id: str
    lon: float
    lat: float
    started: int | None = None  # simulated second of the ack
    from_lon: float = 0.0
    from_lat: float = 0.0
    acks_due: int = 1  # acks still to send (one per order received)


@dataclass
class Step:
    """What a unit says at one report: acks to send, and its position and status."""

    acks: list[str] = field(default_factory=list)
    position: tuple[float, float, str] | None = None  # None: its usual patrol


def _along(a: tuple[float, float], b: tuple[float, float], f: float) -> tuple[float, float]:
    f = min(1.0, max(0.0, f))
    return round(a[0] + f * (b[0] - a[0]), 6), round(a[1] + f * (b[1] - a[1]), 6)


class Responder:
    """The crews of every unit: thread-safe between the MQTT thread and the stream."""

    def __init__(self, units: list[Unit]) -> None:
        self._units = {u.unit_id: u for u in units}
        self._tasks: dict[str, _Task] = {}
        self._lock = threading.Lock()

    def receive(self, topic: str, payload: bytes) -> None:
        """An order off the broker: ``…/dispatch/{unit}`` with ``order_id``, ``lon``, ``lat``;
        anything else is ignored (the crew cannot read it)."""
        unit_id = topic.rsplit("/", 1)[-1]
        unit = self._units.get(unit_id)
        if unit is None or unit.status == "out_of_service":
            return
        try:
            body = json.loads(payload)
            order_id = str(body["order_id"])
            if body.get("cancel") is True:  # stood down: back to the patrol
                with self._lock:
                    task = self._tasks.get(unit_id)
                    if task is not None and task.order_id == order_id:
                        del self._tasks[unit_id]
                return
            lon, lat = float(body["lon"]), float(body["lat"])
        except (ValueError, KeyError, TypeError, AttributeError):
            return
        if not (math.isfinite(lon) and math.isfinite(lat)):
            return
        with self._lock:
            task = self._tasks.get(unit_id)
            if task is not None and task.order_id == order_id:
                task.acks_due += 1  # a re-sent order: say "received" again
            else:
                self._tasks[unit_id] = _Task(order_id, lon, lat)

    def step(self, unit: Unit, t: int, here: tuple[float, float]) -> Step:
        """What ``unit`` reports at simulated second ``t``; ``here`` is where its patrol
        would have put it (where it starts from when it takes the order)."""
        with self._lock:
            task = self._tasks.get(unit.unit_id)
            if task is None:
                return Step()
            acks = [task.order_id] * task.acks_due
            task.acks_due = 0
            if task.started is None:
                task.started, task.from_lon, task.from_lat = t, here[0], here[1]
            speed = max(unit.speed_kmh, 5.0) / 3.6
            base = (task.from_lon, task.from_lat)
            scene = (task.lon, task.lat)
            leg_s = distance_m(*base, *scene) / speed
            back_s = distance_m(*scene, unit.lon, unit.lat) / speed
            since = t - task.started
            if since < leg_s:
                lon, lat = _along(base, scene, since / leg_s)
                status = "dispatched"
            elif since < leg_s + ON_SCENE_S:
                lon, lat, status = task.lon, task.lat, "on_scene"
            elif since < leg_s + ON_SCENE_S + back_s:
                f = (since - leg_s - ON_SCENE_S) / max(back_s, 1.0)
                lon, lat = _along(scene, (unit.lon, unit.lat), f)
                status = "returning"
            else:
                del self._tasks[unit.unit_id]
                return Step(acks=acks)
            return Step(acks=acks, position=(lon, lat, status))
