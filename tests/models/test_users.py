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


def test_one_change_of_several_fields_is_one_epoch_and_audited_per_part(store):
    from models.users import change_user

    _district(store)
    add_user(store, "desk", PASSWORD, role="operator", scope=Scope("city"), actor="test")
    before = get_user(store, "desk").session_epoch
    changed = change_user(
        store, "desk", actor="boss", role="leader", scope=Scope("district", ("445102",)),
        display_name="  林主任 ", password="New-pass-2027", disabled=True,
    )  # fmt: skip
    assert (changed.role, changed.scope.label(), changed.display_name, changed.disabled) == (
        "leader", "district:445102", "林主任", True,
    )  # fmt: skip
    assert changed.session_epoch == before + 1
    assert verify_password(changed.password_hash, "New-pass-2027")
    store.flush()
    actions = {r[0] for r in store.query_rows("SELECT action FROM audit_log WHERE target='desk'")}
    assert {"user.disable", "user.role", "user.name", "user.password"} <= actions


def test_every_problem_of_a_change_is_listed_and_nothing_changes(store):
    from models.users import UnknownUser, change_user

    add_user(store, "desk", PASSWORD, role="operator", scope=Scope("city"), actor="test")
    before = get_user(store, "desk")
    with pytest.raises(UserError) as caught:
        change_user(store, "desk", actor="b", role="king", display_name="", password="short")
    for fragment in ("role must be", "display name", "at least"):
        assert fragment in str(caught.value)
    with pytest.raises(UserError, match="nothing to change"):
        change_user(store, "desk", actor="b")
    with pytest.raises(UnknownUser):
        change_user(store, "ghost", actor="b", disabled=True)
    assert get_user(store, "desk") == before


def test_an_admin_cannot_lock_the_city_out_of_its_admin_page(store):
    from models.users import change_user

    add_user(store, "boss", PASSWORD, role="admin", scope=Scope("city"), actor="test")
    with pytest.raises(UserError, match="cannot disable yourself"):
        set_user_disabled(store, "boss", True, actor="boss")
    with pytest.raises(UserError, match="your own role"):
        set_role_scope(store, "boss", role="leader", actor="boss")
    for change in (
        lambda: set_user_disabled(store, "boss", True, actor="cli"),
        lambda: set_role_scope(store, "boss", role="leader", actor="cli"),
    ):
        with pytest.raises(UserError, match="last enabled admin"):
            change()
    assert not get_user(store, "boss").disabled
    add_user(store, "boss2", PASSWORD, role="admin", scope=Scope("city"), actor="test")
    set_user_disabled(store, "boss2", True, actor="boss")  # another admin is left
    with pytest.raises(UserError, match="last enabled admin"):
        set_role_scope(store, "boss", role="leader", actor="cli")
    set_user_disabled(store, "boss2", False, actor="boss")
    change_user(store, "boss", actor="boss2", role="leader")
    assert get_user(store, "boss").role == "leader"


def test_generated_passwords_pass_the_rules_and_differ():
    from models.security import generate_password, password_problems

    made = {generate_password(min_length=12) for _ in range(50)}
    assert len(made) == 50
    assert all(len(p) >= 16 and not password_problems(p, min_length=12, username="") for p in made)
    assert len(generate_password(min_length=40)) == 40


def test_revoking_a_token_ends_the_users_sessions(store):
    from datetime import datetime

    from models.api_tokens import active_token_counts, create_token, revoke_token

    add_user(store, "desk", PASSWORD, role="operator", scope=Scope("city"), actor="test")
    add_user(store, "other", PASSWORD, role="operator", scope=Scope("city"), actor="test")
    at = datetime(2026, 12, 1, 8, 0)
    made, _secret = create_token(store, "desk", label="x", created_by="boss", at=at)
    create_token(store, "desk", label="y", created_by="boss", at=at)
    assert active_token_counts(store) == {"desk": 2}
    with pytest.raises(UserError, match="unknown token"):
        revoke_token(store, made.token_id, actor="boss", at=at, username="other")
    before = get_user(store, "desk").session_epoch
    revoke_token(store, made.token_id, actor="boss", at=at, username="desk")
    assert get_user(store, "desk").session_epoch == before + 1
    assert active_token_counts(store) == {"desk": 1}
