"""Restoring a backup into a stopped installation: checked, built beside the database,
counted, its photos put into the photo folder, then swapped in with one rename, the old
file kept aside."""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from models.backup import (
    BackupError,
    Manifest,
    check_schema,
    local_stamp,
    open_verified,
    read_manifest,
)
from models.backup_photos import PlacedPhotos, place_photos
from models.store import LATEST_VERSION, Store, StoreError
from models.store.snapshot import build_database, check_free


@dataclass(frozen=True)
class Restored:
    """What a restore did: the manifest restored, the rows loaded, the old file kept aside."""

    manifest: Manifest
    rows: dict[str, int]
    schema_version: int
    kept: Path | None
    photos: PlacedPhotos = PlacedPhotos(0, 0)


def restore_backup(
    backup: Path,
    database: Path,
    *,
    now: datetime,
    tz: str,
    force: bool = False,
    actor: str | None = None,
    photo_dir: Path | None = None,
) -> Restored:
    """Replace ``database`` by the content of ``backup``.

    The backup is refused when newer than this CityOps, damaged or truncated; the database
    when another process holds it, or when it exists and ``force`` is not given. The new
    file is built in a folder beside the database (same file system), its counts checked
    against the manifest, an older schema migrated up, the restore audited inside it; then
    one rename puts it in place and the old file stays as ``<name>.before-restore-<stamp>``.

    The backup's photos are checked with the rest, staged inside ``photo_dir`` and moved to
    their paths there before the database is swapped (a file there with the same sha256 is
    kept, any other replaced; a path escaping the folder refuses the restore). A backup
    holding photos needs ``photo_dir``.

    Raises
    ------
    BackupError, StoreError
        Refused or failed; the database is then untouched.
    """
    manifest = read_manifest(backup)
    check_schema(manifest, latest=LATEST_VERSION)  # before reading gigabytes
    check_free(database)
    if _stale_log(database).exists():
        raise StoreError(
            f"{_stale_log(database)} is left beside the database and could not be folded in; "
            "open the database once with CityOps (or move the log away) before restoring"
        )
    if manifest.photos and photo_dir is None:
        raise BackupError(
            f"the backup holds {len(manifest.photos)} photo files: name the photo folder"
        )
    if database.exists() and not force:
        raise BackupError(
            f"{database} exists: restoring replaces it (it is kept as "
            f"{database.name}.before-restore-<time>); run again with --force to do it"
        )
    database.parent.mkdir(parents=True, exist_ok=True)
    stamp = local_stamp(now, tz)
    with contextlib.ExitStack() as stack:
        folder = Path(
            stack.enter_context(
                tempfile.TemporaryDirectory(
                    dir=database.parent, prefix=f".{database.name}.restore-"
                )
            )
        )
        (folder / "tables").mkdir()
        staged = None
        if photo_dir is not None and manifest.photos:
            photo_dir.mkdir(parents=True, exist_ok=True)
            staged = Path(
                stack.enter_context(
                    tempfile.TemporaryDirectory(dir=photo_dir, prefix=".cityops-restore-")
                )
            )
        manifest = open_verified(backup, extract_to=folder / "tables", photos_to=staged)
        check_schema(manifest, latest=LATEST_VERSION)
        built = folder / database.name
        rows = build_database(
            built,
            {t.name: folder / "tables" / f"{t.name}.parquet" for t in manifest.tables},
            rows=manifest.counts,
            version=manifest.schema_version,
            sequences=manifest.sequences,
        )
        with Store(built) as store:
            version = store.schema_version
            store.audit(
                "backup.restore",
                actor=actor,
                target=backup.name,
                detail=f"schema {manifest.schema_version} → {version}; "
                f"{sum(rows.values())} rows in {len(rows)} tables; "
                f"{len(manifest.photos)} photo files",
                at=now,
            )
        placed = PlacedPhotos(0, 0)
        if staged is not None and photo_dir is not None:
            placed = place_photos(staged, photo_dir, manifest.photos)
        kept = _swap(built, database, stamp)
    return Restored(manifest, rows, version, kept, placed)


def _stale_log(database: Path) -> Path:
    return database.with_name(database.name + ".wal")


def _swap(built: Path, database: Path, stamp: str) -> Path | None:
    """Put ``built`` at ``database`` with one rename; the old file keeps a second name first."""
    kept = None
    if database.exists():
        kept = database.with_name(f"{database.name}.before-restore-{stamp}")
        n = 1
        while kept.exists():
            n += 1
            kept = database.with_name(f"{database.name}.before-restore-{stamp}-{n}")
        try:
            os.link(database, kept)  # the old file keeps its bytes under a second name
        except OSError:
            os.rename(database, kept)  # no hard links here: a moment without a database
    os.replace(built, database)
    with contextlib.suppress(OSError):
        fd = os.open(database.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return kept
