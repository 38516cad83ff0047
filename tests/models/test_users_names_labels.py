"""Issue 14's small account rules: usernames unique ignoring case, no password containing
the username, token labels of at most 100 characters."""

import pytest

from models.security import Scope, password_problems
from models.users import UserError, add_user, change_user, get_user

PASSWORD = "Chaozhou-2026-ops"


def test_a_username_differing_only_in_case_is_refused(store):
    add_user(store, "admin", PASSWORD, role="admin", scope=Scope("city"), actor="test")
    for name in ("ADMIN", "Admin"):
        with pytest.raises(UserError, match="exists already"):
            add_user(store, name, PASSWORD, role="operator", scope=Scope("city"), actor="test")
        assert get_user(store, name) is None


def test_a_password_containing_the_username_is_refused(store):
    assert password_problems("t_weak3t_weak3", min_length=10, username="t_weak3")
    assert password_problems("xxT_WEAK3-99", min_length=10, username="t_weak3")
    assert not password_problems("Chaozhou-2026", min_length=10, username="t_weak3")
    with pytest.raises(UserError, match="username"):
        add_user(store, "t_weak3", "t_weak3t_weak3", role="operator", scope=Scope("city"),
                 actor="test")  # fmt: skip
    assert get_user(store, "t_weak3") is None
    add_user(store, "t_weak4", PASSWORD, role="operator", scope=Scope("city"), actor="test")
    with pytest.raises(UserError, match="username"):
        change_user(store, "t_weak4", actor="test", password="T_Weak4-2026-x")
    assert get_user(store, "t_weak4").session_epoch == 0


def test_a_token_label_longer_than_100_characters_is_refused(store):
    from models.api_tokens import MAX_LABEL, create_token, list_tokens
    from models.clock import utcnow

    assert MAX_LABEL == 100
    add_user(store, "tok_user", PASSWORD, role="operator", scope=Scope("city"), actor="test")
    with pytest.raises(UserError, match="100"):
        create_token(store, "tok_user", label="x" * 5000, created_by="test", at=utcnow())
    assert list_tokens(store, "tok_user") == []
    made, _ = create_token(store, "tok_user", label="y" * 100, created_by="test", at=utcnow())
    assert made.label == "y" * 100
