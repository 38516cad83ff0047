"""The indicator declarations: the shipped file loads; every mistake is a ValueError naming
the indicator; traffic lights both ways; the city score in the manner of CityScore."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from models.config_sections import DIMENSIONS
from models.indicators.compute import ACHIEVEMENT_CAP, achievement, city_score
from models.indicators.registry import (
    Indicator,
    load_indicators,
    parse_indicators,
    status_of,
)

GOOD = {
    "id": "x.rate", "name_zh": "按期处置率", "name_en": "On-time rate", "dimension": "城市管理",
    "measure": "cases.on_time_handling_rate", "params": {"majors": ["02"]}, "unit": "%",
    "target": 90, "direction": "higher", "green": 90, "yellow": 80, "source_dept": "CG",
    "frequency": "daily", "history": True,
}  # fmt: skip


def entry(**changes: object) -> dict:
    out = dict(GOOD)
    for key, value in changes.items():
        if value is ...:
            out.pop(key)
        else:
            out[key] = value
    return out


def test_shipped_file_loads_with_case_indicators_in_every_dimension() -> None:
    inds = load_indicators()
    assert len({i.id for i in inds}) == len(inds)
    case_dims = {i.dimension for i in inds if i.case_based}
    assert case_dims == set(DIMENSIONS)
    assert sum(i.case_based for i in inds) >= 30


def test_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "ind.yaml"
    path.write_text(yaml.safe_dump([GOOD], allow_unicode=True), encoding="utf-8")
    assert [i.id for i in load_indicators(path)] == ["x.rate"]
    path.write_text(yaml.safe_dump([GOOD, entry(id="y")], allow_unicode=True), encoding="utf-8")
    import os

    os.utime(path, (1, 2_000_000_000))
    assert [i.id for i in load_indicators(path)] == ["x.rate", "y"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"dimension": "经济运行"}, "unknown dimension"),
        ({"direction": "up"}, "direction"),
        ({"measure": "cases.nope"}, "unknown measure"),
        ({"name_en": ...}, "missing name_en"),
        ({"colour": "red"}, "unknown keys"),
        ({"green": 70}, "green"),  # higher is better, green below yellow
        ({"direction": "lower"}, "green"),  # lower is better, green above yellow
        ({"yellow": None}, "both green and yellow"),
        ({"target": "ninety"}, "target"),
        ({"params": {"majors": ["2"]}}, "major"),
        ({"params": {"colour": "red"}}, "unknown case parameter"),
        ({"frequency": "sometimes"}, "frequency"),
        ({"history": "yes"}, "history"),
    ],
)
def test_mistakes_name_the_indicator(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message) as err:
        parse_indicators([entry(**changes)])
    assert "x.rate" in str(err.value)


def test_duplicate_id_is_refused() -> None:
    with pytest.raises(ValueError, match="x.rate: duplicate id"):
        parse_indicators([GOOD, GOOD])


def test_not_a_list_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        parse_indicators({"indicators": [GOOD]})
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: [unclosed", encoding="utf-8")
    with pytest.raises(ValueError, match="YAML"):
        load_indicators(bad)


def test_status_both_directions() -> None:
    (up,) = parse_indicators([GOOD])
    assert [status_of(up, v) for v in (95, 90, 85, 80, 79.9, None)] == [
        "green", "green", "yellow", "yellow", "red", None]  # fmt: skip
    (down,) = parse_indicators([entry(direction="lower", green=5, yellow=10, target=5)])
    assert [status_of(down, v) for v in (0, 5, 7, 10, 10.1)] == [
        "green", "green", "yellow", "yellow", "red"]  # fmt: skip
    (bare,) = parse_indicators([entry(green=None, yellow=None, target=None)])
    assert status_of(bare, 50) is None
    assert status_of(up, float("nan")) is None


def test_case_based_follows_the_measure() -> None:
    (ind,) = parse_indicators([GOOD])
    assert isinstance(ind, Indicator) and ind.case_based
    assert ind.params["majors"] == ["02"]
    assert {ind: 1}[ind] == 1  # hashable, though its params are a mapping


def test_achievement_both_directions_capped() -> None:
    assert achievement(45, 90, "higher") == pytest.approx(0.5)
    assert achievement(200, 90, "higher") == ACHIEVEMENT_CAP
    assert achievement(10, 5, "lower") == pytest.approx(0.5)
    assert achievement(0, 5, "lower") == ACHIEVEMENT_CAP
    assert achievement(3, 0, "lower") == 0.0
    assert achievement(None, 5, "lower") is None and achievement(5, None, "higher") is None


def row(dim: str, value: float | None, target: float | None, direction: str = "higher") -> dict:
    return {"dimension": dim, "value": value, "target": target, "direction": direction}


def test_city_score_by_hand() -> None:
    results = [
        row("城市管理", 90, 90),  # 1.0
        row("城市管理", 45, 90),  # 0.5 -> dimension 75
        row("城市管理", 12, None),  # no target: left out
        row("公共服务", 100, 50),  # 2.0 capped at 1.2 -> 120 capped at 100
        row("生态环境", 10, 5, "lower"),  # 0.5 -> 50
        row("交通运行", None, 90),  # no value: dimension has no score
    ]
    weights = {d: 1.0 for d in DIMENSIONS} | {"城市管理": 2.0}
    score = city_score(results, weights)
    dims = score["dimensions"]
    assert dims["城市管理"] == pytest.approx(75) and dims["公共服务"] == pytest.approx(100)
    assert dims["生态环境"] == pytest.approx(50) and dims["交通运行"] is None
    assert set(dims) == set(DIMENSIONS)
    assert score["score"] == pytest.approx((2 * 75 + 100 + 50) / 4)
    assert city_score(results, {"交通运行": 1.0})["score"] is None
    assert city_score([], weights) == {"score": None, "dimensions": dict.fromkeys(DIMENSIONS)}
