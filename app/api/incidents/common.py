"""What the incident API's views share: the models' refusals as answers, the plan book,
values as JSON (times ISO 8601 UTC with Z), the body's fields checked."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from app.api.errors import ApiError
from app.context import get_context
from models.emergency.incident_rules import IncidentError
from models.emergency.plans import PlanBook, load_plans, store_departments

log = logging.getLogger(__name__)
T = TypeVar("T")
#: Longest id a path may carry (anything longer is no incident: 404).
MAX_ID = 64


def refusals(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a model call; its refusals become the API's answers (400, 403, 404, 409)."""
    try:
        return call(*args, **kwargs)
    except IncidentError as exc:
        raise ApiError(exc.status, exc.message[:500]) from None


def plan_book() -> PlanBook:
    """The shipped plans and the city's own (``emergency.plans_extra_file``), read once; a
    city file that breaks the rules is logged and left out (the shipped plans answer)."""
    ctx = get_context()
    extra = ctx.config.settings.emergency.plans_extra_file
    path = ctx.config.resolve(extra) if extra is not None else None

    def build() -> PlanBook:
        departments = store_departments(ctx.store)
        try:
            return load_plans(extra_file=path, departments=departments)
        except ValueError as exc:
            log.error("emergency plans: %s; the shipped plans only", exc)
            return load_plans(departments=departments)

    return ctx.cached(("emergency-plans", str(path)), build)


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


def plain(value: Any) -> Any:
    """``value`` with datetimes as ISO 8601 UTC strings, tuples as lists, all the way down."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def incident_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """An incident row as the API shows it: ``id`` and ``type`` first, times in ISO."""
    out = {"id": row["incident_id"], "type": row["incident_type"]}
    out.update({k: v for k, v in row.items() if k not in ("incident_id", "incident_type")})
    out.pop("change_seq", None)
    return plain(out)


def check_fields(data: Mapping[str, Any], known: set[str] | frozenset[str]) -> None:
    """400 naming the fields the endpoint does not take (a typo is not silently ignored)."""
    if unknown := sorted(set(data) - set(known)):
        raise ApiError(400, f"unknown fields: {', '.join(unknown)[:300]}")


def path_id(incident_id: str) -> str:
    if not 0 < len(incident_id) <= MAX_ID:
        raise ApiError(404, "no such incident in your scope")
    return incident_id
