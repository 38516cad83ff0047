"""Read queries behind the case and category commands: lists, one case, routing reasons."""

from __future__ import annotations

import json
from typing import Any

from models.security import Scope
from models.store import Store

#: Columns of :func:`list_cases` rows, in order.
CASE_LIST_COLUMNS = (
    "case_id",
    "stage",
    "category_code",
    "reported_at",
    "due_at",
    "assigned_unit",
    "cell_code",
)
#: Columns of :func:`list_categories` rows, in order.
CATEGORY_LIST_COLUMNS = (
    "category_code",
    "kind",
    "name_zh",
    "owner_dept",
    "limit_value",
    "limit_unit",
    "enabled",
)


def list_cases(
    store: Store, *, scope: Scope, stage: str | None = None, limit: int = 20
) -> list[tuple]:
    """Cases inside ``scope`` (optionally in one ``stage``), newest report first.

    Returns
    -------
    list of tuple
        One row per case with the :data:`CASE_LIST_COLUMNS`.
    """
    where, params = scope.case_filter("cell_code", "assigned_unit")
    if stage:
        where += " AND stage = ?"
        params.append(stage)
    return store.query_rows(
        f"SELECT {', '.join(CASE_LIST_COLUMNS)} FROM cases WHERE {where} "
        "ORDER BY reported_at DESC LIMIT ?",
        [*params, limit],
    )


def case_record(store: Store, case_id: str) -> dict[str, Any] | None:
    """Every column of one case as a dict, or None when the id is unknown."""
    frame = store.query_df("SELECT * FROM cases WHERE case_id = ?", [case_id])
    return None if frame.empty else frame.iloc[0].to_dict()


def route_reasons(store: Store, case_id: str) -> list[str]:
    """The reasons of every routing suggestion a case received, oldest first."""
    rows = store.query_rows(
        "SELECT detail FROM case_events WHERE case_id = ? AND kind = 'route_suggested' "
        "ORDER BY seq",
        [case_id],
    )
    return [reason for (detail,) in rows for reason in json.loads(detail)["reasons"]]


def has_cases(store: Store) -> bool:
    """Whether the cases table holds any case."""
    return bool(store.query_value("SELECT count(*) FROM cases"))


def list_categories(store: Store) -> list[tuple]:
    """The whole category table by code, rows with the :data:`CATEGORY_LIST_COLUMNS`."""
    return store.query_rows(
        f"SELECT {', '.join(CATEGORY_LIST_COLUMNS)} FROM categories ORDER BY category_code"
    )
