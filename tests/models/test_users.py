"""Who acts: a named, enabled user of the table, with the role asked for; session epochs."""

import pytest

from models.security import Scope, verify_password
from models.users import (
    AccessDenied,
    UserError,
    acting_user,
    add_user,
    end_sessions,
    get_user,
    set_password,
    set_role_scope,
    set_user_disabled,
)

PASSWORD = "Chaozhou-2026-ops"


def test_acting_user_takes_role_and_scope_from_the_table(store):
    add_user(store, "boss", PASSWORD, role="admin", scope=Scope("city"), actor="test")
    add_user(store, "desk", PASSWORD, role="operator", scope=Scope("city"), actor="test")
    assert acting_user(store, "boss", roles={"admin"}, what="user add").role == "admin"
    assert acting_user(store, "desk", what="case report").scope == Scope("city")
    for name, roles, fragment in (
        (None, None, "needs a user"),
        ("", None, "needs a user"),
        ("ghost", None, "unknown user 'ghost'"),
        ("desk", {"admin"}, "needs the role admin; desk is operator"),
    ):
        with pytest.raises(AccessDenied, match=fragment):
            acting_user(store, name, roles=roles, what="x")


def test_a_disabled_user_is_refused_until_enabled_again(store):
    add_user(store, "desk", PASSWORD, role="operator", scope=Scope("city"), actor="test")
    set_user_disabled(store, "desk", True, actor="boss")
    with pytest.raises(AccessDenied, match="disabled"):
        acting_user(store, "desk", what="case report")
    set_user_disabled(store, "desk", False, actor="boss")
    assert acting_user(store, "desk", what="case report").username == "desk"
    with pytest.raises(UserError, match="unknown user"):
        set_user_disabled(store, "ghost", True, actor="boss")
    store.flush()
    assert store.query_rows(
        "SELECT action, actor, target FROM audit_log WHERE action LIKE 'user.%able' ORDER BY action"
    ) == [("user.disable", "boss", "desk"), ("user.enable", "boss", "desk")]


def _district(store, code="445102"):
    store.write(
        lambda tx: tx.execute(
            "INSERT INTO admin_areas (code, level, name_zh) VALUES (?, 'district', '湘桥区')",
            [code],
        )
    )


def test_every_change_that_ends_sessions_bumps_the_epoch(store):
    _district(store)
    add_user(store, "desk", PASSWORD, role="operator", scope=Scope("city"), actor="test")
    epochs = [get_user(store, "desk").session_epoch]
    for change in (
        lambda: end_sessions(store, "desk"),
        lambda: set_password(store, "desk", "New-pass-2027", actor="boss"),
        lambda: set_user_disabled(store, "desk", True, actor="boss"),
        lambda: set_user_disabled(store, "desk", False, actor="boss"),
        lambda: set_role_scope(store, "desk", role="leader", actor="boss"),
        lambda: set_role_scope(store, "desk", scope=Scope("district", ("445102",)), actor="boss"),
    ):
        change()
        epochs.append(get_user(store, "desk").session_epoch)
    assert epochs == sorted(set(epochs)), epochs  # each change moved it on
    user = get_user(store, "desk")
    assert (user.role, user.scope) == ("leader", Scope("district", ("445102",)))
    assert verify_password(user.password_hash, "New-pass-2027")


def test_bad_password_role_or_scope_changes_are_refused(store):
    add_user(store, "desk", PASSWORD, role="operator", scope=Scope("city"), actor="test")
    before = get_user(store, "desk")
    for change, fragment in (
        (lambda: set_password(store, "desk", "short", actor="b"), "at least"),
        (lambda: set_password(store, "ghost", "New-pass-2027", actor="b"), "unknown user"),
        (lambda: set_role_scope(store, "desk", role="king", actor="b"), "role must be"),
        (lambda: set_role_scope(store, "desk", role="grid_worker", actor="b"), "grid worker"),
        (
            lambda: set_role_scope(store, "desk", scope=Scope("street", ("445199999",)), actor="b"),
            "unknown street codes",
        ),
    ):
        with pytest.raises(UserError, match=fragment):
            change()
    assert get_user(store, "desk") == before
