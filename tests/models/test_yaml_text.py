"""Every YAML text an admin submits (rules, themes) is read by one bounded loader: anchors and
aliases refused at once (an alias bomb of ~600 bytes expanded to millions of nodes), the size
checked before parsing, nesting bounded, and messages never echo more than a short excerpt."""

import pytest

from models.yaml_text import MAX_TEXT_BYTES, YamlTextError, compose_admin_yaml, load_admin_yaml


def alias_bomb(levels: int = 7, width: int = 10) -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * width)
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines.append(f"rules: *a{levels}")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_at_once_with_a_short_message():
    text = alias_bomb()
    assert len(text) < 1000
    with pytest.raises(YamlTextError) as caught:
        load_admin_yaml(text)
    said = str(caught.value)
    assert "alias" in said and len(said) < 300 and caught.value.line == 1  # its first anchor
    with pytest.raises(YamlTextError):
        compose_admin_yaml(text)


def test_an_anchor_without_alias_is_refused_too():
    with pytest.raises(YamlTextError, match="anchor"):
        load_admin_yaml("a: &x 1\nb: 2\n")


def test_a_text_too_large_is_refused_before_parsing():
    text = "rules:\n" + "  - x\n" * (MAX_TEXT_BYTES // 6 + 10)
    with pytest.raises(YamlTextError, match="KiB") as caught:
        load_admin_yaml(text)
    assert len(str(caught.value)) < 200
    # bytes, not characters: Chinese takes three bytes each
    with pytest.raises(YamlTextError, match="KiB"):
        load_admin_yaml("a: " + "中" * (MAX_TEXT_BYTES // 3 + 1))


def test_deep_nesting_is_refused_not_a_crash():
    with pytest.raises(YamlTextError, match="deep"):
        load_admin_yaml("[" * 5000 + "]" * 5000)


def test_a_syntax_error_gives_its_line_and_a_short_excerpt():
    text = "rules:\n  - rule_id: x\n    metric: [" + "y" * 5000 + "\n"
    with pytest.raises(YamlTextError) as caught:
        load_admin_yaml(text)
    assert caught.value.line is not None and len(str(caught.value)) < 300


def test_a_plain_text_loads_as_safe_load_would():
    assert load_admin_yaml("rules:\n  - {a: 1, b: [x, y]}\n") == {
        "rules": [{"a": 1, "b": ["x", "y"]}]
    }
    assert load_admin_yaml("") is None
    with pytest.raises(YamlTextError):
        load_admin_yaml("x: !!python/object:os.system ls\n")
