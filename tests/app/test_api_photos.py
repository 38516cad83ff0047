"""Case API photo upload: multipart, role and scope as the photo rules say, size bounded
before the body is read, bad uploads 4xx JSON."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.app.api_support import OTHER_DISPATCHER, ApiWorld, build_world, report

WAYS = ("session", "bearer")


@pytest.fixture(scope="module")
def world(demo_copy) -> ApiWorld:
    w = build_world(demo_copy)
    yield w
    w.store.close()


@pytest.fixture(scope="module")
def case_id(world) -> str:
    """A case in the grid worker's cells, dispatched to CG-445102 (xq_cg's unit)."""
    made = report(world, "worker", text="photo case")
    desk = world.bearer("dispatcher")
    for action in ("accept", "register", "dispatch"):
        response = desk.post(f"/api/v1/cases/{made}/actions", json={"action": action})
        assert response.status_code == 200, response.get_json()
    return made


def _jpeg(colour: tuple[int, int, int] = (200, 30, 30), size: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, "JPEG")
    return out.getvalue()


def _client(world: ApiWorld, username: str, way: str):
    return world.session(username) if way == "session" else world.bearer(username)


def _send(client, case_id: str, raw: bytes, **fields):
    data = {"photo": (io.BytesIO(raw), "p.jpg"), **fields}
    return client.post(
        f"/api/v1/cases/{case_id}/photos", data=data, content_type="multipart/form-data"
    )


@pytest.mark.parametrize("way", WAYS)
def test_a_handler_adds_the_after_photo_and_the_case_shows_it(world, case_id, way):
    colour = (10, 200, 10) if way == "session" else (10, 10, 200)
    response = _send(_client(world, "xq_cg", way), case_id, _jpeg(colour), kind="handled")
    assert response.status_code == 201, response.get_json()
    photo = response.get_json()
    case = world.bearer("dispatcher").get(f"/api/v1/cases/{case_id}").get_json()
    assert photo["id"] in {p["id"] for p in case["photos"]}
    assert photo["kind"] == "handled" and photo["thumb_url"].endswith("/thumb")


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("username", ["operator", "leader", "emergency"])
def test_roles_without_photos_are_403(world, case_id, way, username):
    response = _send(_client(world, username, way), case_id, _jpeg(), kind="other")
    assert response.status_code == 403, response.get_json()


@pytest.mark.parametrize("way", WAYS)
def test_a_handler_may_not_add_a_report_photo(world, case_id, way):
    response = _send(_client(world, "xq_cg", way), case_id, _jpeg(), kind="report")
    assert response.status_code == 403


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("username", [OTHER_DISPATCHER, "street_handler"])
def test_users_outside_the_scope_get_404(world, case_id, way, username):
    response = _send(_client(world, username, way), case_id, _jpeg((1, 2, 3)))
    assert response.status_code == 404, response.get_json()


def test_a_grid_worker_outside_its_cells_gets_404(world):
    elsewhere = report(world, "xiangqiao")
    response = _send(world.bearer("gridworker"), elsewhere, _jpeg((4, 5, 6)), kind="report")
    assert response.status_code == 404


def test_the_default_kind_follows_the_role(world, case_id):
    response = _send(world.bearer("gridworker"), case_id, _jpeg((7, 8, 9)))
    assert response.status_code == 201 and response.get_json()["kind"] == "report"


def test_a_cookie_upload_without_the_csrf_header_is_403(world, case_id):
    client = world.session("xq_cg")
    del client.environ_base["HTTP_X_REQUESTED_WITH"]
    assert _send(client, case_id, _jpeg((9, 9, 9)), kind="handled").status_code == 403


def test_too_big_is_413_before_the_body_is_read(world, case_id):
    limit = world.app.server.extensions["cityops"].config.settings.photos.max_bytes
    response = _send(world.bearer("xq_cg"), case_id, b"\xff\xd8" + b"0" * (limit + 70_000))
    assert response.status_code == 413 and response.get_json()["error"]
    # declared small but bigger: cut off at the bound while reading
    response = _send(world.bearer("xq_cg"), case_id, b"\xff\xd8" + b"0" * (limit + 10))
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": b"not a form", "content_type": "image/jpeg"}, 415),
        ({"json": {"photo": "aGVsbG8="}}, 415),
        ({"data": {"kind": "handled"}, "content_type": "multipart/form-data"}, 422),
        (
            {
                "data": {"picture": (io.BytesIO(b"x"), "p.jpg")},
                "content_type": "multipart/form-data",
            },
            422,
        ),
    ],
)
def test_bad_requests_are_4xx_json(world, case_id, kwargs, status):
    response = world.bearer("xq_cg").post(f"/api/v1/cases/{case_id}/photos", **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:200]
    assert response.get_json()["error"]


@pytest.mark.parametrize(
    ("raw", "fields", "status"),
    [
        (b"GIF89a not really", {"kind": "handled"}, 415),
        (b"", {"kind": "handled"}, 422),
        (_jpeg(), {"kind": "selfie"}, 422),
        (_jpeg(), {"kind": "handled", "transition_seq": "-1"}, 422),
        (_jpeg(), {"kind": "handled", "transition_seq": "9" * 40}, 422),
        (_jpeg(), {"kind": "handled", "transition_seq": "999"}, 422),
    ],
)
def test_bad_uploads_are_4xx_json(world, case_id, raw, fields, status):
    response = _send(world.bearer("xq_cg"), case_id, raw, **fields)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]
