"""The field app's server callbacks called as the browser calls them: a report keeps its
case when a photo fails, a double tap makes one case, the duplicate warning asks first, the
position is checked against the worker's cells, the picker searches, patrol check-in."""

from __future__ import annotations

import base64
import io
import json

import pytest

from models.config import load_config
from models.store import Store
from tests.app.test_auth import _csrf
from tests.app.test_field_security import PATROL, SUBMIT, _call
from tests.conftest import SECRET, demo_passwords


def _jpeg_url() -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 60, 40)).save(buf, "JPEG")
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


@pytest.fixture(scope="module")
def world(demo_copy):
    from app.server import create_app

    folder = demo_copy()
    config = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    store = Store(config.database_path)
    cell, lon, lat = store.query_rows(
        "SELECT g.cell_code, g.centroid_lon, g.centroid_lat FROM grid_cells g, users u "
        "WHERE u.username = 'gridworker' AND g.cell_code = u.scope_codes[2] "
        "ORDER BY g.version_id DESC LIMIT 1"
    )[0]
    app = create_app(config, store)
    app.server.config["TESTING"] = True
    passwords = demo_passwords(folder)
    client = app.server.test_client()
    client.post(
        "/login",
        data={"username": "gridworker", "password": passwords["gridworker"], "csrf": _csrf(client)},
    )
    deps = client.get("/_dash-dependencies").get_json()
    yield {
        "app": app, "store": store, "deps": deps, "client": client, "passwords": passwords,
        "cell": cell, "lon": lon, "lat": lat,
    }  # fmt: skip
    store.close()


def _text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.dumps(response.get_json(), ensure_ascii=False)


def _submit(
    world, *, trigger="field-report-submit", token="00aa11bb22cc33dd", photos=None, at=None
):
    fix = {"lon": world["lon"], "lat": world["lat"], "accuracy": 10, "source": "gps"}
    if at is not None:
        fix = {"lon": at[0], "lat": at[1], "source": "map"}
    values = {
        f"{trigger}.n_clicks": 1,
        "field-cat-list.value": "0203",
        "field-report-text.value": " 垃圾满溢 ",
        "field-gps.data": fix,
        "field-report-photos.contents": photos,
        "field-report-token.data": token,
    }
    return _call(world["client"], world, SUBMIT, values, [f"{trigger}.n_clicks"])


def _cases(world) -> int:
    return world["store"].query_value("SELECT count(*) FROM cases WHERE reporter = 'gridworker'")


def test_a_failed_photo_keeps_the_case_and_says_so(world):
    before = _cases(world)
    bad = "data:image/jpeg;base64," + base64.b64encode(b"not an image at all").decode()
    text = _text(_submit(world, photos=[_jpeg_url(), bad]))
    assert "已上报" in text and "照片 1 张" in text
    assert "第 2 张照片未保存" in text
    assert _cases(world) == before + 1
    case_id = world["store"].query_value(
        "SELECT case_id FROM cases WHERE reporter = 'gridworker' ORDER BY reported_at DESC LIMIT 1"
    )
    kinds = world["store"].query_rows(
        "SELECT kind FROM case_attachments WHERE case_id = ?", [case_id]
    )
    assert kinds == [("report",)]
    assert (
        world["store"].query_value("SELECT description FROM cases WHERE case_id = ?", [case_id])
        == "垃圾满溢"
    )
    # a second tap of the same form (same token) makes no second case
    again = _text(_submit(world, trigger="field-report-confirm", photos=[_jpeg_url()]))
    assert "已提交" in again and _cases(world) == before + 1


def test_duplicate_warning_asks_before_writing(world):
    before = _cases(world)
    text = _text(_submit(world, token="11111111aaaaaaaa"))
    assert "可能重复" in text and "相距" in text
    assert '"field-card field-warn"' in text  # the warning box is shown
    assert _cases(world) == before
    sent = _text(_submit(world, trigger="field-report-confirm", token="11111111aaaaaaaa"))
    assert "已上报" in sent and _cases(world) == before + 1
    cancelled = _text(_submit(world, trigger="field-report-cancel", token="22222222aaaaaaaa"))
    assert "已取消" in cancelled and _cases(world) == before + 1


def test_a_bad_token_writes_nothing(world):
    before = _cases(world)
    far = (116.70, 23.70)
    for token in (None, "", "xyz", "0" * 100, 5):
        text = _text(_submit(world, trigger="field-report-confirm", token=token, at=far))
        assert "页面已过期" in text
    assert _cases(world) == before


def test_position_is_checked_against_the_workers_cells(world):
    where = "..field-report-where.children...field-map-here.data.."
    client = world["client"]
    inside = {"lon": world["lon"], "lat": world["lat"], "source": "gps"}
    text = _text(_call(client, world, where, {"field-gps.data": inside}, ["field-gps.data"]))
    assert f"位于您的网格 {world['cell']}" in text and "field-here" in text
    far = {"lon": 116.9, "lat": 23.6, "source": "map"}
    text = _text(_call(client, world, where, {"field-gps.data": far}, ["field-gps.data"]))
    assert "不是您负责的网格" in text or "不在任何网格内" in text
    assert "地图点选" in text
    nowhere = {"lon": 100.0, "lat": 10.0, "source": "map"}
    text = _text(_call(client, world, where, {"field-gps.data": nowhere}, ["field-gps.data"]))
    assert "不在任何网格内" in text
    failed = {"error": "User denied Geolocation"}
    text = _text(_call(client, world, where, {"field-gps.data": failed}, ["field-gps.data"]))
    assert "无法获取定位" in text


def test_category_picker(world):
    options = "field-cat-list.options"
    text = _text(
        _call(
            world["client"],
            world,
            options,
            {"field-cat-search.value": "ljmy"},
            ["field-cat-search.value"],
        )
    )
    values = [o["value"] for o in json.loads(text)["response"]["field-cat-list"]["options"]]
    assert values[0] == "0203"
    huge = _text(_call(world["client"], world, options, {"field-cat-search.value": "x" * 5000}, []))
    assert json.loads(huge)["response"]["field-cat-list"]["options"] == []


def test_patrol_check_in(world):
    fix = {"lon": world["lon"], "lat": world["lat"], "accuracy": 9, "source": "gps"}
    text = _text(
        _call(world["client"], world, PATROL,
              {"field-patrol-fix.data": fix, "field-patrol-note.value": "例行"},
              ["field-patrol-fix.data"])
    )  # fmt: skip
    assert f"已打卡：网格 {world['cell']}" in text and "例行" in text
    row = world["store"].query_rows(
        "SELECT cell_code, in_scope, note FROM patrol_checkins WHERE username = 'gridworker'"
    )
    assert row == [(world["cell"], True, "例行")]
    # a map pick is no patrol position
    pick = {"lon": world["lon"], "lat": world["lat"], "source": "map"}
    text = _text(
        _call(
            world["client"],
            world,
            PATROL,
            {"field-patrol-fix.data": pick},
            ["field-patrol-fix.data"],
        )
    )
    assert "无法获取定位" in text
    assert (
        world["store"].query_value(
            "SELECT count(*) FROM patrol_checkins WHERE username = 'gridworker'"
        )
        == 1
    )


def test_task_list_poll_answers_only_on_change(world):
    tasks = "..field-task-list.children...field-task-seq.data.."
    client = world["client"]
    _submit(world, trigger="field-report-confirm", token="44444444aaaaaaaa")  # one in scope
    first = _call(
        client, world, tasks, {"field-task-refresh.n_clicks": 1}, ["field-task-refresh.n_clicks"]
    )
    seq = first.get_json()["response"]["field-task-seq"]["data"]
    assert isinstance(seq, int) and seq > 0
    tick = {"field-task-tick.n_intervals": 1, "field-task-seq.data": seq}
    quiet = _call(client, world, tasks, tick, ["field-task-tick.n_intervals"])
    assert quiet.get_json()["response"] == {}  # nothing changed: no update
    _submit(world, trigger="field-report-confirm", token="33333333aaaaaaaa")
    again = _call(client, world, tasks, tick, ["field-task-tick.n_intervals"])
    assert again.status_code == 200
    assert again.get_json()["response"]["field-task-seq"]["data"] > seq


def test_english_when_the_user_switches(world):
    from tests.app.test_field_security import _client

    client = _client(world, "gridworker")
    assert client.get("/lang/en?next=/field").status_code == 302
    where = "..field-report-where.children...field-map-here.data.."
    inside = {"lon": world["lon"], "lat": world["lat"], "source": "gps"}
    text = _text(_call(client, world, where, {"field-gps.data": inside}, ["field-gps.data"]))
    assert f"In your cell {world['cell']}" in text
