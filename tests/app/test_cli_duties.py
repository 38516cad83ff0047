"""`cityops duties export FILE` / `import FILE`: the workbook out and back (admin only); a bad
workbook is refused with every bad row and nothing written."""

from __future__ import annotations

from openpyxl import load_workbook

from app.cli import main
from models.store import Store


def test_export_edit_import_and_a_refusal(demo_copy, tmp_path, capsys):
    folder = demo_copy()
    config = str(folder / "config.yaml")
    out = tmp_path / "duties.xlsx"
    assert main(["--config", config, "--user", "operator", "duties", "export", str(out)]) == 1
    assert not out.exists()
    assert main(["--config", config, "--user", "admin", "duties", "export", str(out)]) == 0
    book = load_workbook(out)
    assert book.sheetnames == ["categories", "departments", "cells"]
    code = book["categories"]["A2"].value
    book["categories"]["C2"] = "ZJ"
    owner_6 = book["categories"]["C6"].value
    book["categories"]["C6"] = "NO-SUCH"
    book.save(out)
    capsys.readouterr()
    assert main(["--config", config, "--user", "admin", "duties", "import", str(out)]) == 1
    err = capsys.readouterr().err
    assert "categories row 6: unknown_department" in err and "row 2" not in err
    with Store(folder / "cityops.duckdb") as store:
        sql = "SELECT owner_dept FROM categories WHERE category_code = ?"
        assert store.query_value(sql, [code]) != "ZJ"
    book["categories"]["C6"] = owner_6
    book.save(out)
    assert main(["--config", config, "--user", "admin", "duties", "import", str(out)]) == 0
    with Store(folder / "cityops.duckdb") as store:
        assert store.query_value(sql, [code]) == "ZJ"
    missing = tmp_path / "nothing.xlsx"
    assert main(["--config", config, "--user", "admin", "duties", "import", str(missing)]) == 1
