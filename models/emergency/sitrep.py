"""What a situation report (态势报告 / sitrep) of one incident holds, gathered from the store:
the incident, its plan tasks, its dispatch orders and the units' state, the related cases,
its warnings, its timeline, and the map's things (units, warning areas, the district).

Rendering (PDF) is the app's (:mod:`app.reports.sitrep_pdf`); this module only reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import shapely

from models.case_service import Actor
from models.coordinates import degree_box, distance_m
from models.emergency.incidents import incident_detail
from models.emergency.orders import orders_of
from models.emergency.resources import status_board
from models.emergency.warning_records import WarningRecord, list_warnings
from models.store import Store

#: Cases within this distance of the incident's point, reported from an hour before it
#: opened until the report (or its close), are "related" (escalated ones always are).
RELATED_RADIUS_M = 3000.0
RELATED_LIMIT = 200


@dataclass
class SitrepContent:
    incident: dict[str, Any]
    made_at: datetime
    orders: list[dict[str, Any]]
    board: dict[str, dict[str, int]]
    cases: list[dict[str, Any]]
    warnings: list[WarningRecord]
    units: list[dict[str, Any]]  # the incident's units where they are now
    area: shapely.Geometry | None = None
    warning_areas: list[tuple[str, shapely.Geometry]] = field(default_factory=list)
    districts: list[tuple[str, shapely.Geometry]] = field(default_factory=list)
    roads: list[tuple[str, shapely.Geometry]] = field(default_factory=list)  # (class, line)
    owners: dict[str, str] = field(default_factory=dict)  # department code -> name


def related_cases(
    store: Store, incident: dict[str, Any], *, until: datetime,
    radius_m: float = RELATED_RADIUS_M, limit: int = RELATED_LIMIT,
) -> list[dict[str, Any]]:  # fmt: skip
    """Cases near the incident in its time, nearest first, and the case it was escalated
    from (``source_kind`` case) whatever its place; exercise cases only for a drill."""
    lon, lat = incident.get("lon"), incident.get("lat")
    rows: list[tuple] = []
    columns = "case_id, category_code, stage, description, reported_at, lon, lat, source"
    if lon is not None and lat is not None:
        west, south, east, north = degree_box(float(lon), float(lat), radius_m)
        rows = store.query_rows(
            f"SELECT {columns} FROM cases WHERE lon BETWEEN ? AND ? AND lat BETWEEN ? AND ? "
            "AND reported_at >= ? AND reported_at <= ? AND exercise = ? "
            "ORDER BY reported_at LIMIT ?",
            [west, east, south, north, incident["opened_at"] - timedelta(hours=1), until,
             bool(incident.get("exercise")), limit * 4],
        )  # fmt: skip
    if incident.get("source_kind") == "case" and incident.get("source_ref"):
        rows += store.query_rows(
            f"SELECT {columns} FROM cases WHERE case_id = ?", [incident["source_ref"]]
        )
    seen: dict[str, dict[str, Any]] = {}
    names = ("case_id", "category", "stage", "description", "reported_at", "lon", "lat", "source")
    for row in rows:
        case = dict(zip(names, row, strict=True))
        if case["case_id"] in seen:
            continue
        d = (
            distance_m(float(lon), float(lat), case["lon"], case["lat"])
            if lon is not None and lat is not None and case["lon"] is not None
            else None
        )
        if d is not None and d > radius_m and case["case_id"] != incident.get("source_ref"):
            continue
        case["distance_m"] = None if d is None else round(d)
        seen[case["case_id"]] = case
    ordered = sorted(seen.values(), key=lambda c: (c["distance_m"] is None, c["distance_m"] or 0))
    return ordered[:limit]


def _units(store: Store, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = sorted({o["unit"] for o in orders if o["status"] != "cancelled"})
    if not ids:
        return []
    rows = store.query_rows(
        "SELECT resource_id, name_zh, kind, status, lon, lat, position_at FROM resources "
        "WHERE resource_id IN (SELECT unnest(?::VARCHAR[]))",
        [ids],
    )
    names = ("unit", "name_zh", "kind", "status", "lon", "lat", "position_at")
    return [dict(zip(names, r, strict=True)) for r in rows]


def _districts(store: Store) -> list[tuple[str, shapely.Geometry]]:
    rows = store.query_rows(
        "SELECT name_zh, geom_wkb FROM admin_areas WHERE level = 'district' "
        "AND geom_wkb IS NOT NULL ORDER BY code"
    )
    return [(name, shapely.from_wkb(bytes(wkb))) for name, wkb in rows]


def _roads_near(store: Store, lon: float | None, lat: float | None, radius_m: float = 6000.0):
    """Road lines around the incident (the map's base: no tiles)."""
    if lon is None or lat is None:
        return []
    west, south, east, north = degree_box(float(lon), float(lat), radius_m)
    rows = store.query_rows("SELECT road_class, geom_wkb FROM road_segments")
    box = shapely.box(west, south, east, north)
    lines = [(kind, shapely.from_wkb(bytes(wkb))) for kind, wkb in rows]
    return [(kind, line) for kind, line in lines if line.intersects(box)]


def gather_sitrep(store: Store, actor: Actor, incident_id: str, *, now: datetime) -> SitrepContent:
    """Everything of one incident the actor may read (the incident's own checks apply:
    ``IncidentError`` 403/404 from :func:`incident_detail`)."""
    incident = incident_detail(store, actor, incident_id, now=now)
    until = incident.get("closed_at") or now
    orders = orders_of(store, incident_id)
    wkb = store.query_value("SELECT area_wkb FROM incidents WHERE incident_id = ?", [incident_id])
    warnings = list_warnings(store, incident_id=incident_id)
    areas: list[tuple[str, shapely.Geometry]] = []
    for w in warnings:
        if w.state != "published":
            continue
        found = store.query_value(
            "SELECT area_wkb FROM alerts WHERE identifier = ?", [w.identifier]
        )
        if found is not None:
            areas.append((w.content.severity, shapely.from_wkb(bytes(found))))
    return SitrepContent(
        incident=incident,
        made_at=now,
        orders=orders,
        board=status_board(store),
        cases=related_cases(store, incident, until=until),
        warnings=warnings,
        units=_units(store, orders),
        area=None if wkb is None else shapely.from_wkb(bytes(wkb)),
        warning_areas=areas,
        districts=_districts(store),
        roads=_roads_near(store, incident.get("lon"), incident.get("lat")),
        owners=dict(store.query_rows("SELECT dept_code, name_zh FROM departments")),
    )
