"""The 部件/事件 category and department tables: shipped CSVs, validation, seeding, admin edits."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from models.store import Store, WriteTx

KINDS = ("component", "event")
LIMIT_UNITS = ("working_hours", "working_days")
#: The largest time limit a category may have, per unit: a year of working days, or as many
#: working hours (365 x 8). Real limits run from 5 hours to 15 days; a larger one is a typo,
#: and an absurd one would cost the case engine a long loop (tester, issue 14).
MAX_LIMIT = {"working_days": 365, "working_hours": 365 * 8}
# ASCII digits only: str.isdigit() takes fullwidth and other scripts' digits too
_DIGITS4 = re.compile(r"[0-9]{4}")
_DIGITS6 = re.compile(r"[0-9]{6}")
DEPARTMENT_LEVELS = ("city", "district", "street")

CATEGORY_COLUMNS = (
    "category_code",
    "kind",
    "major_code",
    "minor_code",
    "name_zh",
    "name_en",
    "owner_dept",
    "register_condition",
    "close_condition",
    "limit_value",
    "limit_unit",
    "grid_level",
    "enabled",
)
DEPARTMENT_COLUMNS = ("dept_code", "name_zh", "name_en", "level", "district_code")

#: Fields an administrator may change; the code and its major/minor parts are the identity.
EDITABLE_FIELDS = frozenset(
    {
        "kind",
        "name_zh",
        "name_en",
        "owner_dept",
        "register_condition",
        "close_condition",
        "limit_value",
        "limit_unit",
        "grid_level",
        "enabled",
    }
)

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


class CategoryTableError(ValueError):
    """A category or department table (or an edit) breaks the rules; lists every problem."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s):\n{lines}")


def _data_file(name: str) -> Path:
    return Path(str(resources.files("models").joinpath("data", name)))


def _read_csv(path: Path | str, columns: tuple[str, ...]) -> pd.DataFrame:
    """Read every cell as text (codes keep their leading zeros); check the header."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in columns if c not in frame.columns]
    extra = [c for c in frame.columns if c not in columns]
    if missing or extra:
        problems = [f"missing column {c!r}" for c in missing]
        problems += [f"unexpected column {c!r}" for c in extra]
        raise CategoryTableError(str(path), problems)
    return frame.loc[:, list(columns)].apply(lambda s: s.str.strip())


def _parse_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def _parse_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def department_problems(frame: pd.DataFrame) -> list[str]:
    """Every problem in a department table (empty list: valid).

    Parameters
    ----------
    frame
        Rows with the ``departments`` table's columns, as text.
    """
    problems: list[str] = []
    seen: set[str] = set()
    for i, row in enumerate(frame.to_dict("records"), start=2):
        code = _text(row.get("dept_code"))
        where = f"row {i} ({code or 'no code'})"
        if not code:
            problems.append(f"{where}: empty dept_code")
        elif code in seen:
            problems.append(f"{where}: duplicate dept_code {code!r}")
        seen.add(code)
        if not _text(row.get("name_zh")):
            problems.append(f"{where}: empty name_zh")
        level = _text(row.get("level"))
        if level not in DEPARTMENT_LEVELS:
            problems.append(
                f"{where}: level {level!r} is not one of {', '.join(DEPARTMENT_LEVELS)}"
            )
        district = _text(row.get("district_code"))
        if level == "district" and not _DIGITS6.fullmatch(district):
            problems.append(f"{where}: a district department needs a 6-digit district_code")
    return problems


def category_row_problems(row: Mapping[str, Any], dept_codes: set[str], where: str) -> list[str]:
    """Every problem in one category row, each prefixed with ``where``."""
    problems: list[str] = []
    code = _text(row.get("category_code"))
    major, minor = _text(row.get("major_code")), _text(row.get("minor_code"))
    if not _DIGITS4.fullmatch(code):
        problems.append(f"{where}: category_code {code!r} is not 4 digits")
    if major + minor != code:
        problems.append(f"{where}: major_code {major!r} + minor_code {minor!r} != {code!r}")
    kind = _text(row.get("kind"))
    if kind not in KINDS:
        problems.append(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    for field in ("name_zh", "name_en", "register_condition", "close_condition"):
        if not _text(row.get(field)):
            problems.append(f"{where}: empty {field}")
    owner = _text(row.get("owner_dept"))
    if owner not in dept_codes:
        problems.append(f"{where}: owner_dept {owner!r} is not a known department")
    value = _parse_number(row.get("limit_value"))
    if value is None or value <= 0:
        problems.append(f"{where}: limit_value {row.get('limit_value')!r} is not a number > 0")
    unit = _text(row.get("limit_unit"))
    if unit not in LIMIT_UNITS:
        problems.append(f"{where}: limit_unit {unit!r} is not one of {', '.join(LIMIT_UNITS)}")
    elif value is not None and value > MAX_LIMIT[unit]:
        problems.append(
            f"{where}: limit_value {value:.6g} is too large: at most {MAX_LIMIT[unit]} {unit}"
        )
    for field in ("grid_level", "enabled"):
        if _parse_bool(row.get(field)) is None:
            problems.append(f"{where}: {field} {row.get(field)!r} is not true/false")
    return problems


def category_problems(frame: pd.DataFrame, dept_codes: set[str]) -> list[str]:
    """Every problem in a category table (empty list: valid).

    Parameters
    ----------
    frame
        Rows with the ``categories`` table's columns.
    dept_codes
        The department codes an ``owner_dept`` may name.
    """
    problems: list[str] = []
    seen: set[str] = set()
    for i, row in enumerate(frame.to_dict("records"), start=2):
        code = _text(row.get("category_code"))
        where = f"row {i} ({code or 'no code'})"
        if code and code in seen:
            problems.append(f"{where}: duplicate category_code {code!r}")
        seen.add(code)
        problems += category_row_problems(row, dept_codes, where)
    return problems


def load_department_table(path: Path | str | None = None) -> pd.DataFrame:
    """The department table, validated.

    Parameters
    ----------
    path
        A CSV with the ``departments`` columns; default: the shipped ``departments.csv``.

    Raises
    ------
    CategoryTableError
        Listing every problem found.
    """
    source = Path(path) if path is not None else _data_file("departments.csv")
    frame = _read_csv(source, DEPARTMENT_COLUMNS)
    problems = department_problems(frame)
    if problems:
        raise CategoryTableError(str(source), problems)
    frame["name_en"] = frame["name_en"].replace("", None)
    frame["district_code"] = frame["district_code"].replace("", None)
    return frame.reset_index(drop=True)


def load_category_table(
    path: Path | str | None = None, *, departments: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The category table, validated and typed (limit as float, flags as bool).

    Parameters
    ----------
    path
        A CSV with the ``categories`` columns; default: the shipped ``categories.csv``.
    departments
        The departments owners must come from; default: the shipped department table.

    Raises
    ------
    CategoryTableError
        Listing every problem found.
    """
    source = Path(path) if path is not None else _data_file("categories.csv")
    frame = _read_csv(source, CATEGORY_COLUMNS)
    depts = load_department_table() if departments is None else departments
    problems = category_problems(frame, set(depts["dept_code"]))
    if problems:
        raise CategoryTableError(str(source), problems)
    frame["limit_value"] = frame["limit_value"].astype(float)
    for field in ("grid_level", "enabled"):
        frame[field] = frame[field].map(_parse_bool).astype(bool)
    return frame.reset_index(drop=True)


def category_limit(row: Mapping[str, Any]) -> tuple[float, str]:
    """The handling time limit (处置时限) of a category row as ``(value, unit)``.

    Raises
    ------
    ValueError
        When the row has no positive limit or an unknown unit.
    """
    value = _parse_number(row["limit_value"])
    unit = _text(row["limit_unit"])
    if value is None or value <= 0 or unit not in LIMIT_UNITS:
        raise ValueError(
            f"category {row.get('category_code')!r}: bad limit {row['limit_value']!r} {unit!r}"
        )
    return value, unit


def seed_categories(
    store: Store,
    *,
    categories: pd.DataFrame | None = None,
    departments: pd.DataFrame | None = None,
) -> int:
    """Write departments, then categories, in one transaction; codes already present stay.

    ``categories`` and ``departments`` default to the shipped tables; frames passed in are
    taken as validated (from the loaders).

    Rows whose code exists are skipped, so an administrator's edits are never overwritten
    and seeding twice is harmless.

    Returns
    -------
    int
        The number of category rows inserted.
    """
    depts = load_department_table() if departments is None else departments
    cats = load_category_table(departments=depts) if categories is None else categories
    depts = depts.loc[:, list(DEPARTMENT_COLUMNS)]
    cats = cats.loc[:, list(CATEGORY_COLUMNS)]

    def write(tx: WriteTx) -> int:
        tx.append("departments", depts, ignore_duplicates=True)
        return tx.append("categories", cats, ignore_duplicates=True)

    return store.write(write)


_SELECT = f"SELECT {', '.join(CATEGORY_COLUMNS)} FROM categories WHERE category_code = ?"


def get_category(store: Store, code: str) -> dict[str, Any] | None:
    """One category row as a dict, or None when the code is unknown."""
    rows = store.query_rows(_SELECT, [code])
    return dict(zip(CATEGORY_COLUMNS, rows[0], strict=True)) if rows else None


__all__ = [
    "CATEGORY_COLUMNS",
    "DEPARTMENT_COLUMNS",
    "EDITABLE_FIELDS",
    "KINDS",
    "LIMIT_UNITS",
    "CategoryTableError",
    "category_limit",
    "category_problems",
    "department_problems",
    "get_category",
    "load_category_table",
    "load_department_table",
    "seed_categories",
]
