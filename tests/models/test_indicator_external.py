"""External indicator values (statistics bureau figures): a CSV or XLSX loads whole or not at
all, every bad row named by its line, a later file replaces a stored figure, the measure
shows exactly the stored period, and the shipped synthetic demo file loads."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from ingest.files.indicator_values import import_external
from models.indicators.external import MEASURES, scope_code_of
from models.indicators.periods import parse_period
from models.indicators.registry import Indicator, load_indicators
from models.security import Scope

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "models" / "data" / "external_indicators_demo.csv"
NOW = datetime(2026, 12, 7, 1, 0)
CITY = Scope("city")
GDP = Indicator(id="gdp_growth", name_zh="GDP增速", name_en="GDP growth", dimension="市场监管",
                measure="external.value", unit="%", frequency="quarterly")  # fmt: skip
RETAIL = Indicator(id="retail_growth", name_zh="社零增速", name_en="Retail growth",
                   dimension="市场监管", measure="external.value", unit="%",
                   frequency="monthly")  # fmt: skip
CASES = Indicator(id="cases", name_zh="案件", name_en="Cases", dimension="城市管理",
                  measure="cases.registered")  # fmt: skip
INDICATORS = (GDP, RETAIL, CASES)
GOOD = """indicator_id,period,scope_code,value,synthetic
gdp_growth,2026-Q3,445100,4.8,true
retail_growth,2026-10,445100,"1,234.5",false
retail_growth,2026-11,445100,3.1,
retail_growth,2026-11,445102,2.9,是
"""


@pytest.fixture
def city(store):
    store.write(lambda tx: tx.execute(
        "INSERT INTO admin_areas (code, level, parent_code, name_zh) VALUES "
        "('445100', 'city', NULL, '潮州市'), ('445102', 'district', '445100', '湘桥区'), "
        "('445103', 'district', '445100', '潮安区'), ('445122', 'district', '445100', '饶平县'), "
        "('445102001', 'street', '445102', '太平街道')"))  # fmt: skip
    return store


def load(store, tmp_path, text, name="values.csv", **kw):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return import_external(store, path, actor="admin1", now=NOW, indicators=INDICATORS, **kw)


def value(store, ind, labels, scope=CITY):
    periods = [parse_period(label) for label in labels]
    return MEASURES["external.value"](store, ind, periods, scope, NOW)


def stored(store):
    return store.query_value("SELECT count(*) FROM indicator_values")


def test_good_file_loads_and_shows_exactly_its_periods(city, tmp_path):
    result = load(city, tmp_path, GOOD)
    assert result.ok, result.summary
    assert result.rows_loaded == 4 and result.details == {"replaced": 0, "synthetic": 2}
    assert value(city, RETAIL, ["2026-10", "2026-11", "2026-12"]) == [1234.5, 3.1, None]
    # a quarterly figure only for its quarter; a monthly one not for a quarter
    assert value(city, GDP, ["2026-Q3", "2026-09", "2026-Q2"]) == [4.8, None, None]
    assert value(city, RETAIL, ["2026-Q4"]) == [None]
    # the district's own figure; a street or two districts have none
    assert value(city, RETAIL, ["2026-11"], Scope("district", ("445102",))) == [2.9]
    assert value(city, RETAIL, ["2026-11"], Scope("street", ("445102001",))) == [None]
    assert scope_code_of(city, Scope("district", ("445102", "445103"))) is None
    row = city.query_rows(
        "SELECT source, imported_by, imported_at, synthetic FROM indicator_values "
        "WHERE indicator_id = 'gdp_growth'"
    )
    assert row == [("values.csv", "admin1", NOW, True)]
    city.flush()
    audit = city.query_rows("SELECT actor, action, outcome FROM audit_log")
    assert audit == [("admin1", "indicators.import", "ok")]


def test_one_bad_row_loads_nothing_and_names_its_line(city, tmp_path):
    text = GOOD + "retail_growth,2026-09,445100,abc,\n"
    result = load(city, tmp_path, text)
    assert not result.ok and stored(city) == 0
    assert [(b.line, b.column) for b in result.bad_rows] == [(6, "value")]
    assert "line 6" in result.summary
    city.flush()
    assert city.query_rows("SELECT outcome FROM audit_log") == [("failed",)]


def test_every_kind_of_bad_row_is_reported(city, tmp_path):
    text = (
        "# comment lines at the top are skipped; line numbers stay the file's\n"
        + GOOD
        + "unknown_id,2026-11,445100,1,\n"  # line 7
        "cases,2026-11,445100,1,\n"  # 8: not an external indicator
        "retail_growth,2026-13,445100,1,\n"  # 9: no such month
        "retail_growth,2026-Q4,445100,1,\n"  # 10: a monthly indicator's quarter
        "gdp_growth,2026-Q3,999999,1,\n"  # 11: unknown scope code
        "retail_growth,2026-09,445102001,1,\n"  # 12: a street is no scope of these figures
        "retail_growth,2026-09,445100,inf,\n"  # 13: not finite
        "retail_growth,2026-09,445100,1,maybe\n"  # 14: synthetic not yes/no
        "retail_growth,2026-11,445100,3.2,\n"  # 15: the same key as line 5
    )
    result = load(city, tmp_path, text)
    assert not result.ok and stored(city) == 0
    assert [(b.line, b.column) for b in result.bad_rows] == [
        (7, "indicator_id"), (8, "indicator_id"), (9, "period"), (10, "period"),
        (11, "scope_code"), (12, "scope_code"), (13, "value"), (14, "synthetic"), (15, "period"),
    ]  # fmt: skip
    assert "line 5" in result.bad_rows[-1].reason


def test_xlsx_works_as_csv_does(city, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["指标编码", "期别", "区划代码", "数值"])  # Chinese headers are understood
    sheet.append(["retail_growth", "2026-11", "445100", 3.1])
    sheet.append(["gdp_growth", "2026-Q3", 445100, 4.8])
    sheet.append(["retail_growth", datetime(2026, 10, 1), 445100, 2.5])  # a typed 2026-10
    path = tmp_path / "values.xlsx"
    book.save(path)
    result = import_external(city, path, actor="admin1", now=NOW, indicators=INDICATORS)
    assert result.ok and result.rows_loaded == 3
    assert value(city, RETAIL, ["2026-10", "2026-11"]) == [2.5, 3.1]
    sheet.append(["retail_growth", "2026-09", "445100", "n/a"])  # sheet row 5
    book.save(path)
    again = import_external(city, path, actor="admin1", now=NOW, indicators=INDICATORS)
    assert not again.ok and [b.line for b in again.bad_rows] == [5]
    assert again.line_unit == "row"


def test_reimport_replaces_the_stored_figure(city, tmp_path):
    assert load(city, tmp_path, GOOD).ok
    revised = "indicator_id,period,scope_code,value\nretail_growth,2026-11,445100,3.4\n"
    result = load(city, tmp_path, revised, name="revised.csv")
    assert result.ok and result.details["replaced"] == 1
    assert value(city, RETAIL, ["2026-10", "2026-11"]) == [1234.5, 3.4]
    assert stored(city) == 4
    assert city.query_value(
        "SELECT source FROM indicator_values WHERE period = '2026-11' AND scope_code = '445100'"
    ) == "revised.csv"


def test_bad_files_are_refused_without_raising(city, tmp_path):
    assert "missing column" in load(city, tmp_path, "indicator_id,period\nx,2026-11\n").reason
    assert "no rows" in load(city, tmp_path, "indicator_id,period,scope_code,value\n").reason
    missing = import_external(city, tmp_path / "nope.csv", actor="a", now=NOW,
                              indicators=INDICATORS)  # fmt: skip
    assert not missing.ok and "no such file" in missing.reason
    wrong = load(city, tmp_path, "x", name="values.txt")
    assert not wrong.ok and ".csv or .xlsx" in wrong.reason
    assert stored(city) == 0


def test_shipped_demo_file_is_synthetic_and_loads(city, tmp_path):
    head = DEMO.read_text(encoding="utf-8").splitlines()[0]
    assert head.startswith("#") and "SYNTHETIC" in head
    indicators = load_indicators()
    external = [i for i in indicators if i.measure == "external.value"]
    assert len(external) >= 3
    result = import_external(city, DEMO, actor="init", now=NOW, indicators=indicators)
    assert result.ok, result.bad_rows[:3]
    assert result.details["synthetic"] == result.rows_loaded
    assert {i.id for i in external} == {
        r[0] for r in city.query_rows("SELECT DISTINCT indicator_id FROM indicator_values")
    }
    # thirteen periods of each figure for the city
    counts = city.query_rows(
        "SELECT indicator_id, count(*) FROM indicator_values WHERE scope_code = '445100' "
        "GROUP BY ALL"
    )
    assert all(n == 13 for _, n in counts)


def test_demo_init_loads_the_synthetic_statistics_and_the_cli_imports(demo_copy, capsys):
    from app.cli import main
    from models.store import Store

    folder = demo_copy()
    config = folder / "config.yaml"
    revised = folder / "revised.csv"
    revised.write_text(
        "indicator_id,period,scope_code,value\neconomy.retail_growth,2026-11,445100,9.9\n",
        encoding="utf-8",
    )
    assert main(["--config", str(config), "--user", "admin", "indicators", "import",
                 str(revised)]) == 0  # fmt: skip
    assert "loaded" in capsys.readouterr().out
    bad = folder / "bad.csv"
    bad.write_text("indicator_id,period,scope_code,value\nnope,2026-11,445100,1\n", "utf-8")
    assert main(["--config", str(config), "--user", "admin", "indicators", "import",
                 str(bad)]) == 1  # fmt: skip
    assert "line 2" in capsys.readouterr().out
    with Store(folder / "cityops.duckdb") as store:
        rows = store.query_rows(
            "SELECT count(*), count(*) FILTER (WHERE synthetic), "
            "max(value) FILTER (WHERE indicator_id = 'economy.retail_growth' "
            "AND period = '2026-11' AND scope_code = '445100') FROM indicator_values"
        )
        assert rows == [(91, 90, 9.9)]  # the demo's 91 rows, one replaced by a real figure
        assert store.query_value(
            "SELECT count(*) FROM audit_log WHERE action = 'indicators.import' AND actor = 'init'"
        ) == 1


def test_absurd_values_and_periods_not_over_are_refused(city, tmp_path):
    # found by the independent tester: 1e308 and a 50-digit number loaded and wrecked the
    # cockpit's tiles and the report; a quarter that has not begun loaded too
    text = (
        "indicator_id,period,scope_code,value,synthetic\n"
        "retail_growth,2026-09,445100,1e308,\n"  # 2: out of any plausible range
        "retail_growth,2026-08,445100,12345678901234567890123456789012345678901234567890,\n"
        "retail_growth,2026-07,445100,-150,\n"  # 4: a fall of more than 100 %
        "gdp_growth,2027-Q1,445100,5,\n"  # 5: not begun
        "retail_growth,2026-12,445100,3,\n"  # 6: the month is not over at NOW (12-07)
        "retail_growth,2026-06,445100,3,\n"  # 7: fine
    )
    result = load(city, tmp_path, text)
    assert not result.ok and stored(city) == 0
    assert [(b.line, b.column) for b in result.bad_rows] == [
        (2, "value"), (3, "value"), (4, "value"), (5, "period"), (6, "period"),
    ]  # fmt: skip
    assert "not over" in result.bad_rows[3].reason


def test_full_width_digits_are_no_period():
    for text in ("２０２６-１１", "2026-１１", "٢٠٢٦"):
        with pytest.raises(ValueError):
            parse_period(text)
