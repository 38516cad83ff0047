"""The case photos in a backup: the files a snapshot's rows name, checksummed from the photo
folder (streamed, never whole in memory); on restore, put into the photo folder from where
the checked backup left them."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from models.backup_manifest import BackupError, PhotoEntry
from models.photo_paths import inside_folder

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
#: Missing photos logged one by one (a wrong photos.dir would otherwise log every row).
_LOGGED = 20


def file_sha256(path: Path) -> tuple[str, int]:
    """sha256 and size of the file ``path``, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _tar_name_fits(member: str) -> bool:
    try:
        tarfile.TarInfo(member).tobuf(tarfile.USTAR_FORMAT, "utf-8", "strict")
    except (ValueError, UnicodeError):
        return False
    return True


def collect_photos(
    photo_dir: Path, referenced: tuple[str, ...]
) -> tuple[tuple[PhotoEntry, ...], dict[str, str], dict[str, Path]]:
    """The referenced files found in ``photo_dir``, with their checksums: (entries, missing
    path → why, member → file). A file that is not there, not a regular file, a symlink or
    outside the folder is listed as missing with a warning, never copied."""
    entries: list[PhotoEntry] = []
    missing: dict[str, str] = {}
    files: dict[str, Path] = {}
    for relative in referenced:
        path = inside_folder(photo_dir, relative, no_symlink=True)
        if path is None or not _tar_name_fits(PhotoEntry(relative, "", 0).member):
            missing[relative] = "not a plain path inside the photo folder"
        elif not path.exists():
            missing[relative] = "missing"
        elif not path.is_file():
            missing[relative] = "not a regular file"
        else:
            try:
                sha, size = file_sha256(path)
            except OSError as exc:
                missing[relative] = f"unreadable: {exc.strerror or exc}"
                continue
            entry = PhotoEntry(relative, sha, size)
            entries.append(entry)
            files[entry.member] = path
    for relative, why in list(missing.items())[:_LOGGED]:
        log.warning("photo not in the backup: %s (%s)", relative, why, extra={"photo": relative})
    if len(missing) > _LOGGED:
        log.warning(
            "%d more photos not in the backup (see the manifest's photos_missing)",
            len(missing) - _LOGGED,
        )
    return tuple(entries), missing, files


class HashingReader:
    """A file read through once while its bytes are summed (for a member being written)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.digest.update(chunk)
        return chunk


@dataclass(frozen=True)
class PlacedPhotos:
    """What a restore did in the photo folder: files written, files kept (same sha256)."""

    written: int
    kept: int


def place_photos(staged: Path, photo_dir: Path, photos: tuple[PhotoEntry, ...]) -> PlacedPhotos:
    """Move the checked photos from ``staged`` (a folder inside ``photo_dir``, so each move
    is one rename) to their paths in ``photo_dir``; a file there with the same sha256 is
    kept, any other replaced.

    Every target is checked before any is written: a path escaping the folder, or through
    or onto a symlink, refuses the whole restore with nothing moved.
    """
    targets = []
    for photo in photos:
        target = inside_folder(photo_dir, photo.path, no_symlink=True)
        source = inside_folder(staged, photo.path, no_symlink=True)
        if target is None or source is None or target != photo_dir.resolve() / photo.path:
            raise BackupError(
                f"photo {photo.path!r} would be written outside {photo_dir} (a symlink or "
                "an odd path on the way): nothing restored"
            )
        if target.exists() and not target.is_file():
            raise BackupError(f"{target} is in the way of a photo (not a regular file)")
        targets.append((photo, source, target))
    written = kept = 0
    for photo, source, target in targets:
        if target.is_file() and file_sha256(target)[0] == photo.sha256:
            kept += 1
            continue
        with open(source, "rb") as fh:
            os.fsync(fh.fileno())
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        written += 1
    for folder in {t.parent for _, _, t in targets}:
        with contextlib.suppress(OSError):
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    return PlacedPhotos(written, kept)
