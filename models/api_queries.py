"""Read queries behind the case API: the category list and a case by its external id."""

from __future__ import annotations

from typing import Any

from models.store import Store

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
