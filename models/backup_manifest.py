"""The manifest of a backup file (MANIFEST.json, the tar's first member): what it holds, its
checksums, parsed and checked field by field."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models.photo_paths import safe_relative
from models.store import LATEST_VERSION
from models.store.snapshot import TABLE_NAME

FORMAT = "cityops-backup"
#: 2: the photos the snapshot's case_attachments name are members too (1: tables only).
FORMAT_VERSION = 2
#: Formats this version reads.
READS = (1, 2)
#: Where the photos are in the tar: ``photos/<path relative to the photo folder>``.
PHOTO_PREFIX = "photos/"
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


@dataclass(frozen=True, slots=True)
class PhotoEntry:
    """One photo file in a backup (a photo or its thumbnail), by its path relative to the
    photo folder as the rows name it."""

    path: str
    sha256: str
    bytes: int

    @property
    def member(self) -> str:
        return PHOTO_PREFIX + self.path


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
    photos: tuple[PhotoEntry, ...] = ()
    #: Files a row names that were not there to copy: path → why (``missing``, ...).
    photos_missing: dict[str, str] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    @property
    def photo_bytes(self) -> int:
        return sum(p.bytes for p in self.photos)

    def members(self) -> dict[str, tuple[str, int]]:
        """Every data member (tables, then photos): member → (sha256, bytes)."""
        out = {t.member: (t.sha256, t.bytes) for t in self.tables}
        out.update({p.member: (p.sha256, p.bytes) for p in self.photos})
        return out

    @property
    def counts(self) -> dict[str, int]:
        return {t.name: t.rows for t in self.tables}

    def to_json(self) -> dict[str, Any]:
        body = self._body()
        return {**body, "manifest_sha256": manifest_sha256(body)}

    def _body(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": self.format_version,
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
            **(
                {
                    "photos": {p.path: {"sha256": p.sha256, "bytes": p.bytes} for p in self.photos},
                    "photos_missing": dict(sorted(self.photos_missing.items())),
                }
                if self.format_version >= 2
                else {}
            ),
        }


def manifest_sha256(body: dict[str, Any]) -> str:
    """The manifest's own checksum: sha256 of its canonical JSON without this field."""
    rest = {k: v for k, v in body.items() if k != "manifest_sha256"}
    canonical = json.dumps(rest, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def total_sha256(
    tables: tuple[TableEntry, ...] | list[TableEntry],
    photos: tuple[PhotoEntry, ...] | list[PhotoEntry] = (),
) -> str:
    """One checksum of every member: sha256 of ``<sha256>  <member>`` lines in member order
    (tables, then photos: a backup without photos sums as a format 1 one did)."""
    entries = [(t.member, t.sha256) for t in tables] + [(p.member, p.sha256) for p in photos]
    lines = "".join(f"{sha}  {member}\n" for member, sha in sorted(entries))
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
    version = data.get("format_version")
    if isinstance(version, bool) or version not in READS:
        raise BackupError(
            f"backup format {version!r} is not one this CityOps reads "
            f"(it reads {', '.join(map(str, READS))})"
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
            photos=_photos(data) if version >= 2 else (),
            photos_missing=_photos_missing(data) if version >= 2 else {},
            format_version=version,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BackupError(f"the backup's MANIFEST is damaged: {exc}") from None
    if manifest.total_sha256 != total_sha256(manifest.tables, manifest.photos):
        raise BackupError("the backup's MANIFEST is damaged: its total checksum does not match")
    return manifest


def _photos(data: dict[str, Any]) -> tuple[PhotoEntry, ...]:
    """The photo entries, each path plain and relative (never ``..``, absolute or odd)."""
    photos = []
    for path, p in data["photos"].items():
        if not safe_relative(path):
            raise ValueError(f"photo path {path!r} is not a plain relative path")
        if not re.fullmatch(r"[0-9a-f]{64}", p["sha256"]):
            raise ValueError(f"bad checksum of photo {path}")
        photos.append(PhotoEntry(path, p["sha256"], _count(p["bytes"])))
    return tuple(photos)


def _photos_missing(data: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in data["photos_missing"].items()}


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
