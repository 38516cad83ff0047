"""The `cityops backup` and `cityops restore` commands: a consistent copy of the whole database
(made by the server when one holds the file), and its restore into a stopped installation."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
import time
from pathlib import Path

from app.backup_schedule import backup_dir
from app.control import server_listening
from models.backup import BackupBusy, BackupError, make_backup
from models.clock import utcnow
from models.config import Config
from models.restore import restore_backup
from models.store import Store, StoreError
from models.users import User

log = logging.getLogger(__name__)


def add_backup_parser(sub: argparse._SubParsersAction) -> None:
    back = sub.add_parser(
        "backup",
        help="copy the whole database, as of one moment, into one file (admin; works while "
        "the server runs)",
    )
    back.add_argument(
        "--to", type=Path, metavar="DIR", help="folder of the backup (default: storage.backup_dir)"
    )
    rest = sub.add_parser(
        "restore",
        help="replace the database by a backup (the server must be stopped; the old file is "
        "kept as <name>.before-restore-<time>)",
    )
    rest.add_argument("file", type=Path, help="a cityops-backup-*.tar")
    rest.add_argument(
        "--force", action="store_true", help="replace an existing database (kept aside)"
    )


def run_backup(config: Config, store: Store, args: argparse.Namespace, user: User) -> int:
    """Make a backup now (in the server when one holds the database) and print it."""
    folder = args.to or backup_dir(config)
    started = time.perf_counter()
    try:
        path, manifest = make_backup(
            store,
            folder,
            now=utcnow(),
            tz=config.settings.calendar.timezone,
            kind="manual",
            photo_dir=config.photo_dir,
        )
    except BackupBusy as exc:
        print(f"cityops: {exc}", file=sys.stderr)
        return 1
    except (BackupError, StoreError, OSError) as exc:
        log.exception("backup failed")
        store.audit("backup.create", actor=user.username, outcome="failed", detail=str(exc)[:500])
        print(f"cityops: backup failed: {exc}", file=sys.stderr)
        return 1
    rows = sum(manifest.counts.values())
    store.audit(
        "backup.create",
        actor=user.username,
        target=path.name,
        detail=f"schema {manifest.schema_version}; {rows} rows in {len(manifest.tables)} tables; "
        f"{len(manifest.photos)} photo files, {len(manifest.photos_missing)} missing",
    )
    print(f"backup written: {path}")
    print(
        f"  {path.stat().st_size / 2**20:.1f} MiB, schema v{manifest.schema_version}, "
        f"{len(manifest.tables)} tables, {rows} rows, {len(manifest.photos)} photo files "
        f"({manifest.photo_bytes / 2**20:.1f} MiB), checked "
        f"({time.perf_counter() - started:.1f} s)"
    )
    if manifest.photos_missing:
        print(
            f"  warning: {len(manifest.photos_missing)} photo file(s) named by cases were not "
            f"in {config.photo_dir} (listed in the manifest's photos_missing), e.g. "
            + ", ".join(sorted(manifest.photos_missing)[:3])
        )
    return 0


def run_restore(config: Config, args: argparse.Namespace, *, username: str | None) -> int:
    """Restore a backup into storage.path of a stopped installation."""
    database = config.database_path
    if server_listening(database):
        print(
            f"cityops: a CityOps server or worker holds {database} (its control socket "
            "answers): stop it, then restore",
            file=sys.stderr,
        )
        return 1
    actor = username or f"os:{getpass.getuser()}"
    started = time.perf_counter()
    try:
        done = restore_backup(
            args.file.resolve() if args.file.exists() else args.file,
            database,
            now=utcnow(),
            tz=config.settings.calendar.timezone,
            force=args.force,
            actor=actor,
            photo_dir=config.photo_dir,
        )
    except (BackupError, StoreError) as exc:
        print(f"cityops: restore refused: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"cityops: restore failed: {exc}; the database is unchanged", file=sys.stderr)
        return 1
    rows = sum(done.rows.values())
    print(f"restored {args.file.name} into {database}")
    print(
        f"  made {done.manifest.created_local} by CityOps {done.manifest.cityops_version}; "
        f"schema v{done.manifest.schema_version}"
        + (
            f" migrated to v{done.schema_version}"
            if done.schema_version != done.manifest.schema_version
            else ""
        )
        + f"; {rows} rows in {len(done.rows)} tables, counts checked "
        f"({time.perf_counter() - started:.1f} s)"
    )
    if done.manifest.photos:
        print(
            f"  {len(done.manifest.photos)} photo files into {config.photo_dir}: "
            f"{done.photos.written} written, {done.photos.kept} there already (same sha256)"
        )
    if done.manifest.photos_missing:
        print(
            f"  warning: {len(done.manifest.photos_missing)} photo file(s) were missing when "
            "the backup was made (see the manifest's photos_missing)"
        )
    if done.kept is not None:
        print(f"  the old database is kept as {done.kept}")
    return 0
