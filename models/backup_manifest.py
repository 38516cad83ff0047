"""The manifest of a backup file (MANIFEST.json, the tar's first member): what it holds, its
checksums, parsed and checked field by field."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models.store import LATEST_VERSION
from models.store.snapshot import TABLE_NAME

FORMAT = "cityops-backup"
FORMAT_VERSION = 1
MANIFEST = "MANIFEST.json"
KINDS = ("manual", "scheduled")


class BackupError(Exception):
    """A backup cannot be made, read or trusted; the message says why, for a person."""


class BackupBusy(BackupError):
    """Another backup is being made in this process."""


@dataclass(frozen=True)
class TableEntry:
    """One table in a backup: its member, rows, checksum and highest sequence key."""

    name: str
    rows: int
    member: str
    sha256: str
    bytes: int
    key: str | None = None
    max_key: int | None = None


@dataclass(frozen=True)
class Manifest:
    """What a backup holds (``MANIFEST.json``, the tar's first member)."""

    cityops_version: str
    schema_version: int
    created_at: datetime  # naive UTC
    created_local: str  # the same moment in calendar.timezone, as written in the file name
    kind: str
    database: str
    tables: tuple[TableEntry, ...]
    sequences: dict[str, int] = field(default_factory=dict)
    total_sha256: str = ""

    @property
    def counts(self) -> dict[str, int]:
        return {t.name: t.rows for t in self.tables}

    def to_json(self) -> dict[str, Any]:
        body = self._body()
        return {**body, "manifest_sha256": manifest_sha256(body)}

    def _body(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "cityops_version": self.cityops_version,
            "schema_version": self.schema_version,
            "created_at": self.created_at.isoformat() + "Z",
            "created_local": self.created_local,
            "kind": self.kind,
            "database": self.database,
            "tables": {
                t.name: {
                    "rows": t.rows,
                    "member": t.member,
                    "sha256": t.sha256,
                    "bytes": t.bytes,
                    "key": t.key,
                    "max_key": t.max_key,
                }
                for t in self.tables
            },
            "sequences": dict(sorted(self.sequences.items())),
            "total_sha256": self.total_sha256,
        }


def manifest_sha256(body: dict[str, Any]) -> str:
    """The manifest's own checksum: sha256 of its canonical JSON without this field."""
    rest = {k: v for k, v in body.items() if k != "manifest_sha256"}
    canonical = json.dumps(rest, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def total_sha256(tables: tuple[TableEntry, ...] | list[TableEntry]) -> str:
    """One checksum of every member: sha256 of ``<sha256>  <member>`` lines in member order."""
    lines = "".join(f"{t.sha256}  {t.member}\n" for t in sorted(tables, key=lambda t: t.member))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def parse_manifest(data: Any) -> Manifest:
    """The manifest in ``data`` (parsed JSON), checked field by field.

    Raises
    ------
    BackupError
        Not a CityOps backup manifest, or one of a format this version does not read.
    """
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError("not a CityOps backup: its MANIFEST is not a CityOps manifest")
    if data.get("manifest_sha256") != manifest_sha256(data):
        raise BackupError("the backup's MANIFEST is damaged: it fails its own sha256 check")
    if data.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"backup format {data.get('format_version')!r} is not one this CityOps reads "
            f"(it reads {FORMAT_VERSION})"
        )
    try:
        tables = []
        for name, t in data["tables"].items():
            if not TABLE_NAME.match(name) or t["member"] != f"tables/{name}.parquet":
                raise ValueError(f"bad table entry {name!r}")
            if not re.fullmatch(r"[0-9a-f]{64}", t["sha256"]):
                raise ValueError(f"bad checksum of {name}")
            tables.append(
                TableEntry(
                    name,
                    _count(t["rows"]),
                    t["member"],
                    t["sha256"],
                    _count(t["bytes"]),
                    t.get("key"),
                    None if t.get("max_key") is None else int(t["max_key"]),
                )
            )
        created = datetime.fromisoformat(str(data["created_at"]).removesuffix("Z"))
        manifest = Manifest(
            cityops_version=str(data["cityops_version"]),
            schema_version=_count(data["schema_version"]),
            created_at=created.replace(tzinfo=None),
            created_local=str(data["created_local"]),
            kind=str(data["kind"]) if data["kind"] in KINDS else "manual",
            database=str(data["database"]),
            tables=tuple(tables),
            sequences={str(k): _count(v) for k, v in data["sequences"].items()},
            total_sha256=str(data["total_sha256"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BackupError(f"the backup's MANIFEST is damaged: {exc}") from None
    if manifest.total_sha256 != total_sha256(manifest.tables):
        raise BackupError("the backup's MANIFEST is damaged: its total checksum does not match")
    return manifest


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{value!r} is not a count")
    return value


def check_schema(manifest: Manifest, *, latest: int = LATEST_VERSION) -> None:
    """Refuse a backup whose schema is newer than this CityOps knows."""
    if manifest.schema_version > latest:
        raise BackupError(
            f"the backup has schema version {manifest.schema_version} (made by CityOps "
            f"{manifest.cityops_version}), but this CityOps knows schema versions up to "
            f"{latest}: install a newer CityOps to restore it"
        )


def cityops_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cityops")
    except PackageNotFoundError:
        return "unknown"
