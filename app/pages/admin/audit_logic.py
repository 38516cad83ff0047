"""The audit and dead-letter tabs' pure logic: filter values as typed into filters for the
queries (or the reason they are refused), pages, and the export link (no Dash, no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from models.audit_queries import AuditFilter
from models.dead_letters import DeadLetterFilter

#: The export another part of /api/v1 serves: ``audit.csv`` or ``audit.xlsx`` (the extension
#: names the format, as the reports' files do), with the same filters.
AUDIT_EXPORT = "/api/v1/exports/audit"
PAGE_SIZE = 50
#: Longest text a filter takes (longer is refused, never sent to the database).
MAX_TEXT = 200
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CHANNELS = ("mqtt", "file", "http")
STATES = ("open", "reingested", "all")


@dataclass(frozen=True)
class Refusal:
    """A filter value that cannot be used: the catalog key of the message and its value."""

    key: str
    value: str = ""


def _text(value: Any) -> str | None | Refusal:
    if value is None:
        return None
    if not isinstance(value, str):
        return Refusal("admin.audit.bad_text")
    value = value.strip()
    if len(value) > MAX_TEXT:
        return Refusal("admin.audit.too_long")
    return value or None


def local_day_start(value: Any, tz: str) -> datetime | None | Refusal:
    """The UTC-naive start of a local day typed as ``YYYY-MM-DD`` (None when empty)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not _DATE_RE.match(value.strip()):
        return Refusal("admin.audit.bad_date", str(value)[:40])
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        return Refusal("admin.audit.bad_date", value[:40])
    local = datetime.combine(day, time(0), tzinfo=ZoneInfo(tz))
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def audit_filter(
    *,
    actor: Any = None,
    action: Any = None,
    target: Any = None,
    since: Any = None,
    until: Any = None,
    outcome: Any = None,
    tz: str,
) -> AuditFilter | Refusal:
    """The filter the form asks for, or why it cannot be used; ``until`` is a local day
    included whole (its end is the next day's start)."""
    texts = {}
    for name, value in (("actor", actor), ("action", action), ("target", target),
                        ("outcome", outcome)):  # fmt: skip
        got = _text(value)
        if isinstance(got, Refusal):
            return got
        texts[name] = got
    start = local_day_start(since, tz)
    end = local_day_start(until, tz)
    if isinstance(start, Refusal):
        return start
    if isinstance(end, Refusal):
        return end
    if end is not None:
        end += timedelta(days=1)
    if start is not None and end is not None and start >= end:
        return Refusal("admin.audit.bad_range")
    return AuditFilter(since=start, until=end, **texts)


def export_href(
    *, actor: Any = None, action: Any = None, target: Any = None, since: Any = None,
    until: Any = None, fmt: str = "csv",
) -> str:  # fmt: skip
    """The export link with the same filters (dates as typed: local days)."""
    params = {
        k: v.strip()
        for k, v in (
            ("actor", actor),
            ("action", action),
            ("target", target),
            ("from", since),
            ("to", until),
        )  # fmt: skip
        if isinstance(v, str) and v.strip()
    }
    query = urlencode(params)
    return f"{AUDIT_EXPORT}.{fmt}" + (f"?{query}" if query else "")


def dead_letter_filter(
    *, channel: Any = None, text: Any = None, since: Any = None, state: Any = "open", tz: str
) -> DeadLetterFilter | Refusal:
    """The dead-letter filter the form asks for, or why it cannot be used."""
    if channel not in (None, "", *CHANNELS):
        return Refusal("admin.audit.bad_choice", str(channel)[:40])
    if state not in STATES:
        return Refusal("admin.audit.bad_choice", str(state)[:40])
    got = _text(text)
    if isinstance(got, Refusal):
        return got
    start = local_day_start(since, tz)
    if isinstance(start, Refusal):
        return start
    return DeadLetterFilter(channel=channel or None, text=got, since=start, state=state)


def next_page(page: Any, step: int, total: int, *, page_size: int = PAGE_SIZE) -> int:
    """The page after moving ``step`` pages from ``page``, kept within the pages there are."""
    current = page if isinstance(page, int) and not isinstance(page, bool) else 0
    last = max(0, (max(0, total) - 1) // page_size)
    return max(0, min(current + step, last))


def picked_ids(values: Any) -> list[int]:
    """Dead-letter ids ticked in the table's checklists (anything else ignored)."""
    out: list[int] = []
    for value in values or []:
        for item in value if isinstance(value, list) else []:
            if isinstance(item, int) and not isinstance(item, bool) and item > 0:
                out.append(item)
    return out
