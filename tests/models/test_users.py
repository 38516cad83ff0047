"""Who acts: a named, enabled user of the table, with the role asked for."""

import pytest

from models.security import Scope
from models.users import AccessDenied, UserError, acting_user, add_user, set_user_disabled

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
        "SELECT action, actor, target FROM audit_log WHERE action LIKE 'user.%able' "
        "ORDER BY action"
    ) == [("user.disable", "boss", "desk"), ("user.enable", "boss", "desk")]
