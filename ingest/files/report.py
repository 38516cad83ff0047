"""The outcome of a file load: bad rows, the plan a loader hands the runner, the report files."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from models.store import WriteTx

#: How many bad rows and warnings the text report lists (the JSON report lists all).
TEXT_LIMIT = 500


@dataclass(frozen=True)
class BadRow:
    """One rejected row: ``line`` is the CSV physical line (header = 1), the XLSX sheet row,
    or the feature index (0-based) of a geodata file; see :attr:`FileResult.line_unit`."""

    line: int
    reason: str
    column: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class FileFailure:
    """The whole file was refused before any row could be judged (format, encoding, columns)."""

    reason: str


@dataclass(frozen=True)
class Written:
    """What a plan wrote inside its transaction."""

    loaded: int
    duplicates: int = 0
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    """A parsed file ready to write: ``write`` runs inside the file's one transaction.

    ``bad_rows`` non-empty means the file fails and ``write`` is never called.
    """

    kind: str
    rows_total: int
    write: Callable[[WriteTx], Written]
    bad_rows: list[BadRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    line_unit: str = "line"
    details: dict[str, Any] = field(default_factory=dict)


def never_written(tx: WriteTx) -> Written:
    """The ``write`` of a plan with bad rows: the runner never calls it."""
    raise AssertionError("a plan with bad rows is never written")


@dataclass
class FileResult:
    """Everything known about one load attempt; also the content of its report."""

    path: str
    name: str
    status: str  # loaded / failed
    kind: str | None = None
    sha256: str | None = None
    reason: str | None = None
    rows_total: int = 0
    rows_loaded: int = 0
    rows_duplicate: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    line_unit: str = "line"
    duplicate_of: int | None = None
    file_id: int | None = None
    report_path: str | None = None
    moved_to: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "loaded"

    @property
    def summary(self) -> str:
        """One line for logs, the audit log and ``ingest_files.summary``."""
        if self.duplicate_of is not None:
            return f"same file (sha256) already loaded as file {self.duplicate_of}: nothing written"
        if self.status == "loaded":
            text = f"{self.kind}: {self.rows_loaded} rows loaded"
            if self.rows_duplicate:
                text += f", {self.rows_duplicate} already present (skipped)"
            return text
        if self.bad_rows:
            first = self.bad_rows[0]
            return (
                f"{self.kind}: {len(self.bad_rows)} bad rows of {self.rows_total}, nothing loaded; "
                f"first at {self.line_unit} {first.line}: {first.reason}"
            )[:1000]
        return f"failed: {self.reason}"[:1000]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("started_at", "finished_at"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        data["summary"] = self.summary
        return data


def render_text(result: FileResult) -> str:
    """A human-readable report (at most :data:`TEXT_LIMIT` bad rows and warnings listed)."""
    lines = [
        f"CityOps file load report: {result.name}",
        f"status:   {result.status.upper()}",
        f"kind:     {result.kind or '-'}",
        f"sha256:   {result.sha256 or '-'}",
        f"started:  {result.started_at:%Y-%m-%d %H:%M:%S} UTC" if result.started_at else "",
        f"summary:  {result.summary}",
        f"rows:     {result.rows_total} read, {result.rows_loaded} loaded, "
        f"{result.rows_duplicate} already present, {len(result.bad_rows)} bad",
    ]
    if result.reason:
        lines.append(f"reason:   {result.reason}")
    for key, value in result.details.items():
        lines.append(f"{key}: {value}")
    if result.bad_rows:
        lines += ["", f"Bad rows ({result.line_unit}: reason) — nothing was loaded:"]
        for bad in result.bad_rows[:TEXT_LIMIT]:
            where = f" [{bad.column}={bad.value!r}]" if bad.column else ""
            lines.append(f"  {result.line_unit} {bad.line}: {bad.reason}{where}")
        if len(result.bad_rows) > TEXT_LIMIT:
            lines.append(
                f"  ... and {len(result.bad_rows) - TEXT_LIMIT} more (see the JSON report)"
            )
    if result.warnings:
        lines += ["", "Warnings (not fatal):"]
        lines += [f"  - {w}" for w in result.warnings[:TEXT_LIMIT]]
        if len(result.warnings) > TEXT_LIMIT:
            lines.append(f"  ... and {len(result.warnings) - TEXT_LIMIT} more")
    return "\n".join(line for line in lines if line is not None) + "\n"


def write_report(result: FileResult, json_path: Path) -> None:
    """Write ``<name>.report.json`` (complete) and ``<name>.report.txt`` beside it."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    indent = 1 if len(result.bad_rows) <= 10_000 else None  # huge reports stay compact
    text = json.dumps(result.to_json(), ensure_ascii=False, indent=indent, default=str)
    json_path.write_text(text, encoding="utf-8")
    txt_path = json_path.with_name(json_path.name.removesuffix(".json") + ".txt")
    txt_path.write_text(render_text(result), encoding="utf-8")
