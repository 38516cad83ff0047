"""Pure rules of the field app: which tabs and tasks a role has, reading the browser's GPS
fix and uploads, checking a report or an action's data before anything is written."""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from models.security import PAGE_ROLES
from models.workflow import ACTIONS, MAX_EXTENSION

FIELD_ROLES = PAGE_ROLES["field"]
#: Roles that report from the field: those of the page the workflow lets report.
REPORT_ROLES = FIELD_ROLES & ACTIONS["report"].roles
PATROL_ROLES = frozenset({"grid_worker"})
#: A grid worker verifies (核查) cases handled in their cells.
VERIFY_STAGES = ("handled",)
#: A handler's work: the unit's dispatched cases until they are reported handled.
HANDLER_STAGES = ("dispatched", "handling", "rework", "extension_requested")
#: The actions each role takes from its task card, in the order of the buttons.
TASK_ACTIONS: dict[str, tuple[str, ...]] = {
    "grid_worker": ("verify_ok", "verify_fail"),
    "handler": ("start", "feedback", "request_extension", "return"),
    "admin": ("verify_ok", "verify_fail"),
}
#: Which kind of photo an action's picture documents.
PHOTO_KIND = {"feedback": "handled", "verify_ok": "verify", "verify_fail": "verify"}
TEXT_MAX = 1000
NOTE_MAX = 500
PHOTOS_MAX = 6
EXTENSION_HOURS_MAX = MAX_EXTENSION.total_seconds() / 3600


def tabs_for(role: str) -> list[str]:
    """The tabs a role sees, in order: report, tasks, patrol."""
    tabs = []
    if role in REPORT_ROLES:
        tabs.append("report")
    if role in TASK_ACTIONS:
        tabs.append("tasks")
    if role in PATROL_ROLES:
        tabs.append("patrol")
    return tabs


def task_stages(role: str) -> tuple[str, ...]:
    """The stages of a role's task list: verification for grid workers, handling for units."""
    return HANDLER_STAGES if role == "handler" else VERIFY_STAGES


@dataclass(frozen=True)
class Fix:
    """A position: from the device's GPS (``source`` "gps") or a tap on the map ("map")."""

    lon: float
    lat: float
    accuracy_m: float | None
    source: str


def parse_fix(data: Any) -> Fix | None:
    """The position a store holds, or None when it holds none or nonsense (never raises)."""
    if not isinstance(data, dict):
        return None
    lon, lat, acc = data.get("lon"), data.get("lat"), data.get("accuracy")
    numbers = (int, float)
    if isinstance(lon, bool) or isinstance(lat, bool):
        return None
    if not (isinstance(lon, numbers) and isinstance(lat, numbers)):
        return None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    accuracy = None
    if isinstance(acc, numbers) and not isinstance(acc, bool) and math.isfinite(acc) and acc >= 0:
        accuracy = float(acc)
    source = data.get("source") if data.get("source") in ("gps", "map") else "map"
    return Fix(float(lon), float(lat), accuracy, source)


def decode_upload(contents: Any) -> bytes | None:
    """The bytes of a ``dcc.Upload`` data URL, or None when it is not one."""
    if not isinstance(contents, str) or not contents.startswith("data:"):
        return None
    _, sep, payload = contents.partition(";base64,")
    if not sep:
        return None
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None


def as_list(value: Any) -> list[Any]:
    """An upload's contents or names as a list (one file arrives as a bare string)."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def report_problems(category: Any, text: Any, fix: Fix | None, photos: int) -> list[str]:
    """Message keys of what keeps a report from being sent; empty when it may go."""
    problems = []
    if not isinstance(category, str) or not category:
        problems.append("field.report.need_category")
    if fix is None:
        problems.append("field.report.need_position")
    if isinstance(text, str) and len(text) > TEXT_MAX:
        problems.append("field.report.text_too_long")
    if photos > PHOTOS_MAX:
        problems.append("field.report.too_many_photos")
    return problems


def action_inputs(
    action: str, note: Any, hours: Any
) -> tuple[str | None, dict[str, Any], str | None]:
    """(note, action data, problem key) for an action taken from a task card.

    A return and an extension request need a reason; an extension its working hours
    (more than 0, at most :data:`EXTENSION_HOURS_MAX`); a failed verification says why.
    """
    text = note.strip() if isinstance(note, str) else ""
    if len(text) > NOTE_MAX:
        return None, {}, "field.task.note_too_long"
    data: dict[str, Any] = {}
    if action in ("return", "request_extension", "verify_fail"):
        if not text:
            return None, {}, "field.task.need_reason"
        data["reason"] = text
    if action == "request_extension":
        try:
            value = float(hours)
        except (TypeError, ValueError):
            return None, {}, "field.task.need_hours"
        if not (math.isfinite(value) and 0 < value <= EXTENSION_HOURS_MAX):
            return None, {}, "field.task.need_hours"
        data["extension"] = timedelta(hours=value)
    return text or None, data, None


def time_left(seconds: Any) -> tuple[str, dict[str, int]] | None:
    """(message key, values) for a task's time left, or None without a deadline."""
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        return None
    if not math.isfinite(seconds):
        return None
    s = int(abs(seconds))
    hours, minutes = s // 3600, s % 3600 // 60
    key = "field.task.left" if seconds >= 0 else "field.task.overdue"
    return key, {"h": hours, "m": minutes}


def before_after(photos: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """A case's photos by what they show: before (the report), after (handled), verify."""
    groups: dict[str, list[dict[str, Any]]] = {"before": [], "after": [], "verify": []}
    for p in photos:
        kind = p.get("kind")
        key = {"report": "before", "handled": "after", "verify": "verify"}.get(kind or "")
        if key:
            groups[key].append(p)
    return groups


#: Tasks shown at first and added by 显示更多; the list never asks for more than the queue
#: allows at once.
TASK_PAGE = 50
TASK_PAGE_MAX = 1000


def page_size(shown: object) -> int:
    """How many tasks to list: a whole number of :data:`TASK_PAGE` to :data:`TASK_PAGE_MAX`
    (anything else sent by the browser: the first page)."""
    if isinstance(shown, bool) or not isinstance(shown, int):
        return TASK_PAGE
    return min(max(shown, TASK_PAGE), TASK_PAGE_MAX)
