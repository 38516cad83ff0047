import pytest

from models.config import ConfigError, load_config


def test_unknown_time_zone_is_a_config_error(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("calendar:\n  timezone: Asia/Shangai\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={})
    assert any("calendar.timezone" in p and "Asia/Shangai" in p for p in err.value.problems)


def test_known_time_zone_is_accepted(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("calendar:\n  timezone: Europe/Paris\n", encoding="utf-8")
    assert load_config(path, environ={}).settings.calendar.timezone == "Europe/Paris"
