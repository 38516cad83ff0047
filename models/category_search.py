"""The category picker's search: by Chinese or English name, code, pinyin initials (垃圾满溢 →
"ljmy") or full pinyin, with the categories this user reported lately first."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pypinyin import Style, lazy_pinyin

from models.store import Store

#: How many of the user's latest categories lead the list.
RECENT_LIMIT = 5


@dataclass(frozen=True)
class CategoryHit:
    """One category offered: its code and names, and whether this user used it lately."""

    code: str
    name_zh: str
    name_en: str
    recent: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "recent": self.recent,
        }


@lru_cache(maxsize=4096)
def pinyin_keys(name_zh: str) -> tuple[str, str]:
    """(initials, full pinyin) of a Chinese name, lower case, without tones or spaces."""
    initials = "".join(lazy_pinyin(name_zh, style=Style.FIRST_LETTER, errors="ignore"))
    full = "".join(lazy_pinyin(name_zh, style=Style.NORMAL, errors="ignore"))
    return initials.lower(), full.lower()


def match_rank(query: str, code: str, name_zh: str, name_en: str) -> int | None:
    """How well ``query`` names a category (0 best); None when it does not.

    An empty query matches everything equally. Matching ignores case and surrounding space.
    """
    q = query.strip().lower()
    if not q:
        return 3
    initials, full = pinyin_keys(name_zh)
    if q in (code, initials, name_zh):
        return 0
    if code.startswith(q) or initials.startswith(q) or name_zh.startswith(q):
        return 1
    if full.startswith(q) or name_en.lower().startswith(q):
        return 1
    if q in name_zh or q in name_en.lower() or q in initials or q in full:
        return 2
    return None


def recent_categories(store: Store, username: str, *, limit: int = RECENT_LIMIT) -> list[str]:
    """The categories ``username`` reported lately, latest first."""
    rows = store.query_rows(
        "SELECT category_code FROM cases WHERE reporter = ? GROUP BY category_code "
        "ORDER BY max(reported_at) DESC, category_code LIMIT ?",
        [username, limit],
    )
    return [r[0] for r in rows]


def search_categories(
    store: Store, query: str, *, username: str, limit: int = 200
) -> list[CategoryHit]:
    """The enabled categories matching ``query``: this user's recent ones first (latest
    first), then by match quality and code.

    Parameters
    ----------
    store
        Read for the category table and the user's reports.
    query
        What was typed: a name, part of one, a code, pinyin initials or pinyin; may be empty.
    username
        Whose recent reports lead the list.
    limit
        At most this many hits.
    """
    text = query if isinstance(query, str) else ""
    recent = recent_categories(store, username)
    order = {code: i for i, code in enumerate(recent)}
    scored = []
    for code, name_zh, name_en in store.query_rows(
        "SELECT category_code, name_zh, name_en FROM categories WHERE enabled ORDER BY 1"
    ):
        rank = match_rank(text, code, name_zh, name_en)
        if rank is None:
            continue
        hit = CategoryHit(code, name_zh, name_en, code in order)
        scored.append(((0 if hit.recent else 1, order.get(code, 0), rank, code), hit))
    scored.sort(key=lambda pair: pair[0])
    return [hit for _, hit in scored[:limit]]
