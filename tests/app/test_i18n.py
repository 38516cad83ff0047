import re
from pathlib import Path

from app.i18n import catalog, t

ROOT = Path(__file__).resolve().parents[2]


def test_catalogs_have_the_same_keys_and_placeholders():
    zh, en = catalog("zh"), catalog("en")
    assert set(zh) == set(en)
    for key in zh:
        assert set(re.findall(r"{(\w+)}", zh[key])) == set(re.findall(r"{(\w+)}", en[key])), key


def test_chinese_catalog_is_chinese():
    zh = catalog("zh")
    han = [k for k, v in zh.items() if re.search(r"[\u4e00-\u9fff]", v)]
    assert len(han) >= len(zh) - 3  # "English" switch label and the like aside


def test_every_key_used_in_the_code_exists():
    used = set()
    for path in (ROOT / "app").rglob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]+)["']""", path.read_text("utf-8")))
    assert used, "the scan found no keys: the pattern is broken"
    missing = used - set(catalog("zh"))
    assert not missing, missing


def test_known_key_formats():
    assert t("app.center", "en", city="Chaozhou") == "Chaozhou City Operations Center"


def test_unknown_key_shows_the_code_and_logs_once(caplog):
    """A label missing from the catalog never raises (one bad message must not take the wall
    down): the code shows, and the gap is logged once."""
    import logging

    with caplog.at_level(logging.WARNING, logger="app.i18n"):
        assert t("source.no_such_source", "zh") == "no_such_source"
        assert t("source.no_such_source", "en") == "no_such_source"
        assert t("source.no_such_source", "zh") == "no_such_source"
    gaps = [r for r in caplog.records if "no_such_source" in r.getMessage()]
    assert len(gaps) == 1


def test_a_bad_placeholder_does_not_raise():
    assert "Chaozhou" not in t("app.center", "en")  # placeholder missing: shown unformatted
    assert t("app.center", "en", wrong="x")


def test_every_enumerated_value_has_a_label_in_both_catalogs():
    """Every value the payloads and tables accept has its label (SPEC §3.1): sources, sensor
    kinds, unit statuses, resource kinds, incident types and levels, alarm levels."""
    from models.vocabulary import LABELLED

    zh, en = catalog("zh"), catalog("en")
    missing = [
        f"{prefix}.{value}"
        for prefix, values in LABELLED.items()
        for value in values
        if f"{prefix}.{value}" not in zh or f"{prefix}.{value}" not in en
    ]
    assert not missing, missing
    assert len(LABELLED["source"]) >= 7 and "public" in LABELLED["source"]


def test_every_stage_has_its_names():
    from models.workflow import STAGE_LABELS, STAGES, stage_label

    for stage in STAGES:
        zh, en = STAGE_LABELS[stage]
        assert zh != stage and en != stage and stage_label(stage, "zh") == zh
    assert stage_label("no_such_stage", "en") == "no_such_stage"


def test_the_payload_enumerations_are_the_vocabulary():
    from ingest import payloads
    from models import vocabulary

    assert payloads.REPORT_SOURCES == vocabulary.REPORT_SOURCES
    assert payloads.SENSOR_KINDS == vocabulary.SENSOR_KINDS
    assert payloads.UNIT_STATUSES == vocabulary.UNIT_STATUSES


def test_every_role_and_scope_kind_has_its_label():
    """The shell names the user's role (issue 11 added the handler and the unit scope)."""
    from models.security import ROLES, SCOPE_KINDS

    for language in ("zh", "en"):
        messages = catalog(language)
        missing = [f"role.{r}" for r in ROLES if f"role.{r}" not in messages]
        missing += [f"scope.{k}" for k in SCOPE_KINDS if f"scope.{k}" not in messages]
        assert not missing, (language, missing)


def test_a_key_defined_in_two_catalog_files_is_an_error(tmp_path, monkeypatch):
    import json

    import app.i18n as i18n

    (tmp_path / "zh").mkdir()
    (tmp_path / "zh.json").write_text(json.dumps({"a.b": "甲"}), encoding="utf-8")
    (tmp_path / "zh" / "screen.json").write_text(json.dumps({"a.b": "乙"}), encoding="utf-8")
    monkeypatch.setattr(i18n, "CATALOGS", tmp_path)
    i18n.catalog.cache_clear()
    try:
        import pytest

        with pytest.raises(ValueError, match="a.b"):
            i18n.catalog("zh")
    finally:
        monkeypatch.undo()
        i18n.catalog.cache_clear()
