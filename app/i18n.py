"""The message catalog: every UI label in Simplified Chinese first, English second."""

from __future__ import annotations

import json
import logging
import threading
from functools import cache
from typing import Any

from app.paths import CATALOGS

log = logging.getLogger(__name__)
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
#: Keys already reported missing, so a gap is logged once, not once per rendered row.
_REPORTED: set[str] = set()
_REPORTED_LOCK = threading.Lock()
_REPORTED_MAX = 1000


@cache
def catalog(language: str) -> dict[str, str]:
    """The messages of one language, read once: ``assets/i18n/<language>.json`` and each
    screen's own file ``assets/i18n/<language>/<screen>.json``. A key defined twice is an
    error (two screens would fight over its text)."""
    if language not in LANGUAGES:
        raise KeyError(f"no message catalog for {language!r}")
    files = [CATALOGS / f"{language}.json", *sorted((CATALOGS / language).glob("*.json"))]
    data: dict[str, str] = {}
    for path in files:
        with open(path, encoding="utf-8") as fh:
            part: dict[str, str] = json.load(fh)
        twice = sorted(set(part) & set(data))
        if twice:
            raise ValueError(f"{path.name} defines keys defined already: {', '.join(twice)}")
        data.update(part)
    return data


def _report_once(what: str) -> None:
    with _REPORTED_LOCK:
        if what in _REPORTED or len(_REPORTED) >= _REPORTED_MAX:
            return
        _REPORTED.add(what)
    log.warning("message catalog gap: %s", what)


def t(key: str, language: str = DEFAULT_LANGUAGE, **values: Any) -> str:
    """Translate ``key``; never raises.

    Labels are often built from data (``f"source.{code}"``), and a code the catalog lacks
    must not take a screen down for everyone: a missing key shows its code (the part after
    the last dot) and is logged once; a text whose placeholders do not match the values is
    shown unformatted. The tests walk the enumerations so that gaps are found there.
    """
    messages = catalog(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    text = messages.get(key)
    if text is None:
        _report_once(f"missing key {key!r}")
        return key.rsplit(".", 1)[-1]
    if not values:
        return text
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        _report_once(f"placeholders of {key!r} do not match {sorted(values)}")
        return text
