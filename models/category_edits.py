"""An administrator's changes to the category table (部件/事件): edits and additions, validated
like the shipped table, audited, and kept as history (one ``category_changes`` row per field).

A change applies to new cases only: a case keeps the limit it was dispatched with
(``cases.sla_limit_s``). Screens that cache category data key their cache on
:func:`reference_version`, so a change is seen at once in every process.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.categories import (
    CATEGORY_COLUMNS,
    EDITABLE_FIELDS,
    CategoryTableError,
    _parse_bool,
    _parse_number,
    category_row_problems,
)
from models.clock import utcnow
from models.store import Store, WriteTx

_SELECT = f"SELECT {', '.join(CATEGORY_COLUMNS)} FROM categories WHERE category_code = ?"


@dataclass(frozen=True)
class CategoryChange:
    """One changed field of one category: who, when, from what to what."""

    change_id: int
    category_code: str
    changed_at: datetime
    actor: str
    field: str
    old_value: str | None
    new_value: str | None


def _normalise(changes: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "limit_value":
            number = _parse_number(value)
            out[field] = value if number is None else number
        elif field in ("grid_level", "enabled"):
            flag = _parse_bool(value)
            out[field] = value if flag is None else flag
        else:
            out[field] = value if value is None else str(value).strip()
    return out


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def record_category_changes(
    tx: WriteTx, code: str, diff: Mapping[str, tuple[Any, Any]], *, actor: str, at: datetime
) -> None:
    """Write one ``category_changes`` row per changed field (inside the change's own
    transaction)."""
    for field, (old, new) in diff.items():
        tx.execute(
            "INSERT INTO category_changes (category_code, changed_at, actor, field, old_value, "
            "new_value) VALUES (?, ?, ?, ?, ?, ?)",
            [code, at, actor, field, _as_text(old), _as_text(new)],
        )


def update_category(
    store: Store, code: str, *, actor: str, at: datetime | None = None, **changes: Any
) -> dict[str, Any]:
    """Apply an administrator's edit to one category, validated, recorded and audited.

    Parameters
    ----------
    store
        The database.
    code
        The category to edit.
    actor
        Who edits (for the audit log and the history).
    at
        When (naive UTC); default now.
    **changes
        New values for fields in ``EDITABLE_FIELDS``.

    Returns
    -------
    dict
        The row after the edit.

    Raises
    ------
    CategoryTableError
        Unknown code or field, or a value that breaks the rules; nothing is written and the
        refusal is audited.
    """
    where = f"category {code}"
    unknown = sorted(set(changes) - EDITABLE_FIELDS)
    values = _normalise(changes)
    when = at or utcnow()

    def write(tx: WriteTx) -> dict[str, Any]:
        rows = tx.fetch(_SELECT, [code])
        if not rows:
            raise CategoryTableError(where, [f"unknown category_code {code!r}"])
        problems = [f"{where}: field {f!r} cannot be edited" for f in unknown]
        if not changes:
            problems.append(f"{where}: nothing to change")
        if problems:
            raise CategoryTableError(where, problems)
        before = dict(zip(CATEGORY_COLUMNS, rows[0], strict=True))
        after = {**before, **values}
        depts = {r[0] for r in tx.fetch("SELECT dept_code FROM departments")}
        problems = category_row_problems(after, depts, where)
        if problems:
            raise CategoryTableError(where, problems)
        fields = sorted(values)
        tx.execute(
            f"UPDATE categories SET {', '.join(f'{f} = ?' for f in fields)} "
            "WHERE category_code = ?",
            [after[f] for f in fields] + [code],
        )
        diff = {f: (before[f], after[f]) for f in fields if before[f] != after[f]}
        record_category_changes(tx, code, diff, actor=actor, at=when)
        return {"after": after, "diff": diff}

    try:
        result = store.write(write)
    except CategoryTableError as exc:
        store.audit(
            "category.update",
            actor=actor,
            target=code,
            outcome="rejected",
            detail="; ".join(exc.problems),
        )
        raise
    diff = {f: list(pair) for f, pair in result["diff"].items()}
    store.audit(
        "category.update",
        actor=actor,
        target=code,
        detail=json.dumps(diff, ensure_ascii=False, default=str),
    )
    return dict(result["after"])


def add_category(
    store: Store, row: Mapping[str, Any], *, actor: str, at: datetime | None = None
) -> dict[str, Any]:
    """Add one category, validated like the shipped table (4-digit code = major + minor,
    unique, owner department known), recorded and audited.

    Parameters
    ----------
    row
        Values for every column of ``CATEGORY_COLUMNS`` (text is fine: parsed here).

    Returns
    -------
    dict
        The row as stored.

    Raises
    ------
    CategoryTableError
        Listing every problem; nothing is written and the refusal is audited.
    """
    values = {c: row.get(c) for c in CATEGORY_COLUMNS}
    values.update(_normalise({c: v for c, v in values.items() if c != "category_code"}))
    code = str(values.get("category_code") or "").strip()
    values["category_code"] = code
    where = f"category {code or '?'}"
    when = at or utcnow()

    def write(tx: WriteTx) -> dict[str, Any]:
        problems = [f"{where}: unknown column {c!r}" for c in sorted(set(row) - set(values))]
        if tx.fetch(_SELECT, [code]):
            problems.append(f"{where}: category_code {code!r} exists already")
        depts = {r[0] for r in tx.fetch("SELECT dept_code FROM departments")}
        problems += category_row_problems(values, depts, where)
        if problems:
            raise CategoryTableError(where, problems)
        tx.execute(
            f"INSERT INTO categories ({', '.join(CATEGORY_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in CATEGORY_COLUMNS)})",
            [values[c] for c in CATEGORY_COLUMNS],
        )
        diff = {c: (None, values[c]) for c in CATEGORY_COLUMNS if c != "category_code"}
        record_category_changes(tx, code, diff, actor=actor, at=when)
        return values

    try:
        added = store.write(write)
    except CategoryTableError as exc:
        store.audit(
            "category.add",
            actor=actor,
            target=code or None,
            outcome="rejected",
            detail="; ".join(exc.problems),
        )
        raise
    store.audit(
        "category.add",
        actor=actor,
        target=code,
        detail=json.dumps(added, ensure_ascii=False, default=str),
    )
    return added


def category_history(store: Store, code: str, *, limit: int = 200) -> list[CategoryChange]:
    """The changes of one category, newest first."""
    rows = store.query_rows(
        "SELECT change_id, category_code, changed_at, actor, field, old_value, new_value "
        "FROM category_changes WHERE category_code = ? ORDER BY change_id DESC LIMIT ?",
        [code, limit],
    )
    return [CategoryChange(*r) for r in rows]


def list_category_rows(store: Store) -> list[dict[str, Any]]:
    """The whole category table with its owner's Chinese name, by code."""
    frame = store.query_df(
        f"SELECT {', '.join('k.' + c for c in CATEGORY_COLUMNS)}, d.name_zh AS owner_name "
        "FROM categories k LEFT JOIN departments d ON d.dept_code = k.owner_dept "
        "ORDER BY k.category_code"
    )
    return [
        {k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
        for r in frame.to_dict("records")
    ]


def reference_version(store: Store) -> tuple[int, int]:
    """Grows with every accepted change of the categories or the duties (权责清单): a cache of
    them keyed on it is rebuilt at once after a change, in every process. Both parts are
    written in the change's own transaction."""
    row = store.query_rows(
        "SELECT (SELECT coalesce(max(change_id), 0) FROM category_changes), "
        "(SELECT coalesce(max(seq), 0) FROM audit_log WHERE action = 'duties.import' "
        "AND outcome = 'ok')"
    )[0]
    return int(row[0]), int(row[1])


__all__ = [
    "CategoryChange",
    "add_category",
    "category_history",
    "list_category_rows",
    "record_category_changes",
    "reference_version",
    "update_category",
]
