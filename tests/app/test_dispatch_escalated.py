"""A case under 督办 shows in the dispatch queue and pane (the tester's critical finding: the
queue's rows callback raised on escalation_level, which holds the tier's name, e.g.
'leader', so every page holding an escalated case answered 500 and the grid stayed empty)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.pages.dispatch.logic import format_row, tier_index
from app.pages.dispatch.pane import sla_block
from models.case_queue import QueueFilter, queue_page
from models.case_view import case_view
from models.store import Store
from models.supervision import DEFAULT_TIERS, supervise
from tests.models.case_fixtures import CAL, DISPATCHER, MON, drive, new_case


@pytest.fixture(scope="module")
def escalated(demo_copy):
    store = Store(demo_copy() / "cityops.duckdb")
    case_id = new_case(store)
    drive(store, case_id, "dispatched")
    later = MON + timedelta(days=30)
    assert supervise(store, now=later, calendar=CAL) >= len(DEFAULT_TIERS)
    yield store, case_id, later
    store.close()


def test_tiers_by_name_in_order_and_anything_else_is_none():
    names = [name for name, _delay in DEFAULT_TIERS]
    assert [tier_index(n) for n in names] == list(range(1, len(names) + 1))
    for value in (None, "", "no_such_tier", 7, float("nan"), "3"):
        assert tier_index(value) == 0


def test_the_queue_and_the_pane_show_an_escalated_case(escalated):
    store, case_id, later = escalated
    assert (
        store.query_value("SELECT escalation_level FROM cases WHERE case_id = ?", [case_id])
        == DEFAULT_TIERS[-1][0]
    )
    page = queue_page(store, DISPATCHER.scope, QueueFilter(text=case_id), now=later, calendar=CAL)
    rows = [format_row(row, lang="zh", tz="Asia/Shanghai") for row in page.rows]
    assert [r["escalation"] for r in rows] == [len(DEFAULT_TIERS)]
    view = case_view(store, DISPATCHER, case_id, now=later, calendar=CAL)
    block = sla_block(view, lang="zh", tz="Asia/Shanghai")
    assert f"tier-{len(DEFAULT_TIERS)}" in str(block)


def test_a_failing_block_still_answers_the_grid(monkeypatch, demo_copy):
    """The grid waits for an answer to each block it asks for: a bug in making a block must
    answer an empty block and a message, or the grid hangs (the tester saw it stay empty
    after one 500, whatever filter was chosen next)."""
    import app.pages.dispatch.callbacks as callbacks
    from tests.app.test_dispatch_callbacks import console as console_fixture
    from tests.app.test_dispatch_callbacks import rows

    fixture = console_fixture.__wrapped__(demo_copy)
    console = next(fixture)
    try:

        def broken(*_args, **_kwargs):
            raise RuntimeError("a bug")

        monkeypatch.setattr(callbacks, "format_row", broken)
        status, body = rows(console)
        assert status == 200
        response = body["response"]
        assert response["dispatch-grid"]["getRowsResponse"] == {"rowData": [], "rowCount": 0}
        assert "队列加载失败" in json.dumps(response, ensure_ascii=False)
    finally:
        fixture.close()
