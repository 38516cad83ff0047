"""MQTT topics and their JSON payloads (SPEC §3.1): one pydantic model per topic, total parsing.

``parse_message(topic, payload, prefix=..., now=...)`` never raises: it returns either a
parsed message or a :class:`Rejected` with the reason, so the ingest loop cannot die on bad
input. Given the clock (``now``), a ``ts`` outside the believable window (see
:mod:`ingest.time_window`) is rejected too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from ingest.time_window import DEFAULT_WINDOW, TimeWindow
from models.metric_ranges import range_problem
from models.vocabulary import REPORT_SOURCES, SENSOR_KINDS, UNIT_STATUSES

DEFAULT_PREFIX = "cityops/v1"
_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
MAX_PAYLOAD_BYTES = 256 * 1024


def _utc_naive(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamp needs a time zone (e.g. +08:00 or Z)")
    return value.astimezone(UTC).replace(tzinfo=None)


Timestamp = Annotated[datetime, AfterValidator(_utc_naive)]
Finite = float  # finiteness: allow_inf_nan=False on every payload model
MessageId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
#: A metric name, checked by pydantic-core (no Python call per name: ingest's hot path).
MetricName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Lon = Annotated[float, Field(ge=-180, le=180)]
Lat = Annotated[float, Field(ge=-90, le=90)]


class _Payload(BaseModel):
    # NaN and infinity are refused by pydantic-core itself (no Python validator per value)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    id: MessageId
    ts: Timestamp


class ObservationPayload(_Payload):
    """``{prefix}/obs/{kind}/{sensor_id}``: readings of one sensor at one time.

    ``exercise``: readings of a drill; the alarms and cases they raise are exercises too.
    """

    values: dict[MetricName, Finite] = Field(min_length=1, max_length=32)
    exercise: bool = False

    @field_validator("values")
    @classmethod
    def _plausible(cls, value: dict[str, float]) -> dict[str, float]:
        problems = [p for name, v in value.items() if (p := range_problem(name, v))]
        if problems:
            raise ValueError("; ".join(problems[:5]))
        return value


class TrafficPayload(_Payload):
    """``{prefix}/traffic/{segment_id}``: one traffic sample of a road segment."""

    speed_kmh: Annotated[float, Field(ge=0, le=250)]
    flow_vph: Annotated[float, Field(ge=0, le=20000)]
    occupancy: Annotated[float, Field(ge=0, le=1)]


class ReportPayload(_Payload):
    """``{prefix}/reports``: a case report from any channel."""

    source: Literal[REPORT_SOURCES]  # type: ignore[valid-type]
    category: Annotated[str, Field(pattern=r"^\d{4,6}$")]
    lon: Lon
    lat: Lat
    text: Annotated[str, Field(max_length=4000)] = ""
    reporter: Annotated[str, Field(max_length=128)] = ""
    exercise: bool = False


class PositionPayload(_Payload):
    """``{prefix}/units/{unit_id}/position``: AVL position of a mobile unit."""

    lon: Lon
    lat: Lat
    status: Literal[UNIT_STATUSES]  # type: ignore[valid-type]


class DispatchAckPayload(_Payload):
    """``{prefix}/dispatch/{unit_id}/ack``: a unit acknowledges a dispatch order."""

    order_id: MessageId


@dataclass(frozen=True)
class Observation:
    topic: str
    kind: str
    sensor_id: str
    payload: ObservationPayload
    #: the bytes as received, for a dead letter if the sensor turns out unknown
    raw: bytes = field(default=b"", repr=False, compare=False)


@dataclass(frozen=True)
class TrafficSample:
    topic: str
    segment_id: str
    payload: TrafficPayload


@dataclass(frozen=True)
class Report:
    topic: str
    payload: ReportPayload


@dataclass(frozen=True)
class UnitPosition:
    topic: str
    unit_id: str
    payload: PositionPayload
    #: the bytes as received, for a dead letter if the unit turns out unknown
    raw: bytes = field(default=b"", repr=False, compare=False)


@dataclass(frozen=True)
class DispatchAck:
    topic: str
    unit_id: str
    payload: DispatchAckPayload


@dataclass(frozen=True)
class CapAlert:
    """``{prefix}/alerts/in``: CAP 1.2 XML, kept as text; parsed by the CAP module."""

    topic: str
    xml: str


@dataclass(frozen=True)
class Rejected:
    topic: str
    payload: bytes
    reason: str


Parsed = Observation | TrafficSample | Report | UnitPosition | DispatchAck | CapAlert


def subscriptions(prefix: str = DEFAULT_PREFIX, *, shared_group: str | None = None) -> list[str]:
    """Topic filters of every inbound topic, as shared subscriptions when a group is set."""
    filters = [
        f"{prefix}/obs/+/+",
        f"{prefix}/traffic/+",
        f"{prefix}/reports",
        f"{prefix}/units/+/position",
        f"{prefix}/dispatch/+/ack",
        f"{prefix}/alerts/in",
    ]
    return [f"$share/{shared_group}/{f}" for f in filters] if shared_group else filters


def _reason(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or "payload"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def _json(payload: bytes) -> dict | str:
    try:
        data = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError:
        return "payload is not UTF-8"
    except ValueError as exc:
        return f"payload is not JSON: {exc}"[:300]
    except RecursionError:
        return "payload is nested too deeply"
    if not isinstance(data, dict):
        return "payload must be a JSON object"
    return data


def parse_message(
    topic: str,
    payload: bytes,
    *,
    prefix: str = DEFAULT_PREFIX,
    now: datetime | None = None,
    window: TimeWindow = DEFAULT_WINDOW,
) -> Parsed | Rejected:
    """Parse one inbound MQTT message; never raises.

    Parameters
    ----------
    topic, payload
        The message as received.
    prefix
        The topic prefix (``mqtt.topic_prefix``).
    now
        The server clock (UTC-naive). When given, a ``ts`` more than the window's skew
        ahead of it, or older than its age limit, is rejected; ingest always passes it.
    window
        The believable time window (``ingest.max_clock_skew_s``, ``ingest.max_age_days``).

    Returns
    -------
    Parsed | Rejected
        The message, or the reason it was refused.
    """
    try:
        parsed = _parse(topic, payload, prefix)
        if now is not None and not isinstance(parsed, Rejected | CapAlert):
            problem = window.problem(parsed.payload.ts, now=now)
            if problem is not None:
                return Rejected(topic, payload, problem)
        return parsed
    except Exception as exc:  # totality: any surprise becomes a rejected record
        return Rejected(topic, payload, f"unexpected parser error: {type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class _Route:
    """What a topic means, worked out once per distinct topic (topics repeat endlessly)."""

    head: str
    keys: tuple[str, ...]
    shape: type[_Payload] | None = None
    error: str | None = None


_SHAPES: dict[tuple[str, int], type[_Payload]] = {
    ("obs", 3): ObservationPayload,
    ("traffic", 2): TrafficPayload,
    ("reports", 1): ReportPayload,
    ("units", 3): PositionPayload,
    ("dispatch", 3): DispatchAckPayload,
}
_TAILS = {"units": "position", "dispatch": "ack"}


@lru_cache(maxsize=65536)
def _route(topic: str, prefix: str) -> _Route:
    if not topic.startswith(prefix + "/"):
        return _Route("", (), error=f"topic outside prefix {prefix!r}")
    parts = topic[len(prefix) + 1 :].split("/")
    head = parts[0]
    if head == "alerts" and parts[1:] == ["in"]:
        return _Route("alerts", ())
    shape = _SHAPES.get((head, len(parts)))
    if shape is None or (head in _TAILS and parts[2] != _TAILS[head]):
        return _Route(head, (), error="unknown topic")
    keys = tuple(
        parts[1:3]
        if head == "obs"
        else parts[1:2]
        if head in ("traffic", "units", "dispatch")
        else ()
    )
    for key in keys:
        if not _ID_RE.match(key) or key in (".", ".."):
            return _Route(head, (), error=f"topic level {key[:40]!r} is not a valid id")
    if head == "obs" and keys[0] not in SENSOR_KINDS:
        return _Route(head, (), error=f"unknown sensor kind {keys[0]!r}")
    return _Route(head, keys, shape)


def _parse(topic: str, payload: bytes, prefix: str) -> Parsed | Rejected:
    if len(payload) > MAX_PAYLOAD_BYTES:
        return Rejected(topic, payload, f"payload larger than {MAX_PAYLOAD_BYTES} bytes")
    route = _route(topic, prefix)
    if route.error is not None:
        return Rejected(topic, payload, route.error)
    if route.shape is None:  # alerts/in: CAP XML, parsed by the CAP module
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            return Rejected(topic, payload, "CAP payload is not UTF-8")
        if "<alert" not in text:
            return Rejected(topic, payload, "CAP payload has no <alert> element")
        return CapAlert(topic, text)
    try:
        model = route.shape.model_validate_json(payload)  # JSON parsed in pydantic-core
    except ValidationError as exc:
        if any(e["type"] in ("json_invalid", "model_type") for e in exc.errors()):
            data = _json(payload)  # say plainly what is wrong with the bytes
            return Rejected(topic, payload, data if isinstance(data, str) else _reason(exc))
        return Rejected(topic, payload, _reason(exc))
    head, keys = route.head, route.keys
    if head == "obs":
        return Observation(topic, keys[0], keys[1], model, payload)  # type: ignore[arg-type]
    if head == "traffic":
        return TrafficSample(topic, keys[0], model)  # type: ignore[arg-type]
    if head == "reports":
        return Report(topic, model)  # type: ignore[arg-type]
    if head == "dispatch":
        return DispatchAck(topic, keys[0], model)  # type: ignore[arg-type]
    return UnitPosition(topic, keys[0], model, payload)  # type: ignore[arg-type]
