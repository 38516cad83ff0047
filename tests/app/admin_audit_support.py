"""Shared setup of the admin audit and dead-letter callback tests: the app over a private
demo copy, and a request context with a chosen demo user logged in (for direct calls)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import flask_login

from app.auth import SessionUser
from models.config import Config, load_config
from models.store import Store
from models.users import get_user
from tests.app.test_dispatch_callbacks import logged_in_clients
from tests.conftest import SECRET, demo_passwords

#: Demo users of every role but admin: callbacks called as them change nothing.
OTHER_ROLES = ("operator", "dispatcher", "gridworker", "leader", "emergency", "xq_cg")


@dataclass
class AdminWorld:
    app: Any
    store: Store
    config: Config
    client: Any

    @contextlib.contextmanager
    def as_user(self, username: str) -> Iterator[None]:
        """A request context of the app with ``username`` logged in."""
        with self.app.server.test_request_context("/_dash-update-component", method="POST"):
            flask_login.login_user(SessionUser(get_user(self.store, username)))
            yield


def admin_world(demo_copy) -> AdminWorld:
    from app.server import create_app

    folder = demo_copy()
    config = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    store = Store(config.database_path)
    app = create_app(config, store)
    app.server.config["TESTING"] = True
    return AdminWorld(app, store, config, logged_in_clients(app, demo_passwords(folder)))


def text_of(component: Any) -> str:
    """Everything a component tree says, as one string (for assertions)."""
    from plotly.utils import PlotlyJSONEncoder

    return json.dumps(component, cls=PlotlyJSONEncoder, ensure_ascii=False)
