"""处置完成 on the phone: the photo of the result is kept first; when it fails the case stays in
handling and the handler is told (the tester moved a case to handled whose photo had failed,
leaving the grid worker nothing to compare when verifying)."""

from __future__ import annotations

import base64
import io
import json

from tests.app.test_field_security import ACT, ACT_PATTERN, _call, _client, _stage, world

__all__ = ["world"]  # the module fixture, shared


def _press_handled(client, world, case_id: str, photo: str | None):
    button = {"id": {"action": "feedback", "type": "field-task-act"}, "property": "n_clicks",
              "value": 1}  # fmt: skip
    values = {
        ACT_PATTERN: [button],
        "field-task-selected.data": case_id,
        "field-task-note.value": "已清理",
        "field-task-hours.value": 8,
        "field-task-done.data": 0,
        "field-task-photo.contents": [photo] if photo else None,
    }
    changed = [json.dumps(button["id"], separators=(",", ":"), sort_keys=True) + ".n_clicks"]
    return _call(client, world, ACT, values, changed)


def _jpeg_url() -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 160, 60)).save(buf, "JPEG")
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def test_a_failed_result_photo_leaves_the_case_in_handling(world):
    client = _client(world, "xq_cg")
    case_id = world["cases"]["cg_dispatched"]
    from tests.app.test_field_security import _act

    _act(client, world, case_id, "start")
    assert _stage(world, case_id) == "handling"
    broken = "data:image/jpeg;base64," + base64.b64encode(b"not a picture at all").decode()
    response = _press_handled(client, world, case_id, broken)
    assert response.status_code == 200
    assert _stage(world, case_id) == "handling"
    assert "照片" in json.dumps(response.get_json(), ensure_ascii=False)
    response = _press_handled(client, world, case_id, _jpeg_url())
    assert response.status_code == 200 and _stage(world, case_id) == "handled"
    kinds = world["store"].query_rows(
        "SELECT kind FROM case_attachments WHERE case_id = ?", [case_id]
    )
    assert ("handled",) in kinds
