"""The responsibility list (权责清单) in the database: read it as the three tables of
models.duties, and import them all or nothing in one transaction, audited."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.category_edits import record_category_changes
from models.clock import utcnow
from models.duties import (
    SHEETS,
    DutyRow,
    DutyTables,
    KnownCodes,
    Problem,
    split_workers,
    validate_duties,
)
from models.store import Store, WriteTx

_CURRENT_CELLS = (
    "SELECT c.cell_code, c.district_code, c.responsible_body, c.grid_workers FROM grid_cells c "
    "JOIN grid_versions v USING (version_id) WHERE v.valid_to IS NULL ORDER BY c.cell_code"
)


class DutiesRejected(ValueError):
    """An import refused: every problem found; nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s): " + "; ".join(map(str, problems[:5])))


@dataclass(frozen=True)
class ImportResult:
    """How many rows of each sheet changed something."""

    categories: int
    departments: int
    cells: int


def list_departments(store: Store) -> list[tuple[str, str]]:
    """Every department as ``(code, Chinese name)``, city bureaus first, by code."""
    rows = store.query_rows(
        "SELECT dept_code, name_zh FROM departments ORDER BY level <> 'city', dept_code"
    )
    return [(str(c), str(n)) for c, n in rows]


def _rows(name: str, records: list[tuple]) -> list[DutyRow]:
    columns = SHEETS[name]
    return [
        DutyRow(i, {c: "" if v is None else str(v) for c, v in zip(columns, r, strict=True)})
        for i, r in enumerate(records, start=2)
    ]


def load_duties(store: Store) -> DutyTables:
    """The responsibility list as it stands (cells of the current grid version)."""
    categories = store.query_rows(
        "SELECT category_code, name_zh, owner_dept FROM categories ORDER BY category_code"
    )
    departments = store.query_rows(
        "SELECT dept_code, name_zh, name_en, level, district_code FROM departments "
        "ORDER BY split_part(dept_code, '-', 1), level <> 'city', dept_code"
    )
    cells = [
        (code, district, body, "、".join(workers or ()))
        for code, district, body, workers in store.query_rows(_CURRENT_CELLS)
    ]
    return DutyTables(
        categories=_rows("categories", categories),
        departments=_rows("departments", departments),
        cells=_rows("cells", cells),
    )


def _known(fetch: Any) -> KnownCodes:
    def codes(sql: str) -> frozenset[str]:
        return frozenset(str(r[0]) for r in fetch(sql) if r[0] is not None)

    workers = codes("SELECT username FROM users WHERE role = 'grid_worker'")
    # the codes already on the register count as known (the demo's GW… crews are not users)
    listed = codes(
        "SELECT DISTINCT unnest(c.grid_workers) FROM grid_cells c "
        "JOIN grid_versions v USING (version_id) WHERE v.valid_to IS NULL"
    )
    return KnownCodes(
        categories=codes("SELECT category_code FROM categories"),
        departments=codes("SELECT dept_code FROM departments"),
        districts=codes("SELECT code FROM admin_areas WHERE level = 'district'"),
        cells=codes(
            "SELECT c.cell_code FROM grid_cells c JOIN grid_versions v USING (version_id) "
            "WHERE v.valid_to IS NULL"
        ),
        grid_workers=workers | listed,
    )


def known_codes(store: Store) -> KnownCodes:
    """What an import's rows may name, as the database stands."""
    return _known(store.query_rows)


def _write(tx: WriteTx, tables: DutyTables, *, actor: str, at: datetime) -> ImportResult:
    n_depts = 0
    current = {r[0]: r[1:] for r in tx.fetch(
        "SELECT dept_code, name_zh, name_en, level, district_code FROM departments")}  # fmt: skip
    for row in tables.departments:
        v = row.values
        new = (v["name_zh"], v.get("name_en") or None, v["level"], v.get("district_code") or None)
        if current.get(v["dept_code"]) == new:
            continue
        n_depts += 1
        tx.execute(
            "INSERT INTO departments (dept_code, name_zh, name_en, level, district_code) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (dept_code) DO UPDATE SET "
            "name_zh = excluded.name_zh, name_en = excluded.name_en, level = excluded.level, "
            "district_code = excluded.district_code",
            [v["dept_code"], *new],
        )
    owners = dict(tx.fetch("SELECT category_code, owner_dept FROM categories"))
    n_cats = 0
    for row in tables.categories:
        code, owner = row.values["category_code"], row.values["owner_dept"]
        if owners.get(code) == owner:
            continue
        n_cats += 1
        tx.execute("UPDATE categories SET owner_dept = ? WHERE category_code = ?", [owner, code])
        diff = {"owner_dept": (owners.get(code), owner)}
        record_category_changes(tx, code, diff, actor=actor, at=at)
    current_version = tx.fetch("SELECT max(version_id) FROM grid_versions WHERE valid_to IS NULL")
    version = current_version[0][0] if current_version else None
    cells = {r[0]: (r[2], tuple(r[3] or ())) for r in tx.fetch(_CURRENT_CELLS)}
    n_cells = 0
    for row in tables.cells:
        code = row.values["cell_code"]
        body = row.values.get("responsible_body") or None
        workers = split_workers(row.values.get("grid_workers", ""))
        if cells.get(code) == (body, workers):
            continue
        n_cells += 1
        tx.execute(
            "UPDATE grid_cells SET responsible_body = ?, grid_workers = ? "
            "WHERE version_id = ? AND cell_code = ?",
            [body, list(workers), version, code],
        )
    return ImportResult(n_cats, n_depts, n_cells)


def import_duties(
    store: Store, tables: DutyTables, *, actor: str, at: datetime | None = None
) -> ImportResult:
    """Write the responsibility list: all rows or none, in one transaction, audited in it.

    Departments are added or updated (none removed), category owners and the current grid
    version's cells updated. Routing reads these tables for every new case, so the change is
    effective at once.

    Raises
    ------
    DutiesRejected
        With every problem found (validated again inside the transaction); nothing written,
        the refusal audited.
    """
    when = at or utcnow()

    def write(tx: WriteTx) -> ImportResult:
        problems = validate_duties(tables, _known(tx.fetch))
        if problems:
            raise DutiesRejected(problems)
        result = _write(tx, tables, actor=actor, at=when)
        detail = json.dumps(result.__dict__)
        tx.execute(
            "INSERT INTO audit_log (occurred_at, actor, action, target, outcome, detail) "
            "VALUES (?, ?, 'duties.import', 'duties', 'ok', ?)",
            [when, actor, detail],
        )
        return result

    try:
        return store.write(write)
    except DutiesRejected as exc:
        detail = "; ".join(map(str, exc.problems[:50]))
        store.audit("duties.import", actor=actor, target="duties", outcome="rejected",
                    detail=detail, at=when)  # fmt: skip
        raise


__all__ = [
    "DutiesRejected",
    "ImportResult",
    "import_duties",
    "known_codes",
    "list_departments",
    "load_duties",
]
