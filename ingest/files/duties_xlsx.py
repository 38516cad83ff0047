"""The responsibility list (权责清单) as one XLSX workbook with three sheets (categories,
departments, cells): written for export, read back for a bulk import. Reading is total: a
file that is not a workbook, or a sheet missing, becomes a problem, never an exception."""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from models.duties import SHEETS, DutyTables, Problem, sheet_rows

#: Larger uploads are refused before parsing (the demo's list is ~100 kB).
MAX_BYTES = 20 * 1024 * 1024
_WIDTHS = {"name_zh": 34, "name_en": 44, "responsible_body": 30, "grid_workers": 36}


def write_duties_xlsx(tables: DutyTables) -> bytes:
    """One workbook, a sheet per table, a header row of column names, text cells only."""
    book = Workbook()
    book.remove(book.active)
    for name, columns in SHEETS.items():
        ws = book.create_sheet(name)
        ws.append(list(columns))
        for row in tables.sheet(name):
            ws.append([row.values.get(c, "") for c in columns])
        for i, column in enumerate(columns):
            ws.column_dimensions[chr(ord("A") + i)].width = _WIDTHS.get(column, 18)
        for cells in ws.iter_rows(min_row=2):
            for cell in cells:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text as written, never a formula
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_duties_xlsx(data: bytes) -> tuple[DutyTables, list[Problem]]:
    """The three sheets' rows and the problems of the file's shape (a missing sheet or
    column, a file that is not an XLSX workbook); rows are validated by
    :func:`models.duties.validate_duties`."""
    tables = DutyTables()
    if len(data) > MAX_BYTES:
        return tables, [Problem("workbook", None, "too_large", {"max_mb": MAX_BYTES >> 20})]
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        return tables, [Problem("workbook", None, "not_xlsx")]
    problems: list[Problem] = []
    try:
        for name in SHEETS:
            if name not in book.sheetnames:
                problems.append(Problem(name, None, "missing_sheet"))
                continue
            sheet_rows(name, book[name].iter_rows(values_only=True), tables, problems)
    finally:
        book.close()
    return tables, problems


__all__ = ["MAX_BYTES", "read_duties_xlsx", "write_duties_xlsx"]
