"""The shipped category and department tables, their validation, seeding and admin edits."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ingest.simulator.reports import CATEGORIES
from models.categories import (
    CATEGORY_COLUMNS,
    CategoryTableError,
    category_limit,
    get_category,
    load_category_table,
    load_department_table,
    seed_categories,
)
from models.category_edits import update_category
from models.store import Store

HOURS_PER_DAY = 7.0  # 08:30-12:00 and 14:00-17:30


def _hours(value: float, unit: str) -> float:
    return value if unit == "working_hours" else value * HOURS_PER_DAY


def test_shipped_tables_validate_and_are_large_enough() -> None:
    depts = load_department_table()
    cats = load_category_table()
    assert len(depts) >= 15
    assert len(cats) >= 40
    assert set(cats["kind"]) == {"component", "event"}
    assert list(cats.columns) == list(CATEGORY_COLUMNS)
    assert cats["category_code"].is_unique
    assert (cats["major_code"] + cats["minor_code"] == cats["category_code"]).all()


def test_every_owner_dept_exists_and_district_bureaus_are_there() -> None:
    depts = load_department_table()
    cats = load_category_table()
    assert set(cats["owner_dept"]) <= set(depts["dept_code"])
    districts = set(depts.loc[depts["level"] == "district", "district_code"])
    assert {"445102", "445103", "445122"} <= districts


def test_limits_span_five_working_hours_to_fifteen_working_days() -> None:
    cats = load_category_table().set_index("category_code")
    limits = {code: category_limit(row) for code, row in cats.iterrows()}
    hours = [_hours(v, u) for v, u in limits.values()]
    assert min(hours) <= 5
    assert max(hours) >= 15 * HOURS_PER_DAY
    assert limits["0201"] == (5.0, "working_hours")  # road not clean
    assert limits["0202"] == (1.0, "working_days")  # exposed garbage
    assert limits["0301"] == (15.0, "working_days")  # illegal construction
    for urgent in ("0101", "0401"):  # missing manhole cover, waterlogging
        value, unit = limits[urgent]
        assert unit == "working_hours" and 2 <= value <= 4


def test_every_simulator_category_is_in_the_table_unchanged() -> None:
    cats = load_category_table().set_index("category_code")
    for sim in CATEGORIES:
        assert sim.code in cats.index, sim.code
        row = cats.loc[sim.code]
        assert (row["kind"], row["name_zh"], row["name_en"]) == (
            sim.kind,
            sim.name_zh,
            sim.name_en,
        ), sim.code


def test_some_categories_are_handled_by_the_grid_worker() -> None:
    cats = load_category_table().set_index("category_code")
    assert bool(cats.loc["0304", "grid_level"])  # small ads
    assert not bool(cats.loc["0301", "grid_level"])
    assert cats["enabled"].all()


def _write(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


_CAT_HEADER = ",".join(CATEGORY_COLUMNS)


def test_a_broken_category_csv_lists_every_problem(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "bad.csv",
        _CAT_HEADER,
        "0101,component,01,01,井盖,manhole cover,SZ,缺失,补齐,2,working_hours,false,true",
        "0101,component,01,01,井盖,manhole cover,SZ,缺失,补齐,2,working_hours,false,true",
        "0102,thing,01,03,雨水箅子,grate,NOPE,缺失,补齐,0,minutes,maybe,true",
        "0103,event,01,03,,,SZ,,,abc,working_days,false,true",
    )
    with pytest.raises(CategoryTableError) as info:
        load_category_table(path)
    text = str(info.value)
    problems = info.value.problems
    assert "duplicate category_code '0101'" in text
    assert "major_code '01' + minor_code '03' != '0102'" in text
    assert "kind 'thing'" in text
    assert "owner_dept 'NOPE'" in text
    assert "limit_value '0'" in text
    assert "limit_unit 'minutes'" in text
    assert "grid_level 'maybe'" in text
    assert "limit_value 'abc'" in text
    for field in ("name_zh", "name_en", "register_condition", "close_condition"):
        assert f"row 5 (0103): empty {field}" in problems
    assert len(problems) == 12


def test_a_broken_header_and_department_table_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CategoryTableError, match="missing column 'enabled'"):
        load_category_table(_write(tmp_path / "c.csv", _CAT_HEADER.replace(",enabled", "")))
    depts = _write(
        tmp_path / "d.csv",
        "dept_code,name_zh,name_en,level,district_code",
        "CG,城管,UM,city,",
        "CG,城管,UM,city,",
        "X,,,province,",
        "CG-1,区城管,UM,district,",
    )
    with pytest.raises(CategoryTableError) as info:
        load_department_table(depts)
    assert len(info.value.problems) == 4
    assert "duplicate dept_code 'CG'" in str(info.value)
    assert "level 'province'" in str(info.value)


def test_category_limit_refuses_a_bad_row() -> None:
    assert category_limit({"limit_value": "3", "limit_unit": "working_days"}) == (
        3.0,
        "working_days",
    )
    with pytest.raises(ValueError):
        category_limit({"category_code": "9", "limit_value": 3, "limit_unit": "minutes"})
    with pytest.raises(ValueError):
        category_limit({"category_code": "9", "limit_value": -1, "limit_unit": "working_hours"})


def test_seed_twice_keeps_one_copy_and_an_admins_edit(tmp_path: Path) -> None:
    cats = load_category_table()
    with Store(tmp_path / "x.duckdb") as store:
        assert seed_categories(store) == len(cats)
        n_depts = store.query_value("SELECT count(*) FROM departments")
        assert n_depts == len(load_department_table())
        update_category(store, "0201", actor="admin", limit_value=6)
        assert seed_categories(store) == 0
        assert store.query_value("SELECT count(*) FROM categories") == len(cats)
        assert store.query_value("SELECT count(*) FROM departments") == n_depts
        row = get_category(store, "0201")
        assert row is not None and row["limit_value"] == 6.0
        assert row["name_zh"] == "道路不洁" and row["enabled"] is True
        assert get_category(store, "9999") is None


def test_seed_is_one_transaction(tmp_path: Path) -> None:
    depts = load_department_table()
    cats = load_category_table()
    broken = cats.copy()
    broken.loc[0, "kind"] = "nonsense"  # the CHECK constraint fails after departments went in
    with Store(tmp_path / "x.duckdb") as store:
        with pytest.raises(duckdb.Error):
            seed_categories(store, categories=broken, departments=depts)
        assert store.query_value("SELECT count(*) FROM departments") == 0
        assert store.query_value("SELECT count(*) FROM categories") == 0


def _audit(store: Store) -> list[tuple]:
    store.flush()
    return store.query_rows(
        "SELECT actor, action, target, outcome, detail FROM audit_log ORDER BY seq"
    )


def test_update_category_validates_and_audits(tmp_path: Path) -> None:
    with Store(tmp_path / "x.duckdb") as store:
        seed_categories(store)
        after = update_category(
            store, "0101", actor="ann", limit_value="3", owner_dept="CG-445102", enabled="false"
        )
        assert after["limit_value"] == 3.0 and after["enabled"] is False
        row = get_category(store, "0101")
        assert row == after
        actor, action, target, outcome, detail = _audit(store)[-1]
        assert (actor, action, target, outcome) == ("ann", "category.update", "0101", "ok")
        assert json.loads(detail)["owner_dept"] == ["SZ", "CG-445102"]

        bad = [
            {"limit_value": 0},
            {"limit_unit": "minutes"},
            {"owner_dept": "NOPE"},
            {"kind": "thing"},
            {"name_zh": "  "},
            {"category_code": "0102"},
            {"major_code": "02"},
            {},
        ]
        for changes in bad:
            with pytest.raises(CategoryTableError):
                update_category(store, "0101", actor="ann", **changes)
        with pytest.raises(CategoryTableError, match="unknown category_code"):
            update_category(store, "9999", actor="ann", enabled=True)
        assert get_category(store, "0101") == after
        rejected = [r for r in _audit(store) if r[3] == "rejected"]
        assert len(rejected) == len(bad) + 1
        assert "owner_dept 'NOPE'" in rejected[2][4]
