"""Reading CSV (UTF-8 or GB18030/GBK) and XLSX into string tables that remember each row's line.

CSV: the physical line number in the file (header = line 1), exact even with quoted line
breaks; a fast pyarrow path covers plain files, Python's csv module the rest. XLSX: the sheet
row number. This module is the one home of openpyxl.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ingest.files.report import BadRow, FileFailure


@dataclass
class Sheet:
    """A table of nullable, whitespace-trimmed strings and the line (or row) of each record."""

    table: pa.Table
    lines: np.ndarray
    encoding: str
    line_unit: str = "line"
    bad: list[BadRow] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return list(self.table.column_names)


def normalize_header(name: object) -> str:
    """Header text as a lookup key: trimmed, lower-case, spaces and dashes as underscores."""
    text = str(name or "").replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def rename_columns(sheet: Sheet, aliases: dict[str, str]) -> Sheet | FileFailure:
    """Rename known header aliases (English or Chinese) to canonical names; refuse duplicates."""
    names = [aliases.get(c, c) for c in sheet.columns]
    seen: dict[str, str] = {}
    for raw, name in zip(sheet.columns, names):
        if name in seen:
            return FileFailure(f"columns {seen[name]!r} and {raw!r} both mean {name!r}")
        seen[name] = raw
    return Sheet(
        sheet.table.rename_columns(names), sheet.lines, sheet.encoding, sheet.line_unit, sheet.bad
    )


def decode_csv_bytes(data: bytes) -> tuple[str, str] | FileFailure:
    """Decode as UTF-8 (BOM or not), else GB18030 (a superset of GBK); anything else fails."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return FileFailure("the file is UTF-16; save it as UTF-8 (or GB18030/GBK) CSV")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            return FileFailure(
                "encoding not recognised: the file is neither UTF-8 nor GB18030/GBK "
                f"(first byte UTF-8 cannot read: 0x{data[utf8_error.start]:02x} at offset "
                f"{utf8_error.start}); save it as UTF-8 CSV"
            )


def _trim(table: pa.Table) -> pa.Table:
    columns = []
    for column in table.columns:
        trimmed = pc.utf8_trim_whitespace(column)
        columns.append(pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed))
    return pa.table(columns, names=table.column_names)


def _fast_lines(buf: bytes, n_rows: int) -> np.ndarray | None:
    """Line number of each record when every record is one non-empty physical line."""
    arr = np.frombuffer(buf, np.uint8)
    newlines = np.flatnonzero(arr == 10)
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [len(arr)]))
    lengths = ends - starts
    has_cr = np.zeros(len(lengths), dtype=bool)
    nonzero = lengths > 0
    has_cr[nonzero] = arr[ends[nonzero] - 1] == 13
    nonempty = np.flatnonzero((lengths - has_cr) > 0) + 1
    if len(nonempty) != n_rows + 1:
        return None  # quoted line breaks or oddities: let the csv module count
    return nonempty[1:].astype(np.int64)


def _header(text: str) -> list[str] | FileFailure:
    first = next(csv.reader(io.StringIO(text[:65536], newline="")), None)
    if not first or not any(c.strip() for c in first):
        return FileFailure("the file is empty or its first line is not a header")
    names = [normalize_header(c) for c in first]
    if "" in names:
        return FileFailure(f"the header has an empty column name (column {names.index('') + 1})")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        return FileFailure(f"the header repeats column(s) {', '.join(dupes)}")
    return names


def read_csv(data: bytes) -> Sheet | FileFailure:
    """Read a CSV export: every column as trimmed strings (empty → null), lines exact."""
    decoded = decode_csv_bytes(data)
    if isinstance(decoded, FileFailure):
        return decoded
    text, encoding = decoded
    names = _header(text)
    if isinstance(names, FileFailure):
        return names
    buf = text.encode("utf-8") if encoding != "utf-8" or data[:3] == codecs.BOM_UTF8 else data
    try:
        table = pacsv.read_csv(
            io.BytesIO(buf),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False
            ),
        )
        lines = _fast_lines(buf, table.num_rows)
        if lines is not None:
            return Sheet(_trim(table), lines, encoding)
    except (pa.ArrowInvalid, pa.ArrowKeyError):
        pass
    return _read_csv_slow(text, names, encoding)


def _read_csv_slow(text: str, names: list[str], encoding: str) -> Sheet | FileFailure:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    lines: list[int] = []
    bad: list[BadRow] = []
    width = len(names)
    try:
        next(reader)
        previous = reader.line_num
        for record in reader:
            start, previous = previous + 1, reader.line_num
            if not record or (len(record) == 1 and not record[0].strip()):
                continue  # a blank line
            if len(record) != width:
                bad.append(BadRow(start, f"expected {width} fields, found {len(record)}"))
                record = (record + [""] * width)[:width]
            rows.append(record)
            lines.append(start)
    except csv.Error as exc:
        return FileFailure(f"CSV syntax error near line {reader.line_num}: {exc}")
    columns = list(zip(*rows)) if rows else [()] * width
    table = pa.table([pa.array(list(c), pa.string()) for c in columns], names=names)
    return Sheet(_trim(table), np.array(lines, dtype=np.int64), encoding, bad=bad)


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


def read_xlsx(data: bytes) -> Sheet | FileFailure:
    """Read the first worksheet; the header is the first row with two or more text cells."""
    import openpyxl  # imported here: only XLSX loads pay for it

    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return FileFailure("old binary .xls workbooks are not read; save as .xlsx or UTF-8 CSV")
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        return FileFailure(f"not a readable XLSX workbook (truncated or corrupt?): {exc}")
    try:
        return _sheet_rows(book.worksheets[0])
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        return FileFailure(f"not a readable XLSX workbook (truncated or corrupt?): {exc}")
    finally:
        book.close()


def _sheet_rows(ws: object) -> Sheet | FileFailure:
    header: list[str] | None = None
    rows: list[list[str | None]] = []
    lines: list[int] = []
    for cells in ws.iter_rows():  # type: ignore[attr-defined]
        number = next((c.row for c in cells if getattr(c, "row", None)), None)
        values = [_cell_text(c.value) for c in cells]
        if number is None or not any(v is not None and v.strip() for v in values):
            continue
        if header is None:
            texts = [v for v in values if v is not None and v.strip()]
            if len(texts) >= 2 and all(isinstance(c.value, str) for c in cells if c.value):
                header = [normalize_header(v) for v in values]
                while header and header[-1] == "":
                    header.pop()
            elif number > 20:
                return FileFailure("no header row found in the first 20 rows of the sheet")
            continue
        rows.append((values + [None] * len(header))[: len(header)])
        lines.append(number)
    if header is None:
        return FileFailure("the worksheet is empty: no header row")
    if "" in header:
        return FileFailure(f"the header has an empty column name (column {header.index('') + 1})")
    dupes = sorted({n for n in header if header.count(n) > 1})
    if dupes:
        return FileFailure(f"the header repeats column(s) {', '.join(dupes)}")
    columns = list(zip(*rows)) if rows else [()] * len(header)
    table = pa.table([pa.array(list(c), pa.string()) for c in columns], names=header)
    return Sheet(_trim(table), np.array(lines, dtype=np.int64), "xlsx", line_unit="row")
