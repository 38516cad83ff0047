"""The query parameters of Open311 GeoReport v2 requests, checked and bounded (a bad one is a
400 with the reason, never a 500)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from models.config import Open311Settings
from models.open311_queries import RequestQuery

#: Instants a query may name: from 1970 to a year ahead of now (further is a 400).
EARLIEST = datetime(1970, 1, 1)
HORIZON = timedelta(days=366)
_WHOLE = re.compile(r"[0-9]{1,9}")  # ASCII digits only, few enough for int()
#: Most ids or service codes one query may list.
MAX_LISTED = 200
#: Deepest row a page may reach (page × page_size).
MAX_ROWS = 10_000


class Open311Error(Exception):
    """A request refused, answered in the spec's error format with ``code`` as HTTP status."""

    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code = code
        self.description = description


def parse_w3c(text: str, tz: ZoneInfo, name: str) -> datetime:
    """A W3C datetime (a date alone, or without offset: city time) as naive UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        example = "2026-11-24T09:30:00+08:00"
        raise Open311Error(400, f"{name} must be a W3C datetime, e.g. {example}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    try:
        return moment.astimezone(UTC).replace(tzinfo=None)
    except (OverflowError, ValueError):
        raise Open311Error(400, f"{name} is out of range") from None


def csv_values(text: str | None) -> list[str]:
    """The non-empty items of a comma-separated parameter, stripped."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _whole(args: Mapping[str, str], name: str, *, default: int, most: int) -> int:
    text = (args.get(name) or "").strip()
    if not text:
        return default
    if not _WHOLE.fullmatch(text) or not 1 <= int(text) <= most:
        raise Open311Error(400, f"{name} must be a whole number from 1 to {most}")
    return int(text)


def _instant(args: Mapping[str, str], name: str, *, now: datetime, tz: ZoneInfo) -> datetime | None:
    text = args.get(name)
    if not text:
        return None
    moment = parse_w3c(text, tz, name)
    if not EARLIEST <= moment <= now + HORIZON:
        raise Open311Error(400, f"{name} must lie between 1970 and a year from now")
    return moment


def request_query(
    args: Mapping[str, str],
    sources: tuple[str, ...],
    *,
    now: datetime,
    tz: ZoneInfo,
    bounds: Open311Settings,
) -> RequestQuery:
    """The query a client's parameters ask for, every value checked and bounded (else 400)."""
    size = _whole(args, "page_size", default=bounds.max_page_size, most=bounds.max_page_size)
    page = _whole(args, "page", default=1, most=max(1, MAX_ROWS // size))
    offset = (page - 1) * size
    ids = csv_values(args.get("service_request_id"))
    codes = csv_values(args.get("service_code"))
    if len(ids) > MAX_LISTED or len(codes) > MAX_LISTED:
        raise Open311Error(400, f"at most {MAX_LISTED} service_request_id or service_code values")
    if ids:  # the spec: ids override every other filter
        return RequestQuery(sources=sources, ids=tuple(ids), limit=size, offset=offset)
    statuses = {s.lower() for s in csv_values(args.get("status"))}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, "status must be open, closed or both (comma-separated)")
    status: Literal["open", "closed"] | None = None
    if len(statuses) == 1:
        status = "open" if "open" in statuses else "closed"
    window = timedelta(days=bounds.max_days)
    start = _instant(args, "start_date", now=now, tz=tz)
    end = _instant(args, "end_date", now=now, tz=tz)
    if end is None:
        end = start + window if start is not None else now
    if start is None:
        start = end - window
    if start > end:
        raise Open311Error(400, "start_date is after end_date")
    if end - start > window:
        raise Open311Error(
            400, f"start_date and end_date may not span more than {bounds.max_days} days"
        )
    return RequestQuery(
        sources=sources,
        codes=tuple(codes),
        status=status,
        start=start,
        end=end,
        limit=size,
        offset=offset,
    )
