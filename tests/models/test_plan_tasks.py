"""Plan activation on an incident: the run-card superset, escalation adding only what is
missing, due times from the activation, tasks marked done, overdue tasks flagged."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.emergency.incident_rules import IncidentError
from models.emergency.incidents import close_incident, list_incidents, open_incident, set_level
from models.emergency.plan_tasks import (
    activate_plan,
    complete_task,
    incident_tasks,
    overdue_tasks,
)
from models.emergency.plans import load_plans
from models.emergency.timeline import timeline
from tests.models.incident_fixtures import (
    DISPATCHER,
    EMERGENCY,
    IN_EAST,
    IN_WEST,
    LEADER,
    NOW,
    OPERATOR,
    WEST_EMERGENCY,
    add_city,
)

PLANS = load_plans()
FLOOD = PLANS.for_type("flood")


def _count(*levels: str) -> int:
    return sum(len(FLOOD.levels[lv]) for lv in levels)


@pytest.fixture
def city(store):
    add_city(store)
    return store


def _open(store, level="IV", at=IN_WEST):
    return open_incident(store, EMERGENCY, now=NOW, incident_type="flood", level=level,
                         title="古城区内涝", lon=at[0], lat=at[1])  # fmt: skip


def test_level_two_creates_the_iv_iii_and_ii_actions_in_order_due_from_activation(city):
    incident_id = _open(city, level="II")
    done = activate_plan(city, EMERGENCY, incident_id, plans=PLANS, now=NOW)
    assert done["plan_id"] == "flood_typhoon" and done["level"] == "II"
    tasks = incident_tasks(city, incident_id, now=NOW)
    assert len(tasks) == _count("IV", "III", "II") == len(done["added"])
    assert [t["task_no"] for t in tasks] == list(range(1, len(tasks) + 1))
    assert [t["plan_level"] for t in tasks][:2] == ["IV", "IV"] and tasks[-1]["plan_level"] == "II"
    first = FLOOD.levels["IV"][1]
    assert tasks[1]["action_zh"] == first.zh and tasks[1]["owner"] == first.owner
    assert tasks[1]["due_at"] == NOW + timedelta(minutes=first.due_min)
    assert any(t["requires"] == "team:flood_control" for t in tasks)
    plan_entries = [e for e in timeline(city, incident_id) if e["kind"] == "plan"]
    assert len(plan_entries) == 1 and plan_entries[0]["detail"]["level"] == "II"
    assert plan_entries[0]["detail"]["tasks"] == done["added"]


def test_activating_again_adds_nothing_and_escalation_adds_only_what_is_missing(city):
    incident_id = _open(city, level="IV")
    first = activate_plan(city, EMERGENCY, incident_id, plans=PLANS, now=NOW)
    assert len(first["added"]) == _count("IV")
    again = activate_plan(city, EMERGENCY, incident_id, plans=PLANS, now=NOW)
    assert again["added"] == []
    later = NOW + timedelta(hours=1)
    up = activate_plan(city, EMERGENCY, incident_id, plans=PLANS, now=later, level="II")
    assert len(up["added"]) == _count("III", "II")
    tasks = incident_tasks(city, incident_id, now=later)
    assert len(tasks) == _count("IV", "III", "II")
    keys = [(t["plan_id"], t["plan_level"], t["step_no"]) for t in tasks]
    assert len(set(keys)) == len(keys)
    # the new tasks are due from the escalation, the old ones kept their times
    assert tasks[0]["due_at"] == NOW
    assert tasks[_count("IV")]["due_at"] == later + timedelta(
        minutes=FLOOD.levels["III"][0].due_min
    )
    level = city.query_value("SELECT level FROM incidents WHERE incident_id = ?", [incident_id])
    assert level == "II"
    kinds = [(e["kind"], e["detail"].get("to")) for e in timeline(city, incident_id)]
    assert ("level", "II") in kinds


def test_raising_the_level_of_an_active_plan_adds_the_new_levels_tasks(city):
    incident_id = _open(city, level="IV")
    activate_plan(city, EMERGENCY, incident_id, plans=PLANS, now=NOW)
    result = set_level(city, EMERGENCY, incident_id, "III", now=NOW, plans=PLANS)
    assert len(result["tasks_added"]) == _count("III")
    lowered = set_level(city, EMERGENCY, incident_id, "IV", now=NOW, plans=PLANS)
    assert lowered["tasks_added"] == []
    assert len(incident_tasks(city, incident_id, now=NOW)) == _count("IV", "III")
    # without an activated plan a level change creates no tasks
    other = _open(city)
    assert set_level(city, EMERGENCY, other, "I", now=NOW, plans=PLANS)["tasks_added"] == []


def test_task_done_once_by_whom_and_when(city):
    incident_id = _open(city)
    activate_plan(city, EMERGENCY, incident_id, plans=PLANS, now=NOW)
    at = NOW + timedelta(minutes=20)
    complete_task(city, EMERGENCY, incident_id, 2, now=at, note="已会商")
    task = incident_tasks(city, incident_id, now=at)[1]
    assert (task["done_at"], task["done_by"]) == (at, "emergency")
    entry = timeline(city, incident_id)[-1]
    assert entry["kind"] == "task_done" and entry["detail"]["task_no"] == 2
    assert entry["detail"]["note"] == "已会商" and entry["detail"]["action_zh"] == task["action_zh"]
    for task_no, status in ((2, 409), (999, 404), (0, 400), ("2", 400), (True, 400)):
        with pytest.raises(IncidentError) as err:
            complete_task(city, EMERGENCY, incident_id, task_no, now=at)
        assert err.value.status == status, task_no


def test_overdue_tasks_are_flagged_until_done_and_not_after_closing(city):
    incident_id = _open(city)
    activate_plan(city, EMERGENCY, incident_id, plans=PLANS, now=NOW)
    at = NOW + timedelta(minutes=61)
    late = [t["task_no"] for t in incident_tasks(city, incident_id, now=at) if t["overdue"]]
    expected = [n for n, a in enumerate(FLOOD.levels["IV"], 1) if a.due_min < 61]
    assert late == expected and late
    complete_task(city, EMERGENCY, incident_id, late[0], now=at)
    rows = overdue_tasks(city, EMERGENCY, now=at)
    assert [r["task_no"] for r in rows] == late[1:]
    assert rows[0]["incident_id"] == incident_id and rows[0]["overdue_s"] > 0
    listed = list_incidents(city, EMERGENCY, now=at)[0]
    assert listed["tasks_overdue"] == len(late) - 1 and listed["tasks_done"] == 1
    assert overdue_tasks(city, WEST_EMERGENCY, now=at)  # in the west district
    close_incident(city, EMERGENCY, incident_id, now=at)
    assert overdue_tasks(city, EMERGENCY, now=at) == []
    assert not any(t["overdue"] for t in incident_tasks(city, incident_id, now=at))


def test_plan_actions_need_the_command_roles_and_an_open_incident(city):
    incident_id = _open(city)
    for actor in (OPERATOR, LEADER, DISPATCHER):
        with pytest.raises(IncidentError) as err:
            activate_plan(city, actor, incident_id, plans=PLANS, now=NOW)
        assert err.value.status == 403
        with pytest.raises(IncidentError) as err:
            complete_task(city, actor, incident_id, 1, now=NOW)
        assert err.value.status == 403
    east = _open(city, at=IN_EAST)
    with pytest.raises(IncidentError) as err:
        activate_plan(city, WEST_EMERGENCY, east, plans=PLANS, now=NOW)
    assert err.value.status == 404
    with pytest.raises(IncidentError) as err:
        activate_plan(city, EMERGENCY, incident_id, plans=PLANS, now=NOW, level="VI")
    assert err.value.status == 400
    close_incident(city, EMERGENCY, incident_id, now=NOW)
    with pytest.raises(IncidentError) as err:
        activate_plan(city, EMERGENCY, incident_id, plans=PLANS, now=NOW)
    assert err.value.status == 409
    with pytest.raises(IncidentError) as err:
        overdue_tasks(city, DISPATCHER, now=NOW)
    assert err.value.status == 403
