"""Tables out as files a spreadsheet opens: CSV streamed batch by batch, XLSX written
row by row (openpyxl's write-only mode) into a temporary file.

Both take the columns and an iterator of row batches (lists of dicts), so neither holds a
whole table. Text that a spreadsheet would run as a formula goes through the one neutraliser
(:func:`models.emergency.timeline_export.spreadsheet_safe`); times are UTC.
"""

from __future__ import annotations

import csv
import io
import math
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from models.emergency.timeline_export import spreadsheet_safe

Batches = Iterable[Sequence[dict[str, Any]]]
#: Excel's row limit less the header: a larger export is cut there with a last row saying so.
XLSX_MAX_ROWS = 1_048_575
BOM = "\ufeff"


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return "" if not math.isfinite(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    return spreadsheet_safe(value)


def csv_stream(columns: Sequence[str], batches: Batches) -> Iterator[bytes]:
    """The CSV file in pieces: UTF-8 with a BOM (Excel then reads Chinese right), CRLF line
    ends, the header row first, then one piece per batch. Missing values are empty, times
    ``2026-11-24T04:00:00Z``, booleans ``true``/``false``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    yield (BOM + buffer.getvalue()).encode("utf-8")
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_csv_cell(row.get(c)) for c in columns] for row in batch)
        yield buffer.getvalue().encode("utf-8")


def _xlsx_cell(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | datetime | date):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return ILLEGAL_CHARACTERS_RE.sub("", spreadsheet_safe(value))


def xlsx_file(columns: Sequence[str], batches: Batches, *, sheet: str) -> IO[bytes]:
    """The XLSX workbook in an open temporary file (already unlinked: it is gone once
    closed), read from its start: one sheet ``sheet``, the header row, then the rows.

    Rows past Excel's limit are left out and a last row says so.
    """
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet[:31])
    ws.append(list(columns))
    written = 0
    for batch in batches:
        for row in batch:
            if written >= XLSX_MAX_ROWS - 1:
                ws.append([f"… cut at {written} rows (Excel's limit); export less, e.g. a filter"])
                break
            ws.append([_xlsx_cell(row.get(c)) for c in columns])
            written += 1
        else:
            continue
        break
    folder = tempfile.mkdtemp(prefix="cityops-xlsx-")
    try:
        path = os.path.join(folder, "export.xlsx")
        book.save(path)
        return open(path, "rb")  # handed to the response, which closes it
    finally:
        shutil.rmtree(folder, ignore_errors=True)
