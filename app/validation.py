"""What a browser may send to the wall, checked once: instants, slider hours, replay states,
selections and the shape of a Dash callback request.

Every check is total: it returns the value to use or raises :class:`Rejected` with the reason,
which the REST endpoints answer as a 400 and the callbacks as no update. Nothing here reads the
clock: ``now`` comes in as a parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from models.map_state.cases import REPLAY_DAYS

#: Longest text read as an instant ("2026-11-24T12:00:00.123456+08:00" is 32 characters).
MAX_INSTANT_CHARS = 40

#: The replay slider reaches a day short of the replay window, so that a page left open for
#: a day still asks for instants inside it.
REPLAY_SLIDER_HOURS = (REPLAY_DAYS - 1) * 24

#: Longest layer name and object key a selection may carry (ids are far shorter).
MAX_KEY_CHARS = 200

_LIVE = (None, "", "now")

#: Longest URL part a browser may send as a Dash Pages location.
MAX_URL_CHARS = 2048


def _is_path(value: object) -> bool:
    return isinstance(value, str) and value.startswith("/") and len(value) <= MAX_URL_CHARS


def _is_search(value: object) -> bool:
    return value is None or (isinstance(value, str) and len(value) <= MAX_URL_CHARS)


#: Values Dash's own callbacks read without checking (its Pages router raises on a path
#: that is not absolute text): "id.property" -> accepted.
DASH_INPUTS: dict[str, Callable[[object], bool]] = {
    "_pages_location.pathname": _is_path,
    "_pages_location.search": _is_search,
}


class Rejected(ValueError):
    """Input from outside that is not used; the message says why (the body of a 400)."""


def parse_instant(value: object, *, name: str = "at", zoned: bool = False) -> datetime:
    """An ISO-8601 instant as naive UTC.

    Parameters
    ----------
    value
        Text such as ``2026-11-24T04:00:00Z`` or ``2026-11-24T12:00+08:00``; without a zone
        the instant is taken as UTC (the store's convention, which the page's own replay
        store keeps).
    name
        The field's name in the reason.
    zoned
        Refuse an instant without a zone (the REST API, like MQTT, guesses none).

    Returns
    -------
    datetime
        Naive, in UTC.

    Raises
    ------
    Rejected
        Not text, too long, not ISO-8601, outside the calendar once moved to UTC, or
        without a zone when ``zoned``.
    """
    if not isinstance(value, str) or len(value) > MAX_INSTANT_CHARS:
        raise Rejected(f"{name}: not an ISO-8601 instant")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        zone_given = moment.tzinfo is not None
        if zone_given:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError) as exc:
        raise Rejected(f"{name}: not an ISO-8601 instant: {value!r}") from exc
    if zoned and not zone_given:
        raise Rejected(f"{name}: an instant needs a zone (Z or +08:00): {value!r}")
    return moment


def check_replayable(moment: datetime, *, now: datetime, name: str = "at") -> datetime:
    """``moment`` itself when replay can show it: not after ``now`` and less than
    :data:`~models.map_state.cases.REPLAY_DAYS` days before it (else :class:`Rejected`)."""
    if moment > now:
        raise Rejected(f"{name}: replay cannot show the future")
    if now - moment >= timedelta(days=REPLAY_DAYS):
        raise Rejected(f"{name}: replay reaches {REPLAY_DAYS} days back")
    return moment


def replay_instant(
    value: object, *, now: datetime, name: str = "at", zoned: bool = False
) -> datetime | None:
    """A replay instant (naive UTC) inside the replay window, or None for live.

    Parameters
    ----------
    value
        None, ``""`` or ``"now"`` for live; else an ISO-8601 instant (see
        :func:`parse_instant`).
    now
        The present, naive UTC.
    name
        The field's name in the reason.
    zoned
        Refuse an instant without a zone (see :func:`parse_instant`).

    Raises
    ------
    Rejected
        Unreadable, without a zone when ``zoned``, in the future, or :data:`REPLAY_DAYS`
        days or more before ``now``.
    """
    if value in _LIVE:
        return None
    return check_replayable(parse_instant(value, name=name, zoned=zoned), now=now, name=name)


def slider_hours(value: object) -> int:
    """The replay slider's value: whole hours from ``-REPLAY_SLIDER_HOURS`` to 0 (None: 0)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Rejected("hours: not a number")
    if value != value or not -REPLAY_SLIDER_HOURS <= value <= 0 or value != int(value):
        raise Rejected(f"hours: a whole number from -{REPLAY_SLIDER_HOURS} to 0")
    return int(value)


def replay_at(value: object, *, now: datetime) -> datetime | None:
    """The instant the page's replay store shows (None: live), inside the replay window.

    Raises
    ------
    Rejected
        The store is not an object (or None), or its ``at`` is not a replayable instant.
    """
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise Rejected("replay: not an object")
    return replay_instant(value.get("at"), now=now)


@dataclass(frozen=True)
class ReplayState:
    """The page's replay store as the replay controls read it: the instant shown (None:
    live), the slider's anchor (None when the browser sent none) and whether it is playing.
    The instants are read, not held to the window: the step taken from them is
    (:func:`replay_step`), so a page left open for months still steps."""

    at: datetime | None
    anchor: datetime | None
    playing: bool


def replay_state(value: object, *, now: datetime) -> ReplayState:
    """The replay store a browser sent, read (None: live, nothing chosen).

    Raises
    ------
    Rejected
        Not an object, an ``at`` or ``anchor`` that is not an ISO-8601 instant, or an anchor
        after ``now``.
    """
    if value is None:
        return ReplayState(None, None, False)
    if not isinstance(value, Mapping):
        raise Rejected("replay: not an object")
    at, anchor = value.get("at"), value.get("anchor")
    state = ReplayState(
        at=None if at in _LIVE else parse_instant(at),
        anchor=None if anchor in _LIVE else parse_instant(anchor, name="anchor"),
        playing=value.get("playing") is True,
    )
    if state.anchor is not None and state.anchor > now:
        raise Rejected("anchor: after now")
    return state


def replay_step(anchor: datetime, hours: int, *, now: datetime) -> datetime | None:
    """The instant ``hours`` (see :func:`slider_hours`) from ``anchor``, inside the replay
    window; None for 0 (live).

    Raises
    ------
    Rejected
        The instant falls outside the calendar or the replay window.
    """
    if not hours:
        return None
    try:
        moment = anchor + timedelta(hours=hours)
    except OverflowError as exc:
        raise Rejected("hours: before the calendar") from exc
    return check_replayable(moment, now=now)


@dataclass(frozen=True)
class Selection:
    """What a click on the map chose: the layer, the object's key and the picture's instant
    (None: live)."""

    layer: str
    key: str
    at: datetime | None


def selection(value: object, *, now: datetime) -> Selection | None:
    """The selection a browser sent, checked (None: nothing selected).

    Raises
    ------
    Rejected
        Not an object, a layer or key that is not short text (or a number), or an instant
        outside the replay window.
    """
    if not value:
        return None
    if not isinstance(value, Mapping):
        raise Rejected("selection: not an object")
    layer, key = value.get("layer", ""), value.get("id", "")
    if not isinstance(layer, str) or len(layer) > MAX_KEY_CHARS:
        raise Rejected("selection.layer: not a layer name")
    if isinstance(key, bool) or not isinstance(key, str | int | float):
        raise Rejected("selection.id: not a key")
    if len(str(key)) > MAX_KEY_CHARS:
        raise Rejected("selection.id: too long")
    return Selection(layer, str(key), replay_instant(value.get("at"), now=now, name="at"))


def _has_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def surrogate_path(data: object) -> str | None:
    """Where parsed JSON holds text that cannot be written as UTF-8 (a lone surrogate such
    as ``"\\ud800"``, a valid JSON escape), as ``field`` or ``field[2]``; None when all is
    text. Walked without recursion (the parser bounded the depth already)."""
    stack: list[tuple[str, object]] = [("body", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            if _has_surrogate(value):
                return where
        elif isinstance(value, dict):
            for key, item in value.items():
                if _has_surrogate(key):
                    return f"a field name in {where}"
                stack.append((key if where == "body" else f"{where}.{key}", item))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(value))
    return None


def callback_body_problem(body: object, callbacks: Mapping[str, Any]) -> str | None:
    """Why ``body`` is not a request for one of ``callbacks``, or None when it is.

    Dash reads the body without checking it: a list, an unknown output or inputs other than
    the callback declares end in an exception (a 500). The body must name a registered
    output and send exactly its declared inputs and states, each as ``{id, property, value}``
    (a pattern-matching dependency: a list of those).

    Parameters
    ----------
    body
        The parsed JSON body of ``/_dash-update-component``.
    callbacks
        The Dash app's ``callback_map``: output string -> {"inputs": [...], "state": [...]}.
    """
    if not isinstance(body, Mapping):
        return "body: not a JSON object"
    if (where := surrogate_path(body)) is not None:
        return f"{where}: text that is not UTF-8 (a lone surrogate)"
    output = body.get("output")
    # a clientside callback is in the map too, without a server function (Dash: a 500)
    if not isinstance(output, str) or "callback" not in callbacks.get(output, {}):
        return "output: not a callback of this app"
    spec = callbacks[output]
    for key in ("inputs", "state"):
        problem = _dependencies_problem(key, body.get(key, []), spec.get(key, []))
        if problem:
            return problem
    outputs = body.get("outputs", [])
    items = outputs if isinstance(outputs, list) else [outputs]
    if not all(isinstance(o, Mapping | list) for o in items):
        return "outputs: not a list of objects"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "changedPropIds: not a list of strings"
    return None


def _dependencies_problem(key: str, sent: object, declared: list[dict[str, Any]]) -> str | None:
    if not isinstance(sent, list) or len(sent) != len(declared):
        return f"{key}: not the {len(declared)} the callback declares"
    for item, want in zip(sent, declared, strict=True):
        # pattern-matching: one or many objects (Dash's callback_map holds the pattern as
        # its JSON text, '{"case":["ALL"],...}')
        if isinstance(want.get("id"), dict) or str(want.get("id", "")).startswith("{"):
            group = item if isinstance(item, list) else [item]
            if not all(isinstance(i, Mapping) and "property" in i for i in group):
                return f"{key}: not the declared dependencies"
        elif not (
            isinstance(item, Mapping)
            and item.get("id") == want.get("id")
            and item.get("property") == want.get("property")
        ):
            return f"{key}: not the declared dependencies"
        else:
            accepts = DASH_INPUTS.get(f"{want['id']}.{want['property']}")
            if accepts is not None and not accepts(item.get("value")):
                return f"{want['id']}.{want['property']}: not a value it takes"
    return None
