"""The supervision loop (督办) counts working time on the calendar in force at each pass, not
the one it started with: a case long overdue on the shipped calendar does not escalate while
the admin has marked every day since its dispatch a holiday, and escalates at a later pass of
the same running loop once the admin removes them."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import yaml

from ingest.locate import store_locator
from models.calendar_in_force import calendar_in_force, save_calendar
from models.cases import report_case, transition_case
from models.clock import utcnow
from models.config import load_config
from models.store import Store
from tests.conftest import SECRET


def _escalations(store: Store, case_id: str) -> int:
    return int(store.query_value(
        "SELECT count(*) FROM case_events WHERE case_id = ? AND kind = 'escalation'", [case_id]
    ))  # fmt: skip


def test_supervision_follows_a_saved_calendar_without_a_restart(demo_copy):
    from app.runtime import _run_supervision

    folder = demo_copy()
    path = folder / "config.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump({**data, "supervision": {"interval_s": 0.05}}), "utf-8")
    config = load_config(path, environ={"CITYOPS_SECRET_KEY": SECRET})
    store = Store(config.database_path)
    then = utcnow() - timedelta(days=20)
    reported = report_case(
        store, category_code="0201", lon=116.6465, lat=23.6707, at=then, source="grid_worker",
        actor="GW1", role="grid_worker", locate=store_locator(store), text="道路不洁",
    )  # fmt: skip
    calendar = calendar_in_force(store, config.settings.calendar)
    for action, data in (("accept", {}), ("register", {}),
                         ("dispatch", {"unit": reported.route.unit})):  # fmt: skip
        transition_case(store, reported.case_id, action, actor="d1", role="dispatcher", at=then,
                        calendar=calendar, **data)  # fmt: skip
    first = (then - timedelta(days=1)).date()
    every_day = [first + timedelta(days=i) for i in range(24)]  # dispatch to tomorrow
    save_calendar(store, every_day, [], actor="admin")  # no working time since the dispatch
    stop = threading.Event()
    loop = threading.Thread(target=_run_supervision, args=(config, store, stop), daemon=True)
    loop.start()
    try:
        time.sleep(0.5)  # several passes
        assert _escalations(store, reported.case_id) == 0
        save_calendar(store, [], [], actor="admin")
        deadline = time.monotonic() + 20
        while _escalations(store, reported.case_id) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _escalations(store, reported.case_id) > 0  # the same loop, a later pass
    finally:
        stop.set()
        loop.join(10)
        store.close()
