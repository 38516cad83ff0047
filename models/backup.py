"""Backup files of the whole database: one tar holding a JSON MANIFEST, one Parquet file
per table and the photo files its rows name, written from one read snapshot; the folder of
backups listed, pruned, scheduled."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import tarfile
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from models.backup_manifest import (
    KINDS,
    MANIFEST,
    BackupBusy,
    BackupError,
    Manifest,
    TableEntry,
    check_schema,
    cityops_version,
    total_sha256,
)
from models.backup_photos import HashingReader, collect_photos, file_sha256
from models.backup_read import VERIFIED, open_verified, read_manifest, verify_backup
from models.store import Store

log = logging.getLogger(__name__)

PREFIX = "cityops-backup-"
SUFFIX = ".tar"
_NAME = re.compile(r"^cityops-backup-\d{8}-\d{6}(-\d+)?\.tar$")
_running = threading.Lock()

__all__ = [
    "BackupBusy",
    "BackupError",
    "Manifest",
    "check_schema",
    "make_backup",
    "open_verified",
    "read_manifest",
    "verify_backup",
]


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
    store: Store,
    folder: Path,
    *,
    now: datetime,
    tz: str,
    kind: str = "manual",
    photo_dir: Path | None = None,
) -> tuple[Path, Manifest]:
    """Copy the whole database as of one moment into a new backup file in ``folder``.

    With ``photo_dir`` (``Config.photo_dir``) the photo files the snapshot's rows name are
    copied too; one a row names but the folder lacks is listed in the manifest's
    ``photos_missing`` (and logged), not an error. The file appears complete or not at all
    (written under a hidden name, then renamed), readable by its owner only, and is read
    back and checked before this returns. One backup at a time per process
    (:class:`BackupBusy` otherwise).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    with one_at_a_time():
        return _make(store, folder, now=now, tz=tz, kind=kind, photo_dir=photo_dir)


def start_backup(
    store: Store,
    folder: Path,
    *,
    now: datetime,
    tz: str,
    done: Callable[[tuple[Path, Manifest] | None, Exception | None], None],
    photo_dir: Path | None = None,
) -> bool:
    """Make a manual backup on a thread of its own and call ``done(result, error)`` there.

    Returns False at once (nothing started) when a backup is being made already: the slot
    is taken here, before the thread starts, so two presses cannot both start one.
    """
    if not _running.acquire(blocking=False):
        return False

    def run() -> None:
        try:
            result = _make(store, folder, now=now, tz=tz, kind="manual", photo_dir=photo_dir)
        except Exception as exc:
            _running.release()
            log.exception("backup failed")
            done(None, exc)
            return
        _running.release()
        done(result, None)

    try:
        threading.Thread(target=run, name="backup-now", daemon=True).start()
    except RuntimeError:
        _running.release()
        raise
    return True


def _make(
    store: Store, folder: Path, *, now: datetime, tz: str, kind: str, photo_dir: Path | None
) -> tuple[Path, Manifest]:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".cityops-backup-") as tmp:
        snap = store.copy_snapshot(Path(tmp) / "tables")
        tables = [
            TableEntry(
                t.name,
                t.rows,
                f"tables/{t.name}.parquet",
                file_sha256(t.file)[0],
                t.file.stat().st_size,
                t.key,
                t.max_key,
            )
            for t in snap.tables
        ]
        files = {f"tables/{t.name}.parquet": t.file for t in snap.tables}
        photos, missing = (), {}
        if photo_dir is not None:
            photos, missing, photo_files = collect_photos(photo_dir, snap.photos)
            files.update(photo_files)
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
            total_sha256=total_sha256(tables, photos),
            photos=photos,
            photos_missing=missing,
        )
        path = _free_name(folder, stamp)
        partial = folder / f".{path.name}.partial"
        try:
            _write_tar(partial, manifest, files)
            verify_backup(partial, now=now, named=path)  # read back before it is listed
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
            if not path.exists():  # failed before the rename: no note of a missing file
                path.with_name(path.name + VERIFIED).unlink(missing_ok=True)
    _fsync_dir(folder)
    return path, manifest


def _free_name(folder: Path, stamp: str) -> Path:
    path, n = folder / f"{PREFIX}{stamp}{SUFFIX}", 1
    while path.exists():
        n += 1
        path = folder / f"{PREFIX}{stamp}-{n}{SUFFIX}"
    return path


def _write_tar(path: Path, manifest: Manifest, files: dict[str, Path]) -> None:
    """Write the manifest, then each member streamed from its file (tables, then photos),
    each summed again on the way: a file changed since the manifest's checksum fails."""
    expected = manifest.members()
    if set(files) != set(expected):
        raise BackupError("the files to write do not match the manifest's members")
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
        for member in expected:
            sha, size = expected[member]
            info = tarfile.TarInfo(member)
            info.size, info.mtime, info.mode = size, mtime, 0o600
            try:
                with open(files[member], "rb") as fh:
                    reader = HashingReader(fh)
                    tar.addfile(info, reader)  # type: ignore[arg-type]
            except OSError as exc:
                raise BackupError(f"cannot copy {member}: {exc.strerror or exc}") from None
            if reader.digest.hexdigest() != sha:
                raise BackupError(f"{member} changed while the backup was being made")
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
        stat = path.stat()
        size = stat.st_size
        try:
            manifest, problem = _manifest_of(path, size, stat.st_mtime_ns), None
        except BackupError as exc:
            manifest, problem = None, str(exc)
        entries.append(BackupEntry(path, size, manifest, _verified(path, size, manifest), problem))
    return sorted(entries, key=lambda e: e.sort_key, reverse=True)


#: Manifests read, by file, size and modification time: a backup never changes once in place,
#: and the admin's tab lists the folder every few seconds (a manifest naming 100,000 photos
#: takes seconds to read).
_MANIFESTS: dict[tuple[str, int, int], Manifest] = {}
_MANIFESTS_KEPT = 64


def _manifest_of(path: Path, size: int, mtime_ns: int) -> Manifest:
    key = (str(path), size, mtime_ns)
    manifest = _MANIFESTS.get(key)
    if manifest is None:
        manifest = read_manifest(path)
        if len(_MANIFESTS) >= _MANIFESTS_KEPT:
            _MANIFESTS.pop(next(iter(_MANIFESTS)))
        _MANIFESTS[key] = manifest
    return manifest


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
