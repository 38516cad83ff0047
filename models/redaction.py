"""Personal data out of text the public sees (phones, ID cards, e-mails, reporters' names),
and coordinates coarsened for publication (pure)."""

from __future__ import annotations

import math
import re

#: What stands in for a redacted piece of text.
REDACTED = "***"

_MOBILE = r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)"
_LANDLINE = r"(?<!\d)(?:\(0\d{2,3}\)|0\d{2,3})[\s-]?\d{7,8}(?:\s*(?:转|ext\.?|x)\s*\d{1,6})?(?!\d)"
_ID_CARD = r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])"
# starts only where a run of such characters starts, and takes the run whole: linear time
_EMAIL = r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)+"
# a number named as a phone, even without an area code: 电话2281234, tel: 2281234
_NAMED_NUMBER = r"(?i:(?<=电话)|(?<=手机)|(?<=联系方式)|(?<=tel)|(?<=phone))[\s:：]*\d[\d\s-]{5,}\d"
_PATTERNS = re.compile("|".join((_EMAIL, _ID_CARD, _MOBILE, _LANDLINE, _NAMED_NUMBER)))

# a name introduced as the reporter's: 报告人：王小明, 我叫李娜, Reporter: John Smith
_NAME_ZH = re.compile(
    r"(报告人|举报人|反映人|投诉人|联系人|上报人|来电人|来电者|当事人|姓名|名字|我叫|我是)"
    r"(\s*[:：]?\s*)([\u4e00-\u9fff·]{2,4})"
)
_NAME_EN = re.compile(
    r"(?i:\b(reporter|reported by|contact|name|my name is|caller)\b)"
    r"(\s*[:：]?\s*)([A-Z][A-Za-z'-]+(?:\s+[A-Z][A-Za-z'-]+){0,2})"
)
# a surname with an honorific: 王先生, 李女士
_HONORIFIC = re.compile(r"[\u4e00-\u9fff](?=先生|女士|小姐|阿姨|师傅)")


def redact_personal(text: str | None) -> str | None:
    """``text`` with personal data replaced by :data:`REDACTED`.

    Mainland mobile numbers (1[3-9]xxxxxxxxx, with or without +86 and separators),
    landlines with an area code, any number named as a phone, 18-digit ID-card numbers,
    e-mail addresses, names given as the reporter's (报告人：…, 我叫…, Reporter: …) and
    surnames before an honorific (王先生).

    Parameters
    ----------
    text
        Free text from a report (description, address, notes); ``None`` passes through.

    Returns
    -------
    str or None
        The text with every such piece replaced; anything else unchanged.
    """
    if not text:
        return text
    out = _PATTERNS.sub(REDACTED, text)
    out = _NAME_ZH.sub(lambda m: m.group(1) + m.group(2) + REDACTED, out)
    out = _NAME_EN.sub(lambda m: m.group(1) + m.group(2) + REDACTED, out)
    return _HONORIFIC.sub(REDACTED, out)


def coarsen(value: float | None, *, decimals: int) -> float | None:
    """A coordinate rounded to ``decimals`` places (3 ≈ 100 m); None or NaN gives None."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), decimals)
