"""The case API's new reports (through the one case builder) and the category list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import flask

from app.api.errors import (
    MAX_TEXT,
    ApiError,
    actor,
    check_fields,
    json_body,
    number,
    text,
)
from app.context import get_context
from ingest.locate import store_locator
from ingest.time_window import TimeWindow
from models.api_queries import case_of_external_id, enabled_categories
from models.case_service import Actor, Refused, visible_case
from models.cases import CaseError, report_case
from models.clock import utcnow
from models.vocabulary import REPORT_SOURCES
from models.workflow import ACTIONS

REPORT_FIELDS = frozenset(
    {"category", "lon", "lat", "text", "source", "external_id", "exercise", "reported_at"}
)


def _report_time(data: dict[str, Any], now: datetime) -> datetime:
    """When the problem was seen (``reported_at``, ISO 8601 with a zone; a phone that kept
    the report offline sends it later), within the believable window; else ``now``."""
    value = data.get("reported_at")
    if value is None:
        return now
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) and len(value) < 40 else None
    except ValueError:
        at = None
    if at is None:
        raise ApiError(422, "reported_at must be an ISO 8601 time, e.g. 2026-05-01T08:30:00Z")
    if at.tzinfo is None:
        raise ApiError(422, "reported_at needs a time zone (Z or +08:00)")
    at = at.astimezone(UTC).replace(tzinfo=None)
    window = TimeWindow.from_settings(get_context().config.settings.ingest)
    if problem := window.problem(at, now=now):
        raise ApiError(422, "reported_at: " + problem.removeprefix("ts "))
    return at


def _report_values(data: dict[str, Any], who: Actor) -> dict[str, Any]:
    check_fields(data, REPORT_FIELDS)
    source = text(data, "source", max_len=20) or (
        "grid_worker" if who.role == "grid_worker" else "hotline"
    )
    if source not in REPORT_SOURCES:
        raise ApiError(422, f"source must be one of {', '.join(REPORT_SOURCES)}")
    exercise = data.get("exercise", False)
    if not isinstance(exercise, bool):
        raise ApiError(422, "exercise must be true or false")
    return {
        "category_code": text(data, "category", max_len=16, required=True),
        "lon": number(data, "lon", low=-180, high=180),
        "lat": number(data, "lat", low=-90, high=90),
        "text": text(data, "text", max_len=MAX_TEXT) or "",
        "source": source,
        "external_id": text(data, "external_id", max_len=128),
        "exercise": exercise,
    }


def _existing(who: Actor, external_id: str) -> tuple[flask.Response, int] | None:
    """Idempotency: the case already made from ``external_id`` (200 when the caller may
    see it, 409 when not), or None."""
    store = get_context().store
    found = case_of_external_id(store, external_id)
    if found is None:
        return None
    try:
        row = visible_case(store, who, found)
    except Refused:
        raise ApiError(409, f"a case with external_id {external_id!r} exists already") from None
    return flask.jsonify(id=found, stage=row["stage"], created=False), 200


def report() -> tuple[flask.Response, int]:
    """POST /api/v1/cases: a new case through the one case builder (located, routed)."""
    who = actor()
    if who.role not in ACTIONS["report"].roles:
        raise ApiError(403, f"a {who.role} may not report cases", [])
    data = json_body()
    values = _report_values(data, who)
    if values["external_id"] is not None and (seen := _existing(who, values["external_id"])):
        return seen
    at = _report_time(data, utcnow())
    ctx = get_context()
    settings = ctx.config.settings
    try:
        made = report_case(
            ctx.store,
            at=at,
            actor=who.username,
            role=who.role,
            locate=store_locator(ctx.store, metric_crs=settings.map.metric_crs),
            tz=settings.calendar.timezone,
            **values,
        )
    except CaseError as exc:
        if values["external_id"] is not None and "exists already" in str(exc):
            seen = _existing(who, values["external_id"])  # a concurrent twin won the race
            if seen is not None:
                return seen
        raise ApiError(422, str(exc)[:300]) from None
    ctx.store.audit("api.report", actor=who.username, target=made.case_id)
    route = made.route
    return flask.jsonify(
        id=made.case_id,
        stage="reported",
        created=True,
        route={"unit": route.unit, "basis": route.basis, "reasons": list(route.reasons)},
        duplicates=list(made.duplicates),
    ), 201


def categories() -> tuple[flask.Response, int]:
    """GET /api/v1/categories: the enabled categories a report may name."""
    actor()
    rows = enabled_categories(get_context().store)
    items = [
        {
            "code": r["code"],
            "kind": r["kind"],
            "name_zh": r["name_zh"],
            "name_en": r["name_en"],
            "limit": {"value": float(r["limit_value"]), "unit": r["limit_unit"]},
            "owner": r["owner"],
        }
        for r in rows
    ]
    return flask.jsonify(items=items), 200
