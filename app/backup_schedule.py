"""The daily backup inside the server: once a local day from ``storage.backup_at`` into
``storage.backup_dir``, the scheduled ones beyond ``storage.backup_keep`` removed; audited;
a failure is logged and audited, tried again an hour later, and never ends the thread."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from pathlib import Path

from models.backup import (
    BackupBusy,
    Manifest,
    expired_scheduled,
    last_scheduled_day,
    list_backups,
    make_backup,
    remove_backup,
    scheduled_due,
    start_backup,
)
from models.clock import utcnow
from models.config import Config
from models.store import Store

log = logging.getLogger(__name__)

#: Seconds between two looks at the schedule.
CHECK_EVERY_S = 60.0
#: After a failed scheduled backup, the next try waits this long.
RETRY_AFTER = timedelta(hours=1)
#: The audit log's actor of what the schedule does.
ACTOR = "schedule"


def backup_dir(config: Config) -> Path:
    """Where backups go: ``storage.backup_dir``, relative to the config file."""
    return config.resolve(config.settings.storage.backup_dir)


def back_up_now(config: Config, store: Store, *, actor: str) -> bool:
    """Start a manual backup in the background (the admin page's button), audited when it
    ends; False when one is being made already."""

    def done(result: tuple[Path, Manifest] | None, error: Exception | None) -> None:
        if result is None:
            store.audit("backup.create", actor=actor, outcome="failed", detail=str(error)[:500])
            return
        path, manifest = result
        rows = sum(manifest.counts.values())
        store.audit(
            "backup.create",
            actor=actor,
            target=path.name,
            detail=f"schema {manifest.schema_version}; {rows} rows in {len(manifest.tables)} "
            f"tables; {len(manifest.photos)} photo files, {len(manifest.photos_missing)} missing",
        )

    return start_backup(
        store,
        backup_dir(config),
        now=utcnow(),
        tz=config.settings.calendar.timezone,
        done=done,
        photo_dir=config.photo_dir,
    )


def run_once(config: Config, store: Store, now: datetime) -> Path | None:
    """Make the daily backup if it is due at ``now`` (naive UTC) and prune the old ones.

    Returns the new file, None when nothing was due (or another backup was running).
    Raises whatever made the backup fail (the loop logs and audits it).
    """
    storage = config.settings.storage
    tz = config.settings.calendar.timezone
    folder = backup_dir(config)
    entries = list_backups(folder)
    due = scheduled_due(
        now, tz=tz, backup_at=storage.backup_at, last_local_day=last_scheduled_day(entries)
    )
    if not due:
        return None
    try:
        path, manifest = make_backup(
            store, folder, now=now, tz=tz, kind="scheduled", photo_dir=config.photo_dir
        )
    except BackupBusy:
        log.info("scheduled backup waits: another backup is being made")
        return None
    rows = sum(manifest.counts.values())
    store.audit(
        "backup.scheduled",
        actor=ACTOR,
        target=path.name,
        detail=f"schema {manifest.schema_version}; {rows} rows in {len(manifest.tables)} tables; "
        f"{len(manifest.photos)} photo files, {len(manifest.photos_missing)} missing",
        at=now,
    )
    log.info("scheduled backup made", extra={"file": str(path), "rows": rows})
    for old in expired_scheduled(list_backups(folder), keep=storage.backup_keep):
        try:
            remove_backup(old)
            store.audit("backup.pruned", actor=ACTOR, target=old.name, at=now)
            log.info("old scheduled backup removed", extra={"file": old.name})
        except OSError:
            log.exception("old scheduled backup not removed", extra={"file": old.name})
    return path


def run_schedule(
    config: Config, store: Store, stop: threading.Event, *, every_s: float = CHECK_EVERY_S
) -> None:
    """The schedule thread: a look every ``every_s`` seconds until ``stop``; a failure is
    logged and audited, and tried again after :data:`RETRY_AFTER`."""
    failed_at: datetime | None = None
    while not stop.wait(every_s):
        now = utcnow()
        if failed_at is not None and now - failed_at < RETRY_AFTER:
            continue
        try:
            run_once(config, store, now)
            failed_at = None
        except Exception as exc:
            failed_at = now
            log.exception("scheduled backup failed")
            try:
                store.audit(
                    "backup.scheduled", actor=ACTOR, outcome="failed", detail=str(exc)[:500]
                )
            except Exception:
                log.exception("scheduled backup failure not audited")
