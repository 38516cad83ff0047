"""The responsibility list (权责清单) in real headless Chromium: /admin?tab=duties shows the
three tables; a workbook with a bad row is refused with its sheet and row number, a good one
is imported and the tables show it. The desk (1440×900) never scrolls sideways. Screenshot
docs/screens/admin-duties-1440x900.png is made."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.browser import chromium, login, served
from tests.conftest import ROOT, SECRET, demo_passwords

pytestmark = pytest.mark.browser
SCREENS = ROOT / "docs" / "screens"


def _workbooks(folder, tmp_path):
    """A bad workbook (row 4 names no department) and a good one (0201 owned by ZJ)."""
    from ingest.files.duties_xlsx import write_duties_xlsx
    from models.duties_store import load_duties
    from models.store import Store

    with Store(folder / "cityops.duckdb") as store:
        data = write_duties_xlsx(load_duties(store))
    book = load_workbook(io.BytesIO(data))
    row = next(r for r in range(2, 80) if book["categories"][f"A{r}"].value == "0201")
    book["categories"][f"C{row}"] = "ZJ"
    book.save(tmp_path / "good.xlsx")
    book["categories"]["C4"] = "没有这个部门"
    book.save(tmp_path / "bad.xlsx")
    return tmp_path / "bad.xlsx", tmp_path / "good.xlsx"


def test_the_admin_imports_a_workbook_refused_then_accepted(demo_copy, tmp_path):
    folder = demo_copy()
    bad, good = _workbooks(folder, tmp_path)
    password = demo_passwords(folder)["admin"]
    with served(folder, secret=SECRET) as url, chromium(tmp_path, width=1440, height=900) as page:
        login(page, url, "admin", password, path="/admin")
        page.goto(url + "/admin?tab=duties")
        page.wait_for_selector("#admin-duty-grid-categories .ag-row")
        page.wait_for_selector("#admin-duty-grid-cells .ag-row")
        page.set_input_files("#admin-duty-upload input[type=file]", str(bad))
        page.wait_for_selector(".admin-duty-problems li")
        problems = page.inner_text(".admin-duty-problems")
        assert "第 4 行" in problems and "没有这个部门" in problems
        page.set_input_files("#admin-duty-upload input[type=file]", str(good))
        page.wait_for_selector("#admin-duty-message .msg.ok")
        assert "1 个类别" in page.inner_text("#admin-duty-message")
        widths = page.evaluate(
            "(() => { const d = document.documentElement;"
            " return [d.scrollWidth, d.clientWidth]; })()"
        )
        assert widths[0] <= widths[1], widths
        page.wait_for_selector("[data-dash-is-loading]", state="detached")
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / "admin-duties-1440x900.png"))
