"""A case stored with coordinates the wall cannot draw (NaN, infinite, off the globe: an old
database or another writer) must not take the wall down: the layers, the changes poll, replay
and the card answer, and the row is skipped (issue 10, found by the independent tester)."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from app.pages.screen.cards import render_card
from ingest.locate import store_locator
from models.cases import report_case
from models.config import load_config
from models.store import Store
from tests.app.test_auth import login
from tests.app.test_screen_logic import CAL, CITY, PAIFANG
from tests.conftest import SECRET, demo_passwords

BAD = [("nan", "23.6707"), ("116.6465", "inf"), ("200", "95"), ("-inf", "nan")]


def _strict(text: str):
    def refuse(token: str):
        raise AssertionError(f"{token} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def wall(demo_copy):
    from app.server import create_app

    folder = demo_copy()
    config = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    store = Store(config.database_path)
    app = create_app(config, store)
    app.server.config["TESTING"] = True
    client = app.server.test_client()
    assert login(client, "operator", demo_passwords(folder)["operator"]).status_code == 302
    yield client, store
    store.close()


_MOVE = "UPDATE cases SET lon = CAST(? AS DOUBLE), lat = CAST(? AS DOUBLE) WHERE case_id = ?"


def _bad_cases(store: Store, at: datetime) -> list[str]:
    """Cases reported at ``at`` (naive UTC), then given coordinates the wall cannot draw."""
    ids = []
    for i, (lon, lat) in enumerate(BAD):
        case_id = report_case(
            store,
            category_code="0201",
            lon=PAIFANG[0],
            lat=PAIFANG[1],
            at=at + timedelta(seconds=i),
            source="hotline",
            actor="someone",
            role="operator",
            locate=store_locator(store),
            text="道路不洁",
        ).case_id
        store.write(lambda tx, a=[lon, lat, case_id]: tx.execute(_MOVE, a))
        ids.append(case_id)
    return ids


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def test_layers_changes_and_replay_answer_with_undrawable_cases(wall):
    client, store = wall
    first = client.get("/screen/api/layers", query_string={"points": "1"})
    assert first.status_code == 200
    cursor = _strict(first.get_data(as_text=True))["cursor"]
    reported = _now() - timedelta(minutes=10)
    bad = _bad_cases(store, reported)

    changes = client.get("/screen/api/changes", query_string={"cursor": cursor})
    assert changes.status_code == 200
    body = _strict(changes.get_data(as_text=True))
    upserted = body["upserts"].get("case-points", {})
    assert not set(bad) & set(json.dumps(upserted).split('"'))
    assert set(bad) <= set(body["removes"].get("case-points", []))
    feed = {item["id"]: item for item in body["feed"]}
    assert all(feed[c]["lon"] is None and feed[c]["lat"] is None for c in bad)

    for args in ({}, {"points": "1"}, {"at": (reported + timedelta(minutes=5)).isoformat() + "Z"}):
        response = client.get("/screen/api/layers", query_string=args)
        assert response.status_code == 200, (args, response.get_data(as_text=True)[:300])
        body = _strict(response.get_data(as_text=True))
        points = next(layer for layer in body["layers"] if layer["id"] == "case-points")
        assert not set(bad) & set(json.dumps(points).split('"'))

    points = client.get("/screen/api/case-points")
    assert points.status_code == 200
    _strict(points.get_data(as_text=True))


def test_the_card_of_an_undrawable_case_still_renders(wall):
    _client, store = wall
    now = _now()
    for case_id in _bad_cases(store, now - timedelta(minutes=10)):
        card = render_card(
            store,
            CITY,
            layer="case-points",
            key=case_id,
            at=now,
            lang="en",
            tz="Asia/Shanghai",
            calendar=CAL,
        )
        assert case_id in str(card)
