"""Reading a backup file: its manifest alone (quick), or every member (tables and photos)
checked against it, byte for byte, and extracted on the way for a restore."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tarfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from models.backup_manifest import MANIFEST, PHOTO_PREFIX, BackupError, Manifest, parse_manifest
from models.photo_paths import inside_folder

VERIFIED = ".verified.json"
#: A manifest lists every photo file (about 150 bytes each): room for about a million.
_MAX_MANIFEST_BYTES = 192 << 20
_CHUNK = 1 << 20


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


def open_verified(
    path: Path, *, extract_to: Path | None = None, photos_to: Path | None = None
) -> Manifest:
    """Read the whole backup, checking every member against the manifest; with
    ``extract_to`` also write the tables there (``<table>.parquet``), with ``photos_to``
    the photos (``<path relative to the photo folder>``, inside that folder only).

    Raises
    ------
    BackupError
        Not a backup, damaged, truncated, a checksum or a member that does not match.
    """
    with _opened(path) as tar:
        manifest = _read_manifest_member(tar, path)
        expected = manifest.members()
        seen: set[str] = set()
        while (member := tar.next()) is not None:  # on from the member after the manifest
            entry = expected.get(member.name)
            if entry is None or member.name in seen or not member.isfile():
                raise BackupError(f"{path.name}: unexpected member {member.name!r}")
            source = tar.extractfile(member)
            assert source is not None
            target = _target(member.name, extract_to, photos_to)
            digest, size = _copy_hashing(source, target)
            if size != member.size or size != entry[1]:
                raise BackupError(f"{path.name} is truncated (in {member.name})")
            if digest != entry[0]:
                raise BackupError(f"{path.name} is damaged: {member.name} fails its sha256 check")
            seen.add(member.name)
        missing = sorted(set(expected) - seen)
        if missing:
            more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            raise BackupError(f"{path.name} is truncated: {', '.join(missing[:3])}{more} missing")
        _check_layout(path, tar.getmembers())
    return manifest


def _target(member: str, tables: Path | None, photos: Path | None) -> Path | None:
    """Where a member is extracted: None when not asked for."""
    if member.startswith(PHOTO_PREFIX):
        if photos is None:
            return None
        relative = member.removeprefix(PHOTO_PREFIX)
        target = inside_folder(photos, relative, no_symlink=True)
        if target is None or target != photos.resolve() / relative:
            raise BackupError(f"refused: photo member {member!r} leads outside its folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        return target
    if tables is None:
        return None
    return tables / member.removeprefix("tables/")


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


def verify_backup(
    path: Path, *, now: datetime | None = None, named: Path | None = None
) -> Manifest:
    """Check every member of ``path`` and note the result beside it (``.verified.json``),
    under the name ``named`` when the file is about to be renamed to it."""
    from models.clock import utcnow

    manifest = open_verified(path)
    note = {
        "verified_at": (now or utcnow()).isoformat() + "Z",
        "bytes": path.stat().st_size,
        "total_sha256": manifest.total_sha256,
    }
    final = named or path
    sidecar = final.with_name(final.name + VERIFIED)
    fd = os.open(sidecar, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(note))
    return manifest
