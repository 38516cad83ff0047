"""Importing externally sourced indicator values (statistics bureau figures) from CSV or XLSX:
read the sheet, judge every row (``models.indicators.external.check_rows``), store all rows in
one transaction or none, audit the attempt, return the report.

The file's columns: ``indicator_id``, ``period`` (``2026-11``, ``2026-Q3``, ...),
``scope_code`` (the city's or a district's code), ``value``, and optionally ``synthetic``
(yes/no) and ``source``. CSV lines starting with ``#`` are comments (the demo file says
there that it is synthetic). Importing a value for a key already stored replaces it: the
statistics bureau revises its figures, and the latest file is the one that counts.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from ingest.files.report import BadRow, FileFailure, FileResult
from ingest.files.tabular import Sheet, read_csv, read_xlsx, rename_columns
from models.indicators.external import (
    ALIASES,
    REQUIRED_COLUMNS,
    check_rows,
    external_indicators,
    scope_codes,
    write_values,
)
from models.indicators.periods import DEFAULT_TZ
from models.indicators.registry import Indicator, load_indicators
from models.store import Store

log = logging.getLogger(__name__)
KIND = "indicator_values"
#: The demo's plainly marked SYNTHETIC statistics (loaded by ``cityops init`` with the demo city).
DEMO_FILE = Path(__file__).resolve().parents[2] / "models" / "data" / "external_indicators_demo.csv"
#: Larger files are refused unread: a statistics table is a few thousand rows at most.
MAX_BYTES = 20 * 2**20


def _without_comments(data: bytes) -> tuple[bytes, int]:
    """The CSV bytes without leading ``#`` comment lines, and how many lines were dropped
    (so that reported line numbers stay those of the file)."""
    lines = data.splitlines(keepends=True)
    skipped = 0
    for raw in lines:
        text = raw.lstrip(b"\xef\xbb\xbf").strip()
        if text.startswith(b"#") or not text:
            skipped += 1
            continue
        break
    return b"".join(lines[skipped:]), skipped


def _read(path: Path) -> Sheet | FileFailure:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        return FileFailure(f"indicator values come as .csv or .xlsx, not {suffix or 'no suffix'}")
    if not path.is_file():
        return FileFailure(f"no such file: {path}")
    if path.stat().st_size > MAX_BYTES:
        return FileFailure(f"file is larger than {MAX_BYTES} bytes")
    data = path.read_bytes()
    if suffix == ".xlsx":
        return read_xlsx(data)
    body, skipped = _without_comments(data)
    sheet = read_csv(body)
    if isinstance(sheet, Sheet) and skipped:
        bad = [BadRow(b.line + skipped, b.reason, b.column, b.value) for b in sheet.bad]
        return Sheet(sheet.table, sheet.lines + skipped, sheet.encoding, sheet.line_unit, bad)
    return sheet


def _records(sheet: Sheet) -> list[tuple[int, dict[str, str | None]]]:
    columns = {name: sheet.table.column(name).to_pylist() for name in sheet.columns}
    return [
        (int(line), {name: values[i] for name, values in columns.items()})
        for i, line in enumerate(sheet.lines)
    ]


def import_external(
    store: Store,
    path: Path | str,
    *,
    actor: str,
    now: datetime,
    indicators: tuple[Indicator, ...] | None = None,
    tz: str = DEFAULT_TZ,
) -> FileResult:
    """Load one CSV/XLSX file of external indicator values: all rows or none; never raises.

    Parameters
    ----------
    actor
        Who imports (``imported_by`` and the audit log).
    now
        The import time (naive UTC).
    indicators
        The declared indicators (default: ``models/data/indicators.yaml``); only those whose
        measure is ``external.value`` take imported values.
    tz
        The city's time zone (periods are labels; it only bounds them).

    Returns
    -------
    FileResult
        ``status`` ``loaded`` (``rows_loaded``, ``details['replaced']``) or ``failed``
        (``reason``, and ``bad_rows`` naming every bad row's line).
    """
    path = Path(path)
    result = FileResult(path=str(path), name=path.name, status="failed", kind=KIND,
                        started_at=now, line_unit="line")  # fmt: skip
    try:
        _import(store, path, result, actor=actor, now=now, indicators=indicators, tz=tz)
    except Exception as exc:  # totality: a surprise fails this file, never the caller
        log.exception("indicator values import failed unexpectedly", extra={"path": str(path)})
        result.status, result.rows_loaded = "failed", 0
        result.reason = f"nothing loaded: {type(exc).__name__}: {exc}"[:1000]
    result.finished_at = now
    store.audit(
        "indicators.import",
        actor=actor,
        outcome="ok" if result.ok else "failed",
        target=str(path),
        detail=result.summary,
        at=now,
    )
    return result


def _import(
    store: Store,
    path: Path,
    result: FileResult,
    *,
    actor: str,
    now: datetime,
    indicators: tuple[Indicator, ...] | None,
    tz: str,
) -> None:
    sheet = _read(path)
    if isinstance(sheet, Sheet):
        result.line_unit = sheet.line_unit
        sheet = rename_columns(sheet, ALIASES)
    if isinstance(sheet, FileFailure):
        result.reason = sheet.reason
        return
    missing = [c for c in REQUIRED_COLUMNS if c not in sheet.columns]
    if missing:
        result.reason = f"missing column(s) {', '.join(missing)}; the file has {sheet.columns}"
        return
    try:
        declared = indicators if indicators is not None else load_indicators()
    except ValueError as exc:  # a broken declarations file: say so, load nothing
        result.reason = f"cannot read the indicator declarations: {exc}"[:1000]
        return
    known = external_indicators(declared)
    rows, problems = check_rows(
        _records(sheet), indicators=known, codes=scope_codes(store), tz=tz, now=now
    )
    result.rows_total = sheet.table.num_rows
    result.bad_rows = list(sheet.bad) + [
        BadRow(p.line, p.reason, p.column, p.value) for p in problems
    ]
    result.bad_rows.sort(key=lambda b: b.line)
    if result.bad_rows:
        result.reason = f"{len(result.bad_rows)} problem(s) in the rows: nothing loaded"
        return
    if not rows:
        result.reason = "the file holds no rows"
        return
    written = store.write(
        lambda tx: write_values(tx, rows, source=path.name, actor=actor, now=now)
    )
    result.status, result.rows_loaded = "loaded", written["loaded"]
    result.details["replaced"] = written["replaced"]
    result.details["synthetic"] = sum(r.synthetic for r in rows)
