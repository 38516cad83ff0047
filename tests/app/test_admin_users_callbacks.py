"""The admin 'users' tab's callbacks called directly: as an admin they create, change and
end sessions; as every other role they change nothing and answer a refusal; odd values are a
shown message, never an exception."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import flask_login
import pytest

from app.auth import SessionUser
from app.pages.admin import ids
from app.pages.admin import users_callbacks as cb
from models.api_tokens import create_token, list_tokens
from models.clock import utcnow
from models.config import load_config
from models.security import parse_scope, verify_password
from models.store import Store
from models.users import add_user, get_user
from tests.conftest import SECRET

#: every role but admin, and an admin of one district (user administration is the city's)
OTHER_ROLES = ("operator", "dispatcher", "gridworker", "leader", "emergency", "xq_cg", "xq_admin")


class World:
    def __init__(self, app: Any, store: Store) -> None:
        self.app, self.store = app, store

    @contextlib.contextmanager
    def as_user(self, username: str) -> Iterator[None]:
        with self.app.server.test_request_context("/_dash-update-component", method="POST"):
            flask_login.login_user(SessionUser(get_user(self.store, username)))
            yield


@pytest.fixture(scope="module")
def world(demo_copy) -> Iterator[World]:
    from app.server import create_app

    folder = demo_copy()
    config = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    store = Store(config.database_path)
    add_user(store, "xq_admin", "District-admin-2026", role="admin",
             scope=parse_scope("district:445102"), actor="test")  # fmt: skip
    app = create_app(config, store)
    yield World(app, store)
    store.close()


def _text(component: Any) -> str:
    from plotly.utils import PlotlyJSONEncoder

    return json.dumps(component, cls=PlotlyJSONEncoder, ensure_ascii=False)


def _secret(component: Any) -> str:
    """The one-time secret a result shows (its html.Code)."""
    return next(c.children for c in component.children if type(c).__name__ == "Code")


def test_admin_creates_a_user_whose_generated_password_opens_the_account(world):
    with world.as_user("admin"):
        answer, changed = cb.create_user(
            1, "new_clerk", " 陈文员 ", "operator", "district", ["445102"], "zh", None, 3
        )
    assert changed == 4, _text(answer)
    password = _secret(answer)
    user = get_user(world.store, "new_clerk")
    assert user.display_name == "陈文员" and user.scope.label() == "district:445102"
    assert verify_password(user.password_hash, password)
    assert password not in user.password_hash


def test_a_community_picked_for_a_grid_worker_stands_for_its_cells(world):
    with world.as_user("admin"):
        options = cb.scope_options_for("cells", "桥东社区", [])
        community = next(o["value"] for o in options if len(o["value"]) == 12)
        answer, _ = cb.create_user(
            1, "new_worker", "", "grid_worker", "cells", [community], "zh", "Typed-pass-123", 0
        )
    assert "Code" not in _text(answer)  # a typed password is not shown back
    cells = get_user(world.store, "new_worker").scope.codes
    assert cells and all(c.startswith(community) and len(c) == 15 for c in cells)


def test_every_change_of_the_admin_ends_the_users_sessions(world):
    with world.as_user("admin"):
        cb.create_user(1, "victim", "", "operator", "city", [], None, "Typed-pass-123", 0)
        epochs = [get_user(world.store, "victim").session_epoch]
        _made, _secret_ = create_token(world.store, "victim", label="x", created_by="admin",
                                       at=utcnow())  # fmt: skip
        token_id = list_tokens(world.store, "victim")[0].token_id
        for what, extra in (
            (ids.USERS_DISABLE, {}),
            (ids.USERS_ENABLE, {}),
            (ids.USERS_RESET, {}),
            (ids.USERS_SAVE, {"display": "V", "role": "leader", "kind": "district",
                              "codes": ["445102"]}),
            (ids.USERS_TOKEN_REVOKE, {"token": token_id}),
        ):  # fmt: skip
            answer, changed = cb.change_user_as_admin(what, "victim", changed=0, **extra)
            assert changed == 1, (what, _text(answer))
            epochs.append(get_user(world.store, "victim").session_epoch)
    assert epochs == sorted(set(epochs)), epochs
    user = get_user(world.store, "victim")
    assert (user.role, user.scope.label(), user.display_name) == ("leader", "district:445102", "V")


def test_the_admin_cannot_disable_themselves_nor_the_last_admin(world):
    with world.as_user("admin"):
        answer, changed = cb.change_user_as_admin(ids.USERS_DISABLE, "admin")
        assert "不能停用自己的账号" in _text(answer) and changed is cb.no_update
        answer, _ = cb.change_user_as_admin(
            ids.USERS_SAVE, "admin", display="A", role="leader", kind="city", codes=[]
        )
        assert "不能修改自己的角色" in _text(answer)
    assert get_user(world.store, "admin").role == "admin"
    assert not get_user(world.store, "admin").disabled


@pytest.mark.parametrize("username", OTHER_ROLES)
def test_other_roles_calling_the_callbacks_change_nothing(world, username):
    before = get_user(world.store, "dispatcher")
    with world.as_user(username):
        answer, changed = cb.create_user(1, f"x_{username}", "", "admin", "city", [], None,
                                         None, 0)  # fmt: skip
        assert "只有管理员" in _text(answer) and changed is cb.no_update
        for what in (ids.USERS_DISABLE, ids.USERS_RESET, ids.USERS_TOKEN_CREATE):
            answer, changed = cb.change_user_as_admin(what, "dispatcher")
            assert "只有管理员" in _text(answer) and changed is cb.no_update
        answer, changed = cb.change_user_as_admin(
            ids.USERS_SAVE, "dispatcher", display="X", role="admin", kind="city", codes=[]
        )
        assert changed is cb.no_update
        table, options = cb.show_users("", None, 0)
        assert options == [] and "dispatcher" not in _text(table)
        assert cb.scope_options_for("district", "", []) == []
        assert "只有管理员" in _text(cb.load_user("dispatcher", 0)[0])
    assert get_user(world.store, f"x_{username}") is None
    assert get_user(world.store, "dispatcher") == before
    assert list_tokens(world.store, "dispatcher") == []


@pytest.mark.parametrize(
    "values",
    [
        (None, None, None, None, None, None, None),
        (["a"], {"x": 1}, 5, "district", "445102", 3.5, ["pw"]),
        ("ab", "", "king", "street", ["999999999"], "fr", "short"),
        ("x" * 5000, "y" * 5000, "operator", "nope", [1, None], "zh", "p" * 5000),
        ("dup_test", "", "grid_worker", "city", [], "zh", None),
    ],
)
def test_odd_values_are_a_refusal_never_an_exception(world, values):
    with world.as_user("admin"):
        answer, changed = cb.create_user(1, *values, 0)
        assert changed is cb.no_update, _text(answer)
        assert "未保存" in _text(answer)
        for what in (ids.USERS_SAVE, ids.USERS_TOKEN_REVOKE, "nothing"):
            cb.change_user_as_admin(what, values[0], display=values[1], role=values[2],
                                    kind=values[3], codes=values[4], token=values[5])  # fmt: skip
        cb.show_users(values[0], values[2], values[5])
        cb.load_user(values[0], None)


def test_the_table_filters_by_text_and_role(world):
    with world.as_user("admin"):
        table, options = cb.show_users("xq_", None, 0)
        assert "xq_operator" in _text(table) and '"dispatcher"' not in _text(table)
        table, _ = cb.show_users("", "handler", 0)
        assert "xq_cg" in _text(table) and "xq_operator" not in _text(table)
    assert any(o["value"] == "admin" for o in options)
