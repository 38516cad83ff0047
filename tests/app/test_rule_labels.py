"""Every alarm rule the server runs (the shipped table and the built-in staleness rule) has
a label in both message catalogs, so the live feed can name an alarm in words."""

from app.i18n import LANGUAGES, catalog
from models.rules import load_rules


def test_every_shipped_rule_has_a_label_in_both_catalogs():
    keys = {f"rule.{r.rule_id}" for r in load_rules()}
    assert "rule.stale" in keys
    for language in LANGUAGES:
        missing = sorted(k for k in keys if k not in catalog(language))
        assert not missing, (language, missing)
        assert "{minutes}" in catalog(language)["feed.silent_for"]
