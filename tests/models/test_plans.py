"""The shipped plans (预案) are complete and valid, and a broken or a city's own plans file is
read as documented."""

from __future__ import annotations

import re

import pytest
import yaml

from models.emergency.plans import (
    PHASES,
    load_plans,
    role_owners,
    shipped_departments,
    shipped_path,
)
from models.vocabulary import INCIDENT_LEVELS, INCIDENT_TYPES, RESOURCE_KINDS

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def book():
    return load_plans()


def test_every_type_has_a_plan_at_every_level(book):
    for kind in INCIDENT_TYPES:
        plan = book.for_type(kind)
        assert plan is not None, kind
        for level in INCIDENT_LEVELS:
            assert plan.levels[level], (kind, level)


def test_every_action_is_complete(book):
    departments = shipped_departments()
    owners = set(book.owners)
    for plan in book.plans.values():
        assert HAN.search(plan.name_zh) and plan.name_en
        for level, actions in plan.levels.items():
            for action in actions:
                where = (plan.id, level, action.zh)
                assert action.owner in owners, where
                assert (
                    action.owner in departments
                    or action.owner.startswith("role:")
                    or (action.owner in book.owners)
                )
                assert action.due_min >= 0, where
                assert HAN.search(action.zh) and re.search(r"[A-Za-z]", action.en), where
                assert action.phase in PHASES, where
                if action.requires:
                    assert action.requires.split(":")[0] in RESOURCE_KINDS, where


def test_the_demo_scenarios_have_realistic_plans(book):
    """The three drills' plans have the structure of municipal plans: a start order, a
    consultation, evacuation, traffic control, rescue, public information, medical care,
    recovery and the end of the response across their levels; the resources they ask for
    exist in the demo city."""
    demo_subtypes = {
        "team": {"fire", "medical", "rescue", "police", "utility", "flood_control", "hazmat",
                 "forest_fire"},
        "vehicle": {"fire", "rescue", "medical", "police", "flood_control", "hazmat"},
        "depot": {"flood_control", "hazmat", "forest_fire", "relief"},
        "shelter": {"shelter"},
        "expert": {"flood_control", "hazmat", "geology", "medical", "forest_fire",
                   "meteorology", "structural", "public_health"},
    }  # fmt: skip
    for kind in ("typhoon", "flood", "hazardous_chemicals", "forest_fire"):
        plan = book.for_type(kind)
        steps = plan.steps_up_to("I")
        phases = {a.phase for _, _, a in steps}
        assert {"start", "consult", "evacuate", "traffic", "rescue", "inform", "medical",
                "end"} <= phases, (kind, phases)  # fmt: skip
        assert len(steps) >= 20
        assert steps[0][2].phase == "start" and steps[0][2].due_min == 0
        for _, _, action in steps:
            if action.requires:
                k, sub = action.requires.split(":")
                assert sub in demo_subtypes[k], action
    assert book.for_type("typhoon") is book.for_type("flood")
    assert {a.requires for _, _, a in book.for_type("flood").steps_up_to("III")} >= {
        "team:flood_control", "shelter:shelter"}  # fmt: skip
    assert "environment" in {a.phase for _, _, a in book.for_type(
        "hazardous_chemicals").steps_up_to("IV")}  # fmt: skip


def test_steps_add_up_like_run_cards(book):
    plan = book.for_type("hazardous_chemicals")
    four = plan.steps_up_to("IV")
    two = plan.steps_up_to("II")
    assert [s[0] for s in four] == ["IV"] * len(plan.levels["IV"])
    assert two[: len(four)] == four
    assert [lv for lv in dict.fromkeys(s[0] for s in two)] == ["IV", "III", "II"]
    assert len(two) == sum(len(plan.levels[lv]) for lv in ("IV", "III", "II"))


def test_owner_names(book):
    assert book.owner_name("YJ") == "潮州市应急管理局"
    assert book.owner_name("QX", "en") == "Chaozhou Meteorological Bureau"
    assert book.owner_name("role:leader", "zh") == "指挥长"
    assert book.owner_name("NOPE") == "NOPE"
    assert set(role_owners()) >= {"role:emergency", "role:leader"}


def _shipped() -> dict:
    return yaml.safe_load(shipped_path().read_text(encoding="utf-8"))


def _write(tmp_path, data) -> object:
    path = tmp_path / "plans.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["plans"][0]["levels"]["IV"][0].update(owner="NOBODY"), "owner"),
        (lambda d: d["plans"][0]["levels"]["IV"][0].update(due_min=-5), "due_min"),
        (lambda d: d["plans"][0]["levels"]["IV"][0].update(due_min=1.5), "due_min"),
        (lambda d: d["plans"][0]["levels"]["IV"][0].update(zh="only English"), "Chinese"),
        (lambda d: d["plans"][0]["levels"]["IV"][0].pop("en"), "en is missing"),
        (lambda d: d["plans"][0]["levels"]["IV"][0].update(phase="party"), "phase"),
        (lambda d: d["plans"][0]["levels"]["IV"][0].update(requires="boat"), "requires"),
        (lambda d: d["plans"][0]["levels"]["IV"][0].update(requires="ship:x"), "requires"),
        (lambda d: d["plans"][0]["levels"]["IV"][0].update(colour="red"), "unknown fields"),
        (lambda d: d["plans"][0]["levels"].pop("II"), "level II"),
        (lambda d: d["plans"][0]["levels"].update(V=[]), "unknown levels"),
        (lambda d: d["plans"][0].update(types=["meteor"]), "meteor"),
        (lambda d: d["plans"][1].update(types=["flood"]), "two plans"),
        (lambda d: d["plans"].pop(), "no plan for incident types public_security"),
        (lambda d: d["agencies"].append({"code": "YJ", "zh": "重复", "en": "x"}), "departments"),
    ],
)
def test_a_broken_plans_file_is_refused_naming_the_problem(tmp_path, change, message):
    data = _shipped()
    change(data)
    with pytest.raises(ValueError, match=message):
        load_plans(path=_write(tmp_path, data))


def test_a_citys_own_plan_replaces_the_shipped_one_of_its_type(tmp_path):
    own = {
        "agencies": [{"code": "SDJ", "zh": "市水电局", "en": "Water and power bureau"}],
        "plans": [
            {
                "id": "city_flood",
                "types": ["flood"],
                "name": {"zh": "本市防洪预案", "en": "Our flood plan"},
                "levels": {
                    lv: [{"phase": "start", "owner": "SDJ", "due_min": 0, "zh": f"{lv}级启动",
                          "en": f"Start {lv}"}]
                    for lv in INCIDENT_LEVELS
                },
            }
        ],
    }  # fmt: skip
    book = load_plans(extra_file=_write(tmp_path, own))
    assert book.for_type("flood").id == "city_flood"
    assert book.for_type("typhoon").id == "flood_typhoon"
    assert book.owner_name("SDJ") == "市水电局"
    with pytest.raises(ValueError, match="not valid YAML"):
        (tmp_path / "bad.yaml").write_text("plans: [", encoding="utf-8")
        load_plans(extra_file=tmp_path / "bad.yaml")
    with pytest.raises(ValueError, match="cannot read"):
        load_plans(extra_file=tmp_path / "missing.yaml")
