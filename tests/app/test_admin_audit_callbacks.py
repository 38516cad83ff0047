"""The audit tab (/admin?tab=audit): its filters against a real DuckDB audit log (who, what as a
prefix, object, local days, outcome; newest first, paged with the count), its callback as an
admin (export link with the same filters, bad values a message) and as every other role (a
refusal, no rows), and the auth gate's 403 for a non-admin's request."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from app.pages.admin import ids
from app.pages.admin.audit_logic import Refusal, audit_filter, export_href, next_page
from models.audit_queries import AuditFilter, audit_actions, search_audit
from tests.app.admin_audit_support import OTHER_ROLES, admin_world, text_of

TZ = "Asia/Shanghai"
#: Rows written by the tests (UTC): the first two fall either side of local midnight 3 Mar.
ROWS = [
    (datetime(2026, 3, 2, 15, 30), "alice", "case.transition", "case:C1", "ok", "accept"),
    (datetime(2026, 3, 2, 16, 30), "alice", "case.report", "case:C2", "ok", None),
    (datetime(2026, 3, 3, 2, 0), "bob", "user.add", "user:carol", "ok", "role operator"),
    (datetime(2026, 3, 3, 3, 0), "bob", "login", "bob", "denied", "bad password"),
    (datetime(2026, 3, 4, 3, 0), "Mallory", "casebook.open", "case:C1", "failed", "x'; DROP"),
]


@pytest.fixture(scope="module")
def world(demo_copy):
    w = admin_world(demo_copy)
    for at, actor, action, target, outcome, detail in ROWS:
        w.store.audit(action, actor=actor, target=target, outcome=outcome, detail=detail, at=at)
    w.store.flush()
    yield w
    w.store.close()


def _actors(world, f: AuditFilter, **kw) -> list[str]:
    df, _ = search_audit(world.store, f, **kw)
    return [f"{a}:{t}" for a, t in zip(df["actor"], df["action"], strict=True)]


def _mine(f: AuditFilter) -> AuditFilter:
    """Only the rows of this test (March 2026): the demo has audit rows of its own."""
    from dataclasses import replace

    return replace(f, since=f.since or datetime(2026, 3, 1), until=f.until or datetime(2026, 3, 9))


def test_filters_by_who_what_object_and_outcome(world):
    assert _actors(world, _mine(AuditFilter(actor="ALI"))) == [
        "alice:case.report",
        "alice:case.transition",
    ]
    # a prefix: 'case.' finds case actions, not 'casebook.open'
    assert _actors(world, _mine(AuditFilter(action="case."))) == [
        "alice:case.report",
        "alice:case.transition",
    ]
    assert _actors(world, _mine(AuditFilter(action="case"))) == [
        "Mallory:casebook.open",
        "alice:case.report",
        "alice:case.transition",
    ]
    assert _actors(world, _mine(AuditFilter(target="c1"))) == [
        "Mallory:casebook.open",
        "alice:case.transition",
    ]
    assert _actors(world, _mine(AuditFilter(outcome="denied"))) == ["bob:login"]
    # a value is a parameter, never SQL
    assert _actors(world, _mine(AuditFilter(actor="' OR 1=1 --"))) == []
    assert _actors(world, _mine(AuditFilter(target="x'; DROP"))) == []
    assert "case.transition" in audit_actions(world.store)


def test_local_days_bound_the_time_and_include_the_last_day_whole(world):
    f = audit_filter(since="2026-03-03", until="2026-03-03", tz=TZ)
    assert isinstance(f, AuditFilter)
    # 3 March local (UTC+8) is 2 March 16:00 UTC to 3 March 16:00 UTC
    assert f.since == datetime(2026, 3, 2, 16) and f.until == datetime(2026, 3, 3, 16)
    assert _actors(world, f) == ["bob:login", "bob:user.add", "alice:case.report"]
    only_second = audit_filter(since="2026-03-02", until="2026-03-02", tz=TZ)
    assert _actors(world, only_second) == ["alice:case.transition"]


def test_newest_first_paged_with_the_whole_count(world):
    f = _mine(AuditFilter())
    first, total = search_audit(world.store, f, page=0, page_size=2)
    second, _ = search_audit(world.store, f, page=1, page_size=2)
    third, _ = search_audit(world.store, f, page=2, page_size=2)
    assert total == 5
    times = [*first["occurred_at"], *second["occurred_at"], *third["occurred_at"]]
    assert times == sorted(times, reverse=True) and len(set(times)) == 5
    # newest by time, not by order of writing: a row written late about an earlier moment
    world.store.audit("late.row", actor="zed", at=datetime(2026, 3, 1, 1), outcome="ok")
    world.store.flush()
    df, _ = search_audit(world.store, _mine(AuditFilter()), page_size=10)
    assert df["action"].iloc[-1] == "late.row"
    # a page size beyond the bound is cut to it; a page beyond the end stays on the last
    assert len(search_audit(world.store, AuditFilter(), page_size=10**9)[0]) <= 200
    assert next_page(7, 1, total, page_size=2) == 2 and next_page(0, -1, total) == 0


def test_bad_filter_values_are_refusals_not_exceptions():
    for kw in (
        {"since": "2026-13-01"},
        {"since": "yesterday"},
        {"until": ["2026-03-01"]},
        {"actor": {"$ne": 1}},
        {"target": "x" * 201},
        {"since": "2026-03-05", "until": "2026-03-01"},
    ):
        assert isinstance(audit_filter(tz=TZ, **kw), Refusal), kw


def test_export_link_carries_the_same_filters():
    href = export_href(actor="bob", action="case.", target="", since="2026-03-01", until=None)
    assert href == "/api/v1/exports/audit.csv?actor=bob&action=case.&from=2026-03-01"
    assert export_href(fmt="xlsx") == "/api/v1/exports/audit.xlsx"


def test_the_callback_as_admin_shows_local_times_and_links_the_export(world):
    from app.pages.admin.audit import show_audit

    with world.as_user("admin"):
        table, count, page, csv, xlsx, note = show_audit(
            "bob", None, None, "2026-03-03", "2026-03-03", None, 0, 0, 5
        )
        shown = text_of(table)
        assert "2026-03-03 11:00:00" in shown and "2026-03-03 10:00:00" in shown  # UTC+8
        assert "user.add" in shown and "alice" not in shown
        assert page == 0 and "2" in count and note == []
        assert csv.startswith("/api/v1/exports/audit.csv?actor=bob&from=2026-03-03")
        assert xlsx.startswith("/api/v1/exports/audit.xlsx?")
        table, count, page, csv, _, note = show_audit(None, None, None, "3/3", None, None, 0, 0, 0)
        assert table == [] and "3/3" in text_of(note) and "err" in text_of(note)


@pytest.mark.parametrize("username", OTHER_ROLES)
def test_the_callback_called_directly_by_another_role_shows_nothing(world, username):
    from app.pages.admin.audit import show_audit

    with world.as_user(username):
        table, count, _, csv, xlsx, note = show_audit("bob", None, None, None, None, None, 0, 0, 0)
    assert table == [] and count == "" and csv == "" and xlsx == ""
    assert "只有管理员" in text_of(note)


def test_the_gate_refuses_a_non_admin_request(world):
    deps = world.client("admin").get("/_dash-dependencies").get_json()
    dep = next(d for d in deps if ids.AUDIT_TABLE in d["output"])
    body = {
        "output": dep["output"],
        "outputs": [
            {"id": o.split(".")[0], "property": o.split(".")[1]}
            for o in dep["output"].strip(".").split("...")
        ],
        "inputs": [{**i, "value": None} for i in dep["inputs"]],
        "state": [{**s, "value": 0} for s in dep["state"]],
        "changedPropIds": [],
    }
    for username in ("operator", "leader"):
        response = world.client(username).post(
            "/_dash-update-component", data=json.dumps(body), content_type="application/json"
        )
        assert response.status_code == 403, username
    assert (
        world.client("admin")
        .post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
        .status_code
        == 200
    )
