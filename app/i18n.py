"""The message catalog: every UI label in Simplified Chinese first, English second."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from app.paths import CATALOGS

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


@cache
def catalog(language: str) -> dict[str, str]:
    """The messages of one language, read once from ``assets/i18n/<language>.json``."""
    if language not in LANGUAGES:
        raise KeyError(f"no message catalog for {language!r}")
    with open(CATALOGS / f"{language}.json", encoding="utf-8") as fh:
        data: dict[str, str] = json.load(fh)
    return data


def t(key: str, language: str = DEFAULT_LANGUAGE, **values: Any) -> str:
    """Translate ``key``; a missing key raises so that a gap is found by the tests."""
    text = catalog(language if language in LANGUAGES else DEFAULT_LANGUAGE)[key]
    return text.format(**values) if values else text
