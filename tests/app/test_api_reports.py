"""GET /api/v1/reports and /api/v1/reports/{kind}/{period}.pdf|.xlsx: made on request, the
PDF's text holds the city, the period and the indicators, the XLSX the same numbers as the
JSON API; bad paths are JSON 400/404; roles and scopes refused as documented."""

from __future__ import annotations

import io
import subprocess

import pytest
from openpyxl import load_workbook

from app.reports.tables import show
from app.reports.xlsx import HEADER_ROWS
from tests.app.reports_support import (
    DAY,
    MONTH,
    REFUSED,
    RP,
    XQ,
    build_report_world,
    pdf_text,
    report_dir,
)


@pytest.fixture(scope="module")
def world(demo_copy):
    w = build_report_world(demo_copy)
    yield w
    w.store.close()


@pytest.fixture(scope="module")
def monthly_pdf(world):
    response = world.bearer("leader").get(f"/api/v1/reports/monthly/{MONTH}.pdf")
    assert response.status_code == 200, response.get_data()[:300]
    return response


def test_the_monthly_pdf_is_made_and_holds_city_period_and_indicators(world, monthly_pdf):
    assert monthly_pdf.mimetype == "application/pdf"
    assert monthly_pdf.data[:5] == b"%PDF-"
    path = report_dir(world) / "monthly" / f"monthly-{MONTH}.pdf"
    assert path.is_file() and path.read_bytes() == monthly_pdf.data
    text = pdf_text(path)
    assert "潮州市" in text and MONTH in text and "2026年11月" in text
    assert "城市运行月报" in text
    assert "含模拟数据" in text  # the demo city is synthetic, and the cover says so
    indicators = (
        world.bearer("leader").get("/api/v1/indicators", query_string={"period": MONTH}).get_json()
    )
    flat = text.replace(" ", "")
    for item in indicators:
        assert item["id"] in text, item["id"]
        if item["value"] is not None:
            assert show(item["value"], "num") in flat, (item["id"], item["value"])
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "Noto-Sans-CJK-SC" in fonts and " yes yes " in fonts  # embedded, subset


def test_page_one_renders(world, monthly_pdf, tmp_path):
    path = report_dir(world) / "monthly" / f"monthly-{MONTH}.pdf"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
        check=True, timeout=60,
    )  # fmt: skip
    from PIL import Image

    (png,) = tmp_path.glob("p*.png")
    image = Image.open(png).convert("L")
    assert image.size[0] > 400 and image.size[1] > image.size[0]  # A4 portrait
    dark = sum(image.histogram()[:128])
    assert 0.002 < dark / (image.size[0] * image.size[1]) < 0.3  # ink, not blank nor black


def test_the_xlsx_holds_the_same_numbers_as_the_json_api(world, monthly_pdf):
    response = world.bearer("leader").get(f"/api/v1/reports/monthly/{MONTH}.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert "指标 Indicators" in book.sheetnames and len(book.sheetnames) >= 6
    sheet = book["指标 Indicators"]
    header = [c.value for c in sheet[3]]
    rows = list(sheet.iter_rows(min_row=HEADER_ROWS + 1, values_only=True))
    by_id = {row[header.index("编号")]: row for row in rows}
    indicators = (
        world.bearer("leader").get("/api/v1/indicators", query_string={"period": MONTH}).get_json()
    )
    assert set(by_id) == {i["id"] for i in indicators}
    for item in indicators:
        row = by_id[item["id"]]
        for column, key in (("本期值", "value"), ("目标", "target"), ("上期值", "previous")):
            cell = row[header.index(column)]
            if item[key] is None:
                assert cell is None
            else:
                assert isinstance(cell, int | float), (item["id"], column, cell)
                assert cell == pytest.approx(item[key]), (item["id"], column)
        assert row[header.index("状态")] == item["status"]
    ranking = book["区县排名 Districts"]
    values = [r for r in ranking.iter_rows(min_row=HEADER_ROWS + 1, values_only=True)]
    assert values and all(isinstance(r[3], int) for r in values)  # 立案数 as numbers
    # rates stored as the screen shows them: percent, the unit in the header
    head = [c.value for c in ranking[3]]
    column = head.index("按期处置率 (%)")
    rates = [r[column] for r in values if r[column] is not None]
    assert rates and all(0 <= r <= 100 for r in rates) and max(rates) > 1
    assert ranking.cell(row=HEADER_ROWS + 1, column=column + 1).number_format == "0.0#"
    unit = header.index("单位")
    assert any(row[unit] == "%" and row[header.index("本期值")] > 1 for row in rows)


def test_the_list_names_the_made_files_and_a_second_request_is_not_remade(world, monthly_pdf):
    path = report_dir(world) / "monthly" / f"monthly-{MONTH}.pdf"
    before = path.stat().st_mtime_ns
    again = world.bearer("admin").get(f"/api/v1/reports/monthly/{MONTH}.pdf")
    assert again.status_code == 200 and path.stat().st_mtime_ns == before
    listing = world.bearer("leader").get("/api/v1/reports").get_json()
    names = {item["name"] for item in listing["items"]}
    assert {f"monthly-{MONTH}.pdf", f"monthly-{MONTH}.xlsx"} <= names
    item = next(i for i in listing["items"] if i["name"] == f"monthly-{MONTH}.pdf")
    assert item["url"] == f"/api/v1/reports/monthly/{MONTH}.pdf" and item["bytes"] > 10_000


def test_a_district_leader_gets_the_district_report(world):
    response = world.bearer("xq_leader").get(f"/api/v1/reports/daily/{DAY}.pdf")
    assert response.status_code == 200
    path = report_dir(world) / "daily" / f"daily-{DAY}-{XQ}.pdf"
    assert path.is_file()
    text = pdf_text(path)
    assert "湘桥区" in text and "城市运行日报" in text and DAY in text
    listing = world.bearer("xq_leader").get("/api/v1/reports").get_json()
    assert listing["district"] == XQ
    assert {i["district"] for i in listing["items"]} == {XQ}
    city = world.bearer("leader").get("/api/v1/reports").get_json()
    assert all(i["district"] is None for i in city["items"])
    # a city leader may ask for a district's; a district leader not for another's
    asked = world.bearer("leader").get(
        f"/api/v1/reports/daily/{DAY}.xlsx", query_string={"district": XQ}
    )
    assert asked.status_code == 200
    for url in (f"/api/v1/reports/daily/{DAY}.pdf", "/api/v1/reports"):
        refused = world.bearer("xq_leader").get(url, query_string={"district": RP})
        assert refused.status_code == 403 and refused.get_json()["code"] == "forbidden"
    # a district's listing links the district's files, not the city's
    listed = world.bearer("leader").get("/api/v1/reports", query_string={"district": XQ})
    item = next(i for i in listed.get_json()["items"] if i["name"] == f"daily-{DAY}-{XQ}.pdf")
    assert item["url"] == f"/api/v1/reports/daily/{DAY}.pdf?district={XQ}"
    got = world.bearer("leader").get(item["url"])
    assert got.status_code == 200 and f"daily-{DAY}-{XQ}.pdf" in got.headers["Content-Disposition"]
    own = world.bearer("xq_leader").get("/api/v1/reports").get_json()["items"][0]["url"]
    assert world.bearer("xq_leader").get(own).status_code == 200


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/reports/monthly/2026-13.pdf", 400),
        ("/api/v1/reports/daily/2026-02-30.pdf", 400),
        ("/api/v1/reports/daily/2026-11.pdf", 400),
        ("/api/v1/reports/monthly/1999-01.pdf", 400),
        ("/api/v1/reports/monthly/2026-11.docx", 404),
        ("/api/v1/reports/weekly/2026-11.pdf", 404),
        ("/api/v1/reports/monthly/..%2F..%2Fconfig.yaml", 404),
        ("/api/v1/reports/monthly/../../config.yaml", 404),
        ("/api/v1/reports/monthly/%00.pdf", 404),
        ("/api/v1/reports/monthly/2099-01.pdf", 404),  # not over: not made
        ("/api/v1/reports/monthly/2026-11.pdf?district=4451", 400),
        ("/api/v1/reports/monthly/2026-11.pdf?kind=x", 400),
        ("/api/v1/reports/monthly/2026-11.pdf?district=999999", 404),  # no such district
        ("/api/v1/reports?district=999999", 404),
        ("/api/v1/reports/monthly/2020-01.pdf", 404),  # older than reports.keep_days
    ],
)
def test_bad_paths_are_json_errors(world, path, status):
    response = world.bearer("leader").get(path)
    assert response.status_code == status, (path, response.get_data()[:200])
    assert response.is_json and "error" in response.get_json()


@pytest.mark.parametrize("user", [*REFUSED, "st_leader", "street_operator"])
def test_refused_roles_and_scopes(world, user):
    for url in (
        "/api/v1/reports",
        f"/api/v1/reports/monthly/{MONTH}.pdf",
        f"/api/v1/reports/daily/{DAY}.xlsx",
    ):
        response = world.bearer(user).get(url)
        assert response.status_code == 403, (user, url)
        assert response.get_json()["code"] == "forbidden"


def test_a_report_that_cannot_be_made_is_a_503_json_not_a_500(world):
    # the file's place is taken (here by a folder): making it fails inside the server
    blocked = report_dir(world) / "daily" / "daily-2026-11-18.pdf"
    blocked.mkdir(parents=True)
    response = world.bearer("leader").get("/api/v1/reports/daily/2026-11-18.pdf")
    assert response.status_code == 503, response.get_data()[:300]
    body = response.get_json()
    assert body["code"] == "unavailable" and "try again" in body["error"]
    assert response.headers["Retry-After"]
