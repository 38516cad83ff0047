"""The watched drop folder: settled files are loaded, then moved to done/ or failed/."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ingest.files.report import FileResult
from ingest.files.runner import ingest_file
from ingest.files.source import SHAPEFILE_PARTS

log = logging.getLogger(__name__)
DONE, FAILED = "done", "failed"
#: Names still being written or never meant to be loaded.
_PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download", ".swp")


def _skip(entry: Path) -> bool:
    name = entry.name.lower()
    return (
        name.startswith((".", "~$"))
        or name.endswith(_PARTIAL_SUFFIXES)
        or name.endswith((".report.json", ".report.txt"))
        or (entry.is_dir() and name in (DONE, FAILED))
    )


def _sidecar(entry: Path) -> bool:
    """A shapefile part other than .shp: it moves with its .shp, never loads alone."""
    name = entry.name.lower()
    return entry.is_file() and not name.endswith(".shp") and name.endswith(SHAPEFILE_PARTS)


def _signature(entry: Path) -> tuple[int, int] | None:
    try:
        if entry.is_dir():
            files = [p.stat() for p in entry.rglob("*") if p.is_file()]
            return sum(s.st_size for s in files), max((s.st_mtime_ns for s in files), default=0)
        if entry.suffix.lower() == ".shp":
            stem = entry.name[:-4].lower()
            parts = [
                p.stat()
                for p in entry.parent.iterdir()
                if p.is_file() and p.name.lower().startswith(stem + ".")
            ]
            return sum(s.st_size for s in parts), max(s.st_mtime_ns for s in parts)
        stat = entry.stat()
        return stat.st_size, stat.st_mtime_ns
    except OSError:
        return None  # vanished or unreadable between two looks: try again next poll


@dataclass
class FolderState:
    """What the watcher remembers between polls."""

    seen: dict[Path, tuple[int, int]] = field(default_factory=dict)
    attempted: dict[Path, tuple[int, int]] = field(default_factory=dict)


def scan_once(
    store: Any, folder: Path, state: FolderState, now: Callable[[], datetime], **options: Any
) -> list[FileResult]:
    """One poll: load every entry whose signature is unchanged since the previous poll.

    An entry that could not be moved away is not retried until it changes.
    """
    results = []
    current: dict[Path, tuple[int, int]] = {}
    for entry in sorted(folder.iterdir()):
        if _skip(entry) or _sidecar(entry):
            continue
        signature = _signature(entry)
        if signature is None or (signature[0] == 0 and not entry.is_dir()):
            continue  # an empty file is still being created
        current[entry] = signature
        if state.seen.get(entry) != signature or state.attempted.get(entry) == signature:
            continue  # new or still growing: look again next poll
        state.attempted[entry] = signature
        results.append(
            ingest_file(
                store,
                entry,
                now=now(),
                done_dir=folder / DONE,
                failed_dir=folder / FAILED,
                actor="drop-folder",
                **options,
            )
        )
    state.seen = current
    state.attempted = {p: s for p, s in state.attempted.items() if p in current}
    return results


def watch_folder(
    store: Any,
    folder: Path | str,
    *,
    poll_s: float,
    stop: threading.Event,
    now: Callable[[], datetime],
    on_result: Callable[[FileResult], None] | None = None,
    **options: Any,
) -> None:
    """Watch ``folder`` until ``stop`` is set; never raises on a bad file.

    A file is loaded once its size and mtime are the same on two successive polls
    (``poll_s`` apart); dotfiles, ``*.part`` and other partial downloads are ignored.
    Loaded files go to ``folder/done/``, refused ones to ``folder/failed/``, each with
    ``<name>.report.json`` and ``<name>.report.txt`` beside it. ``options`` are passed to
    :func:`ingest_file` (``kind``, ``local_tz``, ``metric_crs``, ``max_bytes``, ...).
    """
    folder = Path(folder)
    for sub in (DONE, FAILED):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    state = FolderState()
    log.info("watching drop folder %s every %.1f s", folder, poll_s)
    while not stop.is_set():
        try:
            for result in scan_once(store, folder, state, now, **options):
                if on_result is not None:
                    on_result(result)
        except Exception:  # the watcher must outlive any surprise; the next poll retries
            log.exception("drop folder poll failed")
        stop.wait(poll_s)
