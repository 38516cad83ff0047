"""Where report files live under ``config.report_dir``: their names, the strict reading of a
requested kind and period, the listing, and the removal of files past retention.

Names: ``daily/daily-2026-12-06.pdf``, ``monthly/monthly-2026-11.xlsx``; a district's report
carries its code: ``monthly/monthly-2026-11-445102.pdf``. Nothing outside the folder is
ever named: a kind, period and scope code each match a fixed pattern first.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from models.security import Scope

#: Report kind -> (the period kind of models.indicators.periods, label pattern).
KINDS: dict[str, tuple[str, re.Pattern[str]]] = {
    "daily": ("day", re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")),
    "monthly": ("month", re.compile(r"^([0-9]{4})-([0-9]{2})$")),
}
FORMATS = ("pdf", "xlsx")
#: Roles that may read reports and indicators (API and CLI): the leaders, the admins and the
#: city centre's operators who prepare the figures.
READER_ROLES = frozenset({"leader", "admin", "operator"})
MEDIA = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_DISTRICT = re.compile(r"^[0-9]{6}$")
_FILE = re.compile(
    r"^(daily|monthly)-([0-9]{4}-[0-9]{2}(?:-[0-9]{2})?)(?:-([0-9]{6}))?\.(pdf|xlsx)$"
)


class BadReport(ValueError):
    """A kind, period, format or scope no report has (the API's 400 or 404)."""


@dataclass(frozen=True)
class ReportKey:
    """One report: its kind, period label and the district it is for (None: the city)."""

    kind: str
    period: str
    district: str | None = None

    def file_name(self, fmt: str) -> str:
        suffix = f"-{self.district}" if self.district else ""
        return f"{self.kind}-{self.period}{suffix}.{fmt}"

    def path(self, root: Path, fmt: str) -> Path:
        return root / self.kind / self.file_name(fmt)

    def first_day(self) -> date:
        """The period's first local day."""
        parts = [int(p) for p in self.period.split("-")]
        return date(parts[0], parts[1], parts[2] if len(parts) == 3 else 1)


def check_period(kind: str, period: str) -> str:
    """``period`` when it is a real day (daily) or month (monthly) label, else BadReport."""
    if kind not in KINDS:
        raise BadReport(f"kind must be one of {', '.join(KINDS)}")
    match = KINDS[kind][1].match(period or "")
    if match is None:
        shape = "YYYY-MM-DD" if kind == "daily" else "YYYY-MM"
        raise BadReport(f"a {kind} report's period is {shape}, not {period[:40]!r}")
    numbers = [int(g) for g in match.groups()]
    try:
        date(numbers[0], numbers[1], numbers[2] if len(numbers) == 3 else 1)
    except ValueError:
        raise BadReport(f"{period!r} is not a date") from None
    if numbers[0] < 2000:
        raise BadReport(f"{period!r} is before 2000")
    return period


def scope_district(scope: Scope) -> str | None:
    """The district a report for ``scope`` is for: None for the city, the code for a
    one-district scope; BadReport for any other scope (streets, cells, units get none)."""
    if scope.kind == "city":
        return None
    if scope.kind == "district" and len(scope.codes) == 1 and _DISTRICT.match(scope.codes[0]):
        return scope.codes[0]
    raise BadReport("reports are made for the city or one district")


def parse_file_name(name: str) -> tuple[ReportKey, str] | None:
    """(key, format) of a report file's name, None for any other name."""
    match = _FILE.match(name)
    if match is None:
        return None
    kind, period, district, fmt = match.groups()
    try:
        check_period(kind, period)
    except BadReport:
        return None
    return ReportKey(kind, period, district), fmt


def list_reports(root: Path, *, district: str | None = None) -> list[dict]:
    """The report files kept for the city (``district`` None) or one district, newest
    period first: kind, period, district, format, name, bytes, made_at (UTC ISO)."""
    out = []
    for path, key, fmt in _kept(root):
        if key.district == district and path.is_file():
            stat = path.stat()
            made = datetime.fromtimestamp(stat.st_mtime).astimezone().isoformat()
            out.append(
                {
                    "kind": key.kind,
                    "period": key.period,
                    "district": key.district,
                    "format": fmt,
                    "name": path.name,
                    "bytes": stat.st_size,
                    "made_at": made,
                }
            )
    out.sort(key=lambda r: (r["period"], r["kind"], r["format"]), reverse=True)
    return out


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def expired(root: Path, *, keep_days: int, today: date) -> list[Path]:
    """Report files whose period began more than ``keep_days`` days before ``today``."""
    return sorted(p for p, key, _ in _kept(root) if (today - key.first_day()).days > keep_days)


def _kept(root: Path) -> Iterator[tuple[Path, ReportKey, str]]:
    """Every report file under ``root`` by its name: path, key and format (other files and
    a name in the wrong kind's folder are passed over)."""
    for kind in KINDS:
        folder = root / kind
        if folder.is_dir():
            for path in folder.iterdir():
                parsed = parse_file_name(path.name)
                if parsed is not None and parsed[0].kind == kind:
                    yield path, *parsed
