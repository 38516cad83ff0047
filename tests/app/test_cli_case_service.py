"""`cityops case transition` acts through models.case_service as the acting user: a handler
acts on its unit's cases, dispatch without --unit takes the suggestion, refusals are clear."""

from __future__ import annotations

import pytest

from app.cli import main
from models.store import Store


@pytest.fixture(scope="module")
def demo(demo_copy):
    folder = demo_copy()
    return str(folder / "config.yaml"), folder / "cityops.duckdb"


def run(config, user, *args, capsys):
    code = main(["--config", config, "--user", user, "case", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def stage_of(db, case_id):
    with Store(db) as store:
        return store.query_value("SELECT stage FROM cases WHERE case_id = ?", [case_id])


def test_a_case_through_the_cli_by_dispatcher_handler_and_refusals(demo, capsys):
    config, db = demo
    code, out, err = run(config, "operator", "report", "--category", "0201", "--lon", "116.6465",
                         "--lat", "23.6707", "--text", "道路不洁", capsys=capsys)  # fmt: skip
    assert code == 0, err
    case_id = out.split()[1]
    for action in ("accept", "register", "dispatch"):  # dispatch: the routing's suggestion
        code, out, err = run(config, "dispatcher", "transition", case_id, action, capsys=capsys)
        assert code == 0, err
    assert out.strip() == f"case {case_id}: dispatched"
    with Store(db) as store:
        unit = store.query_value("SELECT assigned_unit FROM cases WHERE case_id = ?", [case_id])
    assert unit == "CG-445102"
    # the street's handler holds other units: the case is not theirs to see
    code, _, err = run(config, "street_handler", "transition", case_id, "start", capsys=capsys)
    assert code == 1 and "unknown or outside the scope of street_handler" in err
    # the district bureau's handler (scope unit:CG-445102) starts it
    code, out, err = run(config, "xq_cg", "transition", case_id, "start", capsys=capsys)
    assert code == 0, err
    assert stage_of(db, case_id) == "handling"
    code, _, err = run(config, "dispatcher", "transition", case_id, "supervise", capsys=capsys)
    assert code == 1 and "note" in err
    code, _, err = run(config, "dispatcher", "transition", case_id, "supervise", "--note",
                       "今天办结", capsys=capsys)  # fmt: skip
    assert code == 0, err
    code, _, err = run(config, "leader", "transition", case_id, "close", capsys=capsys)
    assert code == 1 and "may not close" in err
    assert stage_of(db, case_id) == "handling"
