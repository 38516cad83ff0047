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
from app.api.limits import take_write
from app.context import get_context
from ingest.locate import store_locator
from ingest.time_window import TimeWindow
from models.api_queries import enabled_categories, external_id_report, same_report, visible_ids
from models.case_service import Actor
from models.cases import CaseError, report_case
from models.clock import utcnow
from models.vocabulary import REPORT_SOURCES
from models.workflow import ACTIONS

REPORT_FIELDS = frozenset(
    {"category", "lon", "lat", "text", "source", "external_id", "exercise", "reported_at"}
)
#: Longest external id (a hotline order number, ``field:<draft id>``).
MAX_EXTERNAL_ID = 128
#: The one answer to an external id that is not this request again: it does not tell
#: whether, or for whom, the id exists.
ID_TAKEN = "external_id already used for another report"


def _external_id(data: dict[str, Any]) -> str | None:
    """The caller's idempotency key: 1-128 printable characters (no spaces at its ends,
    no control characters), or None when absent."""
    if "external_id" not in data or data["external_id"] is None:
        return None
    value = data["external_id"]
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= MAX_EXTERNAL_ID
        or not value.isprintable()
        or value != value.strip()
    ):
        raise ApiError(
            422,
            f"external_id must be 1-{MAX_EXTERNAL_ID} printable characters, no end spaces",
        )
    return value


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
    public = set(get_context().config.settings.open311.public_sources)
    allowed = [s for s in REPORT_SOURCES if s not in public]
    if source not in allowed:  # a public channel's cases are published: not the API's
        raise ApiError(422, f"source must be one of {', '.join(allowed)}")
    exercise = data.get("exercise", False)
    if not isinstance(exercise, bool):
        raise ApiError(422, "exercise must be true or false")
    return {
        "category_code": text(data, "category", max_len=16, required=True),
        "lon": number(data, "lon", low=-180, high=180),
        "lat": number(data, "lat", low=-90, high=90),
        "text": text(data, "text", max_len=MAX_TEXT) or "",
        "source": source,
        "external_id": _external_id(data),
        "exercise": exercise,
    }


def _existing(who: Actor, values: dict[str, Any]) -> tuple[flask.Response, int] | None:
    """Idempotency: the same request again (the same user, category, text and place)
    answers 200 with the case it made; any other use of the id 409, in words that tell
    nothing of the case; None when the id is new."""
    found = external_id_report(get_context().store, values["external_id"])
    if found is None:
        return None
    again = same_report(
        found, username=who.username, category_code=values["category_code"],
        text=values["text"], lon=values["lon"], lat=values["lat"],
    )  # fmt: skip
    if not again:
        raise ApiError(409, ID_TAKEN, code="exists")
    return flask.jsonify(id=found["case_id"], stage=found["stage"], created=False), 200


def report() -> tuple[flask.Response, int]:
    """POST /api/v1/cases: a new case through the one case builder (located, routed)."""
    who = actor()
    if who.role not in ACTIONS["report"].roles:
        raise ApiError(403, f"a {who.role} may not report cases", [])
    data = json_body()
    values = _report_values(data, who)
    if values["external_id"] is not None and (seen := _existing(who, values)):
        return seen
    at = _report_time(data, utcnow())
    take_write(who.username)  # the user's bucket of reports: 429 past it
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
            seen = _existing(who, values)  # a concurrent twin won the race
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
        duplicates=visible_ids(ctx.store, who, list(made.duplicates)),
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
