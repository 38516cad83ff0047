"""The case photos in a backup (models.backup_photos and the photo members of models.backup):
the files the snapshot's rows name restored byte for byte into a fresh photo folder, a
flipped byte in a photo refused, a missing file listed in the manifest, paths that would
escape the photo folder refused, and a format 1 backup (no photos) still restored."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import shutil
import tarfile
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from ingest.locate import store_locator
from models.attachments import add_photo, photo_file
from models.backup import BackupError, make_backup, open_verified, read_manifest
from models.backup_manifest import MANIFEST, PhotoEntry, total_sha256
from models.case_service import Actor
from models.cases import report_case
from models.config import load_config
from models.restore import restore_backup
from models.security import Scope
from models.store import Store

TZ = "Asia/Shanghai"
NOW = datetime(2026, 12, 7, 10, 0, 0)
BOSS = Actor("dispatcher", "dispatcher", Scope("city"))


def _jpeg(color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), color).save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture(scope="module")
def world(demo_copy, tmp_path_factory):
    """The demo database with two cases, each with one real photo added the usual way."""
    folder = demo_copy()
    config = load_config(folder / "config.yaml", environ={})
    photos = tmp_path_factory.mktemp("photos")
    store = Store(config.database_path)
    for i, (color, kind) in enumerate((((200, 40, 40), "report"), ((40, 90, 200), "handled"))):
        case_id = report_case(
            store,
            category_code="0201",
            lon=116.64653 + 0.003 * i,
            lat=23.67071,
            at=NOW,
            source="grid_worker",
            actor="gridworker",
            role="grid_worker",
            locate=store_locator(store),
            text="路面有垃圾",
        ).case_id
        add_photo(
            store,
            BOSS,
            case_id,
            _jpeg(color),
            kind=kind,
            at=NOW,
            settings=config.settings.photos,
            photo_dir=photos,
        )
    store.flush()
    yield store, photos
    store.close()


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _manifest_json(path: Path) -> dict:
    with tarfile.open(path) as tar:
        fh = tar.extractfile(MANIFEST)
        assert fh is not None
        return json.loads(fh.read())


def _named(store: Store) -> set[str]:
    return {p for pair in store.query_rows("SELECT path, thumb_path FROM case_attachments")
            for p in pair}  # fmt: skip


def test_photos_restore_byte_identical_into_a_fresh_folder(world, tmp_path):
    store, photos = world
    stray = photos / "2026" / "12" / "000000000000000000000000.jpg"
    stray.write_bytes(_jpeg((1, 2, 3)))  # no row names it: not in the backup
    try:
        path, manifest = make_backup(store, tmp_path / "b", now=NOW, tz=TZ, photo_dir=photos)
    finally:
        stray.unlink()
    named = _named(store)
    assert len(named) >= 4  # two photos, two thumbnails (the demo may hold more)
    assert {p.path for p in manifest.photos} == named and manifest.photos_missing == {}
    assert read_manifest(path) == manifest and manifest.format_version == 2
    with tarfile.open(path) as tar:
        names = tar.getnames()
    assert {n for n in names if n.startswith("photos/")} == {f"photos/{p}" for p in named}
    assert "photos/" + stray.relative_to(photos).as_posix() not in names
    source = _files(photos)
    for entry in manifest.photos:
        assert entry.bytes == len(source[entry.path])

    fresh = tmp_path / "fresh"
    done = restore_backup(
        path, fresh / "cityops.duckdb", now=NOW, tz=TZ, photo_dir=fresh / "photos"
    )
    assert done.photos.written == len(named) and done.photos.kept == 0
    assert _files(fresh / "photos") == {p: source[p] for p in named}  # byte for byte
    with Store(fresh / "cityops.duckdb") as restored:
        some = restored.query_value("SELECT attachment_id FROM case_attachments LIMIT 1")
        found = photo_file(restored, Scope("city"), some, thumb=False, photo_dir=fresh / "photos")
        assert found is not None and found[0].is_file()

    # again over the same folder: equal files kept, a changed one replaced
    changed = fresh / "photos" / manifest.photos[0].path
    changed.write_bytes(b"not the photo")
    again = restore_backup(
        path, fresh / "cityops.duckdb", now=NOW, tz=TZ, photo_dir=fresh / "photos", force=True
    )
    assert (again.photos.written, again.photos.kept) == (1, len(named) - 1)
    assert changed.read_bytes() == source[manifest.photos[0].path]
    assert not [p for p in (fresh / "photos").iterdir() if p.name.startswith(".")]


def test_a_flipped_byte_in_a_photo_is_refused(world, tmp_path):
    store, photos = world
    path, manifest = make_backup(store, tmp_path / "b", now=NOW, tz=TZ, photo_dir=photos)
    with tarfile.open(path) as tar:
        member = tar.getmember(manifest.photos[-1].member)
    data = bytearray(path.read_bytes())
    data[member.offset_data + member.size // 2] ^= 0x01
    flipped = tmp_path / "flipped.tar"
    flipped.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="fails its sha256 check"):
        open_verified(flipped)
    fresh = tmp_path / "fresh"
    with pytest.raises(BackupError, match=member.name):
        restore_backup(flipped, fresh / "cityops.duckdb", now=NOW, tz=TZ, photo_dir=fresh / "p")
    assert not (fresh / "cityops.duckdb").exists()
    assert _files(fresh / "p") == {}  # nothing staged is left, nothing placed


def test_a_missing_photo_file_is_listed_in_the_manifest(world, tmp_path, caplog):
    store, photos = world
    partial = tmp_path / "photos"
    shutil.copytree(photos, partial)
    gone = sorted(_named(store))[0]
    (partial / gone).unlink()
    with caplog.at_level("WARNING", logger="models.backup_photos"):
        path, manifest = make_backup(store, tmp_path / "b", now=NOW, tz=TZ, photo_dir=partial)
    assert manifest.photos_missing == {gone: "missing"}
    assert gone not in {p.path for p in manifest.photos}
    assert any(gone in r.getMessage() for r in caplog.records)
    on_disk = _manifest_json(path)
    assert on_disk["photos_missing"] == {gone: "missing"}
    fresh = tmp_path / "fresh"
    done = restore_backup(path, fresh / "c.duckdb", now=NOW, tz=TZ, photo_dir=fresh / "p")
    assert set(_files(fresh / "p")) == _named(store) - {gone}
    assert done.manifest.photos_missing == {gone: "missing"}


def _with_photo_member(source: Path, out: Path, relative: str, data: bytes) -> Path:
    """The backup ``source`` (photos left out) written again with one photo member named
    ``photos/<relative>``, its manifest entry and checksums made to match."""
    from models.backup import _write_tar

    folder = out.parent / f"members-{out.stem}"
    folder.mkdir()
    manifest = open_verified(source, extract_to=folder)
    blob = folder / "photo.bin"
    blob.write_bytes(data)
    photo = PhotoEntry(relative, hashlib.sha256(data).hexdigest(), len(data))
    bad = dataclasses.replace(
        manifest, photos=(photo,), total_sha256=total_sha256(manifest.tables, (photo,))
    )
    files = {t.member: folder / f"{t.name}.parquet" for t in bad.tables}
    _write_tar(out, bad, {**files, photo.member: blob})
    return out


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """A backup of a small store with no photos (quick to rewrite)."""
    folder = tmp_path_factory.mktemp("plain")
    with Store(folder / "src.duckdb") as store:
        store.audit("test.row", actor="tester")
        store.flush()  # the audit row is committed before the snapshot
        path, _ = make_backup(store, folder / "b", now=NOW, tz=TZ)
    return path


@pytest.mark.parametrize(
    "relative", ["../evil.jpg", "2026/../../evil.jpg", "/tmp/evil.jpg", "2026//evil.jpg"]
)
def test_a_photo_path_escaping_the_folder_is_refused(plain, tmp_path, relative):
    bad = _with_photo_member(plain, tmp_path / "bad.tar", relative, b"\xff\xd8 evil")
    fresh = tmp_path / "fresh"
    with pytest.raises(BackupError, match="not a plain relative path"):
        restore_backup(bad, fresh / "c.duckdb", now=NOW, tz=TZ, photo_dir=fresh / "p")
    assert not (fresh / "c.duckdb").exists()
    assert not (tmp_path / "evil.jpg").exists() and not Path("/tmp/evil.jpg").exists()


def test_a_symlink_member_or_one_in_the_target_folder_is_refused(plain, tmp_path):
    good = _with_photo_member(plain, tmp_path / "good.tar", "2026/12/a.jpg", b"\xff\xd8 ok")
    # a symlink where a photo goes, in the target folder: refused, nothing written outside
    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "live"
    (target / "p").mkdir(parents=True)
    (target / "p" / "2026").symlink_to(outside, target_is_directory=True)
    with pytest.raises(BackupError, match="outside"):
        restore_backup(good, target / "c.duckdb", now=NOW, tz=TZ, photo_dir=target / "p")
    assert list(outside.iterdir()) == [] and not (target / "c.duckdb").exists()
    # the same member as a symlink in the tar: not a member of ours
    data = good.read_bytes()
    with tarfile.open(good) as tar:
        member = tar.getmember("photos/2026/12/a.jpg")
    link = tarfile.TarInfo(member.name)
    link.type, link.linkname, link.mtime, link.mode = tarfile.SYMTYPE, "/etc/passwd", 0, 0o600
    header = link.tobuf(tarfile.USTAR_FORMAT, "utf-8", "strict")
    swapped = tmp_path / "symlink.tar"
    swapped.write_bytes(data[: member.offset] + header + data[member.offset + 512 :])
    fresh = tmp_path / "fresh"
    with pytest.raises(BackupError, match="unexpected member|damaged|truncated"):
        restore_backup(swapped, fresh / "c.duckdb", now=NOW, tz=TZ, photo_dir=fresh / "p")
    assert not (fresh / "c.duckdb").exists()
    # the good one restores
    restore_backup(good, fresh / "c.duckdb", now=NOW, tz=TZ, photo_dir=fresh / "p")
    assert _files(fresh / "p") == {"2026/12/a.jpg": b"\xff\xd8 ok"}


def test_a_format_1_backup_without_photos_still_restores(plain, tmp_path):
    from models.backup import _write_tar

    folder = tmp_path / "members"
    folder.mkdir()
    manifest = open_verified(plain, extract_to=folder)
    old = dataclasses.replace(manifest, format_version=1)
    v1 = tmp_path / "v1.tar"
    _write_tar(v1, old, {t.member: folder / f"{t.name}.parquet" for t in old.tables})
    on_disk = _manifest_json(v1)
    assert on_disk["format_version"] == 1 and "photos" not in on_disk
    fresh = tmp_path / "fresh"
    done = restore_backup(v1, fresh / "c.duckdb", now=NOW, tz=TZ, photo_dir=fresh / "p")
    assert done.manifest.format_version == 1 and done.manifest.photos == ()
    with Store(fresh / "c.duckdb") as restored:
        assert restored.query_value("SELECT count(*) FROM audit_log WHERE action='test.row'") == 1
