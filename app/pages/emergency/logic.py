"""Pure logic of the emergency screen: what a browser sends checked (ids, texts, points,
levels, numbers), the texts of times and states, and the warning composer's content. No I/O,
no Dash."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.i18n import t
from models.emergency.warning_content import (
    CERTAINTIES,
    EVENTS,
    MAX_RADIUS_KM,
    SEVERITIES,
    URGENCIES,
)
from models.vocabulary import INCIDENT_LEVELS, INCIDENT_TYPES, RESOURCE_KINDS

#: Longest title, note and warning texts read from the browser (the models bound them too;
#: a longer text is refused here before anything else is read).
MAX_TITLE = 200
MAX_NOTE = 2000
MAX_WARNING_TEXT = 4000
#: A circle's radius (km) the composer accepts, and the warning's life (hours).
RADIUS_KM = (0.1, MAX_RADIUS_KM)  # the warning model's bound, one number
HOURS = (1, 720)
#: Most districts and streets one warning picks.
MAX_CODES = 200
#: The severity of a warning that an incident's level suggests (红/橙/黄/蓝).
LEVEL_SEVERITY = {"I": "Extreme", "II": "Severe", "III": "Moderate", "IV": "Minor"}
#: The order's state shown, by its status: (catalog key, css class).
ORDER_STATES = {
    "sent": ("emergency.order_sent", "st-sent"),
    "acked": ("emergency.order_acked", "st-acked"),
    "arrived": ("emergency.order_arrived", "st-arrived"),
    "unacked": ("emergency.order_unacked", "st-unacked"),
    "cancelled": ("emergency.order_cancelled", "st-cancelled"),
}
AREA_MODES = ("circle", "codes")

_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_CODE = re.compile(r"^(\d{6}|\d{9})$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Invalid(ValueError):
    """A value from the browser the screen cannot use; ``key`` names the message."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def text(self, lang: str) -> str:
        return t(self.key, lang, **self.values)


def checked_id(value: object) -> str:
    """An incident, unit, order or warning id as sent back by the page (short, plain)."""
    if not isinstance(value, str) or not _ID.match(value):
        raise Invalid("emergency.bad_id")
    return value


def checked_text(value: object, *, max_len: int, required: bool = True) -> str | None:
    """Text typed by a person: stripped; too long or with control characters refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid("emergency.text_missing")
        return None
    if not isinstance(value, str):
        raise Invalid("emergency.text_bad")
    if len(value) > max_len:
        raise Invalid("emergency.text_long", n=max_len)
    if _CONTROL.search(value):
        raise Invalid("emergency.text_bad")
    return value.strip()


def number(value: object) -> float | None:
    """A finite number from a number input (or its text); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if len(value) > 40:
            return None
        try:
            value = float(value)
        except ValueError:
            return None
    if not isinstance(value, int | float):
        return None
    try:
        out = float(value)
    except OverflowError:
        return None
    return out if math.isfinite(out) else None


def checked_point(lon: object, lat: object) -> tuple[float, float]:
    """Longitude and latitude typed or clicked: numbers in range."""
    x, y = number(lon), number(lat)
    if x is None or y is None or not (-180 <= x <= 180 and -90 <= y <= 90):
        raise Invalid("emergency.bad_point")
    return round(x, 6), round(y, 6)


def checked_choice(value: object, allowed: Sequence[str], key: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise Invalid(key)
    return value


def checked_level(value: object) -> str:
    return checked_choice(value, INCIDENT_LEVELS, "emergency.bad_level")


def checked_type(value: object) -> str:
    return checked_choice(value, INCIDENT_TYPES, "emergency.bad_type")


def checked_kind(value: object) -> str | None:
    """A resource kind to rank (None or "" for every kind)."""
    if value in (None, "", "all"):
        return None
    return checked_choice(value, RESOURCE_KINDS, "emergency.bad_kind")


def checked_need(value: object, known: Sequence[str]) -> str | None:
    """A plan step's requirement to rank for: one of the incident's own (None for none)."""
    if value in (None, ""):
        return None
    return checked_choice(value, known, "emergency.bad_need")


def act_of(data: object, acts: Sequence[str]) -> tuple[str, str]:
    """(act, argument) a button wrote into its store; ``Invalid`` for anything else."""
    if not isinstance(data, Mapping) or data.get("act") not in acts:
        raise Invalid("emergency.bad_request")
    arg = data.get("arg")
    if not isinstance(arg, str) or not 0 < len(arg) <= 64:
        raise Invalid("emergency.bad_id")
    return str(data["act"]), arg


def task_number(value: str) -> int:
    """A plan task's number as its button carries it (digits)."""
    if not (value.isascii() and value.isdigit()) or len(value) > 6:
        raise Invalid("emergency.bad_id")
    return int(value)


def clicked(value: object) -> bool:
    """Whether a button's ``n_clicks`` (as sent) says it was pressed."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def local_time(value: object, tz: str, *, with_date: bool = False) -> str:
    """Naive UTC as local ``HH:MM`` (or ``MM-DD HH:MM``); ``—`` for none."""
    if not isinstance(value, datetime):
        return "—"
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(tz)).strftime("%m-%d %H:%M" if with_date else "%H:%M")


def minutes_text(seconds: float | None, lang: str) -> str:
    """A duration as ``N 分钟`` / ``N min`` (``1 h 05 min`` from an hour on)."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    minutes = max(0, round(seconds / 60))
    if minutes < 60:
        return t("emergency.minutes", lang, n=minutes)
    return t("emergency.hours_minutes", lang, h=minutes // 60, m=f"{minutes % 60:02d}")


def elapsed_text(opened: object, now: datetime, lang: str) -> str:
    if not isinstance(opened, datetime):
        return "—"
    return minutes_text((now - opened).total_seconds(), lang)


def order_state(order: Mapping[str, Any]) -> tuple[str, str]:
    """(catalog key, css class) of an order's state; unacknowledged is red."""
    return ORDER_STATES.get(str(order.get("status")), ("emergency.order_sent", "st-sent"))


def board_rows(
    board: Mapping[str, Mapping[str, int]], kinds: Sequence[str], statuses: Sequence[str]
) -> list[tuple[str, list[int]]]:
    """The status board's rows: each kind with its count per status (0 when missing)."""
    return [(k, [int(board.get(k, {}).get(s, 0)) for s in statuses]) for k in kinds]


def task_needs(tasks: Sequence[Mapping[str, Any]]) -> list[str]:
    """The requirements (``team:flood_control``…) of the incident's open tasks, in order."""
    out: list[str] = []
    for task in tasks:
        need = task.get("requires")
        if task.get("done_at") is None and isinstance(need, str) and need and need not in out:
            out.append(need)
    return out


def event_for(incident_type: object) -> str:
    """The CAP event a warning about an incident of this type names by default."""
    return str(incident_type) if incident_type in EVENTS else "flood"


def _lang_pair(zh: object, en: object, *, name: str, required: bool) -> dict[str, str] | None:
    a = checked_text(zh, max_len=MAX_WARNING_TEXT, required=False)
    b = checked_text(en, max_len=MAX_WARNING_TEXT, required=False)
    if a is None and b is None and not required:
        return None
    if a is None or b is None:
        raise Invalid("emergency.w_both_languages", field=name)
    return {"zh": a, "en": b}


def warning_area(
    mode: object, radius_km: object, codes: object, incident: Mapping[str, Any]
) -> dict[str, Any]:
    """The composer's area: a circle of ``radius_km`` round the incident's point, or the
    picked district and street codes."""
    chosen = checked_choice(mode, AREA_MODES, "emergency.w_bad_area")
    if chosen == "circle":
        radius = number(radius_km)
        if radius is None or not RADIUS_KM[0] <= radius <= RADIUS_KM[1]:
            raise Invalid("emergency.w_bad_radius", low=RADIUS_KM[0], high=RADIUS_KM[1])
        lon, lat = checked_point(incident.get("lon"), incident.get("lat"))
        return {"circles": [{"lon": lon, "lat": lat, "radius_km": round(radius, 3)}]}
    if not isinstance(codes, list) or not codes or len(codes) > MAX_CODES:
        raise Invalid("emergency.w_no_codes")
    if not all(isinstance(c, str) and _CODE.match(c) for c in codes):
        raise Invalid("emergency.w_no_codes")
    return {"codes": list(dict.fromkeys(codes))}


def warning_content(
    values: Sequence[object], incident: Mapping[str, Any], *, now: datetime
) -> dict[str, Any]:
    """The draft the composer's fields (in :data:`app.pages.emergency.ids.W_FIELDS` order)
    make for ``incident``: the JSON :func:`models.emergency.warning_content.parse_warning_content`
    reads. The status follows the incident (a drill's warning is an ``Exercise``)."""
    if len(values) != 14:
        raise Invalid("emergency.bad_request")
    (event, severity, urgency, certainty, h_zh, h_en, d_zh, d_en, i_zh, i_en, mode, radius,
     codes, hours) = values  # fmt: skip
    life = number(hours)
    if life is None or not HOURS[0] <= life <= HOURS[1]:
        raise Invalid("emergency.w_bad_hours", low=HOURS[0], high=HOURS[1])
    headline = _lang_pair(h_zh, h_en, name="headline", required=True)
    description = _lang_pair(d_zh, d_en, name="description", required=True)
    content: dict[str, Any] = {
        "event": checked_choice(event, tuple(EVENTS), "emergency.w_bad_choice"),
        "severity": checked_choice(severity, SEVERITIES, "emergency.w_bad_choice"),
        "urgency": checked_choice(urgency, URGENCIES, "emergency.w_bad_choice"),
        "certainty": checked_choice(certainty, CERTAINTIES, "emergency.w_bad_choice"),
        "headline": headline,
        "description": description,
        "area": warning_area(mode, radius, codes, incident),
        "expires": (now + timedelta(hours=life)).replace(microsecond=0).isoformat() + "Z",
        "status": "Exercise" if incident.get("exercise") else "Actual",
        "incident_id": str(incident["incident_id"]),
    }
    instruction = _lang_pair(i_zh, i_en, name="instruction", required=False)
    if instruction is not None:
        content["instruction"] = instruction
    return content
