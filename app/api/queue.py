"""The case API's reads: the queue as pages (filters as the dispatch console) and one case."""

from __future__ import annotations

import flask

from app.api.errors import ApiError, actor, refused
from app.bounds import expensive
from app.context import get_context
from models.case_queue import DUE_FILTERS, SORTABLE, QueueFilter, queue_page
from models.case_service import Actor, Refused
from models.case_view import case_view
from models.clock import utcnow

#: Most rows one page of ``GET /api/v1/cases`` may hold, and the default.
MAX_PAGE = 200
DEFAULT_PAGE = 50
#: Query parameters of ``GET /api/v1/cases`` (a typo is refused, not silently ignored).
LIST_PARAMS = frozenset(
    {
        "stage", "include_closed", "category", "district", "street", "source", "due",
        "exercise", "q", "claimed_by", "unit", "sort", "offset", "limit",
    }
)  # fmt: skip
_MAX_OFFSET = 10_000_000


def _values(name: str) -> tuple[str, ...]:
    """A list parameter: repeated (``?stage=a&stage=b``) or comma-separated, or both."""
    out = []
    for raw in flask.request.args.getlist(name):
        out += [v.strip() for v in raw.split(",") if v.strip()]
    if any(len(v) > 64 for v in out) or len(out) > 50:
        raise ApiError(422, f"{name}: at most 50 values of at most 64 characters")
    return tuple(out)


def _one(name: str, max_len: int = 200) -> str | None:
    value = flask.request.args.get(name)
    if value is None or not value.strip():
        return None
    if len(value) > max_len or "\x00" in value:
        raise ApiError(422, f"{name} is longer than {max_len} characters or has NUL")
    return value.strip()


def _flag(name: str) -> bool | None:
    value = _one(name, 8)
    if value is None:
        return None
    if value.lower() not in ("true", "false", "1", "0"):
        raise ApiError(422, f"{name} must be true or false")
    return value.lower() in ("true", "1")


def _whole(name: str, default: int, low: int, high: int) -> int:
    value = _one(name, 12)
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise ApiError(422, f"{name} must be a whole number from {low} to {high}")
    return int(value)


def queue_sort() -> tuple[tuple[str, bool], ...]:
    """The queue's order from ``sort`` (``-`` for descending; default ``due_at``)."""
    keys = _values("sort") or ("due_at",)
    out = []
    for key in keys:
        column = key.lstrip("-")
        if column not in SORTABLE:
            raise ApiError(422, f"sort by one of {', '.join(SORTABLE)} (- for descending)")
        out.append((column, key.startswith("-")))
    return tuple(out)


def queue_filter(who: Actor) -> QueueFilter:
    """The dispatch queue's filter from the query string (``claimed_by=me`` is the caller)."""
    unknown = sorted(set(flask.request.args) - LIST_PARAMS)
    if unknown:
        raise ApiError(422, f"unknown parameters: {', '.join(unknown)[:300]}")
    due = _one("due", 20)
    if due is not None and due not in DUE_FILTERS:
        raise ApiError(422, f"due must be one of {', '.join(DUE_FILTERS)}")
    claimed = _one("claimed_by", 64)
    if claimed not in (None, "me"):
        raise ApiError(422, "claimed_by takes only me (your own to-do list)")
    return QueueFilter(
        stages=_values("stage"),
        include_closed=bool(_flag("include_closed")),
        categories=_values("category"),
        district=_one("district", 6),
        street=_one("street", 9),
        sources=_values("source"),
        due=due,
        exercise=_flag("exercise"),
        text=_one("q"),
        claimed_by=who.username if claimed == "me" else None,
        unit=_one("unit", 64),
    )


def list_cases() -> tuple[flask.Response, int]:
    """GET /api/v1/cases: a page of the caller's scope, filtered and sorted as the queue."""
    who = actor()
    flt = queue_filter(who)
    sort = queue_sort()
    offset = _whole("offset", 0, 0, _MAX_OFFSET)
    limit = _whole("limit", DEFAULT_PAGE, 1, MAX_PAGE)
    ctx = get_context()
    try:
        with expensive(who.username):  # the user's bound on heavy requests: 429 past it
            page = queue_page(
                ctx.store, who.scope, flt, now=utcnow(), calendar=ctx.calendar(), sort=sort,
                offset=offset, limit=limit,
            )  # fmt: skip
    except ValueError as exc:
        raise ApiError(422, str(exc)[:300]) from None
    items = [{"id": row["case_id"], **row} for row in page.rows]
    more = offset + len(items) < page.total
    return flask.jsonify(
        items=items,
        total=page.total,
        offset=offset,
        limit=limit,
        next=offset + len(items) if more else None,
        max_seq=page.max_seq,
    ), 200


def get_case(case_id: str) -> tuple[flask.Response, int]:
    """GET /api/v1/cases/{id}: the case with history, routing reasons, photos, actions."""
    who = actor()
    ctx = get_context()
    try:
        view = case_view(ctx.store, who, case_id, now=utcnow(), calendar=ctx.calendar())
    except Refused as exc:
        raise refused(exc) from None
    return flask.jsonify(view), 200
