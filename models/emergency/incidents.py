"""Incidents (突发事件): opened, levelled, noted, closed and reopened by people, each change
on the timeline, audited and moving the wall's change cursor; the list and one incident.

Every call names who acts (an :class:`~models.case_service.Actor`); the role and the scope
are checked here, so the screens, the API and the CLI get the same answers. Refusals are
:class:`~models.emergency.incident_rules.IncidentError` with an HTTP-like status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from models.case_builder import DEFAULT_TIMEZONE
from models.case_service import Actor
from models.emergency.incident_access import (
    SELECT,
    audit,
    locked_row,
    require_open,
    require_role,
    row_dict,
    scope_condition,
    scope_districts,
    touch,
    visible_row,
)
from models.emergency.incident_rules import (
    COMMAND_ROLES,
    NOTE_MAX,
    OPEN_ROLES,
    READ_ROLES,
    SEVERITY,
    SOURCE_KINDS,
    SOURCE_REF_MAX,
    STATUSES,
    IncidentError,
    area_from_geojson,
    bad,
    check_area,
    check_point,
    check_text,
    check_title,
    check_type,
    parse_level,
    within_extent,
)
from models.emergency.places import city_extent, district_of
from models.emergency.plan_tasks import escalation_tasks, incident_tasks
from models.emergency.plans import PlanBook
from models.emergency.timeline import append_event, timeline
from models.store import Store, WriteTx
from models.vocabulary import INCIDENT_TYPES

#: Most incidents one list returns.
MAX_LIST = 500


@dataclass(frozen=True)
class Draft:
    """A new incident, checked: what :func:`insert_incident` writes."""

    incident_type: str
    level: str
    title: str
    lon: float
    lat: float
    area: BaseGeometry | None
    exercise: bool
    source_kind: str
    source_ref: str | None


def draft_incident(
    store: Store,
    *,
    incident_type: Any,
    level: Any,
    title: Any,
    lon: Any = None,
    lat: Any = None,
    area: Any = None,
    exercise: Any = False,
    source_kind: Any = "screen",
    source_ref: Any = None,
) -> Draft:
    """Check a new incident's fields: a known type, level I–IV (or 1–4), a one-line title,
    a point (lon/lat) or an area (GeoJSON mapping, Shapely polygon or WKB) inside the city's
    extent, an exercise flag. An area without a point gets its representative point.

    Raises
    ------
    IncidentError
        400 naming the field and the problem.
    """
    kind = check_type(incident_type)
    grade = parse_level(level)
    heading = check_title(title)
    if not isinstance(exercise, bool):
        raise bad("exercise must be true or false", "exercise")
    if source_kind not in SOURCE_KINDS:
        raise bad(f"source_kind must be one of {', '.join(SOURCE_KINDS)}", "source_kind")
    ref = check_text(source_ref, "source_ref", SOURCE_REF_MAX, required=False)
    shape = None
    if isinstance(area, BaseGeometry | bytes):
        shape = check_area(area)
    elif area is not None:
        shape = area_from_geojson(area)
    if lon is None and lat is None:
        if shape is None:
            raise bad("an incident needs a place: lon and lat, or an area", "place")
        point = shape.representative_point()
        x, y = point.x, point.y
    else:
        x, y = check_point(lon, lat)
    if not within_extent(shapely.Point(x, y) if shape is None else shape, city_extent(store)):
        raise bad("the place is outside the city (check longitude and latitude)", "outside")
    if shape is not None and not shape.buffer(1e-9).covers(shapely.Point(x, y)):
        raise bad("the point must lie in the area", "place")
    return Draft(kind, grade, heading, x, y, shape, exercise, source_kind, ref)


def _new_id(tx: WriteTx, now: datetime, tz: str) -> str:
    """``INC-<local date>-<number>``: numbered within the local day, under the writer."""
    day = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz)).strftime("%Y%m%d")
    prefix = f"INC-{day}-"
    last = tx.fetch(
        "SELECT max(try_cast(substr(incident_id, ?) AS INTEGER)) FROM incidents "
        "WHERE starts_with(incident_id, ?)",
        [len(prefix) + 1, prefix],
    )[0][0]
    return f"{prefix}{int(last or 0) + 1:04d}"


def insert_incident(
    tx: WriteTx,
    draft: Draft,
    *,
    district: str | None,
    actor: str,
    now: datetime,
    tz: str = DEFAULT_TIMEZONE,
    detail: dict[str, Any] | None = None,
) -> str:
    """Write a checked incident, its ``opened`` timeline entry and the audit row inside the
    caller's transaction; returns its id. An incident from a source (case, alarm, CAP
    alert) that leads an open incident already is refused here, under the single writer,
    so two people escalating one case at once make one incident (409 for the other)."""
    if draft.source_kind in ("case", "alarm", "cap") and draft.source_ref:
        found = tx.fetch(
            "SELECT min(incident_id) FROM incidents WHERE source_kind = ? AND source_ref = ? "
            "AND status = 'open'",
            [draft.source_kind, draft.source_ref],
        )[0][0]
        if found is not None:
            raise IncidentError(
                f"{draft.source_kind} {draft.source_ref} is incident {found} already", 409,
                "exists", {"incident": found},
            )  # fmt: skip
    incident_id = _new_id(tx, now, tz)
    wkb = None if draft.area is None else shapely.to_wkb(draft.area, output_dimension=2)
    tx.execute(
        "INSERT INTO incidents (incident_id, incident_type, level, title, lon, lat, area_wkb, "
        "status, exercise, opened_at, opened_by, source_kind, source_ref, district_code, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?)",
        [incident_id, draft.incident_type, draft.level, draft.title, draft.lon, draft.lat, wkb,
         draft.exercise, now, actor, draft.source_kind, draft.source_ref, district, now],
    )  # fmt: skip
    opened = {
        "type": draft.incident_type, "level": draft.level, "title": draft.title,
        "source_kind": draft.source_kind, "source_ref": draft.source_ref,
        "exercise": draft.exercise, **(detail or {}),
    }  # fmt: skip
    append_event(tx, incident_id, "opened", at=now, actor=actor, detail=opened)
    audit(tx, "incident.open", actor=actor, target=incident_id, at=now, detail=opened)
    return incident_id


def place_district(store: Store, actor: Actor, draft: Draft) -> str | None:
    """The incident's district, refused (403) when it lies outside the actor's scope (a
    district's user opens incidents of their district only)."""
    district = district_of(store, draft.area or shapely.Point(draft.lon, draft.lat))
    allowed = scope_districts(actor.scope)
    if allowed is not None and district not in allowed:
        raise IncidentError("the place is outside your scope", 403, "scope")
    return district


def open_incident(
    store: Store, actor: Actor, *, now: datetime, tz: str = DEFAULT_TIMEZONE, **fields: Any
) -> str:
    """Open an incident from the screen or the API; ``fields`` as :func:`draft_incident`
    (``source_kind`` screen or api). Returns its id (``INC-<local date>-<n>``).

    Raises
    ------
    IncidentError
        403 for a role that may not open incidents or a place outside the actor's scope,
        400 for bad fields.
    """
    require_role(actor, OPEN_ROLES, "open incidents")
    if fields.get("source_kind", "screen") not in ("screen", "api"):
        raise bad("open from a case, an alarm or a CAP alert through their own calls")
    draft = draft_incident(store, **fields)
    district = place_district(store, actor, draft)
    return store.write(
        lambda tx: insert_incident(tx, draft, district=district, actor=actor.username, now=now,
                                   tz=tz)
    )  # fmt: skip


def set_level(
    store: Store,
    actor: Actor,
    incident_id: str,
    level: Any,
    *,
    now: datetime,
    note: Any = None,
    plans: PlanBook | None = None,
) -> dict[str, Any]:
    """Change the incident's level (a ``level`` timeline entry from → to, by whom).

    With ``plans`` and a plan already activated, raising the level adds the tasks the new
    level adds (run cards); lowering it keeps the tasks. The same level again changes
    nothing (``changed`` false).

    Raises
    ------
    IncidentError
        403 role, 404 not in scope, 400 bad level or note, 409 closed.
    """
    require_role(actor, COMMAND_ROLES, "change the level")
    grade = parse_level(level)
    text = check_text(note, "note", NOTE_MAX, required=False)
    visible_row(store, actor, incident_id)

    def write(tx: WriteTx) -> dict[str, Any]:
        row = locked_row(tx, incident_id)
        require_open(row, "change the level")
        before = row["level"]
        if before == grade:
            return {"from": before, "to": grade, "changed": False, "tasks_added": []}
        touch(tx, incident_id, now, "level = ?, ", [grade])
        detail = {"from": before, "to": grade, **({"note": text} if text else {})}
        append_event(tx, incident_id, "level", at=now, actor=actor.username, detail=detail)
        added = escalation_tasks(tx, row, grade, plans=plans, now=now, actor=actor.username)
        audit(tx, "incident.level", actor=actor.username, target=incident_id, at=now,
              detail=detail)  # fmt: skip
        return {"from": before, "to": grade, "changed": True, "tasks_added": added}

    return store.write(write)


def add_note(store: Store, actor: Actor, incident_id: str, text: Any, *, now: datetime) -> int:
    """A note on the timeline (also after closing: the record of recovery); returns its
    sequence number."""
    require_role(actor, OPEN_ROLES, "add notes")
    body = check_text(text, "note", NOTE_MAX)
    visible_row(store, actor, incident_id)

    def write(tx: WriteTx) -> int:
        locked_row(tx, incident_id)
        touch(tx, incident_id, now)
        seq = append_event(tx, incident_id, "note", at=now, actor=actor.username,
                           detail={"text": body})  # fmt: skip
        audit(tx, "incident.note", actor=actor.username, target=incident_id, at=now)
        return seq

    return store.write(write)


def close_incident(
    store: Store, actor: Actor, incident_id: str, *, now: datetime, note: Any = None
) -> None:
    """Close the incident (响应终止): status closed, when and by whom; 409 when closed."""
    _set_status(store, actor, incident_id, closing=True, now=now, note=note)


def reopen_incident(
    store: Store, actor: Actor, incident_id: str, *, now: datetime, note: Any = None
) -> None:
    """Reopen a closed incident (the danger came back); 409 when it is open."""
    _set_status(store, actor, incident_id, closing=False, now=now, note=note)


def _set_status(
    store: Store, actor: Actor, incident_id: str, *, closing: bool, now: datetime, note: Any
) -> None:
    what = "close incidents" if closing else "reopen incidents"
    require_role(actor, COMMAND_ROLES, what)
    text = check_text(note, "note", NOTE_MAX, required=False)
    visible_row(store, actor, incident_id)

    def write(tx: WriteTx) -> None:
        row = locked_row(tx, incident_id)
        if (row["status"] == "closed") == closing:
            state = "closed" if closing else "open"
            raise IncidentError(f"incident {incident_id} is {state} already", 409, state)
        on_the_way = tx.fetch(
            "SELECT resource_id FROM dispatch_orders WHERE incident_id = ? "
            "AND status IN ('sent', 'acked', 'unacked') ORDER BY resource_id", [incident_id],
        ) if closing else []  # fmt: skip
        if on_the_way:  # units still driving to it: stand them down (or let them arrive)
            units = ", ".join(r[0] for r in on_the_way)
            raise IncidentError(f"units on their way: {units}; cancel their orders first",
                                409, "orders_open", {"units": units})  # fmt: skip
        if closing:
            touch(tx, incident_id, now, "status = 'closed', closed_at = ?, closed_by = ?, ",
                  [now, actor.username])  # fmt: skip
        else:
            touch(tx, incident_id, now, "status = 'open', closed_at = NULL, closed_by = NULL, ")
        kind = "closed" if closing else "reopened"
        detail = {"note": text} if text else {}
        append_event(tx, incident_id, kind, at=now, actor=actor.username, detail=detail)
        audit(tx, f"incident.{'close' if closing else 'reopen'}", actor=actor.username,
              target=incident_id, at=now, detail=detail or None)  # fmt: skip

    store.write(write)


def list_incidents(
    store: Store,
    actor: Actor,
    *,
    now: datetime,
    status: str | None = None,
    types: tuple[str, ...] = (),
    exercise: bool | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """The incidents of the actor's scope: open ones first (most severe level first), then
    the closed, newest first; each with its task counts (``tasks_total``, ``tasks_done``,
    ``tasks_overdue``).

    Raises
    ------
    IncidentError
        403 role; 400 unknown status or type, or a limit outside 1..:data:`MAX_LIST`.
    """
    require_role(actor, READ_ROLES, "read incidents")
    if status is not None and status not in STATUSES:
        raise bad(f"status must be one of {', '.join(STATUSES)}", "status")
    if unknown := [t for t in types if t not in INCIDENT_TYPES]:
        raise bad(f"unknown types {unknown[:5]}; known: {', '.join(INCIDENT_TYPES)}", "type")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= MAX_LIST:
        raise bad(f"limit must be 1 to {MAX_LIST}", "limit")
    where, params = scope_condition(actor.scope)
    conditions = [where]
    if status is not None:
        conditions.append("status = ?")
        params.append(status)
    if types:
        conditions.append("list_contains(?, incident_type)")
        params.append(list(types))
    if exercise is not None:
        conditions.append("exercise = ?")
        params.append(exercise)
    rank = " ".join(f"WHEN '{lv}' THEN {n}" for lv, n in SEVERITY.items())
    rows = store.query_rows(
        f"WITH t AS (SELECT incident_id, count(*) AS total, count(done_at) AS done, "
        "count(*) FILTER (WHERE done_at IS NULL AND due_at < ?) AS late "
        "FROM incident_tasks GROUP BY incident_id) "
        f"SELECT {SELECT}, coalesce(t.total, 0), coalesce(t.done, 0), coalesce(t.late, 0) "
        f"FROM incidents LEFT JOIN t USING (incident_id) WHERE {' AND '.join(conditions)} "
        f"ORDER BY status = 'open' DESC, CASE WHEN status = 'open' THEN CASE level {rank} END "
        "END, opened_at DESC, incident_id DESC LIMIT ?",
        [now, *params, limit],
    )
    out = []
    for values in rows:
        item = row_dict(values[:-3])
        total, done, late = values[-3:]
        open_ = item["status"] == "open"
        item.update(tasks_total=int(total), tasks_done=int(done),
                    tasks_overdue=int(late) if open_ else 0)  # fmt: skip
        out.append(item)
    return out


def incident_detail(
    store: Store, actor: Actor, incident_id: str, *, now: datetime
) -> dict[str, Any]:
    """One incident: its columns, ``area`` (GeoJSON or None), ``tasks`` (with ``overdue``)
    and ``timeline`` (oldest first).

    Raises
    ------
    IncidentError
        403 role, 404 not in scope.
    """
    require_role(actor, READ_ROLES, "read incidents")
    row = visible_row(store, actor, incident_id)
    wkb = store.query_value("SELECT area_wkb FROM incidents WHERE incident_id = ?", [incident_id])
    row["area"] = None if wkb is None else mapping(shapely.from_wkb(bytes(wkb)))
    row["tasks"] = incident_tasks(store, incident_id, now=now)
    row["timeline"] = timeline(store, incident_id)
    return row
