"""Read queries behind the case API: the category list, a case by its external id (and
whether a report repeats it), and which cases of a list a caller may see."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from models.case_moves import case_rows
from models.case_service import Actor, in_scope
from models.coordinates import METRES_PER_DEGREE
from models.store import Store

#: How far apart two positions of "the same report" may be, in metres (a phone's rounding).
SAME_PLACE_M = 1.5


#: Keys of each :func:`enabled_categories` row.
CATEGORY_FIELDS = ("code", "kind", "name_zh", "name_en", "limit_value", "limit_unit", "owner")


def enabled_categories(store: Store) -> list[dict[str, Any]]:
    """The enabled categories by code: names, kind, time limit and owning department."""
    rows = store.query_rows(
        "SELECT category_code, kind, name_zh, name_en, limit_value, limit_unit, owner_dept "
        "FROM categories WHERE enabled ORDER BY category_code"
    )
    return [dict(zip(CATEGORY_FIELDS, row, strict=True)) for row in rows]


def case_of_external_id(store: Store, external_id: str) -> str | None:
    """The id of the case that carries ``external_id``, or None."""
    found = store.query_value("SELECT case_id FROM cases WHERE external_id = ?", [external_id])
    return None if found is None else str(found)


def external_id_report(store: Store, external_id: str) -> dict[str, Any] | None:
    """The case made from ``external_id``: ``case_id``, ``stage``, ``reported_by``,
    ``category_code``, ``description``, ``lon``, ``lat``; or None."""
    rows = store.query_rows(
        "SELECT case_id, stage, reported_by, category_code, description, lon, lat "
        "FROM cases WHERE external_id = ?",
        [external_id],
    )
    if not rows:
        return None
    row = rows[0]
    keys = ("case_id", "stage", "reported_by", "category_code", "description", "lon", "lat")
    return dict(zip(keys, row, strict=True))


def same_report(
    existing: dict[str, Any], *, username: str, category_code: str, text: str, lon: float,
    lat: float,
) -> bool:  # fmt: skip
    """Whether a new report is ``existing`` sent again: the same user, category and text,
    and a position within :data:`SAME_PLACE_M` (pure)."""
    if existing.get("reported_by") != username or existing.get("category_code") != category_code:
        return False
    if (existing.get("description") or "") != text:
        return False
    old_lon, old_lat = existing.get("lon"), existing.get("lat")
    if old_lon is None or old_lat is None:
        return False
    dy = (float(old_lat) - lat) * METRES_PER_DEGREE
    dx = (float(old_lon) - lon) * METRES_PER_DEGREE * math.cos(math.radians(lat))
    return math.hypot(dx, dy) <= SAME_PLACE_M


def visible_ids(store: Store, actor: Actor, case_ids: Sequence[str]) -> list[str]:
    """The ids of ``case_ids`` the actor may see (their scope or their own reports), in order."""
    rows = case_rows(store, list(case_ids))
    return [c for c in case_ids if c in rows and in_scope(actor, rows[c])]
