"""12345 hotline exports: Chinese headers, encodings, XLSX rows, locating by community, dedupe."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
import shapely

from ingest.demo_city.generate import generate_demo_city
from ingest.demo_city.load import load_demo_city
from ingest.files import ingest_file
from models.categories import seed_categories
from models.geography import load_admin_areas
from models.store import Store

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 11, 25, 9)
HEADER = "工单编号,受理时间,问题分类,问题描述,经度,纬度,所属社区,地址,来电人\n"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory):
    store = Store(tmp_path_factory.mktemp("hotline") / "x.duckdb")
    load_demo_city(store, generate_demo_city(), now=datetime(2026, 11, 24))
    seed_categories(store)
    yield store
    store.close()


def _cases(db: Store, like: str) -> int:
    """Cases whose order number is LIKE ``like``."""
    return db.query_value(
        "SELECT count(*) FROM cases WHERE external_id LIKE ?", [f"hotline:{like}"]
    )


def test_utf8_bom_export_with_chinese_headers_becomes_cases(db, tmp_path):
    path = tmp_path / "hotline_orders.csv"
    shutil.copy(DATA / "hotline_orders.csv", path)
    result = ingest_file(db, path, now=NOW)
    assert result.status == "loaded", (result.reason, result.bad_rows)
    assert result.kind == "hotline" and result.rows_loaded == 3
    case = db.query_df("SELECT * FROM cases WHERE external_id = 'hotline:202611240001'").iloc[0]
    assert case["external_id"] == "hotline:202611240001" and case["source"] == "hotline"
    assert case["stage"] == "reported" and case["category_code"] == "0105"
    assert case["reported_at"] == datetime(2026, 11, 24, 0, 31, 5)  # Beijing time → UTC
    assert case["cell_code"] == "445102007002001" and case["grid_version"] == 1
    assert (case["district_code"], case["street_code"], case["community_code"]) == (
        "445102",
        "445102007",
        "445102007002",
    )
    assert case["description"] == "井盖缺失，行人易跌落" and case["reporter"] == "张先生"
    assert case["address"] == "桥东街道东堤路12号"
    history = db.query_rows(
        "SELECT seq, from_stage, to_stage, actor, occurred_at FROM "
        "case_transitions JOIN cases USING (case_id) WHERE external_id = 'hotline:202611240001'"
    )
    assert history == [(1, None, "reported", "hotline-import", datetime(2026, 11, 24, 0, 31, 5))]
    by_name = db.query_df("SELECT * FROM cases WHERE external_id = 'hotline:202611240002'").iloc[0]
    assert by_name["reported_at"] == datetime(2026, 11, 24, 1, 2)
    community = load_admin_areas(db, "community").set_index("code").geometry["445102007003"]
    assert community.contains(shapely.Point(by_name["lon"], by_name["lat"]))
    assert by_name["cell_code"].startswith("445102007003")


def test_gb18030_export_located_by_community_name(db, tmp_path):
    path = tmp_path / "gbk.csv"
    body = HEADER + "GB-1,2026-11-24 10:00,0201,路面积水,,,涸溪社区居民委员会,,赵先生\n"
    path.write_bytes(body.encode("gb18030"))
    result = ingest_file(db, path, now=NOW)
    assert result.status == "loaded", (result.reason, result.bad_rows)
    row = db.query_rows(
        "SELECT community_code, reporter, description FROM cases WHERE external_id = 'hotline:GB-1'"
    )
    assert row == [("445102007004", "赵先生", "路面积水")]


def test_undecodable_bytes_fail_with_a_clear_reason(db, tmp_path):
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes((HEADER + "U-1,2026-11-24 10:00,0201,x,116.65,23.67,,,\n").encode("utf-16"))
    result = ingest_file(db, utf16, now=NOW)
    assert result.status == "failed" and "UTF-16" in result.reason
    junk = tmp_path / "junk.csv"
    junk.write_bytes(HEADER.encode("utf-8") + b"J-1,\x80\xff,0201,x,,,,,\n")
    result = ingest_file(db, junk, now=NOW)
    assert result.status == "failed" and "neither UTF-8 nor GB18030" in result.reason
    assert _cases(db, "J-%") == 0


def test_unknown_or_ambiguous_community_and_bad_values_are_bad_rows(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER + "B-1,2026-11-24 10:00,0201,ok,116.654367,23.66935,,,\n"
        "B-2,2026-11-24 10:00,0201,x,,,不存在社区,,\n"
        "B-3,2026-11-24 10:00,0201,x,,,春光村,,\n"
        "B-4,2026-11-24 10:00,环卫,x,116.654367,23.66935,,,\n"
        "B-5,2026-11-24 25:00,0201,x,116.654367,23.66935,,,\n"
        "B-6,2026-11-24 10:00,0201,x,120.0,30.0,,,\n"
        "B-1,2026-11-24 11:00,0201,dup,116.654367,23.66935,,,\n",
        encoding="utf-8",
    )
    result = ingest_file(db, path, now=NOW)
    assert result.status == "failed"
    reasons = {b.line: b.reason for b in result.bad_rows}
    assert set(reasons) == {3, 4, 5, 6, 7, 8}
    assert "unknown community" in reasons[3] and "ambiguous" in reasons[4]
    assert "category" in reasons[5] and "25:00" in reasons[6]
    assert "outside the current grid" in reasons[7] and "duplicate order" in reasons[8]
    assert _cases(db, "B-%") == 0


def test_quoted_line_breaks_keep_physical_line_numbers(db, tmp_path):
    path = tmp_path / "multiline.csv"
    path.write_text(
        HEADER + 'M-1,2026-11-24 10:00,0201,"第一行\n第二行\n第三行",116.654367,23.66935,,,\n'
        "M-2,2026-11-24 10:00,9,x,116.654367,23.66935,,,\n",
        encoding="utf-8",
    )
    result = ingest_file(db, path, now=NOW)
    assert [(b.line, b.column) for b in result.bad_rows] == [(5, "category")]


def _xlsx(path: Path, rows: list[list]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["潮州市12345热线工单导出 2026-11-24"])  # a title row above the header
    sheet.append(["工单编号", "受理时间", "问题分类", "问题描述", "经度", "纬度", "所属社区"])
    for row in rows:
        sheet.append(row)
    book.save(path)


def test_xlsx_export_loads_and_reports_sheet_rows(db, tmp_path):
    good = tmp_path / "orders.xlsx"
    _xlsx(
        good,
        [
            [
                20261124101,
                datetime(2026, 11, 24, 14, 0),
                "0105",
                "井盖破损",
                116.654367,
                23.66935,
                None,
            ],
            [20261124102, "2026/11/24 15:30", "0201", "垃圾", None, None, "东山社区"],
        ],
    )
    result = ingest_file(db, good, now=NOW)
    assert result.status == "loaded", (result.reason, result.bad_rows)
    assert result.rows_loaded == 2 and result.line_unit == "row"
    assert db.query_value(
        "SELECT reported_at FROM cases WHERE external_id = 'hotline:20261124101'"
    ) == (datetime(2026, 11, 24, 6, 0))
    bad = tmp_path / "orders_bad.xlsx"
    _xlsx(
        bad,
        [
            [1, datetime(2026, 11, 24), "0105", "x", 116.654367, 23.66935, None],
            [None, None, None, None, None, None, None],
            [2, datetime(2026, 11, 24), "abc", "x", 116.654367, 23.66935, None],
        ],
    )
    result = ingest_file(db, bad, now=NOW)
    assert result.status == "failed"
    assert [(b.line, b.column) for b in result.bad_rows] == [(5, "category")]
    assert "row 5" in Path(result.report_path.replace(".json", ".txt")).read_text("utf-8")


def test_truncated_xlsx_fails_cleanly(db, tmp_path):
    whole = tmp_path / "whole.xlsx"
    _xlsx(whole, [[9, datetime(2026, 11, 24), "0105", "x", 116.654367, 23.66935, None]])
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    result = ingest_file(db, cut, now=NOW)
    assert result.status == "failed" and "not a readable XLSX" in result.reason
    assert _cases(db, "9") == 0


def test_orders_already_imported_are_skipped_not_duplicated(db, tmp_path):
    first = tmp_path / "day1.csv"
    first.write_text(HEADER + "D-1,2026-11-24 10:00,0201,x,116.654367,23.66935,,,\n", "utf-8")
    assert ingest_file(db, first, now=NOW).rows_loaded == 1
    second = tmp_path / "day2.csv"
    second.write_text(
        HEADER + "D-1,2026-11-24 10:00,0201,x,116.654367,23.66935,,,\n"
        "D-2,2026-11-25 10:00,0201,y,116.654367,23.66935,,,\n",
        "utf-8",
    )
    result = ingest_file(db, second, now=NOW)
    assert result.ok and (result.rows_loaded, result.rows_duplicate) == (1, 1)
    assert _cases(db, "D-%") == 2
    assert (
        db.query_value(
            "SELECT count(*) FROM case_transitions JOIN cases USING (case_id) "
            "WHERE external_id LIKE 'hotline:D-%'"
        )
        == 2
    )


def test_orders_are_routed_with_reasons(db, tmp_path):
    path = tmp_path / "routed.csv"
    path.write_text(
        HEADER + "RT-1,2026-11-24 10:00,0202,垃圾堆放,116.6465,23.6707,,牌坊街,市民\n",
        encoding="utf-8",
    )
    assert ingest_file(db, path, now=NOW).status == "loaded"
    unit = db.query_value("SELECT assigned_unit FROM cases WHERE external_id = 'hotline:RT-1'")
    assert unit == "CG-445102"  # 暴露垃圾 → the district's 城管 bureau
    detail = db.query_value(
        "SELECT detail FROM case_events JOIN cases USING (case_id) "
        "WHERE external_id = 'hotline:RT-1' AND kind = 'route_suggested'"
    )
    assert "category 0202" in detail


def test_orders_become_cases_like_any_other_report(db, tmp_path):
    path = tmp_path / "same.csv"
    path.write_text(
        HEADER + "ONE-1,2026-11-25 00:30,0201,x,116.654367,23.66935,,,\n"
        "ONE-2,2026-11-25 00:40,9999,odd,116.654367,23.66935,,,\n",
        encoding="utf-8",
    )
    result = ingest_file(db, path, now=NOW)
    assert result.status == "loaded", (result.reason, result.bad_rows)
    rows = db.query_rows(
        "SELECT case_id, category_issue, assigned_unit FROM cases "
        "WHERE external_id LIKE 'hotline:ONE-%' ORDER BY external_id"
    )
    # one id scheme for every source: the local date (Beijing) and a number from the store
    assert all(re.fullmatch(r"C20261125-\d{6}", r[0]) for r in rows), rows
    assert rows[0][1] is None and rows[1][1] == "unknown"  # kept, flagged to re-categorise
    assert rows[1][2] == "市城市运行管理指挥中心"
    detail = db.query_value(
        "SELECT detail FROM case_events WHERE case_id = ? AND kind = 'route_suggested'",
        [rows[0][0]],
    )
    assert "duplicates" in json.loads(detail)


SATISFACTION_HEADER = HEADER.rstrip("\n") + ",回访结果,回访时间\n"


def _rating(db: Store, order_no: str) -> tuple:
    return tuple(
        db.query_rows(
            "SELECT satisfaction, rated_at FROM cases WHERE external_id = ?",
            [f"hotline:{order_no}"],
        )[0]
    )


def test_a_follow_up_export_records_the_callers_satisfaction_on_the_existing_order(db, tmp_path):
    # 12345 回访: the same order comes again, later, with the caller's rating; it is not a
    # duplicate to skip but the rating of the case already imported
    first = tmp_path / "orders.csv"
    first.write_text(HEADER + "S-1,2026-11-24 10:00,0201,x,116.654367,23.66935,,,\n", "utf-8")
    assert ingest_file(db, first, now=NOW).rows_loaded == 1
    assert _rating(db, "S-1") == (None, None)
    follow_up = tmp_path / "follow_up.csv"
    follow_up.write_text(
        SATISFACTION_HEADER
        + "S-1,2026-11-24 10:00,0201,x,116.654367,23.66935,,,,基本满意,2026-11-25 08:30\n"
        + "S-2,2026-11-24 11:00,0201,y,116.654367,23.66935,,,,不满意,\n",
        "utf-8",
    )
    result = ingest_file(db, follow_up, now=NOW)
    assert result.ok, (result.reason, result.bad_rows)
    assert (result.rows_loaded, result.rows_duplicate) == (1, 1)
    assert _rating(db, "S-1") == ("basic", datetime(2026, 11, 25, 0, 30))  # Beijing → UTC
    # a new order rated in the same file: rated at its import when no time is given
    assert _rating(db, "S-2")[0] == "unsatisfied" and _rating(db, "S-2")[1] is not None
    events = db.query_rows(
        "SELECT kind, detail FROM case_events JOIN cases USING (case_id) "
        "WHERE external_id = 'hotline:S-1'"
    )
    assert ("satisfaction", "basic") in [tuple(e) for e in events]


def test_an_unknown_satisfaction_word_is_a_bad_row_naming_the_column(db, tmp_path):
    path = tmp_path / "bad_rating.csv"
    path.write_text(
        SATISFACTION_HEADER + "S-9,2026-11-24 10:00,0201,x,116.654367,23.66935,,,,很好吧,\n",
        "utf-8",
    )
    result = ingest_file(db, path, now=NOW)
    assert result.status == "failed"
    assert [b.column for b in result.bad_rows] == ["satisfaction"]
    assert "满意" in result.bad_rows[0].reason
