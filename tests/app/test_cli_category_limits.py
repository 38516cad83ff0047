"""`cityops case show` reads the limit a case was dispatched with: an administrator's later
change of the category's limit (`cityops category set`) applies to new cases only."""

from __future__ import annotations

from app.cli import main
from models.store import Store
from tests.models.case_fixtures import drive, new_case


def test_case_show_keeps_the_dispatched_limit(demo_copy, capsys):
    folder = demo_copy()
    config = str(folder / "config.yaml")
    with Store(folder / "cityops.duckdb") as store:
        case_id = drive(store, new_case(store), "dispatched")
    set_limit = ["--config", config, "--user", "admin", "category", "set", "0201"]
    assert main([*set_limit, "limit_value=9"]) == 0
    capsys.readouterr()
    assert main(["--config", config, "case", "show", case_id]) == 0
    out = capsys.readouterr().out.splitlines()
    sla = next(line for line in out if line.startswith("sla "))
    assert "of 5:00:00" in sla, sla  # 0201 道路不洁 was 5 working hours when dispatched
