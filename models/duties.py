"""The responsibility list (权责清单) as three tables — category → owner department, department
→ its district counterparts, cell → responsible body and grid workers — and their validation
for a bulk import: pure, every bad row reported with its sheet and row number."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from models.categories import DEPARTMENT_LEVELS

#: Sheet name → its columns, in order (the workbook's header row).
SHEETS: dict[str, tuple[str, ...]] = {
    "categories": ("category_code", "name_zh", "owner_dept"),
    "departments": ("dept_code", "name_zh", "name_en", "level", "district_code"),
    "cells": ("cell_code", "district_code", "responsible_body", "grid_workers"),
}
#: The column that identifies a row of each sheet (a second row with it is a duplicate).
KEYS = {"categories": "category_code", "departments": "dept_code", "cells": "cell_code"}
#: Columns an import reads; the others (names of categories, a cell's district) are shown
#: for the reader and ignored.
REQUIRED = {
    "categories": ("category_code", "owner_dept"),
    "departments": ("dept_code", "name_zh", "level"),
    "cells": ("cell_code",),
}
_WORKER_SPLIT = re.compile(r"[,，;；、\s]+")


@dataclass(frozen=True)
class Problem:
    """One bad row (or sheet): where, a stable code for the message, and its values."""

    sheet: str
    row: int | None
    code: str
    values: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        where = f"{self.sheet} row {self.row}" if self.row else self.sheet
        detail = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"{where}: {self.code}" + (f" ({detail})" if detail else "")


@dataclass(frozen=True)
class DutyRow:
    """One data row of a sheet: its row number in the workbook and its cells as text."""

    row: int
    values: dict[str, str]


@dataclass
class DutyTables:
    """The three sheets' rows (text values, keyed by column)."""

    categories: list[DutyRow] = field(default_factory=list)
    departments: list[DutyRow] = field(default_factory=list)
    cells: list[DutyRow] = field(default_factory=list)

    def sheet(self, name: str) -> list[DutyRow]:
        return getattr(self, name)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class KnownCodes:
    """What the rows may name: codes in the database now."""

    categories: frozenset[str]
    departments: frozenset[str]
    districts: frozenset[str]
    cells: frozenset[str]
    grid_workers: frozenset[str]


def cell_text(value: Any) -> str:
    """A spreadsheet cell as trimmed text (None → ""; 3.0 → "3")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def split_workers(text: str) -> tuple[str, ...]:
    """Grid workers written in one cell, separated by commas, 、, semicolons or spaces."""
    return tuple(w for w in _WORKER_SPLIT.split(text or "") if w)


def sheet_rows(
    name: str, rows: Iterable[Sequence[Any]], tables: DutyTables, problems: list[Problem]
) -> None:
    """Read one sheet's rows (the first is the header) into ``tables``; a missing column or
    an unknown one is a problem of the sheet. Blank rows are skipped."""
    it = iter(rows)
    header = [cell_text(v) for v in next(it, ())]
    while header and not header[-1]:
        header.pop()
    columns = SHEETS[name]
    missing = [c for c in columns if c not in header]
    unknown = [c for c in header if c not in columns]
    for c in missing:
        problems.append(Problem(name, 1, "missing_column", {"column": c}))
    for c in unknown:
        problems.append(Problem(name, 1, "unknown_column", {"column": c}))
    if missing or unknown:
        return
    out = tables.sheet(name)
    for number, raw in enumerate(it, start=2):
        values = {h: cell_text(raw[i]) if i < len(raw) else "" for i, h in enumerate(header)}
        if any(values.values()):
            out.append(DutyRow(number, values))


def _required(name: str, row: DutyRow, problems: list[Problem]) -> bool:
    empty = [c for c in REQUIRED[name] if not row.values.get(c)]
    for c in empty:
        problems.append(Problem(name, row.row, "empty_value", {"column": c}))
    return not empty


def _unique(name: str, rows: list[DutyRow], problems: list[Problem]) -> list[DutyRow]:
    """Rows whose key is filled and not seen before; a repeated key is a problem."""
    first: dict[str, int] = {}
    out = []
    for row in rows:
        if not _required(name, row, problems):
            continue
        key = row.values[KEYS[name]]
        if key in first:
            problems.append(Problem(name, row.row, "duplicate", {"key": key, "first": first[key]}))
            continue
        first[key] = row.row
        out.append(row)
    return out


def _department_problems(
    rows: list[DutyRow], known: KnownCodes, departments: set[str], problems: list[Problem]
) -> None:
    for row in rows:
        v, where = row.values, ("departments", row.row)
        level, district = v.get("level", ""), v.get("district_code", "")
        if level not in DEPARTMENT_LEVELS:
            problems.append(Problem(*where, "bad_level", {"level": level}))
            continue
        if level != "district":
            continue
        if district not in known.districts:
            problems.append(Problem(*where, "unknown_district", {"district": district}))
            continue
        owner, _, suffix = v["dept_code"].rpartition("-")
        if owner and suffix != district:
            problems.append(
                Problem(*where, "bad_counterpart", {"code": v["dept_code"], "district": district})
            )
        elif owner and owner not in departments:
            problems.append(Problem(*where, "unknown_department", {"department": owner}))


def validate_duties(tables: DutyTables, known: KnownCodes) -> list[Problem]:
    """Every problem of an import: empty keys, duplicate rows, unknown categories, departments,
    districts, cells and grid workers, counterparts not coded ``<owner>-<district>``.

    Parameters
    ----------
    tables
        The rows read from a workbook.
    known
        Codes in the database; departments may also come from the ``departments`` sheet.

    Returns
    -------
    list of Problem
        Empty when the import may go ahead.
    """
    problems: list[Problem] = []
    departments = _unique("departments", tables.departments, problems)
    all_departments = set(known.departments) | {r.values["dept_code"] for r in departments}
    _department_problems(departments, known, all_departments, problems)
    for row in _unique("categories", tables.categories, problems):
        code, owner = row.values["category_code"], row.values["owner_dept"]
        if code not in known.categories:
            problems.append(Problem("categories", row.row, "unknown_category", {"code": code}))
        if owner not in all_departments:
            problems.append(
                Problem("categories", row.row, "unknown_department", {"department": owner})
            )
    for row in _unique("cells", tables.cells, problems):
        code = row.values["cell_code"]
        if code not in known.cells:
            problems.append(Problem("cells", row.row, "unknown_cell", {"code": code}))
        for worker in split_workers(row.values.get("grid_workers", "")):
            if worker not in known.grid_workers:
                problem = Problem("cells", row.row, "unknown_grid_worker", {"worker": worker})
                problems.append(problem)
    return sorted(problems, key=lambda p: (list(SHEETS).index(p.sheet), p.row or 0))


__all__ = [
    "KEYS",
    "SHEETS",
    "DutyRow",
    "DutyTables",
    "KnownCodes",
    "Problem",
    "cell_text",
    "sheet_rows",
    "split_workers",
    "validate_duties",
]
