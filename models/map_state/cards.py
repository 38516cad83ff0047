"""What the wall's cards show of one object (case, sensor, road, incident, resource, cell) then."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from models.map_state.cases import CASE_COLUMNS, cases_at
from models.map_state.emergency import resources_at
from models.security import Scope, scope_problems
from models.store import Store
from models.work_calendar import WorkCalendar

#: A sensor card plots at least a day, or 48 of the sensor's intervals when longer.
SENSOR_WINDOW = timedelta(hours=24)
SENSOR_INTERVALS = 48
#: A road card plots the last three hours of samples.
SEGMENT_WINDOW = timedelta(hours=3)
#: Dispatch orders listed on a resource card.
RESOURCE_ORDERS = 5
#: Open cases listed on a cell card.
CELL_CASES = 10


@dataclass(frozen=True)
class CaseCard:
    """A case at an instant: its row of :func:`~models.map_state.cases.cases_at` (stage, due
    time, unit, rework count … of then), the facts fixed at report, history and photos by then.
    """

    state: dict[str, Any]
    address: str | None
    description: str | None
    assignee: str | None
    history: list[tuple[datetime, str, str | None, str, str | None]]
    photos: list[tuple[str, str, datetime]]


@dataclass(frozen=True)
class SensorCard:
    """A sensor's fixed facts, its readings in the window before the instant, alarms open then."""

    sensor: dict[str, Any]
    readings: pd.DataFrame
    alarms: list[tuple[str, datetime, float | None]]


@dataclass(frozen=True)
class SegmentCard:
    """A road segment and its traffic samples in the window before the instant."""

    segment: dict[str, Any]
    samples: pd.DataFrame


@dataclass(frozen=True)
class IncidentCard:
    """An incident and its timeline up to the instant."""

    incident: dict[str, Any]
    events: list[tuple[datetime, str | None, str, str | None]]


@dataclass(frozen=True)
class ResourceCard:
    """A resource as :func:`~models.map_state.emergency.resources_at` has it, and its orders."""

    resource: dict[str, Any]
    orders: list[tuple[datetime, datetime | None, datetime | None, str | None]]


def _one(frame: pd.DataFrame) -> dict[str, Any] | None:
    if frame.empty:
        return None
    return {k: (None if _missing(v) else v) for k, v in frame.iloc[0].to_dict().items()}


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def case_card(
    store: Store, scope: Scope, case_id: str, *, at: datetime, calendar: WorkCalendar
) -> CaseCard | None:
    """The case ``case_id`` as it stood at ``at``, or None when not in ``scope`` or not yet
    reported. Stage, due time, unit, rework count and SLA come from ``cases_at`` (one way to
    replay a case); history and photos stop at ``at``."""
    state = _one(cases_at(store, scope, at=at, calendar=calendar, case_ids=[case_id]))
    if state is None:
        return None
    fixed = store.query_rows(
        "SELECT address, description, assignee FROM cases WHERE case_id = ?", [case_id]
    )
    address, description, assignee = fixed[0] if fixed else (None, None, None)
    history = store.query_rows(
        "SELECT occurred_at, actor, from_stage, to_stage, note FROM case_transitions "
        "WHERE case_id = ? AND occurred_at <= ? ORDER BY seq",
        [case_id, at],
    )
    photos = store.query_rows(
        "SELECT attachment_id, media_type, uploaded_at FROM case_attachments WHERE case_id = ? "
        "AND uploaded_at <= ? ORDER BY uploaded_at",
        [case_id, at],
    )
    return CaseCard(state, address, description, assignee, history, photos)


def sensor_card(store: Store, scope: Scope, sensor_id: str, *, at: datetime) -> SensorCard | None:
    """A sensor of ``scope``: readings ``ts, metric, value`` in the window before ``at`` (a day,
    or 48 intervals when longer), oldest first, and its alarms open at ``at``, newest first."""
    where, params = scope.sql_filter("cell_code")
    sensor = _one(
        store.query_df(
            "SELECT sensor_id, kind, owner, cell_code, interval_s, zone, warning_level, "
            f"danger_level FROM sensors WHERE sensor_id = ? AND {where}",
            [sensor_id, *params],
        )
    )
    if sensor is None:
        return None
    interval = timedelta(seconds=int(sensor["interval_s"] or 0) * SENSOR_INTERVALS)
    readings = store.query_df(
        "SELECT ts, metric, value FROM observations WHERE sensor_id = ? AND ts > ? AND ts <= ? "
        "ORDER BY ts",
        [sensor_id, at - max(SENSOR_WINDOW, interval), at],
    )
    alarms = store.query_rows(
        "SELECT rule_id, opened_at, value FROM alarms WHERE sensor_id = ? AND opened_at <= ? "
        "AND (cleared_at IS NULL OR cleared_at > ?) ORDER BY opened_at DESC",
        [sensor_id, at, at],
    )
    return SensorCard(sensor, readings, alarms)


def segment_card(store: Store, segment_id: str, *, at: datetime) -> SegmentCard | None:
    """A road segment and its samples ``ts, speed_kmh, flow_vph`` in the 3 h before ``at``."""
    segment = _one(
        store.query_df(
            "SELECT segment_id, name_zh, road_class, free_flow_kmh, length_m FROM road_segments "
            "WHERE segment_id = ?",
            [segment_id],
        )
    )
    if segment is None:
        return None
    samples = store.query_df(
        "SELECT ts, speed_kmh, flow_vph FROM traffic_samples WHERE segment_id = ? AND ts > ? "
        "AND ts <= ? ORDER BY ts",
        [segment_id, at - SEGMENT_WINDOW, at],
    )
    return SegmentCard(segment, samples)


def incident_card(store: Store, incident_id: str, *, at: datetime) -> IncidentCard | None:
    """An incident opened by ``at`` and its timeline up to ``at``; ``closed_at`` is None when
    it closed after ``at``. (Incidents are city business: no scope limit.)"""
    incident = _one(
        store.query_df(
            "SELECT incident_id, incident_type, level, title, status, exercise, opened_at, "
            "lon, lat, CASE WHEN closed_at <= ? THEN closed_at END AS closed_at FROM incidents "
            "WHERE incident_id = ? AND opened_at <= ?",
            [at, incident_id, at],
        )
    )
    if incident is None:
        return None
    events = store.query_rows(
        "SELECT occurred_at, actor, kind, detail FROM incident_events WHERE incident_id = ? "
        "AND occurred_at <= ? ORDER BY seq",
        [incident_id, at],
    )
    return IncidentCard(incident, events)


def resource_card(
    store: Store, scope: Scope, resource_id: str, *, at: datetime
) -> ResourceCard | None:
    """A resource of ``scope`` where and in what status it was at ``at`` (as the resources
    layer draws it), and its last dispatch orders issued by then, newest first."""
    frame = resources_at(store, scope, at=at)
    resource = _one(frame[frame["resource_id"] == resource_id])
    if resource is None:
        return None
    orders = store.query_rows(
        "SELECT issued_at, acked_at, arrived_at, note FROM dispatch_orders WHERE resource_id = ? "
        f"AND issued_at <= ? ORDER BY issued_at DESC LIMIT {RESOURCE_ORDERS}",
        [resource_id, at],
    )
    return ResourceCard(resource, orders)


def open_cases_in_cell(
    store: Store, scope: Scope, cell_code: str, *, at: datetime, calendar: WorkCalendar
) -> pd.DataFrame:
    """The newest open non-exercise cases of one cell of ``scope`` at ``at`` (``cases_at``
    rows, newest first, at most :data:`CELL_CASES`)."""
    if scope_problems("cells", (cell_code,)) or not scope.contains_cell(cell_code):
        return pd.DataFrame(columns=CASE_COLUMNS)
    cell = Scope("cells", (cell_code,))
    frame = cases_at(store, cell, at=at, calendar=calendar)
    frame = frame[frame["open"].astype(bool) & ~frame["exercise"].astype(bool)]
    return frame.sort_values("reported_at", ascending=False).head(CELL_CASES)


__all__ = [
    "CaseCard",
    "IncidentCard",
    "ResourceCard",
    "SegmentCard",
    "SensorCard",
    "case_card",
    "incident_card",
    "open_cases_in_cell",
    "resource_card",
    "segment_card",
    "sensor_card",
]
