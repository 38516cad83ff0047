"""GET /api/v1/indicators: the cockpit's indicators of one period and scope as JSON.

Who: leaders, admins and operators (the city centre's staff who prepare the figures);
other roles get 403. The scope is the caller's own, or a part of it named by ``scope``
(``district:445102``, ``street:445102007``); naming a wider or another scope is 403.
Callers scoped to cells or units hold no place the indicators are figured for: 403.
"""

from __future__ import annotations

import math
from typing import Any

import flask

from app.api.errors import ApiError, actor
from app.bounds import expensive
from app.context import get_context
from app.reports.store import READER_ROLES
from models.case_service import Actor
from models.clock import utcnow
from models.indicators.compute import compute_indicators
from models.indicators.periods import (
    MAX_CUSTOM_DAYS,
    YEARS,
    Period,
    parse_period,
    period_containing,
)
from models.security import Scope, parse_scope
from models.users import unknown_scope_codes

#: Roles that may read indicators and reports.
ROLES = READER_ROLES
#: Scope kinds indicators and reports are figured for.
PLACE_KINDS = ("city", "district", "street")
PARAMS = frozenset({"period", "scope"})
#: The fields of one indicator in the answer (``name`` is the Chinese name).
FIELDS = (
    "id", "name", "name_zh", "name_en", "dimension", "value", "unit", "target", "direction",
    "status", "previous", "change", "trend", "case_based", "source_dept", "frequency",
)  # fmt: skip


def reader() -> Actor:
    """The caller, refused (403) unless of :data:`ROLES` with a place scope."""
    who = actor()
    if who.role not in ROLES:
        raise ApiError(403, f"role {who.role!r} may not read indicators or reports")
    if who.scope.kind not in PLACE_KINDS:
        raise ApiError(403, f"a {who.scope.kind} scope holds no place to report on")
    return who


def within(inner: Scope, outer: Scope) -> bool:
    """Whether every place of ``inner`` lies in ``outer`` (both city, district or street)."""
    if outer.kind == "city":
        return True
    if inner.kind == "city":
        return False
    length = 6 if outer.kind == "district" else 9
    if inner.kind == "district" and outer.kind == "street":
        return False
    return all(code[:length] in outer.codes for code in inner.codes)


def requested_scope(who: Actor, text: str | None) -> Scope:
    """The caller's scope, or the narrower one ``text`` names (400 malformed, 403 wider)."""
    if text is None or not text.strip():
        return who.scope
    if len(text) > 200:
        raise ApiError(400, "scope is too long")
    try:
        scope = parse_scope(text.strip())
    except ValueError as exc:
        raise ApiError(400, f"scope: {str(exc)[:200]}") from None
    if scope.kind not in PLACE_KINDS:
        raise ApiError(400, f"scope must be one of {', '.join(PLACE_KINDS)} (e.g. district:445102)")
    if not within(scope, who.scope):
        raise ApiError(403, f"scope {scope.label()} is outside yours ({who.scope.label()})")
    if unknown := unknown_scope_codes(get_context().store, scope):
        raise ApiError(404, f"no such {scope.kind}: {', '.join(unknown)[:200]}")
    return scope


def requested_period(text: str | None, tz: str) -> Period:
    """The period ``text`` names (2026-11, 2026-11-05, 2026-W45, 2026-Q4, 2026, A..B), by
    default the current local month; 400 when it is not one."""
    if text is None or not text.strip():
        return period_containing("month", utcnow(), tz)
    if len(text) > 40:
        raise ApiError(400, "period is too long")
    try:
        period = parse_period(text.strip(), tz)
    except ValueError:
        raise ApiError(
            400,
            f"period {text.strip()[:40]!r} is not one of 2026-11, 2026-11-05, 2026-W45, "
            f"2026-Q4, 2026, 2026-11-01..2026-11-15 within {YEARS[0]}-{YEARS[1]}",
        ) from None
    if period.kind == "custom" and (period.last_day - period.first_day).days >= MAX_CUSTOM_DAYS:
        raise ApiError(400, f"a custom period is at most {MAX_CUSTOM_DAYS} days")
    return period


def _number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def as_json(row: dict[str, Any]) -> dict[str, Any]:
    """One indicator of the engine as the API shows it."""
    out = {key: row.get(key) for key in FIELDS if key != "name"}
    out["name"] = row.get("name_zh")
    for key in ("value", "target", "previous", "change"):
        out[key] = _number(out[key])
    out["trend"] = [_number(v) for v in (row.get("trend") or [])]
    return {key: out[key] for key in FIELDS}


def list_indicators() -> tuple[flask.Response, int]:
    """GET /api/v1/indicators?period=2026-11[&scope=district:445102]."""
    who = reader()
    unknown = sorted(set(flask.request.args) - PARAMS)
    if unknown:
        raise ApiError(400, f"unknown parameters: {', '.join(unknown)[:200]}")
    ctx = get_context()
    settings = ctx.config.settings
    period = requested_period(flask.request.args.get("period"), settings.calendar.timezone)
    scope = requested_scope(who, flask.request.args.get("scope"))
    with expensive(who.username):  # 429 past the user's bound on heavy requests
        rows = compute_indicators(
            ctx.store, period=period, scope=scope, now=utcnow(),
            trend_periods=settings.cockpit.trend_periods,
        )  # fmt: skip
    return flask.jsonify([as_json(r) for r in rows]), 200
