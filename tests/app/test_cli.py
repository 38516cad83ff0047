"""The CLI on a real database: init is idempotent, user add checks its input."""

import subprocess
import sys
from pathlib import Path

from app.cli import main
from models.store import Store
from models.users import get_user, list_users
from tests.conftest import demo_passwords

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args, stdin="", env=None):
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        input=stdin,
        text=True,
        capture_output=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )


def test_demo_init_made_one_user_per_role_with_scopes(demo_copy):
    folder = demo_copy()
    passwords = demo_passwords(folder)
    assert {
        "operator",
        "dispatcher",
        "gridworker",
        "leader",
        "emergency",
        "admin",
        "xq_operator",
        "street_operator",
        "district_leader",
    } <= set(passwords)
    assert (folder / "demo-users.txt").stat().st_mode & 0o077 == 0
    with Store(folder / "cityops.duckdb") as store:
        gw = get_user(store, "gridworker")
        assert gw.role == "grid_worker" and gw.scope.kind == "cells" and gw.scope.codes
        assert get_user(store, "xq_operator").scope.codes == ("445102",)
        assert get_user(store, "district_leader").scope.codes == ("445102",)
        assert store.query_value("SELECT count(*) FROM users") == len(passwords)
        assert store.query_value("SELECT count(*) FROM audit_log WHERE action = 'user.add'") == len(
            passwords
        )


def test_init_again_changes_nothing(demo_copy):
    folder = demo_copy()
    config = str(folder / "config.yaml")
    with Store(folder / "cityops.duckdb") as store:
        before = store.query_value("SELECT count(*) FROM grid_cells")
    assert main(["--config", config, "init"]) == 0
    with Store(folder / "cityops.duckdb") as store:
        assert store.query_value("SELECT count(*) FROM grid_cells") == before
        assert store.query_value("SELECT count(*) FROM grid_versions") == 1


def test_user_add_from_stdin_and_bad_input(demo_copy):
    folder = demo_copy()
    config = str(folder / "config.yaml")
    ok = _cli(
        "--config",
        config,
        "--user",
        "admin",
        "user",
        "add",
        "chen_wei",
        "--role",
        "operator",
        "--scope",
        "district:445103",
        "--password-stdin",
        stdin="Chaozhou-2026-ops\n",
    )
    assert ok.returncode == 0, ok.stderr
    bad = _cli(
        "--config",
        config,
        "--user",
        "admin",
        "user",
        "add",
        "x",
        "--role",
        "king",
        "--scope",
        "district:999999",
        "--password-stdin",
        stdin="short\n",
    )
    assert bad.returncode == 1
    for fragment in (
        "username",
        "role must be one of",
        "at least 10 characters",
        "unknown district codes in scope: 999999",
    ):
        assert fragment in bad.stderr, fragment
    dup = _cli(
        "--config",
        config,
        "--user",
        "admin",
        "user",
        "add",
        "chen_wei",
        "--role",
        "operator",
        "--password-stdin",
        stdin="Chaozhou-2026-ops\n",
    )
    assert dup.returncode == 1 and "exists already" in dup.stderr
    listing = _cli("--config", config, "--user", "admin", "user", "list")
    assert "chen_wei" in listing.stdout and "district:445103" in listing.stdout


def test_init_loads_the_category_table(demo_copy):
    folder = demo_copy()
    with Store(folder / "cityops.duckdb") as store:
        assert store.query_value("SELECT count(*) FROM categories") >= 40
        assert (
            store.query_value(
                "SELECT limit_value || ' ' || limit_unit FROM categories "
                "WHERE category_code = '0301'"
            )
            == "15.0 working_days"
        )


def test_case_commands_end_to_end(demo_copy):
    folder = demo_copy()
    config = str(folder / "config.yaml")
    rep = _cli(
        "--config",
        config,
        "--user",
        "operator",
        "case",
        "report",
        "--category",
        "0202",
        "--lon",
        "116.6465",
        "--lat",
        "23.6707",
        "--text",
        "暴露垃圾",
    )
    assert rep.returncode == 0, rep.stderr
    case_id = rep.stdout.split()[1]
    assert "category 0202" in rep.stdout
    for action in ("accept", "register"):
        ok = _cli("--config", config, "--user", "dispatcher", "case", "transition", case_id, action)
        assert ok.returncode == 0, ok.stderr
    refused = _cli(
        "--config", config, "--user", "dispatcher", "case", "transition", case_id, "close"
    )
    assert refused.returncode == 1 and "cannot close" in refused.stderr
    added = _cli(
        "--config",
        config,
        "--user",
        "admin",
        "user",
        "add",
        "raoping_dispatcher",
        "--role",
        "dispatcher",
        "--scope",
        "district:445122",
        "--password-stdin",
        stdin="Chaozhou-2026-ops\n",
    )
    assert added.returncode == 0, added.stderr
    other = _cli(
        "--config",
        config,
        "--user",
        "raoping_dispatcher",
        "case",
        "transition",
        case_id,
        "dispatch",
        "--unit",
        "CG",
    )
    assert other.returncode == 1 and "outside the scope" in other.stderr
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    month = f"{datetime.now(UTC).astimezone(ZoneInfo('Asia/Shanghai')):%Y-%m}"  # local month
    ev = _cli("--config", config, "evaluate", "--period", month, "--by", "district")
    assert ev.returncode == 0, ev.stderr
    assert "445102" in ev.stdout and "湘桥区" in ev.stdout
    bad = _cli("--config", config, "evaluate", "--period", "2026-13")
    assert bad.returncode == 1 and "2026-13" in bad.stderr
    shown = _cli("--config", config, "case", "show", case_id)
    assert "registered" in shown.stdout and "route:" in shown.stdout
    assert "sla                green: used 0:00:00" in shown.stdout  # not dispatched yet
    listed = _cli("--config", config, "case", "list", "--stage", "registered")
    assert case_id in listed.stdout
    unknown = _cli(
        "--config",
        config,
        "--user",
        "operator",
        "case",
        "report",
        "--category",
        "9999",
        "--lon",
        "116.6",
        "--lat",
        "23.6",
    )
    assert unknown.returncode == 1 and "unknown category" in unknown.stderr


def test_category_list_and_audited_edit(demo_copy):
    folder = demo_copy()
    config = str(folder / "config.yaml")
    listed = _cli("--config", config, "category", "list")
    assert listed.returncode == 0 and "0201" in listed.stdout and "道路不洁" in listed.stdout
    ok = _cli("--config", config, "--user", "admin", "category", "set", "0201", "limit_value=4")
    assert ok.returncode == 0, ok.stderr
    bad = _cli("--config", config, "--user", "admin", "category", "set", "0201", "limit_value=-1")
    assert bad.returncode == 1 and "limit_value" in bad.stderr
    with Store(folder / "cityops.duckdb") as store:
        assert (
            store.query_value("SELECT limit_value FROM categories WHERE category_code = '0201'")
            == 4
        )
        assert (
            store.query_value("SELECT count(*) FROM audit_log WHERE action = 'category.update'")
            == 2
        )


def test_demo_init_fills_a_realistic_case_history(tmp_path):
    from tests.conftest import write_config

    config = write_config(tmp_path, demo={"history_days": 10, "create_users": False})
    assert main(["--config", str(config), "init"]) == 0
    with Store(tmp_path / "cityops.duckdb") as store:
        stages = dict(store.query_rows("SELECT stage, count(*) FROM cases GROUP BY stage"))
        assert stages.get("closed", 0) > 1000 and len(stages) >= 6
        assert store.query_value(
            "SELECT count(*) FROM case_events WHERE kind = 'route_suggested'"
        ) == sum(stages.values())
    assert main(["--config", str(config), "init"]) == 0  # a second init adds nothing
    with Store(tmp_path / "cityops.duckdb") as store:
        assert store.query_value("SELECT count(*) FROM cases") == sum(stages.values())


def test_cli_works_from_any_directory(tmp_path):
    """Package data (categories, rules, demo data) is found wherever the command runs."""
    from tests.conftest import write_config

    config = write_config(tmp_path, demo={"history_days": 0, "create_users": False})
    run = subprocess.run(
        [sys.executable, "-m", "app.cli", "--config", str(config), "init", "--no-demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "categories loaded: 61" in run.stdout


def test_first_user_of_an_empty_table_is_an_admin_added_without_a_user(tmp_path):
    from tests.conftest import write_config

    config = str(write_config(tmp_path, demo={"history_days": 0, "create_users": False}))
    assert main(["--config", config, "init", "--no-demo"]) == 0
    add = ("--config", config, "user", "add", "--password-stdin")
    not_admin = _cli(*add, "boss", "--role", "operator", stdin="Chaozhou-2026-ops\n")
    assert not_admin.returncode == 1 and "first user must be an admin" in not_admin.stderr
    first = _cli(*add, "boss", "--role", "admin", stdin="Chaozhou-2026-ops\n")
    assert first.returncode == 0, first.stderr
    second = _cli(*add, "clerk", "--role", "operator", stdin="Chaozhou-2026-ops\n")
    assert second.returncode == 1 and "user add needs a user" in second.stderr
    with Store(tmp_path / "cityops.duckdb") as store:
        assert [u.username for u in list_users(store)] == ["boss"]
        assert store.query_rows(
            "SELECT actor, target FROM audit_log WHERE action = 'user.add'"
        ) == [("bootstrap", "boss")]
