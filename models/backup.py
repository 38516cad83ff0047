"""Backup files of the whole database: one tar holding a JSON MANIFEST and one Parquet file
per table, written from one read snapshot; checked member by member; listed and pruned."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import tarfile
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from models.store import LATEST_VERSION, Store
from models.store.snapshot import TABLE_NAME

log = logging.getLogger(__name__)

FORMAT = "cityops-backup"
FORMAT_VERSION = 1
MANIFEST = "MANIFEST.json"
PREFIX = "cityops-backup-"
SUFFIX = ".tar"
VERIFIED = ".verified.json"
KINDS = ("manual", "scheduled")
_MAX_MANIFEST_BYTES = 4 << 20
_CHUNK = 1 << 20
_NAME = re.compile(r"^cityops-backup-\d{8}-\d{6}(-\d+)?\.tar$")
_running = threading.Lock()


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


# -- making one -------------------------------------------------------------------------------
def local_stamp(now: datetime, tz: str) -> str:
    """``20261207-183000``: ``now`` (naive UTC) in local time, as in backup file names."""
    local = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz))
    return local.strftime("%Y%m%d-%H%M%S")


@contextlib.contextmanager
def one_at_a_time() -> Iterator[None]:
    """Hold the process's backup slot for the block; BackupBusy when it is taken."""
    if not _running.acquire(blocking=False):
        raise BackupBusy("a backup is being made already; try again when it is done")
    try:
        yield
    finally:
        _running.release()


def backup_running() -> bool:
    return _running.locked()


def make_backup(
    store: Store, folder: Path, *, now: datetime, tz: str, kind: str = "manual"
) -> tuple[Path, Manifest]:
    """Copy the whole database as of one moment into a new backup file in ``folder``.

    The file appears complete or not at all (written under a hidden name, then renamed),
    readable by its owner only, and is read back and checked before this returns.
    One backup at a time per process (:class:`BackupBusy` otherwise).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    with one_at_a_time():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder, prefix=".cityops-backup-") as tmp:
            snap = store.copy_snapshot(Path(tmp) / "tables")
            tables = [
                TableEntry(
                    t.name,
                    t.rows,
                    f"tables/{t.name}.parquet",
                    _file_sha256(t.file),
                    t.file.stat().st_size,
                    t.key,
                    t.max_key,
                )
                for t in snap.tables
            ]
            stamp = local_stamp(now, tz)
            manifest = Manifest(
                cityops_version=cityops_version(),
                schema_version=snap.schema_version,
                created_at=now,
                created_local=stamp,
                kind=kind,
                database=store.path.name,
                tables=tuple(tables),
                sequences=snap.sequences,
                total_sha256=total_sha256(tables),
            )
            path = _free_name(folder, stamp)
            partial = folder / f".{path.name}.partial"
            try:
                _write_tar(
                    partial, manifest, {f"tables/{t.name}.parquet": t.file for t in snap.tables}
                )
                os.replace(partial, path)
            finally:
                partial.unlink(missing_ok=True)
        _fsync_dir(folder)
    verify_backup(path)
    return path, manifest


def _free_name(folder: Path, stamp: str) -> Path:
    path, n = folder / f"{PREFIX}{stamp}{SUFFIX}", 1
    while path.exists():
        n += 1
        path = folder / f"{PREFIX}{stamp}-{n}{SUFFIX}"
    return path


def _write_tar(path: Path, manifest: Manifest, files: dict[str, Path]) -> None:
    body = json.dumps(manifest.to_json(), ensure_ascii=False, indent=2).encode("utf-8")
    mtime = int(manifest.created_at.replace(tzinfo=UTC).timestamp())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with (
        os.fdopen(fd, "wb") as raw,
        tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar,
    ):
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime, info.mode = len(body), mtime, 0o600
        tar.addfile(info, io.BytesIO(body))
        for member, file in sorted(files.items()):
            info = tarfile.TarInfo(member)
            info.size, info.mtime, info.mode = file.stat().st_size, mtime, 0o600
            with open(file, "rb") as fh:
                tar.addfile(info, fh)
        tar.close()
        raw.flush()
        os.fsync(raw.fileno())


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# -- reading one ------------------------------------------------------------------------------
@contextlib.contextmanager
def _opened(path: Path) -> Iterator[tarfile.TarFile]:
    """The backup as a tar read front to back; any damage becomes a BackupError."""
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file")
    try:
        tar = tarfile.open(path, mode="r:", format=tarfile.USTAR_FORMAT)  # noqa: SIM115 (closed by the with below)
    except (tarfile.TarError, EOFError) as exc:
        raise BackupError(f"{path.name} is not a CityOps backup (not a tar file: {exc})") from None
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        with tar:
            yield tar
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, OSError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path.name} is damaged or truncated: {exc}") from None


def _read_manifest_member(tar: tarfile.TarFile, path: Path) -> Manifest:
    first = tar.next()
    if first is None or first.name != MANIFEST or not first.isfile():
        raise BackupError(f"{path.name} is not a CityOps backup: it has no {MANIFEST} first")
    if first.size > _MAX_MANIFEST_BYTES:
        raise BackupError(f"{path.name}: its {MANIFEST} is too large to be ours")
    fh = tar.extractfile(first)
    assert fh is not None
    raw = fh.read()
    if len(raw) != first.size:
        raise BackupError(f"{path.name} is truncated (inside its {MANIFEST})")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BackupError(f"{path.name}: its {MANIFEST} is not JSON (damaged?)") from None
    return parse_manifest(data)


def read_manifest(path: Path) -> Manifest:
    """The manifest of the backup ``path`` (its first member only: quick, checks no data)."""
    with _opened(path) as tar:
        return _read_manifest_member(tar, path)


def open_verified(path: Path, *, extract_to: Path | None = None) -> Manifest:
    """Read the whole backup, checking every member against the manifest; with
    ``extract_to`` also write the members there (``<table>.parquet``).

    Raises
    ------
    BackupError
        Not a backup, damaged, truncated, a checksum or a member that does not match.
    """
    with _opened(path) as tar:
        manifest = _read_manifest_member(tar, path)
        expected = {t.member: t for t in manifest.tables}
        seen: set[str] = set()
        while (member := tar.next()) is not None:  # on from the member after the manifest
            entry = expected.get(member.name)
            if entry is None or member.name in seen or not member.isfile():
                raise BackupError(f"{path.name}: unexpected member {member.name!r}")
            source = tar.extractfile(member)
            assert source is not None
            target = None if extract_to is None else extract_to / f"{entry.name}.parquet"
            digest, size = _copy_hashing(source, target)
            if size != member.size or size != entry.bytes:
                raise BackupError(f"{path.name} is truncated (in {member.name})")
            if digest != entry.sha256:
                raise BackupError(f"{path.name} is damaged: {member.name} fails its sha256 check")
            seen.add(member.name)
        missing = sorted(set(expected) - seen)
        if missing:
            more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            raise BackupError(f"{path.name} is truncated: {', '.join(missing[:3])}{more} missing")
        _check_layout(path, tar.getmembers())
    return manifest


def _check_layout(path: Path, members: list[tarfile.TarInfo]) -> None:
    """Every byte outside the members' headers and data is as written: the headers follow
    one another, and each padding and the end of the archive hold zeros only (a flipped
    byte there changes no member, but it is damage all the same)."""
    zeros: list[tuple[int, int]] = []
    end = 0
    for member in members:
        if member.offset != end or member.offset_data != member.offset + tarfile.BLOCKSIZE:
            raise BackupError(f"{path.name} is damaged: odd layout at {member.name}")
        data_end = member.offset_data + member.size
        end = -(-data_end // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE
        zeros.append((data_end, end))
    size = path.stat().st_size
    zeros.append((end, size))
    with open(path, "rb") as fh:
        for member in members:  # the one header byte its checksum leaves out (after the NUL)
            fh.seek(member.offset + 155)
            if fh.read(1) != b" ":
                raise BackupError(f"{path.name} is damaged: the header of {member.name}")
        for start, stop in zeros:
            fh.seek(start)
            left = stop - start
            while left > 0:
                chunk = fh.read(min(left, _CHUNK))
                if not chunk:
                    raise BackupError(f"{path.name} is truncated")
                if chunk.count(0) != len(chunk):
                    raise BackupError(f"{path.name} is damaged: stray bytes between members")
                left -= len(chunk)
    if size - end < 2 * tarfile.BLOCKSIZE:
        raise BackupError(f"{path.name} is truncated: its end-of-archive blocks are missing")


def _copy_hashing(source: BinaryIO, target: Path | None) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    try:
        out = None if target is None else open(target, "xb")  # noqa: SIM115
    except OSError as exc:
        raise BackupError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if out is not None:
                try:
                    out.write(chunk)
                except OSError as exc:
                    raise BackupError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        if out is not None:
            out.close()
    return digest.hexdigest(), size


def verify_backup(path: Path, *, now: datetime | None = None) -> Manifest:
    """Check every member of ``path`` and note the result beside it (``.verified.json``)."""
    from models.clock import utcnow

    manifest = open_verified(path)
    note = {
        "verified_at": (now or utcnow()).isoformat() + "Z",
        "bytes": path.stat().st_size,
        "total_sha256": manifest.total_sha256,
    }
    sidecar = path.with_name(path.name + VERIFIED)
    sidecar.write_text(json.dumps(note), encoding="utf-8")
    os.chmod(sidecar, 0o600)
    return manifest


# -- the folder of backups --------------------------------------------------------------------
@dataclass(frozen=True)
class BackupEntry:
    """A backup file as listed: its manifest (None with ``problem`` when unreadable)."""

    path: Path
    bytes: int
    manifest: Manifest | None
    verified: bool
    problem: str | None = None

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.manifest.created_local if self.manifest else "", self.path.name)


def list_backups(folder: Path) -> list[BackupEntry]:
    """The backups in ``folder``, newest first."""
    entries = []
    if not folder.is_dir():
        return entries
    for path in folder.iterdir():
        if not (_NAME.match(path.name) and path.is_file()):
            continue
        size = path.stat().st_size
        try:
            manifest, problem = read_manifest(path), None
        except BackupError as exc:
            manifest, problem = None, str(exc)
        entries.append(BackupEntry(path, size, manifest, _verified(path, size, manifest), problem))
    return sorted(entries, key=lambda e: e.sort_key, reverse=True)


def _verified(path: Path, size: int, manifest: Manifest | None) -> bool:
    if manifest is None:
        return False
    try:
        note = json.loads(path.with_name(path.name + VERIFIED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(note, dict)
        and note.get("bytes") == size
        and note.get("total_sha256") == manifest.total_sha256
    )


def expired_scheduled(entries: list[BackupEntry], *, keep: int) -> list[Path]:
    """The scheduled backups beyond the newest ``keep`` (manual ones are never pruned)."""
    scheduled = [e for e in entries if e.manifest is not None and e.manifest.kind == "scheduled"]
    scheduled.sort(key=lambda e: e.sort_key, reverse=True)
    return [e.path for e in scheduled[keep:]]


def remove_backup(path: Path) -> None:
    path.unlink()
    path.with_name(path.name + VERIFIED).unlink(missing_ok=True)


def scheduled_due(now: datetime, *, tz: str, backup_at: str, last_local_day: date | None) -> bool:
    """Whether the daily backup is due at ``now`` (naive UTC): today's local ``backup_at``
    has come and no scheduled backup was made today (local). ``backup_at`` "" is never."""
    if not backup_at:
        return False
    local = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz))
    hours, minutes = (int(p) for p in backup_at.split(":"))
    if (local.hour, local.minute) < (hours, minutes):
        return False
    return last_local_day is None or last_local_day < local.date()


def last_scheduled_day(entries: list[BackupEntry]) -> date | None:
    """The local day of the newest scheduled backup in ``entries``."""
    days = [
        datetime.strptime(e.manifest.created_local, "%Y%m%d-%H%M%S").date()
        for e in entries
        if e.manifest is not None and e.manifest.kind == "scheduled"
    ]
    return max(days, default=None)
