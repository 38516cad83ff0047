"""The nearest available units: order and ETAs worked out by hand on a small network, every
reason a unit is left out, requirements, fallbacks, bad input, and the store's readers."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from models.config_sections import EmergencySettings
from models.emergency.nearest import Ranking, nearest_for, rank_units
from models.emergency.nearest_text import Reason, age_text, distance_text, render, requirement_label
from models.emergency.requirements import parse_requirement
from models.emergency.resources import load_units, status_board
from models.emergency.road_graph import build_road_graph
from models.security import Scope
from tests.models.road_fixtures import NOW, lonlat, segments_frame, unit, units_frame

SETTINGS = EmergencySettings(fallback_speed_kmh=36.0, snap_max_m=500.0, position_max_age_s=600)
SCENE = lonlat(2000, 0)  # node C


@pytest.fixture(scope="module")
def graph():
    return build_road_graph(segments_frame())


def rank(graph, rows, scene=SCENE, **options):
    settings = options.pop("settings", SETTINGS)
    frame = units_frame(rows) if rows else pd.DataFrame(columns=list(unit("x", 0, 0)))
    return rank_units(frame, graph, *scene, now=NOW, settings=settings, **options)


def etas(ranking: Ranking) -> dict[str, float]:
    return {c.unit: round(c.eta_s, 3) for c in ranking.candidates}


def whys(ranking: Ranking) -> dict[str, str]:
    return {e.unit: e.why.code for e in ranking.excluded}


HAND_MADE = [
    unit("U1", 0, 0),  # A: 50 + 100 = 150 s, 2,000 m
    unit("U2", 0, 2000),  # D: via E, 200 s, 4,000 m
    unit("U3", 1000, -1000),  # F: 200 + 100 = 300 s
    unit("U4", 1000, 100),  # 100 m off B at 10 m/s: 10 + 100 = 110 s
    unit("U5", 5000, 5000),  # on the island: no road route, straight 5,831 m at 10 m/s
    unit("U6", 2000, -2000),  # 2 km from any road: straight 2,000 m = 200 s (ties U2)
]


def test_order_and_etas_by_hand(graph):
    ranking = rank(graph, HAND_MADE)
    assert [c.unit for c in ranking.candidates] == ["U4", "U1", "U2", "U6", "U3", "U5"]
    assert etas(ranking) == {"U4": 110, "U1": 150, "U2": 200, "U6": 200, "U3": 300,
                             "U5": round(math.hypot(3000, 5000) / 10, 3)}  # fmt: skip
    by_id = {c.unit: c for c in ranking.candidates}
    assert by_id["U2"].distance_m == pytest.approx(4000, abs=0.01)
    assert by_id["U4"].distance_m == pytest.approx(1100, abs=0.01)
    assert [by_id[u].via for u in ("U1", "U5", "U6")] == ["road", "straight_line", "straight_line"]
    assert [r.code for r in by_id["U1"].reasons] == ["available", "road", "position_age"]
    assert [r.code for r in by_id["U4"].reasons] == [
        "available", "road", "off_road_leg", "position_age"
    ]  # fmt: skip
    assert by_id["U5"].reasons[1].code == "no_route"
    assert by_id["U6"].reasons[1].code == "unit_off_network"
    assert ranking.eligible == 6 and ranking.excluded == () and ranking.problem is None


def test_texts_of_a_candidate_in_both_languages(graph):
    ranking = rank(graph, HAND_MADE)
    answer = {c["unit"]: c for c in ranking.to_json("en")["candidates"]}
    assert answer["U1"]["reasons"] == [
        "available", "on the road network, 2.0 km", "position 1 min old"
    ]  # fmt: skip
    assert answer["U4"]["reasons"][2] == "incl. 100 m off the road at 36 km/h"
    assert answer["U6"]["reasons"][1] == (
        "1.4 km from the nearest road: straight line 2.0 km at 36 km/h"
    )
    assert answer["U5"]["reasons"][1] == "no road route: straight line 5.8 km at 36 km/h"
    assert answer["U1"]["name"] == "Unit U1" and answer["U1"]["eta_s"] == 150.0
    zh = {c["unit"]: c for c in ranking.to_json("zh")["candidates"]}
    assert zh["U1"]["reasons"] == ["可用", "沿道路 2.0 公里", "位置 1 分钟前更新"]
    assert zh["U1"]["name"] == "单位U1" and zh["U1"]["reason_codes"][1] == "road"


def test_limit_keeps_the_fastest(graph):
    limited = rank(graph, HAND_MADE, settings=SETTINGS.model_copy(update={"nearest_limit": 2}))
    assert [c.unit for c in limited.candidates] == ["U4", "U1"]
    assert limited.eligible == 6


def test_every_reason_to_leave_a_unit_out(graph):
    rows = [
        unit("OK", 0, 0),
        unit("OUT", 0, 0, status="out_of_service"),
        unit("DIS", 0, 0, status="dispatched"),
        unit("SCN", 0, 0, status="on_scene"),
        unit("RET", 0, 0, status="returning"),
        unit("ODD", 0, 0, status="lost"),
        unit("OLD", 0, 0, age_s=14 * 60),
        unit("NOPOS", 0, 0, age_s=None),
        unit("NAN", 0, 0) | {"lon": float("nan")},
        unit("MARS", 0, 0) | {"lat": 123.0},
        unit("FULL", 0, 0, kind="shelter", subtype="shelter", capacity=500, occupancy=500),
        unit("OVER", 0, 0, kind="shelter", subtype="shelter", capacity=500, occupancy=650),
    ]
    ranking = rank(graph, rows)
    assert [c.unit for c in ranking.candidates] == ["OK"]
    assert whys(ranking) == {
        "OUT": "out_of_service", "DIS": "dispatched", "SCN": "on_scene", "RET": "returning",
        "ODD": "unknown_status", "OLD": "stale_position", "NOPOS": "no_position",
        "NAN": "no_position", "MARS": "no_position", "FULL": "no_capacity", "OVER": "no_capacity",
    }  # fmt: skip
    # nearly available first, in a fixed order
    assert [e.unit for e in ranking.excluded][:4] == ["OLD", "MARS", "NAN", "NOPOS"]
    en = {e["unit"]: e["why"] for e in ranking.to_json("en")["excluded"]}
    zh = {e["unit"]: e["why"] for e in ranking.to_json("zh")["excluded"]}
    assert en["OLD"] == "position 14 min old" and zh["OLD"] == "位置已 14 分钟未更新"
    assert en["OUT"] == "out of service" and zh["OUT"] == "停用"
    assert en["FULL"] == "no capacity (500 of 500)" and zh["FULL"] == "已满（500/500）"
    assert en["ODD"] == "unknown status (lost)"
    assert en["NOPOS"] == "no valid position"
    codes = {e["unit"]: e["why_code"] for e in ranking.to_json("en")["excluded"]}
    assert codes["DIS"] == "dispatched"


def test_position_age_limit_and_fixed_sites(graph):
    rows = [
        unit("EDGE", 0, 0, age_s=600),  # exactly the limit: still trusted
        unit("PAST", 0, 0, age_s=601),
        unit("AHEAD", 0, 0, age_s=-30),  # a clock ahead: counted as just now
        unit("DEPOT", 0, 0, kind="depot", subtype="relief", age_s=None),
        unit("EXPERT", 0, 0, kind="expert", subtype="hazmat", age_s=86_400),
        unit("ROOM", 0, 0, kind="shelter", subtype="shelter", capacity=500, occupancy=120),
        unit("NOCAP", 0, 0, kind="shelter", subtype="shelter"),
    ]
    ranking = rank(graph, rows)
    assert whys(ranking) == {"PAST": "stale_position"}
    by_id = {c.unit: [r.code for r in c.reasons] for c in ranking.candidates}
    assert by_id["DEPOT"][-1] == "fixed_site" and by_id["EXPERT"][-1] == "fixed_site"
    assert by_id["ROOM"][-2:] == ["fixed_site", "room"]
    room = next(c for c in ranking.candidates if c.unit == "ROOM").reasons[-1]
    assert room.text("en") == "room for 380 people" and room.text("zh") == "尚可容纳 380 人"
    ahead = next(c for c in ranking.candidates if c.unit == "AHEAD")
    assert ahead.reasons[-1].params["age_s"] == 0


def test_requirement_matching(graph):
    rows = [
        unit("FLOOD_T", 0, 0, subtype="flood_control"),
        unit("FLOOD_V", 0, 0, kind="vehicle", subtype="flood_control"),
        unit("FIRE_T", 0, 0, subtype="fire"),
        unit("FIRE_V", 1000, 0, kind="vehicle", subtype="fire"),
        unit("BAGS", 0, 0, kind="depot", subtype="flood_control",
             stock='{"sandbags": 6000, "water_pumps": 0}'),
        unit("EMPTY", 0, 0, kind="depot", subtype="relief", stock='{"sandbags": 0}'),
        unit("JUNK", 0, 0, kind="depot", subtype="relief", stock="not json"),
    ]  # fmt: skip
    team = rank(graph, rows, requires="team:flood_control")
    assert [c.unit for c in team.candidates] == ["FLOOD_T"]
    assert set(whys(team).values()) == {"wrong_type"}
    matched = team.candidates[0].reasons[1]
    assert matched.text("zh") == "符合需求：防汛队伍"
    assert matched.text("en") == "matches flood-control team requirement"
    wrong = {e["unit"]: e["why"] for e in team.to_json("en")["excluded"]}
    assert wrong["FIRE_T"] == "wrong type for flood-control team"
    any_kind = rank(graph, rows, requires="flood_control")
    assert {c.unit for c in any_kind.candidates} == {"FLOOD_T", "FLOOD_V", "BAGS"}
    either = rank(graph, rows, requires=" Vehicle:fire | team:FIRE ")
    assert [c.unit for c in either.candidates] == ["FIRE_V", "FIRE_T"]  # B is nearer than A
    bags = rank(graph, rows, requires="depot:sandbags")
    assert [c.unit for c in bags.candidates] == ["BAGS"]
    assert whys(bags)["EMPTY"] == "no_stock" and whys(bags)["JUNK"] == "wrong_type"
    stocked = bags.candidates[0].reasons[-1]
    assert (
        stocked.text("en") == "sandbags in stock: 6,000" and stocked.text("zh") == "库存沙袋 6,000"
    )
    assert bags.to_json("en")["excluded"][0]["why"] == "no sandbags in stock"
    assert whys(rank(graph, rows, requires="depot:water_pumps"))["BAGS"] == "no_stock"
    assert rank(graph, rows, requires="  ").eligible == 7  # blank: no requirement


def test_parse_requirement():
    assert parse_requirement(None) is None and parse_requirement(" , |") is None
    assert parse_requirement("team:flood_control") == (("team", "flood_control"),)
    assert parse_requirement("vehicle") == (("vehicle", None),)
    assert parse_requirement("hazmat,depot:sandbags") == ((None, "hazmat"), ("depot", "sandbags"))


def test_kind_filter_lists_only_that_kind(graph):
    rows = [unit("T", 0, 0), unit("S", 0, 0, kind="shelter", subtype="shelter", capacity=9,
                                  occupancy=9), unit("V", 0, 0, kind="vehicle")]  # fmt: skip
    shelters = rank(graph, rows, kind="shelter")
    assert shelters.candidates == () and whys(shelters) == {"S": "no_capacity"}
    assert [c.unit for c in rank(graph, rows, kind="vehicle").candidates] == ["V"]


def test_mutual_aid_is_marked(graph):
    rows = [unit("HOME", 0, 0), unit("AID", 1000, 0, district="445103")]
    ranking = rank(graph, rows, scene_district="445102")
    aid = ranking.candidates[0]
    assert aid.unit == "AID" and aid.reasons[-1].code == "other_district"
    assert aid.reasons[-1].text("zh") == "跨区支援：潮安区"
    assert aid.reasons[-1].text("en") == "mutual aid from Chao'an"
    assert ranking.candidates[1].reasons[-1].code == "position_age"
    assert ranking.to_json("en")["candidates"][0]["district_name"] == "Chao'an"


def test_bad_input_gives_a_clear_empty_answer(graph):
    for scene in ((float("nan"), 23.6), (None, None), (200.0, 23.6), ("x", 23.6)):
        ranking = rank(graph, HAND_MADE, scene=scene)
        assert ranking.candidates == () and ranking.problem.code == "bad_scene"
        assert ranking.to_json("en")["problem"].startswith("scene coordinates are not valid")
    unknown = rank(graph, HAND_MADE, kind="boat")
    assert unknown.to_json("zh")["problem"] == "未知的资源类别：boat"
    assert rank(graph, []).to_json("en") == {
        "candidates": [], "excluded": [], "eligible": 0, "problem": None, "problem_code": None
    }  # fmt: skip


def test_garbled_unit_rows_are_left_out_not_raised(graph):
    rows = [
        unit("OK", 0, 0),
        unit("TXT", 0, 0) | {"lon": "east", "lat": None},
        unit("WHEN", 0, 0) | {"position_at": "yesterday-ish"},
        unit("CAP", 0, 0, kind="shelter", subtype="shelter") | {"capacity": "many"},
        unit("NOKIND", 0, 0) | {"kind": None, "subtype": None, "name_zh": None},
    ]
    ranking = rank(graph, rows, requires="team")
    assert whys(ranking) == {"TXT": "no_position", "WHEN": "no_position",
                             "CAP": "wrong_type", "NOKIND": "wrong_type"}  # fmt: skip
    assert ranking.to_json("zh")["excluded"][-1]["name"] == "NOKIND"
    # a shelter whose capacity is unknown is not refused for it
    assert [c.unit for c in rank(graph, rows, kind="shelter").candidates] == ["CAP"]
    # a frame without the optional columns still ranks
    bare = units_frame(rows[:1]).drop(columns=["district_zh", "district_en", "stock"])
    assert rank_units(bare, graph, *SCENE, now=NOW, settings=SETTINGS).eligible == 1


def test_empty_network_ranks_along_straight_lines():
    empty = build_road_graph(segments_frame(()))
    ranking = rank(empty, HAND_MADE[:2])
    assert etas(ranking) == {"U1": 200.0, "U2": round(math.hypot(2000, 2000) / 10, 3)}
    assert ranking.to_json("en")["candidates"][0]["reasons"][1] == (
        "no road network: straight line 2.0 km at 36 km/h"
    )


def test_scene_off_the_network(graph):
    ranking = rank(graph, HAND_MADE[:1], scene=lonlat(3000, -3000))
    text = ranking.to_json("en")["candidates"][0]["reasons"][1]
    assert (
        text == "scene 2.8 km from the nearest road: straight line 4.2 km at 36 km/h"
    )  # F is nearest


def test_formatting_helpers():
    assert distance_text(850.4, "en") == "850 m" and distance_text(3240, "zh") == "3.2 公里"
    assert age_text(45, "en") == "45 s" and age_text(7200, "zh") == "2 小时"
    assert render("no_such_code", {}, "en") == "no_such_code"
    assert Reason("road", {}).text("en") == "road"  # a missing parameter shows the code


# -- from the store -----------------------------------------------------------------------


@pytest.fixture
def city(store):
    store.append("road_segments", segments_frame())
    store.append("admin_areas", pd.DataFrame([
        {"code": "445102", "level": "district", "name_zh": "湘桥区", "name_en": "Xiangqiao"},
        {"code": "445103", "level": "district", "name_zh": "潮安区", "name_en": "Chao'an"},
    ]))  # fmt: skip
    rows = [
        unit("TM-1", 0, 0),
        unit("TM-2", 1000, 0, district="445103", status="dispatched"),
        unit("VH-1", 1000, 0, kind="vehicle", subtype="fire"),
        unit("SH-1", 0, 0, kind="shelter", subtype="shelter", capacity=100, occupancy=20),
        unit("EX-1", 0, 0, kind="expert", subtype="hazmat", district=None),
    ]
    store.append("resources", pd.DataFrame(rows))
    return store


def test_nearest_for_reads_the_store(city):
    ranking = nearest_for(city, *SCENE, now=NOW, settings=SETTINGS, scene_district="445103")
    assert [c.unit for c in ranking.candidates][:1] == ["VH-1"]
    assert etas(ranking)["TM-1"] == 150.0
    assert whys(ranking) == {"TM-2": "dispatched"}
    assert ranking.candidates[0].reasons[-1].text("zh") == "跨区支援：湘桥区"
    teams = nearest_for(city, *SCENE, now=NOW, settings=SETTINGS, kind="team")
    assert [c.unit for c in teams.candidates] == ["TM-1"] and whys(teams) == {"TM-2": "dispatched"}
    assert nearest_for(city, *SCENE, now=NOW, settings=SETTINGS, kind="boat").problem is not None
    fire = nearest_for(city, *SCENE, now=NOW, settings=SETTINGS, requires="vehicle:fire")
    assert [c.unit for c in fire.candidates] == ["VH-1"]


def test_a_changed_road_network_is_used_at_once(city):
    def eta_of_tm1() -> float:
        ranking = nearest_for(city, *SCENE, now=NOW, settings=SETTINGS, kind="team")
        return etas(ranking)["TM-1"]

    assert eta_of_tm1() == 150.0  # A → B → C
    city.write(lambda tx: tx.execute("DELETE FROM road_segments WHERE segment_id = 'S2'"))
    assert eta_of_tm1() == 300.0  # B–C closed: A → D → E → C
    city.write(lambda tx: tx.execute("UPDATE road_segments SET free_flow_kmh = 36"))
    assert eta_of_tm1() == 600.0  # everything at 10 m/s


def test_load_units_and_status_board_by_scope(city):
    everyone = load_units(city)
    assert list(everyone["resource_id"]) == ["EX-1", "SH-1", "TM-1", "TM-2", "VH-1"]
    assert everyone.set_index("resource_id").loc["TM-2", "district_zh"] == "潮安区"
    chaoan = load_units(city, scope=Scope("district", ("445103",)))
    assert list(chaoan["resource_id"]) == ["EX-1", "TM-2"]  # the city's own expert too
    assert list(load_units(city, kind="team")["resource_id"]) == ["TM-1", "TM-2"]
    assert load_units(city, scope=Scope("unit", ("U-1",))).empty
    board = status_board(city)
    assert board["team"] == {"available": 1, "dispatched": 1, "on_scene": 0, "returning": 0,
                             "out_of_service": 0}  # fmt: skip
    assert board["depot"]["available"] == 0 and board["vehicle"]["available"] == 1
    street = status_board(city, scope=Scope("street", ("445102001",)))
    assert street["team"]["available"] == 1 and street["team"]["dispatched"] == 0


def test_every_plan_requirement_has_a_chinese_name():
    import re
    from pathlib import Path

    import yaml

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "requires" and isinstance(value, str):
                    yield value
                else:
                    yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    plans = Path(__file__).resolve().parents[2] / "models" / "data" / "plans.yaml"
    found = sorted(set(walk(yaml.safe_load(plans.read_text(encoding="utf-8")))))
    assert found, "plans.yaml names no requirement"
    for text in found:
        label = requirement_label(parse_requirement(text), "zh")
        assert label and not re.search(r"[A-Za-z_]", label), (text, label)
