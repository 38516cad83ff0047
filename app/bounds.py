"""Bounds on what one request may cost: Dash callback requests of the declared shape, and a
per-user limit on the expensive requests (a picture, colours or KPIs at an instant).

A user's further expensive requests are answered 429 with ``Retry-After`` while their limit
is running, so one user (or one stolen session) cannot hold every server thread and the
other users, ``/health`` and the cheap polls keep being served.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dash
import flask

from app.validation import callback_body_problem

#: Expensive requests one user may have running at once: a step of the replay slider asks
#: three together (the map's picture, the KPIs and the ranking at the new instant).
EXPENSIVE_PER_USER = 3

#: Seconds a refused client is asked to wait (an expensive request takes about that).
RETRY_AFTER_S = 2

_EXTENSION = "cityops-expensive-slots"


class UserSlots:
    """Counts each user's running requests up to ``per_user`` (memory: the users running
    one now)."""

    def __init__(self, per_user: int) -> None:
        self.per_user = per_user
        self._running: dict[str, int] = {}
        self._peak: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, user: str) -> bool:
        """Take a slot for ``user``; False when all of theirs are taken."""
        with self._lock:
            count = self._running.get(user, 0)
            if count >= self.per_user:
                return False
            self._running[user] = count + 1
            if count + 1 > self._peak.get(user, 0) and (
                user in self._peak or len(self._peak) < 10_000
            ):
                self._peak[user] = count + 1
            return True

    def release(self, user: str) -> None:
        """Give back a slot taken by :meth:`acquire`."""
        with self._lock:
            count = self._running.get(user, 0) - 1
            if count > 0:
                self._running[user] = count
            else:
                self._running.pop(user, None)

    def running(self, user: str) -> int:
        """How many of ``user``'s requests hold a slot now."""
        with self._lock:
            return self._running.get(user, 0)

    def peak(self, user: str) -> int:
        """The most slots ``user`` held at once since :meth:`reset_peak`."""
        with self._lock:
            return self._peak.get(user, 0)

    def reset_peak(self) -> None:
        with self._lock:
            self._peak.clear()


def expensive_slots(server: flask.Flask) -> UserSlots:
    """The server's per-user slots of expensive requests."""
    slots: UserSlots = server.extensions.setdefault(_EXTENSION, UserSlots(EXPENSIVE_PER_USER))
    return slots


@contextmanager
def expensive(user: str) -> Iterator[None]:
    """Run the body in one of ``user``'s slots; without a free one, answer 429 (REST and
    callbacks alike: the exception becomes the response, a callback's outputs stay)."""
    slots = expensive_slots(flask.current_app)
    if not slots.acquire(user):
        response = flask.jsonify(
            error=f"at most {slots.per_user} such requests at once per user; retry shortly",
            code="rate_limited",
        )
        response.status_code = 429
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        flask.abort(response)
    try:
        yield
    finally:
        slots.release(user)


def install_request_bounds(app: dash.Dash) -> None:
    """Refuse, with 400 and the reason, a callback request whose body is not the shape its
    callback declares (Dash would raise on it: a 500). Runs after the log-in gate."""

    @app.server.before_request
    def _callback_shape() -> flask.Response | None:
        if flask.request.path != "/_dash-update-component":
            return None
        problem = callback_body_problem(flask.request.get_json(silent=True), app.callback_map)
        if problem is None:
            return None
        response = flask.jsonify(error=problem)
        response.status_code = 400
        return response
