"""Issue 14: administration is for admins of the WHOLE city. A district's admin is refused by
the CLI's admin commands, the users API, the audit export and the /admin callbacks (and the
page shows the refusal); a city admin still works. The last city-wide admin cannot narrow
their scope; an API token label is at most 100 characters; `user add` without a terminal
says how to give the password instead of a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from app.cli_parser import build_parser
from app.commands import run_store_command
from models.api_tokens import list_tokens
from models.security import parse_scope
from models.users import UserError, add_user, change_user, get_user
from tests.app.admin_audit_support import admin_world, text_of
from tests.app.test_auth import _csrf
from tests.conftest import ROOT, SECRET

DISTRICT_ADMIN = "t_admin_d"
PASSWORD = "district-admin-pw-1"


@pytest.fixture(scope="module")
def world(demo_copy):
    w = admin_world(demo_copy)
    add_user(w.store, DISTRICT_ADMIN, PASSWORD, role="admin",
             scope=parse_scope("district:445102"), actor="test")  # fmt: skip
    yield w
    w.store.close()


def _session(world, username: str, password: str):
    client = world.app.server.test_client()
    answer = client.post(
        "/login", data={"username": username, "password": password, "csrf": _csrf(client)}
    )
    assert answer.status_code == 302, username
    client.environ_base["HTTP_X_REQUESTED_WITH"] = "test"
    return client


def test_one_predicate_says_who_administers():
    from models.security import is_city_admin

    assert is_city_admin("admin", parse_scope("city"))
    assert not is_city_admin("admin", parse_scope("district:445102"))
    assert not is_city_admin("leader", parse_scope("city"))


@pytest.mark.parametrize(
    "argv",
    [
        ["user", "set", "admin", "--display-name", "X"],
        ["user", "add", "t_sneak", "--role", "admin", "--scope", "city", "--password-stdin"],
        ["user", "disable", "dispatcher"],
        ["user", "reset-password", "dispatcher"],
        ["user", "list"],
        ["token", "create", "operator"],
        ["token", "list"],
        ["backup"],
        ["category", "set", "0101", "enabled=false"],
        ["deadletters", "reingest", "1"],
        ["duties", "export", "/tmp/never-written.xlsx"],
    ],
)
def test_a_district_admin_is_refused_by_the_cli_admin_commands(world, argv, capsys):
    before = get_user(world.store, "admin")
    args = build_parser().parse_args(argv)
    code = run_store_command(world.config, world.store, args, username=DISTRICT_ADMIN,
                             password="Sneaky-2026-pw")  # fmt: skip
    assert code == 1, argv
    assert "whole city" in capsys.readouterr().err
    assert get_user(world.store, "admin") == before
    assert get_user(world.store, "t_sneak") is None
    assert list_tokens(world.store, "operator") == []
    assert not get_user(world.store, "dispatcher").disabled


def test_a_city_admin_still_runs_them(world, capsys):
    args = build_parser().parse_args(["user", "set", "leader", "--display-name", "市领导"])
    assert run_store_command(world.config, world.store, args, username="admin") == 0
    assert get_user(world.store, "leader").display_name == "市领导"
    args = build_parser().parse_args(["token", "create", "leader", "--label", "x" * 101])
    assert run_store_command(world.config, world.store, args, username="admin") == 1
    assert "100" in capsys.readouterr().err
    assert list_tokens(world.store, "leader") == []


def test_a_district_admin_is_refused_by_the_api_and_the_audit_export(world):
    client = _session(world, DISTRICT_ADMIN, PASSWORD)
    for path in (
        "/api/v1/exports/audit.csv",
        "/api/v1/exports/audit.xlsx",
        "/api/v1/users",
        "/health/details",
    ):
        answer = client.get(path)
        assert answer.status_code == 403, (path, answer.status_code)
    widened = client.patch(f"/api/v1/users/{DISTRICT_ADMIN}", json={"scope": "city"})
    assert widened.status_code == 403
    assert get_user(world.store, DISTRICT_ADMIN).scope.label() == "district:445102"
    assert world.client("admin").get("/api/v1/exports/audit.csv").status_code == 200
    assert world.client("admin").get("/health/details").status_code in (200, 503)


def test_a_district_admin_is_refused_by_the_admin_page_and_its_callbacks(world):
    from app.pages.admin.acting import acting_admin, forbidden, page_language
    from app.pages.admin.audit import show_audit
    from app.pages.admin.backups import back_up_action, show_backups
    from app.pages.admin.categories_callbacks import submit_form
    from app.pages.admin.dead_letters import reingest_action
    from app.pages.admin.layout import layout

    categories = world.store.query_rows("SELECT count(*) FROM category_changes")
    with world.as_user(DISTRICT_ADMIN):
        refusal = text_of(forbidden(page_language()))
        assert acting_admin() is None
        assert text_of(layout(tab="users")) == text_of(layout(tab="categories"))
        assert refusal in text_of(layout(tab="categories"))
        assert text_of(back_up_action(1)) == refusal
        assert text_of(show_backups(1, None)[0]) == refusal
        table, count, *_rest, note = show_audit("admin", None, None, None, None, None, 0, 0, 0)
        assert table == [] and refusal in text_of(note)
        answer = submit_form("save", "01", "01")
        assert refusal in text_of(answer)
        note, _ = reingest_action("x", 1, [[1]], 3)
        assert refusal in text_of(note)
    assert world.store.query_rows("SELECT count(*) FROM category_changes") == categories
    assert not world.store.query_rows("SELECT * FROM audit_log WHERE action LIKE 'backup.%'")
    with world.as_user("admin"):
        assert acting_admin() is not None
        assert refusal not in text_of(layout(tab="categories"))


def test_the_last_city_wide_admin_cannot_narrow_their_scope(world):
    client = world.client("admin")
    client.environ_base["HTTP_X_REQUESTED_WITH"] = "test"
    answer = client.patch("/api/v1/users/admin", json={"scope": "district:445102"})
    assert answer.status_code == 422, answer.get_json()
    assert any("your own scope" in p for p in answer.get_json()["problems"])
    assert get_user(world.store, "admin").scope.label() == "city"
    # another actor (the CLI's bootstrap, a script) may not take the city's last one either,
    # though a district admin is an enabled admin
    for change in (
        {"scope": parse_scope("district:445102")},
        {"disabled": True},
        {"role": "leader"},
    ):
        with pytest.raises(UserError, match="last enabled city-wide admin"):
            change_user(world.store, "admin", actor="cli", **change)
    assert get_user(world.store, "admin").scope.label() == "city"
    assert not get_user(world.store, "admin").disabled


def test_usernames_differing_in_case_are_refused_by_the_api(world):
    client = world.client("admin")
    client.environ_base["HTTP_X_REQUESTED_WITH"] = "test"
    answer = client.post("/api/v1/users", json={"username": "ADMIN", "role": "operator"})
    assert answer.status_code == 409, answer.get_json()
    assert get_user(world.store, "ADMIN") is None


def test_user_add_without_a_terminal_says_how_to_give_the_password(world):
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "--config", str(world.config.source), "--user", "admin",
         "user", "add", "t_noterm", "--role", "operator"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, cwd=ROOT,
        start_new_session=True, env={**os.environ, "CITYOPS_SECRET_KEY": SECRET},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "EOFError" not in done.stderr
    assert "--password-stdin" in done.stderr


def test_the_users_tab_says_a_token_label_is_too_long(world):
    from app.pages.admin import ids
    from app.pages.admin import users_callbacks as cb

    with world.as_user("admin"):
        answer, changed = cb.change_user_as_admin(ids.USERS_TOKEN_CREATE, "emergency",
                                                  label="标" * 150)  # fmt: skip
    assert "令牌说明最多 100 个字符" in text_of(answer) and changed is cb.no_update
    assert list_tokens(world.store, "emergency") == []


def test_the_navigation_offers_admin_to_the_city_admin_only(world):
    from app.shell import shell_layout

    with world.as_user(DISTRICT_ADMIN):
        district = text_of(shell_layout())
    with world.as_user("admin"):
        city = text_of(shell_layout())
    assert '"/admin"' in city and '"/screen"' in city
    assert '"/admin"' not in district and '"/screen"' in district
