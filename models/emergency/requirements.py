"""What a plan step requires of a unit (``team:flood_control``, ``depot:sandbags``…) and
whether a unit meets it: its kind, its subtype, or for a depot an item in stock."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from models.emergency.nearest_text import Reason
from models.vocabulary import RESOURCE_KINDS

#: A requirement: alternatives of (kind or None, subtype/stock item or None).
Requirement = tuple[tuple[str | None, str | None], ...]


def parse_requirement(text: str | None) -> Requirement | None:
    """``team:flood_control``, ``vehicle``, ``flood_control`` (any kind of that subtype),
    ``depot:sandbags`` (a depot of that subtype or with that item in stock); alternatives
    separated by ``|`` or ``,``. None or blank: no requirement."""
    if text is None:
        return None
    alternatives = []
    for part in re.split(r"[|,]", str(text)):
        head, colon, tail = part.strip().lower().partition(":")
        head, tail = head.strip(), tail.strip()
        if not head and not tail:
            continue
        if not colon and head not in RESOURCE_KINDS:
            alternatives.append((None, head))
        else:
            alternatives.append((head or None, tail or None))
    return tuple(alternatives) or None


def parse_stock(value: Any) -> dict[str, float]:
    """A depot's stock JSON as item → quantity ({} when absent or not an object)."""
    try:
        data = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): q for k, v in data.items() if (q := number(v)) is not None}


def number(value: Any) -> float | None:
    """A finite float, or None (None, NaN, NA, text)."""
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        return None
    return as_float if math.isfinite(as_float) else None


def match_requirement(
    req: Requirement, kind: str, subtype: str | None, stock: dict[str, float]
) -> Reason:
    """``matches`` (with the stocked item), ``no_stock`` or ``wrong_type``."""
    empty_item = None
    for want_kind, tag in req:
        if want_kind is not None and want_kind != kind:
            continue
        if tag is None or tag == subtype:
            return Reason("matches", {"alternatives": req})
        if kind == "depot" and tag in stock:
            if stock[tag] > 0:
                return Reason("matches", {"alternatives": req, "item": tag, "quantity": stock[tag]})
            empty_item = tag
    if empty_item is not None:
        return Reason("no_stock", {"item": empty_item})
    return Reason("wrong_type", {"alternatives": req})
