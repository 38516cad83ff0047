"""Cases for the queue, view and service tests: reported through the one case builder and
moved through models.case_service, on a private copy of the demo database."""

from __future__ import annotations

from datetime import datetime, timedelta

from ingest.locate import store_locator
from models.case_service import Actor, act
from models.cases import report_case
from models.security import Scope, parse_scope
from models.store import Store
from models.work_calendar import WorkCalendar

CAL = WorkCalendar()
MON = datetime(2026, 11, 23, 1, 0)  # Monday 09:00 in Chaozhou (UTC+8)
PAIFANG = (116.6465, 23.6707)  # in 湘桥区 (445102), routed to CG-445102 for 0201
CITY = Scope("city")
DISPATCHER = Actor("dispatcher", "dispatcher", CITY)
ADMIN = Actor("admin", "admin", CITY)

#: The workflow path to each stage (after the report), as the dispatcher/unit/worker act.
PATHS: dict[str, tuple[str, ...]] = {
    "reported": (),
    "accepted": ("accept",),
    "registered": ("accept", "register"),
    "dispatched": ("accept", "register", "dispatch"),
    "handling": ("accept", "register", "dispatch", "start"),
    "handled": ("accept", "register", "dispatch", "start", "feedback"),
    "verified": ("accept", "register", "dispatch", "start", "feedback", "verify_ok"),
    "closed": ("accept", "register", "dispatch", "start", "feedback", "verify_ok", "close"),
    "returned": ("accept", "register", "dispatch", "return"),
    "void": ("void",),
    "extension_requested": ("accept", "register", "dispatch", "start", "request_extension"),
}
_DATA = {
    "void": {"reason": "duplicate"},
    "return": {"reason": "not ours"},
    "request_extension": {"reason": "parts", "extension": timedelta(hours=2)},
}


def other_district_point(store: Store, district: str = "445103") -> tuple[float, float]:
    """The centroid of a cell of another district (the dispatcher's scope test)."""
    row = store.query_rows(
        "SELECT centroid_lon, centroid_lat FROM grid_cells WHERE district_code = ? "
        "ORDER BY cell_code LIMIT 1",
        [district],
    )[0]
    return float(row[0]), float(row[1])


def new_case(
    store: Store,
    *,
    category: str = "0201",
    at: datetime = MON,
    lonlat: tuple[float, float] = PAIFANG,
    text: str = "道路不洁",
    exercise: bool = False,
    source: str = "grid_worker",
) -> str:
    return report_case(
        store,
        category_code=category,
        lon=lonlat[0],
        lat=lonlat[1],
        at=at,
        source=source,
        actor="gw",
        role="grid_worker",
        locate=store_locator(store),
        text=text,
        exercise=exercise,
    ).case_id


def drive(store: Store, case_id: str, stage: str, *, at: datetime = MON) -> str:
    """Move a reported case to ``stage`` (one minute per step from ``at``) as an admin."""
    for i, action in enumerate(PATHS[stage], start=1):
        act(store, ADMIN, case_id, action, at=at + timedelta(minutes=i), calendar=CAL,
            data=_DATA.get(action))  # fmt: skip
    return case_id


def scope_actor(username: str, role: str, scope: str) -> Actor:
    return Actor(username, role, parse_scope(scope))
