"""The responsibility list (权责清单): validation of a bulk import (pure), the import all or
nothing on the demo database, its effect on routing at once, and the XLSX round trip."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from ingest.files.duties_xlsx import read_duties_xlsx, write_duties_xlsx
from models.bulk_routing import load_routing_tables, route_many
from models.category_edits import category_history, reference_version
from models.duties import SHEETS, DutyRow, DutyTables, KnownCodes, validate_duties
from models.duties_store import DutiesRejected, import_duties, load_duties
from models.store import Store

KNOWN = KnownCodes(
    categories=frozenset({"0101", "0201"}),
    departments=frozenset({"CG", "SZ", "CG-445102"}),
    districts=frozenset({"445102", "445103"}),
    cells=frozenset({"445102001001001", "445102001001002"}),
    grid_workers=frozenset({"gw1", "gw2"}),
)


def _rows(name: str, *rows: tuple[str, ...]) -> list[DutyRow]:
    return [DutyRow(i, dict(zip(SHEETS[name], r, strict=True))) for i, r in enumerate(rows, 2)]


def test_a_good_list_has_no_problems() -> None:
    tables = DutyTables(
        categories=_rows("categories", ("0101", "x", "SZ"), ("0201", "", "CG-445103")),
        departments=_rows("departments", ("CG-445103", "潮安区城管", "", "district", "445103")),
        cells=_rows("cells", ("445102001001001", "", "某社区居委会", "gw1、gw2")),
    )
    assert validate_duties(tables, KNOWN) == []


def test_every_bad_row_is_reported_with_its_sheet_and_row() -> None:
    tables = DutyTables(
        categories=_rows(
            "categories",
            ("0101", "", "SZ"),
            ("9999", "", "SZ"),  # row 3: unknown category
            ("0201", "", "NOPE"),  # row 4: unknown department
            ("0101", "", "CG"),  # row 5: duplicate
        ),
        departments=_rows(
            "departments",
            ("CG-445199", "某区", "", "district", "445199"),  # row 2: unknown district
            ("CG-445103", "某区", "", "district", "445102"),  # row 3: code ≠ owner-district
            ("XX-445103", "某区", "", "district", "445103"),  # row 4: no owner XX
            ("AB", "某局", "", "province", ""),  # row 5: bad level
        ),
        cells=_rows(
            "cells",
            ("445102001001001", "", "", "gw1, ghost"),  # row 2: unknown worker
            ("445102999999999", "", "", ""),  # row 3: unknown cell
            ("", "", "body", ""),  # row 4: empty key
        ),
    )
    found = [(p.sheet, p.row, p.code) for p in validate_duties(tables, KNOWN)]
    assert found == [
        ("categories", 3, "unknown_category"),
        ("categories", 4, "unknown_department"),
        ("categories", 5, "duplicate"),
        ("departments", 2, "unknown_district"),
        ("departments", 3, "bad_counterpart"),
        ("departments", 4, "unknown_department"),
        ("departments", 5, "bad_level"),
        ("cells", 2, "unknown_grid_worker"),
        ("cells", 3, "unknown_cell"),
        ("cells", 4, "empty_value"),
    ]


@pytest.fixture
def store(demo_copy):
    folder = demo_copy()
    s = Store(folder / "cityops.duckdb")
    yield s
    s.close()


def _reload(data: bytes) -> DutyTables:
    tables, problems = read_duties_xlsx(data)
    assert problems == []
    return tables


def test_export_round_trip_reloads_with_openpyxl_and_imports_as_no_change(store: Store) -> None:
    tables = load_duties(store)
    data = write_duties_xlsx(tables)
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == list(SHEETS)
    head = next(book["cells"].iter_rows(values_only=True))
    assert head == SHEETS["cells"]
    assert book["categories"].max_row == len(tables.categories) + 1
    back = _reload(data)
    assert [r.values for r in back.cells] == [r.values for r in tables.cells]
    assert [r.values for r in back.departments] == [r.values for r in tables.departments]
    result = import_duties(store, back, actor="admin")
    assert (result.categories, result.departments, result.cells) == (0, 0, 0)


def _cell_of(store: Store, category: str) -> tuple[int, str]:
    version, cell = store.query_rows(
        "SELECT c.version_id, c.cell_code FROM grid_cells c JOIN grid_versions v "
        "USING (version_id) WHERE v.valid_to IS NULL AND c.district_code = '445102' "
        "ORDER BY c.cell_code LIMIT 1"
    )[0]
    return int(version), str(cell)


def _route(store: Store, category: str, version: int, cell: str):
    return route_many([(category, version, cell)], load_routing_tables(store, [(version, cell)]))[0]


def test_an_import_changes_routing_of_new_cases_at_once_and_is_audited(store: Store) -> None:
    version, cell = _cell_of(store, "0201")
    assert _route(store, "0201", version, cell).unit == "CG-445102"
    before = reference_version(store)
    tables = load_duties(store)
    cat = next(r for r in tables.categories if r.values["category_code"] == "0201")
    cat.values["owner_dept"] = "ZJ"  # 道路不洁 moves to the housing bureau
    row = next(r for r in tables.cells if r.values["cell_code"] == cell)
    row.values["responsible_body"] = "测试责任单位"
    row.values["grid_workers"] = "gridworker"
    result = import_duties(store, tables, actor="ann")
    assert (result.categories, result.cells) == (1, 1)
    route = _route(store, "0304", version, cell)  # a grid-level category: the cell's body
    assert route.unit == "测试责任单位" and route.assignee == "gridworker"
    assert _route(store, "0201", version, cell).unit == "ZJ-445102"
    assert reference_version(store) > before
    change = category_history(store, "0201")[0]
    assert (change.field, change.old_value, change.new_value, change.actor) == (
        "owner_dept", "CG", "ZJ", "ann")  # fmt: skip
    store.flush()
    audit = store.query_rows(
        "SELECT actor, outcome, detail FROM audit_log WHERE action = 'duties.import'"
    )
    assert audit == [("ann", "ok", '{"categories": 1, "departments": 0, "cells": 1}')]


def test_a_bad_workbook_is_refused_whole_with_row_numbers(store: Store) -> None:
    data = write_duties_xlsx(load_duties(store))
    book = load_workbook(io.BytesIO(data))
    book["categories"]["C2"] = "ZJ"  # a good change in row 2 …
    book["categories"]["C4"] = "NO-SUCH-DEPT"  # … and a bad one in row 4
    book["cells"]["D3"] = "nobody-knows-me"
    out = io.BytesIO()
    book.save(out)
    tables = _reload(out.getvalue())
    owner = store.query_value("SELECT owner_dept FROM categories ORDER BY 1 LIMIT 1")
    with pytest.raises(DutiesRejected) as caught:
        import_duties(store, tables, actor="ann")
    assert [(p.sheet, p.row, p.code) for p in caught.value.problems] == [
        ("categories", 4, "unknown_department"),
        ("cells", 3, "unknown_grid_worker"),
    ]
    assert store.query_value("SELECT owner_dept FROM categories ORDER BY 1 LIMIT 1") == owner
    store.flush()
    assert (
        store.query_value("SELECT outcome FROM audit_log WHERE action = 'duties.import'")
        == "rejected"
    )


def test_a_file_that_is_not_a_workbook_or_lacks_a_sheet_is_a_problem_not_a_crash() -> None:
    _, problems = read_duties_xlsx(b"PK\x03\x04 not really")
    assert [p.code for p in problems] == ["not_xlsx"]
    book = Workbook()
    book.active.title = "categories"
    book.active.append(["category_code", "owner_dept"])
    out = io.BytesIO()
    book.save(out)
    _, problems = read_duties_xlsx(out.getvalue())
    assert [(p.sheet, p.code) for p in problems] == [
        ("categories", "missing_column"),
        ("departments", "missing_sheet"),
        ("cells", "missing_sheet"),
    ]


def test_text_that_looks_like_a_formula_is_written_as_text() -> None:
    tables = DutyTables(cells=_rows("cells", ("445102001001001", "", "=HYPERLINK(1)", "gw1")))
    book = load_workbook(io.BytesIO(write_duties_xlsx(tables)))
    cell = book["cells"]["C2"]
    assert cell.value == "=HYPERLINK(1)" and cell.data_type == "s"
    assert _reload(write_duties_xlsx(tables)).cells[0].values["responsible_body"] == "=HYPERLINK(1)"
