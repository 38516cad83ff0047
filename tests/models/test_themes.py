"""Theme maps as data: the shipped file, a city's own file, and every rule that refuses one."""

from __future__ import annotations

import pytest
import yaml

from models.categories import load_category_table
from models.themes import (
    Vocabulary,
    case_majors_in_use,
    check_default,
    load_themes,
    parse_theme,
    resolve_theme,
)

VOCAB = Vocabulary(
    layers=("grid", "cases", "env", "iot", "traffic", "emergency"),
    colourings=("district", "open_cases", "overdue", "score"),
    kpis=(
        "cases_today",
        "open_cases",
        "overdue",
        "closure_rate",
        "aqi",
        "congestion_index",
        "active_incidents",
        "sensors_online",
        "resources_available",
    ),
    legend=("grid", "cases", "env", "iot", "traffic", "emergency", "warnings"),
    majors=frozenset(load_category_table()["major_code"]),
    sensor_kinds=frozenset(
        ("air", "water_quality", "noise", "water_level", "manhole", "streetlamp", "smoke", "gas")
    ),
)
GOOD = {
    "id": "markets",
    "name": {"zh": "市场监管", "en": "Markets"},
    "layers": ["grid", "cases"],
    "grid_colour": "overdue",
    "kpis": ["open_cases"],
    "case_majors": ["03"],
}


def test_the_shipped_themes_load_and_hold_the_six_of_the_issue():
    themes = load_themes(vocabulary=VOCAB)
    assert {
        "urban_management",
        "environment",
        "traffic",
        "safety",
        "flood_typhoon",
        "grassroots",
    } <= set(themes)
    um = themes["urban_management"]
    assert um.name_zh == "城市管理" and um.grid_colour == "open_cases"
    assert set(um.layers) == {"grid", "cases"} and um.case_majors
    assert um.kpis == ("cases_today", "open_cases", "overdue", "closure_rate")
    assert themes["environment"].kpis[0] == "aqi" and "env" in themes["environment"].layers
    assert themes["traffic"].kpis[0] == "congestion_index"
    assert "active_incidents" in themes["safety"].kpis
    flood = themes["flood_typhoon"]
    assert "emergency" in flood.layers and flood.sensor_kinds == ("water_level",)
    assert {"04", "08"} <= set(flood.case_majors)
    assert themes["grassroots"].grid_colour == "score" and themes["grassroots"].case_majors == ()
    check_default(themes, "urban_management")


def test_the_shipped_majors_are_the_ones_named_in_the_comments():
    cats = load_category_table().set_index("category_code")
    assert cats.loc["0401", "name_zh"] == "积水" and cats.loc["0801", "name_zh"] == "台风灾情"
    assert cats.loc["0501", "name_zh"] == "违法停车" and cats.loc["0601", "name_zh"] == "噪声扰民"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"layers": ["grid", "weather"]}, "layer groups 'weather'"),
        ({"kpis": ["open_cases", "gdp"]}, "KPIs 'gdp'"),
        ({"grid_colour": "rainbow"}, "grid colouring 'rainbow'"),
        ({"case_majors": ["03", "99"]}, "major codes) '99'"),
        ({"sensor_kinds": ["radar"]}, "sensor kinds 'radar'"),
        ({"legend": ["grid", "weather"]}, "legend blocks 'weather'"),
        ({"grid_colour": None}, "names no grid_colour"),
        ({"layers": []}, "at least one layer"),
        ({"kpis": None}, "at least one KPI"),
        ({"name": {"en": "Markets"}}, "name needs zh"),
        ({"colour": "red"}, "unknown fields ['colour']"),
        ({"layers": "grid"}, "must be a list"),
    ],
)
def test_a_bad_theme_is_refused_naming_it(change, words):
    with pytest.raises(ValueError) as caught:
        parse_theme({**GOOD, **change}, vocabulary=VOCAB)
    assert "'markets'" in str(caught.value) and words in str(caught.value)


def test_unquoted_major_codes_read_as_their_two_digits():
    theme = parse_theme(
        yaml.safe_load(
            "id: x\nname: {zh: 甲}\nlayers: [cases]\n"
            "kpis: [open_cases]\ncase_majors: [01, 08, '05']"
        ),
        vocabulary=VOCAB,
    )
    assert theme.case_majors == ("01", "08", "05")
    assert theme.legend == ("cases",) and theme.grid_colour is None


def test_a_city_file_adds_themes_and_replaces_a_shipped_one(tmp_path):
    extra = tmp_path / "city-themes.yaml"
    replaced = {**GOOD, "id": "traffic", "name": {"zh": "交通运行（本市）"}}
    extra.write_text(yaml.safe_dump({"themes": [GOOD, replaced]}, allow_unicode=True), "utf-8")
    themes = load_themes(vocabulary=VOCAB, extra_file=extra)
    shipped = list(load_themes(vocabulary=VOCAB))
    assert list(themes) == [*shipped, "markets"]  # the replaced one keeps its place
    assert themes["traffic"].name_zh == "交通运行（本市）" and themes["markets"].kpis == (
        "open_cases",
    )


def test_a_bad_city_file_names_the_file_or_the_theme(tmp_path):
    extra = tmp_path / "bad.yaml"
    extra.write_text("themes: [{id: a, name: {zh: 甲}, layers: [cases], kpis: [x]}]", "utf-8")
    with pytest.raises(ValueError, match="theme 'a': unknown KPIs 'x'"):
        load_themes(vocabulary=VOCAB, extra_file=extra)
    extra.write_text("themes: [\n", "utf-8")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_themes(vocabulary=VOCAB, extra_file=extra)
    with pytest.raises(ValueError, match="cannot read"):
        load_themes(vocabulary=VOCAB, extra_file=tmp_path / "missing.yaml")
    extra.write_text(yaml.safe_dump({"themes": [GOOD, GOOD]}), "utf-8")
    with pytest.raises(ValueError, match="defined twice: markets"):
        load_themes(vocabulary=VOCAB, extra_file=extra)


def test_the_default_must_be_a_theme_and_unknown_ids_fall_back_to_it():
    themes = load_themes(vocabulary=VOCAB)
    with pytest.raises(ValueError, match="themes.default 'nope'"):
        check_default(themes, "nope")
    for given in ("nope", None, 3, ["traffic"], "", "<script>"):
        assert resolve_theme(themes, given, "grassroots").id == "grassroots"
    assert resolve_theme(themes, "traffic", "grassroots").id == "traffic"


def test_the_majors_in_use_come_from_the_category_table(store):
    from models.categories import seed_categories

    seed_categories(store)
    assert case_majors_in_use(store) == VOCAB.majors
