"""Pure logic of the leader cockpit (no I/O): the period a picker names, figures and their
changes as shown, indicators by dimension, ranking rows and weights, the charts' data and the
report links (the drill-down's logic: drilldown.py)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from app.i18n import t
from app.pages.dispatch.logic import Invalid
from models.config_sections import DIMENSIONS
from models.evaluation import DEFAULT_WEIGHTS, GROUPS
from models.indicators.periods import (
    KINDS,
    MAX_CUSTOM_DAYS,
    Period,
    parse_period,
    period_containing,
)

#: The longest custom period (days): a year and a leap day.
#: Years a period may lie in.
#: Ranking groupings, in the order of the picker.
RANK_GROUPS: tuple[str, ...] = tuple(GROUPS)
#: Ranking figures a click may drill into (counts: the list's length is the figure).
RANK_FIGURES: tuple[str, ...] = ("registered", "overdue_count", "closed", "handled")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# -- the period ------------------------------------------------------------------------------


def default_value(kind: str, now: datetime, tz: str) -> tuple[str, str, str]:
    """The picker's value for ``kind`` at ``now``: (label, from, to); the current period
    (a custom span: this month so far)."""
    if kind == "custom":
        month = period_containing("month", now, tz)
        today = period_containing("day", now, tz)
        return "", month.first_day.isoformat(), today.first_day.isoformat()
    p = period_containing(kind if kind in KINDS else "month", now, tz)
    return p.label, p.first_day.isoformat(), p.last_day.isoformat()


#: Characters of a refused value a message repeats at most.
SHOWN_CHARS = 24


def plain_text(value: object, depth: int = 0) -> str:
    """A value from the browser as a message may repeat it: plain printable text, never a
    Python repr (a store's ``{"label": ...}`` or a list gives its first text), cut to
    :data:`SHOWN_CHARS` characters with an ellipsis; nothing usable gives ``""``."""
    if isinstance(value, Mapping) and depth < 3:
        return plain_text(value.get("label"), depth + 1)
    if isinstance(value, list | tuple) and value and depth < 3:
        return plain_text(value[0], depth + 1)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    text = "".join(ch for ch in str(value)[:400] if ch.isprintable()).strip()
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def period_invalid(value: object) -> Invalid:
    """The refusal of a period that is not understood, naming it as plain text."""
    return Invalid("cockpit.bad_period", value=plain_text(value))


def choose_period(kind: object, value: object, start: object, end: object, tz: str) -> Period:
    """The period the picker names, checked.

    Raises
    ------
    Invalid
        An unknown kind, text that is no period of that kind, a custom span that is not two
        dates in order or is longer than :data:`MAX_CUSTOM_DAYS`, or a year out of range.
    """
    if not isinstance(kind, str) or kind not in KINDS:
        raise Invalid("cockpit.bad_kind")
    if kind == "custom":
        if not all(isinstance(v, str) and _DATE.fullmatch(v.strip()) for v in (start, end)):
            raise Invalid("cockpit.bad_custom")
        text = f"{str(start).strip()}..{str(end).strip()}"
    else:
        if not isinstance(value, str) or not value.strip() or len(value) > 40:
            raise period_invalid(value)
        text = value.strip()
    period = _parse(text, tz)
    if period is None or period.kind != kind:
        raise period_invalid(text)
    if kind == "custom" and (period.last_day - period.first_day).days + 1 > MAX_CUSTOM_DAYS:
        raise Invalid("cockpit.custom_too_long", days=MAX_CUSTOM_DAYS)
    return period


def _parse(text: str, tz: str) -> Period | None:
    """The period ``text`` names (``models.indicators.periods``), or None."""
    try:
        return parse_period(text, tz)
    except ValueError:
        return None


def stored_period(data: object, tz: str) -> Period | None:
    """The period held in the page's store (its label), or None when it holds none valid."""
    label = data.get("label") if isinstance(data, dict) else None
    if not isinstance(label, str) or len(label) > 40:
        return None
    return _parse(label, tz)


# -- figures -----------------------------------------------------------------------------------


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def format_number(value: object) -> str:
    """A figure as shown: whole numbers plainly, others to 1 decimal (2 below 10);
    ``—`` for none."""
    number = _number(value)
    if number is None:
        return "—"
    if number == int(number) and abs(number) < 1e15:
        return f"{int(number):,}"
    if abs(number) >= 10:
        return f"{number:,.1f}"
    return f"{number:.2f}"


#: Units of the indicator declarations -> their message key (``cockpit.unit_<key>``).
UNITS = {"件": "cases", "次": "times", "点次": "readings", "起": "incidents", "天": "days",
         "件/人": "per_worker", "亿元": "yi_yuan", "h": "hours"}  # fmt: skip


def unit_text(unit: object, lang: str) -> str:
    """A unit in the reader's words (``件`` -> ``cases``); others (%, μg/m³) as declared."""
    if not isinstance(unit, str):
        return ""
    return t(f"cockpit.unit_{UNITS[unit]}", lang) if unit in UNITS else unit


def format_value(value: object, unit: object, lang: str = "zh") -> str:
    """A figure with its unit (``92.5%``, ``1,204 件``, ``1,204 cases``)."""
    text = format_number(value)
    shown = unit_text(unit, lang)
    if text == "—" or not shown:
        return text
    return f"{text}{shown}" if shown == "%" else f"{text} {shown}"


@dataclass(frozen=True)
class Change:
    arrow: str  # ▲ ▼ or ＝; empty when unknown
    css: str  # better | worse | same | none
    text: str  # +1.2 / −3


def change_view(change: object, direction: object) -> Change:
    """The change against the previous period: its arrow, and whether it is better or worse
    by the indicator's direction (``higher`` or ``lower`` is better)."""
    number = _number(change)
    if number is None:
        return Change("", "none", "—")
    if abs(number) < 1e-9:
        return Change("＝", "same", "0")
    up = number > 0
    better = up if direction != "lower" else not up
    sign = "+" if up else "−"
    text = sign + format_number(abs(number))
    return Change("▲" if up else "▼", "better" if better else "worse", text)


def status_class(status: object) -> str:
    """CSS class of a traffic light: ``green``, ``yellow``, ``red`` or ``none``."""
    return status if status in ("green", "yellow", "red") else "none"


def by_dimension(results: Iterable[Mapping[str, Any]]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """Indicator results grouped by dimension in the screen's order (others after)."""
    groups: dict[str, list[Mapping[str, Any]]] = {d: [] for d in DIMENSIONS}
    for r in results:
        groups.setdefault(str(r.get("dimension")), []).append(r)
    return [(d, rows) for d, rows in groups.items() if rows]


def dimension_name(dimension: str, lang: str) -> str:
    """A dimension's name in ``lang`` (the Chinese name is the key)."""
    if lang == "zh" or dimension not in DIMENSIONS:
        return dimension
    return t(f"cockpit.dim_{DIMENSIONS.index(dimension) + 1}", lang)


def indicator_name(result: Mapping[str, Any], lang: str) -> str:
    name = result.get(f"name_{lang}") or result.get("name_zh") or result.get("id")
    return str(name)


def score_text(score: object) -> str:
    number = _number(score)
    return "—" if number is None else f"{number:.0f}"


def key_indicators(results: Sequence[Mapping[str, Any]], n: int = 4) -> list[Mapping[str, Any]]:
    """The indicators drawn as trend lines: case-based ones with a trend, one per dimension
    first (the screen's order), then more until ``n``."""
    usable = [r for r in results if any(_number(v) is not None for v in r.get("trend") or [])]
    chosen: list[Mapping[str, Any]] = []
    seen: set[str] = set()
    for r in usable:
        if r.get("unit") == "%" and r.get("dimension") not in seen:
            chosen.append(r)
            seen.add(str(r.get("dimension")))
    chosen += [r for r in usable if r not in chosen]
    return chosen[:n]


# -- rankings ----------------------------------------------------------------------------------


def ranking_rows(
    frame: pd.DataFrame, limit: int = 50, names: Mapping[str, str] | None = None,
    lang: str = "zh",
) -> list[dict[str, Any]]:  # fmt: skip
    """The rows of an evaluation, best first, as the ranking table shows them (an area's
    name from ``names`` by code when given: the reader's language). A group without a
    score (nothing due yet, see ``evaluate``) has no rank and reads 未评 / not rated."""
    names = names or {}

    def pct(v: Any) -> str:
        return "—" if v is None or pd.isna(v) else f"{100 * float(v):.1f}%"

    rows = []
    for i, r in enumerate(frame.head(limit).to_dict("records")):
        value = r.get("group_value")
        value = None if value is None or (isinstance(value, float) and math.isnan(value)) else value
        name = r.get("group_name")
        rows.append(
            {
                "rank": i + 1 if _number(r.get("score")) is not None else "—",
                "value": "" if value is None else str(value),
                "name": names.get(str(value))
                or (str(name) if isinstance(name, str) and name else str(value or "—")),
                "score": score_text(r.get("score"))
                if _number(r.get("score")) is not None
                else t("cockpit.not_rated", lang),
                "registered": int(r.get("registered") or 0),
                "overdue_count": int(r.get("overdue_count") or 0),
                "on_time": pct(r.get("on_time_handling_rate")),
                "closure": pct(r.get("closure_rate")),
            }
        )
    return rows


def weight_rows(weights: Mapping[str, float]) -> list[tuple[str, float, float]]:
    """The composite score's components: (component, weight, share of the total in %)."""
    total = sum(float(weights.get(k, 0.0)) for k in DEFAULT_WEIGHTS) or 1.0
    return [
        (k, float(weights.get(k, 0.0)), 100 * float(weights.get(k, 0.0)) / total)
        for k in DEFAULT_WEIGHTS
    ]


# -- charts' data and the reports ------------------------------------------------------------


def major_counts(frame: pd.DataFrame) -> list[tuple[str, int]]:
    """Cases per major category (the first two digits of the category code), most first."""
    if frame.empty:
        return []
    majors = frame["category_code"].fillna("").astype(str).str[:2].replace("", "—")
    totals = frame.assign(major=majors).groupby("major")["cases"].sum()
    return sorted(((str(k), int(v)) for k, v in totals.items()), key=lambda kv: (-kv[1], kv[0]))


Links = list[tuple[str, str, list[tuple[str, str]]]]


def report_links(items: Iterable[Mapping[str, Any]]) -> Links:
    """The kept reports (``app.reports.store.list_reports`` items) by kind and period, newest
    first: (kind, period, [(format, download URL), ...]) with PDF before XLSX. A district's
    report's URL names the district (``?district=``; the bare path is the city's)."""
    grouped: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for item in items:
        kind, period, fmt = str(item["kind"]), str(item["period"]), str(item["format"])
        url = f"/api/v1/reports/{kind}/{period}.{fmt}"
        district = item.get("district")
        if isinstance(district, str) and (district.isascii() and district.isdigit()):
            url += f"?district={district}"
        grouped.setdefault((kind, period), []).append((fmt, url))
    ordered = sorted(grouped.items(), key=lambda kv: (kv[0][1], kv[0][0]), reverse=True)
    return [(kind, period, sorted(links)) for (kind, period), links in ordered]
