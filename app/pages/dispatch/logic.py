"""Pure logic of the dispatch console: filter and sort checking, row and clock texts, which
actions show, what an action button sends, and bulk summaries. No I/O, no Dash."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.i18n import t
from models.supervision import DEFAULT_TIERS
from models.vocabulary import REPORT_SOURCES
from models.workflow import STAGES, VOID_REASONS, stage_label

#: Rows one request of the grid may ask for (the grid asks blocks of 100).
MAX_BLOCK = 500
#: Longest search text read (longer input is cut, not refused: it is typed by a person).
MAX_TEXT = 100
#: Most values one multi-select filter takes.
MAX_CHOICES = 60
DUE_FILTERS = ("overdue", "near", "dispatch_overdue")
EXERCISE_FILTERS = {"all": None, "real": False, "drill": True}
FLAG_FILTERS = ("mine", "closed")

#: Grid column -> the queue's sort column (only these sort; others are ignored).
SORTABLE: dict[str, str] = {
    "case_id": "case_id",
    "stage_label": "stage",
    "category": "category_code",
    "source_label": "source",
    "place": "street_code",
    "reported": "reported_at",
    "time_left": "due_at",
    "unit": "assigned_unit",
    "claimed_by": "claimed_by",
}

#: Actions a dispatcher takes with one click from the case pane (keyboard too).
ONE_CLICK = ("accept", "register", "dispatch", "approve_extension", "close", "verify_ok")

_CODE = {"category": re.compile(r"^\d{4}$"), "district": re.compile(r"^\d{6}$"),
         "street": re.compile(r"^\d{9}$")}  # fmt: skip
_CASE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Invalid(ValueError):
    """A value a browser sent that the console cannot use; ``key`` names the message."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def text(self, lang: str) -> str:
        return t(self.key, lang, **self.values)


# -- filters, sorting, paging ----------------------------------------------------------------


def _choices(value: object, allowed: Iterable[str] | re.Pattern[str]) -> list[str]:
    items = value if isinstance(value, list) else [] if value in (None, "") else [value]
    out: list[str] = []
    for item in items[:MAX_CHOICES]:
        if not isinstance(item, str):
            continue
        ok = allowed.match(item) if isinstance(allowed, re.Pattern) else item in allowed
        if ok and item not in out:
            out.append(item)
    return out


def _one(value: object, pattern: re.Pattern[str]) -> str | None:
    return value if isinstance(value, str) and pattern.match(value) else None


def clean_text(value: object, limit: int = MAX_TEXT) -> str | None:
    """Typed text as the server uses it: control characters dropped, trimmed, cut to
    ``limit``; None when nothing is left (or it was not text)."""
    if not isinstance(value, str):
        return None
    text = _CONTROL.sub(" ", value).strip()[:limit].strip()
    return text or None


def queue_filter_args(values: Mapping[str, object], *, username: str) -> dict[str, Any]:
    """Keyword arguments of ``models.case_queue.QueueFilter`` from the filter controls'
    values (``stage``, ``category``, ``district``, ``street``, ``source``, ``due``,
    ``exercise``, ``text``, ``flags``). Anything unusable is dropped, never raised:
    a crafted value widens nothing (the scope is applied by the queue itself)."""
    flags = _choices(values.get("flags"), FLAG_FILTERS)
    due = values.get("due")
    exercise = values.get("exercise")
    stages = _choices(values.get("stage"), STAGES)
    sources = _choices(values.get("source"), REPORT_SOURCES)
    categories = _choices(values.get("category"), _CODE["category"])
    return {
        "stages": tuple(stages),
        "include_closed": "closed" in flags,
        "categories": tuple(categories),
        "district": _one(values.get("district"), _CODE["district"]),
        "street": _one(values.get("street"), _CODE["street"]),
        "sources": tuple(sources),
        "due": due if isinstance(due, str) and due in DUE_FILTERS else None,
        "exercise": EXERCISE_FILTERS.get(exercise) if isinstance(exercise, str) else None,
        "text": clean_text(values.get("text")),
        "claimed_by": username if "mine" in flags else None,
    }


def sort_spec(sort_model: object) -> list[tuple[str, bool]]:
    """The grid's ``sortModel`` as the queue's ``[(column, descending)]``; unknown columns
    and malformed entries are left out."""
    out: list[tuple[str, bool]] = []
    for item in sort_model if isinstance(sort_model, list) else []:
        if not isinstance(item, Mapping):
            continue
        column = SORTABLE.get(str(item.get("colId")))
        direction = item.get("sort")
        if column and direction in ("asc", "desc") and all(c != column for c, _ in out):
            out.append((column, direction == "desc"))
    return out[:4]


def page_bounds(request: object) -> tuple[int, int]:
    """``(offset, limit)`` of a ``getRowsRequest``; at most :data:`MAX_BLOCK` rows.

    Raises
    ------
    Invalid
        Not a request with whole, non-negative ``startRow`` < ``endRow``.
    """
    if not isinstance(request, Mapping):
        raise Invalid("dispatch.bad_request")
    start, end = request.get("startRow"), request.get("endRow")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
        raise Invalid("dispatch.bad_request")
    assert isinstance(start, int) and isinstance(end, int)
    if start < 0 or end <= start or start > 10_000_000:
        raise Invalid("dispatch.bad_request")
    return start, min(end - start, MAX_BLOCK)


# -- rows and clocks ---------------------------------------------------------------------------


def time_left_text(seconds_left: object, lang: str) -> str:
    """Working time left (``剩余 2小时05分``) or overdue (``超期 …``); ``—`` without a clock."""
    if not isinstance(seconds_left, (int, float)) or isinstance(seconds_left, bool):
        return "—"
    if not math.isfinite(seconds_left):
        return "—"
    minutes = int(abs(seconds_left) // 60)
    hours, mins = divmod(minutes, 60)
    amount = (
        t("dispatch.hm", lang, h=hours, m=f"{mins:02d}") if hours else t("dispatch.m", lang, m=mins)
    )
    key = "dispatch.left" if seconds_left >= 0 else "dispatch.overdue"
    return t(key, lang, amount=amount)


def sla_class(level: object) -> str:
    """CSS level of the time-left cell: ``green``, ``yellow``, ``red`` or ``none``."""
    return level if level in ("green", "yellow", "red") else "none"


def local_time(value: object, tz: str, *, with_date: bool = True) -> str:
    """An instant (naive UTC, or ISO 8601 text as the queue sends) as local
    ``MM-DD HH:MM`` (or ``HH:MM``); ``—`` for none or anything unreadable."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return "—"
    if not isinstance(value, datetime):
        return "—"
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    local = aware.astimezone(ZoneInfo(tz))
    return local.strftime("%m-%d %H:%M" if with_date else "%H:%M")


def _name(row: Mapping[str, Any], stem: str, lang: str) -> str:
    value = row.get(f"{stem}_{lang}") or row.get(f"{stem}_zh")
    return str(value) if value else ""


#: Supervision tiers by escalation level: 0 none, then models.supervision.DEFAULT_TIERS.
TIERS: tuple[str, ...] = ("none", *(name for name, _delay in DEFAULT_TIERS))


def tier_index(value: Any) -> int:
    """The level of a case's ``escalation_level`` (the tier's name; 0 for none or a name
    this version does not know)."""
    return TIERS.index(value) if isinstance(value, str) and value in TIERS[1:] else 0


def format_row(row: Mapping[str, Any], *, lang: str, tz: str) -> dict[str, Any]:
    """One queue row (``models.case_queue`` keys) as the grid shows it."""
    category = _name(row, "category_name", lang) or str(row.get("category_code") or "")
    place = " · ".join(str(p) for p in (row.get("district_name"), row.get("street_name")) if p)
    description = clean_text(row.get("description"), 80) or ""
    source = row.get("source")
    stage = str(row.get("stage") or "")
    level = sla_class(row.get("sla_level"))
    return {
        "case_id": str(row.get("case_id")),
        "stage": stage,
        "stage_label": stage_label(stage, lang),
        "category": category,
        "category_code": row.get("category_code"),
        "source_label": t(f"source.{source}", lang) if source else "—",
        "place": place or "—",
        "reported": local_time(row.get("reported_at"), tz),
        "time_left": time_left_text(row.get("seconds_left"), lang),
        "sla_level": level,
        "unit": row.get("assigned_unit") or "",
        "claimed_by": row.get("claimed_by") or "",
        "exercise": bool(row.get("exercise")),
        "escalation": tier_index(row.get("escalation_level")),
        "description": description,
    }


# -- the case pane ----------------------------------------------------------------------------


def shown_actions(allowed: Iterable[str]) -> list[str]:
    """The buttons of the case pane for the actions the server allows (in the order of
    :data:`app.pages.dispatch.ids.ACTION_BUTTONS`; dispatch brings its override)."""
    allowed = set(allowed)
    out = [a for a in _BUTTON_ORDER if a in allowed]
    if "dispatch" in allowed:
        out.insert(out.index("dispatch") + 1, "dispatch_override")
    return out


_BUTTON_ORDER = (
    "accept", "register", "dispatch", "void", "merge", "recategorise", "approve_extension",
    "deny_extension", "supervise", "verify_ok", "verify_fail", "close",
)  # fmt: skip


def actions_class(allowed: Iterable[str]) -> str:
    """Class of the actions box: ``can-<action>`` for each shown action (CSS hides the rest)."""
    shown = shown_actions(allowed)
    return " ".join(
        ["dispatch-actions", "has-case", *(f"can-{a.replace('_', '-')}" for a in shown)]
    )


@dataclass(frozen=True)
class ActionRequest:
    """What one action button sends to ``case_service.act``."""

    action: str
    note: str | None = None
    override_reason: str | None = None
    data: Mapping[str, Any] | None = None


def action_request(button: str, fields: Mapping[str, object]) -> ActionRequest:
    """The service call of a pane button from the form's fields (``note``, ``void_reason``,
    ``merge_into``, ``merge_typed``, ``category``, ``recat_reason``, ``unit``,
    ``override_reason``, ``deny_reason``).

    Raises
    ------
    Invalid
        A field the action needs is empty or malformed (the service would refuse it too;
        this says which field in the user's words).
    """
    note = clean_text(fields.get("note"), 500)
    if button == "dispatch_override":
        unit = clean_text(fields.get("unit"), 100)
        reason = clean_text(fields.get("override_reason"), 200)
        if unit is None:
            raise Invalid("dispatch.need_unit")
        if reason is None:
            raise Invalid("dispatch.need_override_reason")
        return ActionRequest("dispatch", note, reason, {"unit": unit})
    if button == "void":
        reason = fields.get("void_reason")
        if reason not in VOID_REASONS:
            raise Invalid("dispatch.need_void_reason")
        return ActionRequest("void", note, data={"reason": reason})
    if button == "merge":
        into = clean_text(fields.get("merge_typed"), 64) or clean_text(fields.get("merge_into"), 64)
        if into is None or not _CASE_ID.match(into):
            raise Invalid("dispatch.need_merge_into")
        return ActionRequest("merge", note, data={"into": into})
    if button == "recategorise":
        category = fields.get("category")
        reason = clean_text(fields.get("recat_reason"), 200)
        if not isinstance(category, str) or not _CODE["category"].match(category):
            raise Invalid("dispatch.need_category")
        if reason is None:
            raise Invalid("dispatch.need_recat_reason")
        return ActionRequest("recategorise", note, data={"category": category, "reason": reason})
    if button == "deny_extension":
        reason = clean_text(fields.get("deny_reason"), 200)
        return ActionRequest("deny_extension", note, data={"reason": reason} if reason else None)
    if button == "supervise":
        if note is None:
            raise Invalid("dispatch.need_note")
        return ActionRequest("supervise", note)
    if button == "verify_fail":
        return ActionRequest("verify_fail", note, data={"reason": note} if note else None)
    if button in ONE_CLICK:
        return ActionRequest(button, note)
    raise Invalid("dispatch.unknown_action")


def merge_candidates(view: Mapping[str, Any], nearby: Sequence[Mapping[str, Any]]) -> list[str]:
    """Cases the open one may be merged into: its known duplicates' original first, then the
    open cases of its category nearby, nearest first; never itself."""
    own = view.get("id")
    out: list[str] = []
    first = view.get("duplicate_of")
    if isinstance(first, str):
        out.append(first)
    for item in sorted(nearby, key=lambda n: n.get("distance_m") or 0):
        cid = item.get("id")
        if isinstance(cid, str) and cid != own and cid not in out:
            out.append(cid)
    return out


def case_ids(rows: object, limit: int = 1000) -> list[str]:
    """Case ids of the grid's ``selectedRows`` (dicts with ``case_id``), deduplicated."""
    out: list[str] = []
    for row in rows if isinstance(rows, list) else []:
        cid = row.get("case_id") if isinstance(row, Mapping) else None
        if isinstance(cid, str) and _CASE_ID.match(cid) and cid not in out:
            out.append(cid)
    return out[:limit]


def case_id(value: object) -> str | None:
    """A case id the browser sent (a string or ``{"id": …}``), or None."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and _CASE_ID.match(value) else None


def bulk_summary(outcomes: Sequence[Any], lang: str) -> tuple[str, list[tuple[str, bool, str]]]:
    """Headline and one line per case of a bulk action's outcomes
    (``case_service.Outcome``: case_id, ok, stage, message)."""
    done = sum(1 for o in outcomes if o.ok)
    lines = [
        (o.case_id, o.ok, stage_label(o.stage, lang) if o.ok and o.stage else o.message)
        for o in outcomes
    ]
    head = t("dispatch.bulk_done", lang, ok=done, failed=len(outcomes) - done)
    return head, lines
