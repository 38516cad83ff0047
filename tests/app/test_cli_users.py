"""`cityops user reset-password` and `cityops user set`, run by a server that holds the
database (over its control socket, as the other user commands): the new password printed
once opens the account, every change ends the user's sessions, refusals say why."""

from __future__ import annotations

import signal

from models.security import verify_password
from models.store import Store
from models.users import get_user
from tests.app.test_cli_server import _cli, served  # noqa: F401  (the served fixture)


def test_reset_password_and_set_go_through_the_running_server(served):  # noqa: F811
    folder, config, server = served
    reset = _cli(config, "--user", "admin", "user", "reset-password", "operator")
    assert reset.returncode == 0, reset.stderr
    lines = reset.stdout.strip().splitlines()
    assert "shown once" in lines[0]
    password = lines[1]
    changed = _cli(config, "--user", "admin", "user", "set", "xq_operator", "--role", "leader",
                   "--scope", "district:445103", "--display-name", "湘桥 值班长")  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    assert "district:445103" in changed.stdout
    for args, fragment in (
        (("--user", "admin", "user", "set", "operator"), "give --role"),
        (("--user", "admin", "user", "set", "operator", "--role", "king"), "role must be"),
        (("--user", "admin", "user", "set", "operator", "--scope", "district:1"), "6-digit"),
        (("--user", "admin", "user", "set", "admin", "--role", "leader"), "your own role"),
        (("--user", "admin", "user", "reset-password", "ghost"), "unknown user"),
        (("--user", "operator", "user", "reset-password", "dispatcher"), "needs the role admin"),
    ):
        refused = _cli(config, *args)
        assert refused.returncode == 1, (args, refused.stdout)
        assert fragment in refused.stderr, (args, refused.stderr)
    server.send_signal(signal.SIGTERM)
    server.wait(60)
    with Store(folder / "cityops.duckdb") as store:
        assert verify_password(get_user(store, "operator").password_hash, password)
        user = get_user(store, "xq_operator")
        assert (user.role, user.scope.label(), user.display_name) == (
            "leader", "district:445103", "湘桥 值班长")  # fmt: skip
        assert user.session_epoch >= 1
        assert verify_password(get_user(store, "dispatcher").password_hash, password) is False
        audited = store.query_rows(
            "SELECT actor, action, target FROM audit_log WHERE action IN "
            "('user.password', 'user.role', 'user.name', 'cli.denied') ORDER BY seq"
        )
    assert ("admin", "user.password", "operator") in audited
    assert ("admin", "user.role", "xq_operator") in audited
    assert ("operator", "cli.denied", "user reset-password") in audited
