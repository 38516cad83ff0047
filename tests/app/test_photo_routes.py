"""/photos/<id> and /photos/<id>/thumb: logged-in users, within their scope, nothing else."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.context import EXTENSION_KEY
from ingest.locate import store_locator
from models.attachments import add_photo
from models.case_service import Actor
from models.cases import report_case
from models.clock import utcnow
from models.geography import current_grid_version
from models.security import Scope
from models.users import get_user
from tests.app.test_auth import login


@pytest.fixture(scope="module")
def world(demo_app):
    app, passwords, store = demo_app
    config = app.server.extensions[EXTENSION_KEY].config
    worker = get_user(store, "gridworker")
    lon, lat = store.query_rows(
        "SELECT centroid_lon, centroid_lat FROM grid_cells WHERE version_id = ? AND cell_code = ?",
        [current_grid_version(store), worker.scope.codes[0]],
    )[0]

    def case(lon: float, lat: float) -> str:
        return report_case(
            store,
            category_code="0201",
            lon=lon,
            lat=lat,
            at=utcnow(),
            source="grid_worker",
            actor="gridworker",
            role="grid_worker",
            locate=store_locator(store),
            text="照片测试",
        ).case_id

    mine = case(lon, lat)
    elsewhere = case(116.0, 23.5)  # far from the worker's cells, in another district
    assert store.query_value("SELECT cell_code FROM cases WHERE case_id = ?", [mine]) in (
        worker.scope.codes
    )
    dispatcher = Actor("dispatcher", "dispatcher", Scope("city"))
    photos = {}
    for name, case_id, color in (("mine", mine, (200, 0, 0)), ("elsewhere", elsewhere, (0, 90, 0))):
        out = io.BytesIO()
        Image.new("RGB", (800, 600), color).save(out, "JPEG")
        photos[name] = add_photo(
            store,
            dispatcher,
            case_id,
            out.getvalue(),
            kind="other",
            at=utcnow(),
            settings=config.settings.photos,
            photo_dir=config.photo_dir,
        )["id"]
    return app, passwords, photos


def _client(world, username=None):
    app, passwords, _ = world
    client = app.server.test_client()
    if username:
        assert login(client, username, passwords[username]).status_code == 302
    return client


def test_photo_and_thumbnail_in_scope(world):
    pid = world[2]["mine"]
    client = _client(world, "gridworker")
    image = client.get(f"/photos/{pid}")
    assert image.status_code == 200
    assert image.headers["Content-Type"] == "image/jpeg"
    assert "private" in image.headers["Cache-Control"]
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(image.data)).size == (800, 600)
    thumb = client.get(f"/photos/{pid}/thumb")
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(thumb.data)).size == (320, 240)
    # the wall's older link serves the same file
    assert _client(world, "operator").get(f"/screen/api/attachment/{pid}").data == image.data


def test_photo_outside_scope_is_not_found(world):
    pid = world[2]["elsewhere"]
    client = _client(world, "gridworker")
    for path in (f"/photos/{pid}", f"/photos/{pid}/thumb"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.is_json and response.get_json()["error"]
    assert _client(world, "xq_cg").get(f"/photos/{pid}").status_code == 404
    assert _client(world, "dispatcher").get(f"/photos/{pid}").status_code == 200


def test_anonymous_is_refused(world):
    pid = world[2]["mine"]
    client = _client(world)
    for path in (f"/photos/{pid}", f"/photos/{pid}/thumb"):
        response = client.get(path)
        assert response.status_code in (302, 401), path
        assert response.headers.get("Content-Type") != "image/jpeg"
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    "path",
    [
        "/photos/..%2F..%2Fconfig.yaml",
        "/photos/../../config.yaml",
        "/photos/%2e%2e/thumb",
        "/photos/config.yaml",
        "/photos/a/b/c",
        "/photos/",
        "/photos/" + "x" * 65,
        "/photos/nope/thumb",
        "/photos/%00",
        "/screen/api/attachment/..%2F..%2Fconfig.yaml",
    ],
)
def test_traversal_and_unknown_ids_are_json_404(world, path):
    response = _client(world, "admin").get(path)
    assert response.status_code == 404, (path, response.status_code)
    assert response.is_json
    assert b"storage" not in response.data


def test_the_walls_card_shows_the_photo_through_the_one_route(world, demo_app):
    from app.pages.screen.cards import render_card
    from models.work_calendar import WorkCalendar

    app, _, store = demo_app
    config = app.server.extensions[EXTENSION_KEY].config
    pid = world[2]["mine"]
    case_id = store.query_value(
        "SELECT case_id FROM case_attachments WHERE attachment_id = ?", [pid]
    )
    card = str(
        render_card(
            store,
            Scope("city"),
            layer="case-points",
            key=case_id,
            at=utcnow(),
            lang="zh",
            tz="Asia/Shanghai",
            calendar=WorkCalendar.from_settings(config.settings.calendar),
        )
    )
    assert f"/photos/{pid}/thumb" in card and "/screen/api/attachment" not in card
    thumb = _client(world, "operator").get(f"/photos/{pid}/thumb")
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/jpeg"


def test_a_refused_picture_is_explained_in_the_users_language(world):
    from app.refusals import refusal_text
    from models.attachments import PhotoRefused
    from models.case_service import Refused

    app, _, _ = world
    store = app.server.extensions[EXTENSION_KEY].store
    config = app.server.extensions[EXTENSION_KEY].config
    case_id = store.query_value("SELECT case_id FROM cases ORDER BY case_id LIMIT 1")
    dispatcher = Actor("dispatcher", "dispatcher", Scope("city"))
    for raw, zh, en in (
        (b"GIF89a" + b"\0" * 32, "不支持 GIF", "GIF is not accepted"),
        (b"\xff\xd8\xff" + b"\0" * (2**20 + 10), "照片太大（1.0 MB），最大 1.0 MB", "too big"),
        (b"hello", "这不是图片", "not a picture"),
    ):
        with pytest.raises(PhotoRefused) as info:
            add_photo(
                store,
                dispatcher,
                case_id,
                raw,
                kind="other",
                at=utcnow(),
                settings=config.settings.photos.model_copy(update={"max_bytes": 2**20}),
                photo_dir=config.photo_dir,
            )
        assert zh in refusal_text(info.value, "zh")
        assert en in refusal_text(info.value, "en")
    assert refusal_text(Refused("a leader may not add photos", 403), "zh") == (
        "无权执行此操作: a leader may not add photos"
    )


def test_a_browser_revalidates_without_the_bytes_again(world):
    pid = world[2]["mine"]
    client = _client(world, "gridworker")
    first = client.get(f"/photos/{pid}/thumb")
    assert first.headers.get("ETag")
    again = client.get(f"/photos/{pid}/thumb", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    # a user outside the scope learns nothing from the tag either
    other = _client(world, "street_handler").get(
        f"/photos/{pid}/thumb", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert other.status_code == 404


def test_installing_the_routes_sweeps_files_a_crash_left(demo_app, tmp_path):
    import os

    import flask

    from app.photos import install_photos

    app, _, store = demo_app
    config = app.server.extensions[EXTENSION_KEY].config
    config = config.model_copy(
        update={
            "settings": config.settings.model_copy(
                update={"photos": config.settings.photos.model_copy(update={"dir": tmp_path / "p"})}
            )
        }
    )
    leftover = tmp_path / "p" / "2026" / "12" / "0123abcd.jpg"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"\xff\xd8\xff")
    fresh = leftover.with_name("4567cdef.jpg")
    fresh.write_bytes(b"\xff\xd8\xff")
    os.utime(leftover, (0, 0))
    install_photos(flask.Flask("photos-only"), config=config, store=store)
    assert not leftover.exists() and fresh.exists()  # an upload in progress keeps its file
