"""`cityops case transition ID recategorise --category CODE --reason ...` on a real database."""

from models.store import Store
from tests.app.test_cli import _cli


def test_recategorise_from_the_cli(demo_copy):
    folder = demo_copy()
    config = str(folder / "config.yaml")
    report = ["--config", config, "--user", "operator", "case", "report", "--category", "0201"]
    rep = _cli(*report, "--lon", "116.6465", "--lat", "23.6707", "--text", "其实是暴露垃圾")
    assert rep.returncode == 0, rep.stderr
    case_id = rep.stdout.split()[1]
    move = ["--config", config, "--user", "dispatcher", "case", "transition", case_id]
    no_reason = _cli(*move, "recategorise", "--category", "0202")
    assert no_reason.returncode == 1 and "requires reason" in no_reason.stderr
    ok = _cli(*move, "recategorise", "--category", "0202", "--reason", "暴露垃圾，不是道路不洁")
    assert ok.returncode == 0, ok.stderr
    with Store(folder / "cityops.duckdb") as store:
        assert (
            store.query_value("SELECT category_code FROM cases WHERE case_id = ?", [case_id])
            == "0202"
        )
        data = store.query_value(
            "SELECT data FROM case_transitions WHERE case_id = ? AND action = 'recategorise'",
            [case_id],
        )
    assert '"previous": "0201"' in data and '"category": "0202"' in data
