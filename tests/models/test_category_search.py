"""The category picker's search over the demo's category table."""

from datetime import datetime, timedelta

import pytest

from ingest.locate import store_locator
from models.cases import report_case
from models.category_search import match_rank, pinyin_keys, search_categories
from models.store import Store

MON = datetime(2026, 11, 23, 1, 0)
PAIFANG = (116.6465, 23.6707)


@pytest.fixture(scope="module")
def store(demo_copy):
    s = Store(demo_copy() / "cityops.duckdb")
    yield s
    s.close()


def _codes(store, query, username="nobody"):
    return [h.code for h in search_categories(store, query, username=username)]


def test_pinyin_keys():
    assert pinyin_keys("垃圾满溢") == ("ljmy", "lajimanyi")


@pytest.mark.parametrize(
    "query",
    [
        "ljmy",
        "LJMY",
        " ljmy ",
        "垃圾满溢",
        "满溢",
        "0203",
        "overflowing",
        "Overflowing bins",
        "lajiman",
    ],
)
def test_finds_by_name_code_and_pinyin(store, query):
    assert _codes(store, query)[0] == "0203" or "0203" in _codes(store, query)[:3]


def test_exact_initials_rank_first(store):
    assert _codes(store, "ljmy")[0] == "0203"
    assert _codes(store, "02")[:1] and all(c.startswith("02") for c in _codes(store, "02")[:5])


def test_no_match_and_odd_input(store):
    assert _codes(store, "zzzzqqq") == []
    assert _codes(store, "%") == [] and _codes(store, "' OR 1=1 --") == []
    assert len(_codes(store, "")) == store.query_value(
        "SELECT count(*) FROM categories WHERE enabled"
    )
    assert match_rank("", "0203", "垃圾满溢", "overflowing bins") is not None


def test_disabled_categories_are_not_offered(store):
    store.write(
        lambda tx: tx.execute("UPDATE categories SET enabled = FALSE WHERE category_code = '0604'")
    )
    try:
        assert "0604" not in _codes(store, "")
        assert _codes(store, "rqyw") == []  # 燃气异味
    finally:
        store.write(
            lambda tx: tx.execute(
                "UPDATE categories SET enabled = TRUE WHERE category_code = '0604'"
            )
        )


def test_recently_used_first_latest_first(store):
    for i, code in enumerate(["0501", "0203", "0304"]):
        report_case(
            store,
            category_code=code,
            lon=PAIFANG[0] + i * 0.01,
            lat=PAIFANG[1],
            at=MON + timedelta(hours=i),
            source="grid_worker",
            actor="picker",
            role="grid_worker",
            locate=store_locator(store),
        )
    assert _codes(store, "", username="picker")[:3] == ["0304", "0203", "0501"]
    hits = search_categories(store, "", username="picker")
    assert [h.recent for h in hits[:4]] == [True, True, True, False]
    # recent ones still have to match the query
    assert _codes(store, "ljmy", username="picker")[0] == "0203"
    assert "0501" not in _codes(store, "ljmy", username="picker")
    # another user's reports do not lead
    assert _codes(store, "", username="someone")[0] == "0101"
