"""A handler with hundreds of tasks reaches every one (the tester's xq_cg had 345 and saw the
100 most urgent, with no way further): the list searches by id or text and shows more on
request, most urgent first."""

from __future__ import annotations

import json

from tests.app.test_field_security import _call, _client, world

__all__ = ["world"]

TASKS = "..field-task-list.children...field-task-seq.data.."


def _list(client, world, **values):
    base = {"field-task-refresh.n_clicks": 1}
    base.update(values)
    response = _call(client, world, TASKS, base, ["field-task-refresh.n_clicks"])
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return json.dumps(response.get_json(), ensure_ascii=False)


def test_search_and_more(world):
    client = _client(world, "xq_cg")
    case_id = world["cases"]["cg_dispatched"]
    found = _list(client, world, **{"field-task-search.value": case_id})
    assert case_id in found
    assert world["cases"]["street_dispatched"] not in found
    nothing = _list(client, world, **{"field-task-search.value": "没有这样的案件"})
    assert case_id not in nothing
    # the page size grows with 显示更多, never past the queue's bound
    for shown in (None, 50, 100, 10**9, -5, "x"):
        text = _list(client, world, **{"field-task-shown.data": shown})
        assert case_id in text
