import re
import subprocess
import sys
from pathlib import Path

import pytest

from models.config import ConfigError, env_name, load_config, redacted_dump, setting_keys

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_config_is_valid_and_complete():
    config = load_config(ROOT / "config.yaml", environ={})
    assert config.settings.city.adcode == "445100"
    assert config.settings.map.metric_crs == "EPSG:32650"
    # every key is written out in the shipped file, so nobody has to guess defaults
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    for key in setting_keys():
        assert re.search(rf"\b{key.split('.')[-1]}\b", text), key


def test_every_key_is_documented_in_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [k for k in setting_keys() if f"`{k}`" not in readme]
    assert not missing, f"undocumented config keys: {missing}"
    assert "CITYOPS_SECRET_KEY" in readme and "CITYOPS_MQTT_PASSWORD" in readme


def test_all_problems_reported_at_once(tmp_path):
    bad = tmp_path / "c.yaml"
    bad.write_text(
        "mqtt:\n  port: abc\n  nonsense: 1\nui:\n  language: fr\n"
        "storage:\n  path: null\nmqtt_password: x\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_config(bad, environ={"CITYOPS_SERVER__PORT": "99999", "CITYOPS_BOGUS": "1"})
    text = str(info.value)
    for fragment in (
        "mqtt.port",
        "mqtt.nonsense",
        "ui.language",
        "storage.path",
        "server.port",
        "CITYOPS_BOGUS",
        "mqtt_password: secrets",
    ):
        assert fragment in text, fragment
    assert len(info.value.problems) >= 7


def test_env_overrides_and_secrets_redacted(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("server:\n  port: 8100\n", encoding="utf-8")
    env = {
        env_name("server.port"): "9001",
        env_name("mqtt.host"): "broker.local",
        "CITYOPS_SECRET_KEY": "s3cr3t-value",
        "CITYOPS_MQTT_PASSWORD": "pw-value",
    }
    config = load_config(cfg, environ=env)
    assert config.settings.server.port == 9001
    assert config.settings.mqtt.host == "broker.local"
    assert config.database_path == (tmp_path / "var/cityops.duckdb").resolve()
    dump = str(redacted_dump(config))
    assert "s3cr3t-value" not in dump and "pw-value" not in dump
    assert "***" in dump


def test_cli_bad_config_exits_2_and_starts_nothing(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("storage:\n  path: db.duckdb\nserver:\n  port: [1]\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "app.cli", "--config", str(cfg), "serve"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert run.returncode == 2
    assert "server.port" in run.stderr
    assert not (tmp_path / "db.duckdb").exists()


def test_cli_check_config_redacts(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("ui:\n  language: en\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "app.cli", "--config", str(cfg), "check-config"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"CITYOPS_SECRET_KEY": "very-secret-123", "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stderr
    assert '"language": "en"' in run.stdout
    assert "very-secret-123" not in run.stdout


def test_ingest_time_window_keys_are_declared_and_checked(tmp_path):
    config = load_config(ROOT / "config.yaml", environ={})
    assert config.settings.ingest.max_clock_skew_s == 300
    assert config.settings.ingest.max_age_days == 30
    bad = tmp_path / "c.yaml"
    bad.write_text("ingest:\n  max_clock_skew_s: -1\n  max_age_days: 0\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(bad, environ={})
    text = str(info.value)
    assert "ingest.max_clock_skew_s" in text and "ingest.max_age_days" in text
