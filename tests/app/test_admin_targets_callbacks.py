"""The indicators and themes tab's callbacks called directly: other roles change nothing and
are refused; the admin's target is what the indicator API computes next and the admin's
theme is on the wall's switcher next, without a restart; bad input is a message."""

from __future__ import annotations

import json

import pytest
from plotly.utils import PlotlyJSONEncoder

from app.pages.admin import ids
from models.settings_docs import doc_version
from tests.app.emergency_support import text_of
from tests.app.test_admin_calendar_callbacks import OTHERS, as_user
from tests.app.test_admin_calendar_callbacks import world as world

IND = "urban.on_time_handling"  # higher is better: target 90, green 90, yellow 80
THEME = """themes:
  - id: night_watch
    name: {zh: 夜间巡查, en: Night watch}
    layers: [grid, cases]
    grid_colour: open_cases
    kpis: [open_cases, overdue]
"""


def _form(**changes: object) -> tuple[list, list]:
    """The inputs of the table as the browser sends them: every indicator's three values,
    declared ones unless ``changes`` (``"id:field"``) says otherwise."""
    from models.indicators.in_force import EDITABLE, declared_entries

    values, keys = [], []
    for entry in declared_entries():
        for field in EDITABLE:
            keys.append({"type": ids.TGT_VALUE, "ind": entry["id"], "field": field})
            values.append(changes.get(f"{entry['id']}:{field}", entry.get(field)))
    return values, keys


def _save(values, keys, pressed=ids.TGT_SAVE):
    from app.pages.admin.targets import save_indicators

    return save_indicators(1, 0, values, keys, 0, pressed=pressed)


def _versions(world) -> tuple[int, int]:
    return doc_version(world["store"], "indicator_targets"), doc_version(world["store"], "themes")


def _text(node) -> str:
    return text_of(json.loads(json.dumps(node, cls=PlotlyJSONEncoder)))


@pytest.mark.parametrize("username", OTHERS)
def test_other_roles_are_refused_and_change_nothing(world, username):
    from app.pages.admin.targets import render, save_themes

    before = _versions(world)
    with as_user(world, username):
        table, themes, text = render(0, 0)
        assert "只有管理员" in _text(table) and themes == [] and text == ""
        note, _ = _save(*_form(**{f"{IND}:target": 99}))
        assert "只有管理员" in _text(note)
        note, _ = _save([], [], pressed=ids.TGT_RESET)
        assert "只有管理员" in _text(note)
        note, _ = save_themes(1, THEME, 0)
        assert "只有管理员" in _text(note)
    assert _versions(world) == before


def _api_target(world) -> float:
    from tests.app.test_dispatch_callbacks import logged_in_clients
    from tests.conftest import demo_passwords

    folder = world["store"].path.parent
    client = logged_in_clients(world["app"], demo_passwords(folder))("leader")
    rows = client.get("/api/v1/indicators?period=2026-11").get_json()
    return next(r["target"] for r in rows if r["id"] == IND)


def test_a_saved_target_is_what_the_indicator_api_computes_next(world):
    from app.pages.admin.targets import render

    assert _api_target(world) == 90.0
    with as_user(world, "admin"):
        note, refresh = _save(*_form(**{f"{IND}:target": 95, f"{IND}:green": 95,
                                        f"{IND}:yellow": 85}))  # fmt: skip
        assert note.className == "msg ok" and "1" in note.children and refresh == 1
        table, _themes, _text_ = render(refresh, 0)
        assert "95" in json.dumps(table, cls=PlotlyJSONEncoder)
    assert _api_target(world) == 95.0  # the same running app: no restart
    with as_user(world, "admin"):
        note, _ = _save([], [], pressed=ids.TGT_RESET)
        assert note.className == "msg ok"
    assert _api_target(world) == 90.0


@pytest.mark.parametrize(
    "changes, word",
    [
        ({f"{IND}:green": 70}, "at least yellow"),  # green below yellow, higher is better
        ({f"{IND}:green": None}, "both green and yellow"),
        ({f"{IND}:target": "lots"}, "finite number"),
    ],
)
def test_bad_targets_are_a_message_and_change_nothing(world, changes, word):
    before = _versions(world)
    with as_user(world, "admin"):
        note, refresh = _save(*_form(**changes))
    assert note.className == "msg err" and word in note.children and refresh != 1
    assert _versions(world) == before


def test_a_form_not_from_the_page_is_a_message(world):
    before = _versions(world)
    values, keys = _form()
    with as_user(world, "admin"):
        unknown = [{"type": ids.TGT_VALUE, "ind": "no.such", "field": "target"}]
        direction = [{"type": ids.TGT_VALUE, "ind": IND, "field": "direction"}]
        bad = ((values, keys[:-1]), (None, keys), (values, ["x"] * len(values)),
               ([1], unknown), ([1], direction))  # fmt: skip
        for vals, ks in bad:
            note, _ = _save(vals, ks)
            assert note.className == "msg err", note
    assert _versions(world) == before


def test_a_saved_theme_is_on_the_wall_next(world):
    from app.pages.admin.targets import render, save_themes
    from app.pages.screen.themes import theme_for, wall_themes

    with as_user(world, "admin"):
        assert "night_watch" not in wall_themes()[0]
        note, refresh = save_themes(1, THEME, 0)
        assert note.className == "msg ok", note.children
        assert theme_for("night_watch").name_zh == "夜间巡查"  # no restart
        _table, themes, text = render(0, refresh)
        assert "夜间巡查" in _text(themes) and "- id: night_watch" in text  # as written
        note, _ = save_themes(1, text, refresh)  # the text shown saves again as it is
        assert note.className == "msg ok", note.children
        note, _ = save_themes(1, "", refresh)  # empty: none of the admin's own
        assert note.className == "msg ok"
        assert "night_watch" not in wall_themes()[0]


@pytest.mark.parametrize(
    "text, word",
    [
        ("themes: [", "不是有效的 YAML"),
        (THEME.replace("[grid, cases]", "[grid, volcanoes]"), "volcanoes"),
        (THEME.replace("    kpis: [open_cases, overdue]\n", ""), "kpis"),
        ("- just a list", "themes"),
        (12345, "最多"),
        ("x" * 70_000, "最多"),
        # the one bounded loader of admin YAML (models.yaml_text): no anchors or aliases
        ("a: &lol [lol, lol]\nthemes: [*lol, *lol]\n", "anchors and aliases"),
    ],
)
def test_bad_themes_are_a_message_and_change_nothing(world, text, word):
    from app.pages.admin.targets import save_themes

    before = _versions(world)
    with as_user(world, "admin"):
        note, refresh = save_themes(1, text, 0)
    assert note.className == "msg err" and word in note.children, note.children
    assert _versions(world) == before
