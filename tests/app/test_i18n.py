import re
from pathlib import Path

import pytest

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


def test_missing_key_raises():
    with pytest.raises(KeyError):
        t("no.such.key")
    assert t("app.center", "en", city="Chaozhou") == "Chaozhou City Operations Center"
