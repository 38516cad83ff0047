"""Case photos kept: role and scope rules, files before rows, one copy per picture, reads."""

from __future__ import annotations

import io
import json
from datetime import datetime

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

import models.attachments as attachments
from ingest.locate import store_locator
from models.attachments import PhotoRefused, add_photo, case_photos, photo_file
from models.case_service import Actor, Refused, act
from models.cases import report_case
from models.clock import utcnow
from models.config import ConfigError, load_config
from models.security import Scope
from models.store import Store
from models.work_calendar import WorkCalendar

LON, LAT = 116.64653, 23.67071  # 湘桥区
FAR_LON, FAR_LAT = 116.5980, 23.6640  # elsewhere in the city: another cell
UNIT = "CG-445102"


@pytest.fixture(scope="module")
def world(demo_copy, tmp_path_factory):
    folder = demo_copy()
    config = load_config(folder / "config.yaml", environ={})
    store = Store(config.database_path)
    yield store, config
    store.close()


@pytest.fixture
def photo_dir(tmp_path):
    return tmp_path / "photos"


def _settings(config):
    return config.settings.photos


def _case(store) -> tuple[str, str]:
    case_id = report_case(
        store,
        category_code="0201",
        lon=LON,
        lat=LAT,
        at=utcnow(),
        source="grid_worker",
        actor="gridworker",
        role="grid_worker",
        locate=store_locator(store),
        text="路面有垃圾",
    ).case_id
    cell = store.query_value("SELECT cell_code FROM cases WHERE case_id = ?", [case_id])
    return case_id, cell


def _dispatched(store, config) -> str:
    case_id, _ = _case(store)
    boss = Actor("dispatcher", "dispatcher", Scope("city"))
    calendar = WorkCalendar.from_settings(config.settings.calendar)
    for action in ("accept", "register"):
        act(store, boss, case_id, action, at=utcnow(), calendar=calendar)
    act(store, boss, case_id, "dispatch", at=utcnow(), calendar=calendar, data={"unit": UNIT})
    return case_id


def _jpeg(color=(200, 40, 40), *, gps: bool = False, taken: str | None = None) -> bytes:
    image = Image.new("RGB", (640, 480), color)
    exif = Image.Exif()
    if gps:
        exif[0x8825] = {
            1: "N",
            2: (IFDRational(23), IFDRational(40), IFDRational(0)),
            3: "E",
            4: (IFDRational(116), IFDRational(38), IFDRational(0)),
        }
    if taken:
        exif[0x8769] = {0x9003: taken}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _worker(cell: str) -> Actor:
    return Actor("gridworker", "grid_worker", Scope("cells", (cell,)))


def _files(folder) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_grid_worker_adds_a_report_photo(world, photo_dir):
    store, config = world
    case_id, cell = _case(store)
    seq_before = store.query_value("SELECT change_seq FROM cases WHERE case_id = ?", [case_id])
    at = datetime(2026, 12, 7, 3, 0, 0)
    photo = add_photo(
        store,
        _worker(cell),
        case_id,
        _jpeg(gps=True, taken="2026:12:07 10:59:00"),
        kind="report",
        at=at,
        settings=_settings(config),
        photo_dir=photo_dir,
    )
    pid = photo["id"]
    assert photo["url"] == f"/photos/{pid}" and photo["thumb_url"] == f"/photos/{pid}/thumb"
    assert photo["kind"] == "report" and photo["media_type"] == "image/jpeg"
    assert (photo["width"], photo["height"]) == (640, 480)
    assert photo["uploaded_by"] == "gridworker" and photo["uploaded_at"] == "2026-12-07T03:00:00Z"
    assert photo["taken_lat"] == pytest.approx(23 + 40 / 60)
    assert photo["taken_lon"] == pytest.approx(116 + 38 / 60)
    # a camera time without offset is local (Asia/Shanghai): kept in UTC
    assert photo["taken_at"] == "2026-12-07T02:59:00Z"
    assert _files(photo_dir) == [f"2026/12/{pid}.jpg", f"2026/12/{pid}_thumb.jpg"]
    stored = (photo_dir / f"2026/12/{pid}.jpg").read_bytes()
    assert b"Exif" not in stored and len(Image.open(io.BytesIO(stored)).getexif()) == 0
    row = store.query_rows(
        "SELECT path, thumb_path, sha256, size_bytes FROM case_attachments WHERE attachment_id = ?",
        [pid],
    )[0]
    assert row[0] == f"2026/12/{pid}.jpg" and row[1] == f"2026/12/{pid}_thumb.jpg"
    assert row[3] == len(stored)
    assert case_photos(store, case_id) == [photo]
    # the wall hears of it, and the upload is audited
    seq_after = store.query_value("SELECT change_seq FROM cases WHERE case_id = ?", [case_id])
    assert seq_after > seq_before
    store.flush()
    detail = store.query_value(
        "SELECT detail FROM audit_log WHERE action = 'case.photo' AND target = ?", [case_id]
    )
    assert json.loads(detail)["attachment"] == pid


def test_the_same_picture_twice_is_one_attachment(world, photo_dir):
    store, config = world
    case_id, cell = _case(store)
    raw = _jpeg((10, 120, 10))
    first, second = (
        add_photo(
            store,
            _worker(cell),
            case_id,
            raw,
            kind="report",
            at=utcnow(),
            settings=_settings(config),
            photo_dir=photo_dir,
        )
        for _ in range(2)
    )
    assert first == second
    assert len(case_photos(store, case_id)) == 1
    assert len(_files(photo_dir)) == 2
    # another case may hold the same picture
    other_id, other_cell = _case(store)
    again = add_photo(
        store,
        _worker(other_cell),
        other_id,
        raw,
        kind="report",
        at=utcnow(),
        settings=_settings(config),
        photo_dir=photo_dir,
    )
    assert again["id"] != first["id"]


@pytest.mark.parametrize(
    "actor,kind,status",
    [
        (Actor("gw_other", "grid_worker", Scope("cells", ("445102001001001",))), "report", 404),
        (Actor("op", "operator", Scope("city")), "report", 403),
        (Actor("boss", "leader", Scope("city")), "other", 403),
        (Actor("em", "emergency", Scope("city")), "report", 403),
        (Actor("dispatcher", "dispatcher", Scope("city")), "selfie", 422),
    ],
    ids=["worker-elsewhere", "operator", "leader", "emergency", "unknown-kind"],
)
def test_who_may_not_add(world, photo_dir, actor, kind, status):
    store, config = world
    case_id, _ = _case(store)
    with pytest.raises(Refused) as info:
        add_photo(
            store,
            actor,
            case_id,
            _jpeg(),
            kind=kind,
            at=utcnow(),
            settings=_settings(config),
            photo_dir=photo_dir,
        )
    assert info.value.status == status
    assert case_photos(store, case_id) == [] and not photo_dir.exists()


def test_grid_worker_adds_report_and_verify_only(world, photo_dir):
    store, config = world
    case_id, cell = _case(store)
    add = lambda kind, color: add_photo(  # noqa: E731
        store,
        _worker(cell),
        case_id,
        _jpeg(color),
        kind=kind,
        at=utcnow(),
        settings=_settings(config),
        photo_dir=photo_dir,
    )
    assert add("verify", (1, 2, 3))["kind"] == "verify"
    for kind in ("handled", "other"):
        with pytest.raises(Refused) as info:
            add(kind, (4, 5, 6))
        assert info.value.status == 403


def test_handler_adds_handled_photos_to_its_units_cases(world, photo_dir):
    store, config = world
    case_id = _dispatched(store, config)
    handler = Actor("xq_cg", "handler", Scope("unit", (UNIT,)))
    common = dict(at=utcnow(), settings=_settings(config), photo_dir=photo_dir)
    seq = store.query_value("SELECT max(seq) FROM case_transitions WHERE case_id = ?", [case_id])
    photo = add_photo(
        store, handler, case_id, _jpeg(), kind="handled", transition_seq=seq, **common
    )
    assert photo["kind"] == "handled" and photo["transition_seq"] == seq
    with pytest.raises(Refused) as info:
        add_photo(store, handler, case_id, _jpeg((9, 9, 9)), kind="report", **common)
    assert info.value.status == 403
    stranger = Actor("street_handler", "handler", Scope("unit", ("JD-445102001",)))
    with pytest.raises(Refused) as info:
        add_photo(store, stranger, case_id, _jpeg((7, 7, 7)), kind="handled", **common)
    assert info.value.status == 404
    with pytest.raises(Refused) as info:  # a step of another case
        add_photo(
            store, handler, case_id, _jpeg((8, 8, 8)), kind="handled", transition_seq=999, **common
        )
    assert info.value.status == 422
    # the handler sees its photo; a unit scope reaches the file by assignment
    found = photo_file(store, handler.scope, photo["id"], thumb=False, photo_dir=photo_dir)
    assert found is not None and found[1] == "image/jpeg"
    assert photo_file(store, stranger.scope, photo["id"], thumb=False, photo_dir=photo_dir) is None


@pytest.mark.parametrize(
    "raw,status,code",
    [
        (b"GIF89a" + b"\x00" * 64, 415, "unsupported"),
        (b"<html><script>alert(1)</script></html>", 415, "unsupported"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 64, 422, "corrupt"),
        (b"\xff\xd8\xff" + b"\x00" * (2**20 + 1), 413, "too_big"),
    ],
    ids=["gif", "html", "damaged", "too-big"],
)
def test_bad_uploads_are_refused_and_leave_nothing(world, photo_dir, raw, status, code):
    store, config = world
    case_id, _ = _case(store)
    settings = _settings(config).model_copy(update={"max_bytes": 2**20})
    dispatcher = Actor("dispatcher", "dispatcher", Scope("city"))
    with pytest.raises(PhotoRefused) as info:
        add_photo(
            store,
            dispatcher,
            case_id,
            raw,
            kind="other",
            at=utcnow(),
            settings=settings,
            photo_dir=photo_dir,
        )
    assert (info.value.status, info.value.code) == (status, code)
    assert case_photos(store, case_id) == [] and not photo_dir.exists()


def test_files_are_removed_when_the_row_is_not_committed(world, photo_dir, monkeypatch):
    store, config = world
    case_id, _ = _case(store)
    dispatcher = Actor("dispatcher", "dispatcher", Scope("city"))
    common = dict(kind="other", at=utcnow(), settings=_settings(config), photo_dir=photo_dir)
    kept = add_photo(store, dispatcher, case_id, _jpeg((1, 1, 1)), **common)
    monkeypatch.setattr(attachments, "MAX_PHOTOS_PER_CASE", 1)
    with pytest.raises(Refused) as info:
        add_photo(store, dispatcher, case_id, _jpeg((250, 250, 250)), **common)
    assert info.value.status == 422
    assert [p["id"] for p in case_photos(store, case_id)] == [kept["id"]]
    assert len(_files(photo_dir)) == 2  # only the kept photo's image and thumbnail


def test_closed_cases_take_photos_only_from_the_center(world, photo_dir):
    store, config = world
    case_id, cell = _case(store)
    calendar = WorkCalendar.from_settings(config.settings.calendar)
    dispatcher = Actor("dispatcher", "dispatcher", Scope("city"))
    act(
        store,
        dispatcher,
        case_id,
        "void",
        at=utcnow(),
        calendar=calendar,
        data={"reason": "no_problem_found"},
    )
    common = dict(at=utcnow(), settings=_settings(config), photo_dir=photo_dir)
    with pytest.raises(Refused) as info:
        add_photo(store, _worker(cell), case_id, _jpeg(), kind="report", **common)
    assert info.value.status == 409
    assert add_photo(store, dispatcher, case_id, _jpeg(), kind="other", **common)["id"]


def test_photo_file_is_scoped_and_stays_in_the_folder(world, photo_dir):
    store, config = world
    case_id, cell = _case(store)
    photo = add_photo(
        store,
        _worker(cell),
        case_id,
        _jpeg((30, 60, 90)),
        kind="report",
        at=utcnow(),
        settings=_settings(config),
        photo_dir=photo_dir,
    )
    pid = photo["id"]
    image = photo_file(store, Scope("cells", (cell,)), pid, thumb=False, photo_dir=photo_dir)
    thumb = photo_file(store, Scope("city"), pid, thumb=True, photo_dir=photo_dir)
    assert image is not None and image[0].name == f"{pid}.jpg" and image[1] == "image/jpeg"
    assert thumb is not None and thumb[0].name == f"{pid}_thumb.jpg"
    assert Image.open(thumb[0]).size == (320, 240)
    other = Scope("cells", ("445102001001001" if cell != "445102001001001" else "445102001001002",))
    assert photo_file(store, other, pid, thumb=False, photo_dir=photo_dir) is None
    nowhere = Scope("unit", ("XX-000000",))
    assert photo_file(store, nowhere, pid, thumb=False, photo_dir=photo_dir) is None
    for bad in ("../../config.yaml", "..", "", "a/b", "x" * 65, "nope"):
        assert photo_file(store, Scope("city"), bad, thumb=False, photo_dir=photo_dir) is None
    # a row pointing outside the folder (a tampered database) is not served
    store.write(
        lambda tx: tx.execute(
            "INSERT INTO case_attachments (attachment_id, case_id, kind, media_type, size_bytes, "
            "path, uploaded_at) VALUES ('evil', ?, 'other', 'image/jpeg', 1, "
            "'../../config.yaml', ?)",
            [case_id, utcnow()],
        )
    )
    (photo_dir.parent / "config.yaml").write_text("secret: 1")
    assert photo_file(store, Scope("city"), "evil", thumb=False, photo_dir=photo_dir) is None
    # a missing file is not found, rather than an error
    image[0].unlink()
    assert photo_file(store, Scope("city"), pid, thumb=False, photo_dir=photo_dir) is None


def test_photo_settings_resolve_and_validate(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("photos:\n  dir: media/photos\n", encoding="utf-8")
    config = load_config(path, environ={})
    assert config.photo_dir == (tmp_path / "media/photos").resolve()
    assert config.settings.photos.max_bytes == 10 * 2**20
    assert (config.settings.photos.max_edge_px, config.settings.photos.thumb_px) == (2048, 320)
    path.write_text("photos:\n  max_edge_px: 400\n  thumb_px: 500\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="thumb_px"):
        load_config(path, environ={})
    env = {"CITYOPS_PHOTOS__MAX_BYTES": "12"}
    with pytest.raises(ConfigError, match="max_bytes"):
        load_config(tmp_path / "config.yaml", environ=env)


def test_the_before_picture_cannot_be_sent_again_as_the_after(world, photo_dir):
    store, config = world
    case_id = _dispatched(store, config)
    raw = _jpeg((90, 90, 200))
    common = dict(at=utcnow(), settings=_settings(config), photo_dir=photo_dir)
    dispatcher = Actor("dispatcher", "dispatcher", Scope("city"))
    before = add_photo(store, dispatcher, case_id, raw, kind="report", **common)
    handler = Actor("xq_cg", "handler", Scope("unit", (UNIT,)))
    with pytest.raises(Refused) as info:
        add_photo(store, handler, case_id, raw, kind="handled", **common)
    assert info.value.status == 409 and "report" in info.value.message
    assert [p["id"] for p in case_photos(store, case_id)] == [before["id"]]


def test_files_left_by_a_crash_are_swept_once_old(world, photo_dir):
    import os

    from models.attachments import sweep_orphans

    store, config = world
    case_id, cell = _case(store)
    kept = add_photo(
        store,
        _worker(cell),
        case_id,
        _jpeg((5, 50, 5)),
        kind="report",
        at=datetime(2026, 11, 3),
        settings=_settings(config),
        photo_dir=photo_dir,
    )
    # a crash between the files and the row, and one in the middle of writing a file
    folder = photo_dir / "2026" / "11"
    orphan, orphan_thumb, tmp = (
        folder / "deadbeef.jpg",
        folder / "deadbeef_thumb.jpg",
        folder / ".x.jpg.1234.tmp",
    )
    for path in (orphan, orphan_thumb, tmp):
        path.write_bytes(b"\xff\xd8\xff")
    (photo_dir / "README.txt").write_text("not ours")
    os.utime(photo_dir / "README.txt", (0, 0))  # old, but not a photo file: left alone
    now = orphan.stat().st_mtime
    assert sweep_orphans(store, photo_dir, now=now, min_age_s=3600) == []  # too young
    later = now + 3601
    swept = sweep_orphans(store, photo_dir, now=later, min_age_s=3600)
    assert sorted(p.name for p in swept) == sorted(p.name for p in (orphan, orphan_thumb, tmp))
    left = _files(photo_dir)
    assert left == sorted(
        ["README.txt", f"2026/11/{kept['id']}.jpg", f"2026/11/{kept['id']}_thumb.jpg"]
    )
    assert photo_file(store, Scope("city"), kept["id"], thumb=True, photo_dir=photo_dir)
    assert sweep_orphans(store, photo_dir / "missing", now=later) == []
