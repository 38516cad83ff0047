"""Logic of the admin 'sensors' tab apart from Dash: a registry edit checked as the registry
importer checks a file's row, an uploaded registry file put where the importer reads it, and
the rules' dry run in rows to show."""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.i18n import t
from ingest.files import FileResult, ingest_file
from ingest.files.sensors import check_sensor_row
from ingest.locate import locate_points
from models.clock import utcnow
from models.rule_dry_run import DryRun
from models.sensors import EDITABLE_COLUMNS
from models.store import Store

#: The largest registry file taken through the browser (the importer's own limit is larger).
MAX_UPLOAD_BYTES = 5 * 2**20
UPLOAD_SUFFIXES = (".csv", ".xlsx")
#: Sensors named in one dry-run row before "…".
SENSORS_SHOWN = 8


@dataclass(frozen=True)
class SensorEdit:
    """The checked outcome of the edit form: changed columns, or why it was refused."""

    changes: dict[str, Any]
    problem: str | None = None
    column: str | None = None
    moved: bool = False


def _text(value: Any) -> str | None:
    """A form value as the importer's text cell (None when empty)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _date_text(value: Any) -> str | None:
    """A stored date as the importer's text (``YYYY-MM-DD``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    iso = getattr(value, "isoformat", None)
    try:
        return str(iso())[:10] if callable(iso) else _text(value)
    except ValueError:  # NaT
        return None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    blank = (None, "")
    if a in blank or (isinstance(a, float) and math.isnan(a)):
        return b in blank or (isinstance(b, float) and math.isnan(b))
    return bool(a == b)


def check_edit(current: Mapping[str, Any], form: Mapping[str, Any]) -> SensorEdit:
    """Check the edit form of a sensor like a row of a registry file (same parser); the
    columns that change. ``form`` maps editable columns to the values typed."""
    values: dict[str, str | None] = {
        "sensor_id": str(current["sensor_id"]),
        "kind": str(current["kind"]),
        "installed_on": _date_text(current.get("installed_on")),
        "segment_id": _text(current.get("segment_id")),
    }
    for column in EDITABLE_COLUMNS:
        values[column] = _text(form.get(column))
    for column in ("lon", "lat", "interval_s"):
        if values[column] is None:
            return SensorEdit({}, f"{column} is required", column)
    parsed = check_sensor_row(values)
    if isinstance(parsed, tuple):
        return SensorEdit({}, parsed[0], parsed[1])
    changes = {
        c: parsed[c] for c in EDITABLE_COLUMNS if not _same(parsed[c], _plain(current.get(c)))
    }
    moved = "lon" in changes or "lat" in changes
    return SensorEdit(changes, moved=moved)


def _plain(value: Any) -> Any:
    """A stored value as the parser gives it (numpy numbers → Python, NaN → None)."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def locate(
    store: Store, lon: float, lat: float, *, metric_crs: str
) -> tuple[str | None, int | None]:
    """The cell of a moved sensor on the current grid (None outside it) and the version."""
    located = locate_points(store, [lon], [lat], metric_crs=metric_crs)  # type: ignore[arg-type]
    cell = located.cells[0] if len(located.cells) else None
    return (str(cell), located.version) if cell is not None else (None, None)


def _safe_name(filename: Any) -> str | None:
    """The uploaded file's name reduced to safe characters, or None for another kind."""
    name = Path(str(filename or "")).name
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        return None
    stem = re.sub(r"[^\w.-]+", "_", Path(name).stem)[:80] or "sensors"
    return stem + suffix


def import_registry(
    store: Store, data: bytes, filename: Any, *, actor: str, metric_crs: str
) -> FileResult | str:
    """Load an uploaded sensor registry through the file importer (all rows or none, every
    bad row reported, audited); a refusal before that as text."""
    name = _safe_name(filename)
    if name is None:
        return f"only {' / '.join(UPLOAD_SUFFIXES)} files"
    if len(data) > MAX_UPLOAD_BYTES:
        return f"file larger than {MAX_UPLOAD_BYTES // 2**20} MiB"
    with tempfile.TemporaryDirectory(prefix="cityops-sensors-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return ingest_file(
            store,
            path,
            kind="sensors",
            now=utcnow(),
            report_dir=Path(folder),
            metric_crs=metric_crs,
            max_bytes=MAX_UPLOAD_BYTES,
            actor=actor,
        )


@dataclass(frozen=True)
class FiringRow:
    rule_id: str
    count: int
    sensors: str
    first: Any
    last: Any


def firing_rows(result: DryRun) -> list[FiringRow]:
    """One row per rule, those that fired most first."""
    rows = []
    for f in sorted(result.firings.values(), key=lambda f: (-f.count, f.rule_id)):
        names = sorted(f.sensors)
        shown = ", ".join(names[:SENSORS_SHOWN]) + (" …" if len(names) > SENSORS_SHOWN else "")
        rows.append(FiringRow(f.rule_id, f.count, shown, f.first, f.last))
    return rows


#: A rules problem as the models word it (after an optional "line N: ") → its catalog key.
_PROBLEMS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), key)
    for pattern, key in (
        (r"^(?P<rid>[^:]+): unknown sensor_kind (?P<kind>.+)$", "unknown_kind"),
        (
            r"^(?P<rid>[^:]+): (?P<kind>\w+) sensors publish no metric (?P<metric>.+)$",
            "unknown_metric",
        ),  # fmt: skip
        (r"^(?P<rid>[^:]+): threshold must be (a number|>= 0), got (?P<got>.+)$", "threshold"),
        (r"^(?P<rid>[^:]+): (?P<name>\w+) must be a number, got (?P<got>.+)$", "number"),
        (r"^(?P<rid>[^:]+): (?P<name>\w+) must be >= (?P<min>\S+), got (?P<got>.+)$", "minimum"),
        (r"^(?P<rid>[^:]+): duplicate rule_id$", "duplicate"),
        (r"^(?P<rid>[^:]+): missing (?P<field>\w+)$", "missing"),
        (r"^(?P<rid>[^:]+): unknown field (?P<field>.+)$", "unknown_field"),
        (r"^not readable YAML: (?P<what>.*)$", "syntax"),
        (r"^anchors and aliases", "alias"),
        (r"^the text is larger than (?P<kib>\d+) KiB$", "size"),
        (r"^nested deeper than (?P<n>\d+) levels$", "depth"),
        (r"^the rules text is empty$", "empty"),
        (r"^expected a top-level 'rules:' list$", "no_list"),
        (r"^the rule set has no enabled rule", "no_enabled"),
    )
)
_LINE = re.compile(r"^line (?P<n>\d+): (?P<rest>.*)$", re.S)


def problem_text(problem: str, lang: str) -> str:
    """A rules problem in the page's language: the common ones from the catalog, the rare
    ones as the models word them (English) with the line translated."""
    line = _LINE.match(problem)
    rest = line["rest"] if line else problem
    for pattern, key in _PROBLEMS:
        found = pattern.match(rest)
        if found:
            rest = t(f"admin.sensors.problem.{key}", lang, **found.groupdict())
            break
    return t("admin.sensors.problem.line", lang, n=line["n"], text=rest) if line else rest


def rule_label(rule_id: str, lang: str) -> str:
    """A rule's name in the dry run: the built-in staleness rule by its catalog label."""
    return t("admin.sensors.rule.stale", lang) if rule_id == "stale" else rule_id


_BILINGUAL = re.compile(r"^(?P<zh>.*?[^\x00-\x7f].*?)\s*[(（](?P<en>[\x00-\x7f]+)[)）]\s*$")


def owner_name(owner: Any, lang: str) -> Any:
    """An owner written "中文名 (English name)" in the page's language; others as written."""
    found = _BILINGUAL.match(owner) if isinstance(owner, str) else None
    if found is None:
        return owner
    return found["zh"] if lang == "zh" else found["en"].strip()
