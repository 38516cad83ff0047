"""The wall's emergency mode over HTTP as Dash calls it: the panel and theme follow a level III
incident, the switch is written only for the command centre's roles (and audited)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.clock import utcnow
from models.config import load_config
from models.store import Store
from tests.app.test_dispatch_callbacks import call, logged_in_clients
from tests.conftest import SECRET, demo_passwords


@pytest.fixture(scope="module")
def wall(demo_copy):
    from app.server import create_app

    folder = demo_copy()
    config = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    store = Store(config.database_path)
    app = create_app(config, store)
    app.server.config["TESTING"] = True
    client = logged_in_clients(app, demo_passwords(folder))
    deps = client("operator").get("/_dash-dependencies").get_json()
    yield {"store": store, "client": client, "deps": deps}
    store.close()


def _dep(wall, output_part: str) -> dict:
    found = [d for d in wall["deps"] if output_part in d["output"]]
    assert len(found) == 1, [d["output"] for d in found]
    return found[0]


def refresh(wall, user: str = "operator", last: object = None):
    dep = _dep(wall, "screen-war-panel.children")
    return call(
        wall["client"](user), dep,
        {"screen-kpi-tick.n_intervals": 1, "screen-replay.data": None,
         "screen-war-mode.data": last},
        trigger="screen-kpi-tick.n_intervals",
    )  # fmt: skip


def switch(wall, user: str, value: object):
    found = [d for d in wall["deps"] if any(
        i["id"] == "screen-war-switch" for i in d["inputs"])]  # fmt: skip
    dep = found[0]
    return call(wall["client"](user), dep, {"screen-war-switch.value": value},
                trigger="screen-war-switch.value")  # fmt: skip


def _response(r) -> dict:
    assert r.status_code == 200, r.status_code
    return r.get_json()["response"]


def test_a_level_iii_incident_brings_the_panel_and_the_flood_theme(wall) -> None:
    store = wall["store"]
    body = _response(refresh(wall, last=False))
    assert "hidden" in body["screen-war-panel"]["className"]
    assert body["screen-root"]["className"] == "screen wall"
    assert body["screen-war-mode"]["data"] is False
    store.write(
        lambda tx: tx.execute(
            "INSERT INTO incidents (incident_id, incident_type, level, title, lon, lat, status, "
            "exercise, opened_at) VALUES ('W1', 'typhoon', 'II', '台风“海葵”登陆', 116.65, "
            "23.66, 'active', FALSE, ?)",
            [utcnow() - timedelta(minutes=75)],
        )
    )
    body = _response(refresh(wall, last=False))
    assert body["screen-root"]["className"] == "screen wall war"
    assert body["screen-war-mode"]["data"] is True
    assert body["screen-theme-select"]["value"] == "flood_typhoon"  # the mode began
    text = str(body["screen-war-panel"]["children"])
    assert "台风“海葵”登陆" in text and "战时状态" in text and "已持续 1 小时 15 分" in text
    again = _response(refresh(wall, last=True))
    assert "screen-theme-select" not in again  # no theme forced while the war goes on
    store.write(
        lambda tx: tx.execute(
            "UPDATE incidents SET status = 'closed', closed_at = ? WHERE incident_id = 'W1'",
            [utcnow()],
        )
    )
    body = _response(refresh(wall, last=True))
    assert body["screen-root"]["className"] == "screen wall"
    assert body["screen-theme-select"]["value"] == "overview"  # back to the default


@pytest.mark.parametrize("user", ["dispatcher", "leader"])
def test_only_the_command_centre_switches_the_wall(wall, user) -> None:
    store = wall["store"]
    before = store.query_value("SELECT count(*) FROM audit_log WHERE action = 'wall_mode'")
    r = switch(wall, user, "war")
    assert r.status_code in (200, 204)
    assert store.query_value("SELECT count(*) FROM command_state") == 0
    assert store.query_value(
        "SELECT count(*) FROM audit_log WHERE action = 'wall_mode'"
    ) == before  # fmt: skip


def test_an_operator_switches_to_war_and_back_to_auto(wall) -> None:
    store = wall["store"]
    assert switch(wall, "operator", "battle").status_code in (200, 204)  # crafted: nothing
    assert store.query_value("SELECT count(*) FROM command_state") == 0
    switch(wall, "operator", "war")
    body = _response(refresh(wall, last=False))
    assert body["screen-root"]["className"] == "screen wall war"
    assert "值班员切换" in str(body["screen-war-panel"]["children"])
    assert body["screen-war-switch"]["value"] == "war"
    switch(wall, "operator", "auto")
    assert _response(refresh(wall, last=True))["screen-root"]["className"] == "screen wall"
    who = store.query_rows(
        "SELECT actor, detail FROM audit_log WHERE action = 'wall_mode' ORDER BY occurred_at"
    )
    assert who == [("operator", "war"), ("operator", "auto")]


def test_roles_without_the_wall_get_nothing(wall) -> None:
    r = refresh(wall, user="gridworker")
    assert r.status_code in (204, 403)
