"""The report as an XLSX workbook (openpyxl): the PDF's tables, one sheet each, numbers kept
as numbers (rates in percent as the cockpit shows them, 82.75 for 82.75 %, the header saying
``(%)``; an indicator's value in its unit, the 单位 column), zh headers over en ones."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.reports.content import ReportContent
from app.reports.pdf import TITLES
from app.reports.tables import all_tables

FORMATS = {"pct": "0.0#", "num": "#,##0.0##", "int": "#,##0", "time": "yyyy-mm-dd hh:mm"}
_FILL = {
    "green": PatternFill("solid", fgColor="B7EB8F"),
    "yellow": PatternFill("solid", fgColor="FFE58F"),
    "red": PatternFill("solid", fgColor="FFA39E"),
}
_HEAD = PatternFill("solid", fgColor="EAF1FB")
#: Rows above a sheet's table: title, period line, zh header, en header.
HEADER_ROWS = 4


def render_xlsx(content: ReportContent) -> bytes:
    """The workbook's bytes. Each sheet: row 1 the title, row 2 city and period, row 3 the
    zh column names, row 4 the en ones, then one row per table row."""
    book = Workbook()
    book.remove(book.active)
    zh_title = TITLES[content.key.kind][0]
    for table in all_tables(content):
        sheet = book.create_sheet(table.sheet)
        sheet["A1"] = f"{content.area_zh} {zh_title} · {table.title_zh} {table.title_en}"
        sheet["A1"].font = Font(bold=True, size=13)
        sheet["A2"] = f"{content.city_zh} {content.key.kind} {content.key.period}" + (
            " · 含模拟数据 synthetic data" if content.synthetic else ""
        )
        for j, col in enumerate(table.columns, start=1):
            for row, text in ((3, col.zh), (4, col.en)):
                cell = sheet.cell(row=row, column=j, value=text)
                cell.font = Font(bold=row == 3, color="0B3A75" if row == 3 else "7A8797")
                cell.fill = _HEAD
            width = max(len(col.zh) * 2 + 2, len(col.en) + 2, 10)
            sheet.column_dimensions[get_column_letter(j)].width = min(width, 40)
        for i, values in enumerate(table.rows, start=HEADER_ROWS + 1):
            for j, (col, value) in enumerate(zip(table.columns, values, strict=True), start=1):
                if col.fmt == "status":
                    cell = sheet.cell(row=i, column=j, value=value)
                    if value in _FILL:
                        cell.fill = _FILL[value]
                    continue
                cell = sheet.cell(row=i, column=j, value=value)
                if col.fmt in FORMATS:
                    cell.number_format = FORMATS[col.fmt]
                    cell.alignment = Alignment(horizontal="right")
        sheet.freeze_panes = sheet.cell(row=HEADER_ROWS + 1, column=1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
