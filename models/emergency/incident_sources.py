"""Opening an incident from what the centre already holds: a case escalated (its place and
category), a sensor alarm (the sensor's place, its kind and the alarm's level), an imported
CAP alert (its area, event and severity). The source is linked both ways: ``source_kind`` and
``source_ref`` on the incident, and a case gets an ``incident`` event in its history."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import shapely

from models.case_builder import DEFAULT_TIMEZONE
from models.case_service import Actor, Refused, visible_case
from models.emergency.incident_access import require_role
from models.emergency.incident_rules import (
    ALARM_LEVELS,
    CITY_MARGIN_DEG,
    OPEN_ROLES,
    TITLE_MAX,
    IncidentError,
    bad,
    level_for_severity,
    type_for_cap,
    type_for_category,
)
from models.emergency.incident_rules import SENSOR_TYPES as SENSOR_INCIDENT_TYPES
from models.emergency.incidents import draft_incident, insert_incident, place_district
from models.emergency.places import city_extent
from models.store import Store, WriteTx


def _already(store: Store, kind: str, ref: str) -> None:
    """409 when an open incident came from this source already (one response per source)."""
    found = store.query_value(
        "SELECT min(incident_id) FROM incidents WHERE source_kind = ? AND source_ref = ? "
        "AND status = 'open'",
        [kind, ref],
    )
    if found is not None:
        raise IncidentError(f"{kind} {ref} is incident {found} already", 409, "exists",
                            {"incident": found})  # fmt: skip


def _title(value: Any, fallback: str) -> Any:
    """The title given, else ``fallback`` on one line within the length bound."""
    return value if value is not None else " ".join(fallback.split())[:TITLE_MAX]


def open_from_case(
    store: Store,
    actor: Actor,
    case_id: Any,
    *,
    now: datetime,
    tz: str = DEFAULT_TIMEZONE,
    incident_type: Any = None,
    level: Any = "IV",
    title: Any = None,
) -> str:
    """Escalate a case (升级为突发事件): the incident takes the case's place and exercise
    flag, its type from the category (or ``incident_type``), ``source_ref`` the case id;
    the timeline's ``opened`` entry and the case's history (an ``incident`` event) link them.

    Raises
    ------
    IncidentError
        403 role or a place outside the actor's scope, 404 the case not in scope, 400 a
        case without a place or a category that suggests no type (name one), 409 the case
        leads an open incident already.
    """
    require_role(actor, OPEN_ROLES, "open incidents")
    try:
        visible_case(store, actor, case_id)
    except Refused as exc:
        raise IncidentError(exc.message, 404, "not_found") from None
    lon, lat, category, name, address, text, exercise = store.query_rows(
        "SELECT c.lon, c.lat, c.category_code, k.name_zh, c.address, c.description, c.exercise "
        "FROM cases c LEFT JOIN categories k USING (category_code) WHERE c.case_id = ?",
        [case_id],
    )[0]
    if lon is None or lat is None:
        raise bad(f"case {case_id} has no place to open an incident at", "place")
    kind = incident_type if incident_type is not None else type_for_category(category)
    if kind is None:
        raise bad(f"category {category} suggests no incident type: name one (type)", "type")
    _already(store, "case", case_id)
    where = address or (text or "")[:60]
    draft = draft_incident(
        store, incident_type=kind, level=level, lon=lon, lat=lat, exercise=bool(exercise),
        title=_title(title, f"{name or category}：{where}" if where else f"{name} {case_id}"),
        source_kind="case", source_ref=case_id,
    )  # fmt: skip
    district = place_district(store, actor, draft)

    def write(tx: WriteTx) -> str:
        incident_id = insert_incident(tx, draft, district=district, actor=actor.username,
                                      now=now, tz=tz, detail={"category": category})  # fmt: skip
        detail = {"incident_id": incident_id, "type": draft.incident_type, "level": draft.level}
        tx.execute(
            "INSERT INTO case_events (case_id, seq, occurred_at, actor, kind, detail) "
            "SELECT ?, coalesce(max(seq), 0) + 1, ?, ?, 'incident', ? "
            "FROM case_events WHERE case_id = ?",
            [case_id, now, actor.username, json.dumps(detail, ensure_ascii=False), case_id],
        )
        return incident_id

    return store.write(write)


def open_from_alarm(
    store: Store,
    actor: Actor,
    alarm_id: Any,
    *,
    now: datetime,
    tz: str = DEFAULT_TIMEZONE,
    incident_type: Any = None,
    level: Any = None,
    title: Any = None,
) -> str:
    """Open an incident at a sensor alarm: the sensor's place, a type from its kind (water
    level: flood, smoke: fire, gas: hazardous chemicals) or ``incident_type``, the level
    from the alarm's (danger: III, warning: IV) unless given.

    Raises
    ------
    IncidentError
        403, 404 (no such alarm in the actor's scope), 400, 409 as :func:`open_from_case`.
    """
    require_role(actor, OPEN_ROLES, "open incidents")
    rows = store.query_rows(
        "SELECT s.lon, s.lat, s.kind, s.cell_code, a.level, a.value, a.exercise, a.sensor_id, "
        "r.metric FROM alarms a JOIN sensors s USING (sensor_id) "
        "LEFT JOIN alarm_rules r USING (rule_id) WHERE a.alarm_id = ?",
        [alarm_id if isinstance(alarm_id, str) else ""],
    )
    if not rows or not (
        actor.scope.kind == "city" or (rows[0][3] and actor.scope.contains_cell(rows[0][3]))
    ):
        raise IncidentError(f"no alarm {str(alarm_id)[:40]!r} in your scope", 404, "not_found")
    lon, lat, sensor_kind, _cell, alarm_level, value, exercise, sensor_id, metric = rows[0]
    kind = incident_type if incident_type is not None else SENSOR_INCIDENT_TYPES.get(sensor_kind)
    if kind is None:
        raise bad(f"a {sensor_kind} alarm suggests no incident type: name one (type)", "type")
    _already(store, "alarm", alarm_id)
    shown = "" if value is None else f"（{value:g}）"
    draft = draft_incident(
        store, incident_type=kind, level=level or ALARM_LEVELS.get(alarm_level or "", "IV"),
        title=_title(title, f"{sensor_id} {metric or sensor_kind} 告警{shown}"),
        lon=lon, lat=lat, exercise=bool(exercise), source_kind="alarm", source_ref=alarm_id,
    )  # fmt: skip
    district = place_district(store, actor, draft)
    detail = {"sensor": sensor_id, "alarm_level": alarm_level}
    return store.write(
        lambda tx: insert_incident(tx, draft, district=district, actor=actor.username,
                                   now=now, tz=tz, detail=detail)
    )  # fmt: skip


def _city_part(store: Store, wkb: Any) -> Any:
    """The part of an alert's area inside the city's extent (a province-wide warning
    becomes the city's part of it); None when none of it is."""
    if wkb is None:
        return None
    area = shapely.from_wkb(bytes(wkb))
    extent = city_extent(store)
    if extent is not None:
        m = CITY_MARGIN_DEG
        area = shapely.intersection(
            area, shapely.box(extent[0] - m, extent[1] - m, extent[2] + m, extent[3] + m)
        )
    polygons = [p for p in shapely.get_parts(area) if isinstance(p, shapely.Polygon)]
    polygons = [p for p in polygons if not p.is_empty and p.area > 0]
    if not polygons:
        return None
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def open_from_cap(
    store: Store,
    actor: Actor,
    identifier: Any,
    *,
    now: datetime,
    tz: str = DEFAULT_TIMEZONE,
    incident_type: Any = None,
    level: Any = None,
    title: Any = None,
) -> str:
    """Open an incident from an imported CAP alert: its area (the city's part of it), a type
    from its ``<event>`` or ``<category>`` (or ``incident_type``), the level its severity
    suggests (Extreme I, Severe II, Moderate III, Minor IV) unless given, its headline as
    the title, its exercise flag (``<status>Exercise``).

    Raises
    ------
    IncidentError
        404 no imported alert of that identifier, 409 a Cancel or an alert leading an open
        incident already, 400 no area in the city or no type; 403 as :func:`open_from_case`.
    """
    require_role(actor, OPEN_ROLES, "open incidents")
    rows = store.query_rows(
        "SELECT msg_type, severity, headline, area_wkb, exercise, "
        "regexp_extract(xml, '<(?:\\w+:)?event>\\s*([^<]*?)\\s*</', 1), "
        "regexp_extract_all(xml, '<(?:\\w+:)?category>\\s*([^<]*?)\\s*</', 1) "
        "FROM alerts WHERE identifier = ? AND direction = 'in'",
        [identifier if isinstance(identifier, str) else ""],
    )
    if not rows:
        raise IncidentError(f"no imported alert {str(identifier)[:60]!r}", 404, "not_found")
    msg_type, severity, headline, wkb, exercise, event, categories = rows[0]
    if msg_type == "Cancel":
        raise IncidentError("a Cancel message opens no incident", 409, "cancel")
    area = _city_part(store, wkb)
    if area is None:
        raise bad("the alert has no area in the city", "outside")
    kind = incident_type if incident_type is not None else type_for_cap(event, categories or ())
    if kind is None:
        raise bad(f"the alert's event {event!r} suggests no incident type: name one", "type")
    _already(store, "cap", identifier)
    draft = draft_incident(
        store, incident_type=kind, level=level or level_for_severity(severity),
        title=_title(title, headline or event or identifier), area=area,
        exercise=bool(exercise), source_kind="cap", source_ref=identifier,
    )  # fmt: skip
    district = place_district(store, actor, draft)
    detail = {"event": event, "severity": severity}
    return store.write(
        lambda tx: insert_incident(tx, draft, district=district, actor=actor.username,
                                   now=now, tz=tz, detail=detail)
    )  # fmt: skip
