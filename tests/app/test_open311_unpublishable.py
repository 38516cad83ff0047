"""Open311 publishes neither a case whose category is unknown or disabled (flagged
``category_issue`` until re-categorised: it showed service_code "9999", service_name null)
nor one located outside every grid cell (it showed lon 0 / lat 0), in the list or by id
(issue 10, found by the independent tester)."""

from datetime import timedelta

import pytest

from ingest.locate import store_locator
from models.cases import report_case
from models.clock import utcnow
from models.config import load_config
from models.store import Store
from tests.conftest import SECRET

BASE = "/open311/v2"
PAIFANG = (116.6465, 23.6707)


@pytest.fixture
def published(demo_copy):
    """An app over its own demo copy, with a public case of each kind: (client, ids)."""
    from app.server import create_app

    folder = demo_copy()
    env = {"CITYOPS_SECRET_KEY": SECRET, "CITYOPS_OPEN311__BURST": "10000"}
    config = load_config(folder / "config.yaml", environ=env)
    store = Store(config.database_path)
    app = create_app(config, store)
    app.server.config["TESTING"] = True

    def report(lon: float, lat: float, minutes: int) -> str:
        return report_case(
            store,
            category_code="0201",
            lon=lon,
            lat=lat,
            at=utcnow() - timedelta(minutes=minutes),
            source="public",
            actor="citizen",
            role="operator",
            locate=store_locator(store),
            text="路面有垃圾",
        ).case_id

    ids = {"good": report(*PAIFANG, 3), "unknown": report(*PAIFANG, 2), "nowhere": report(0, 0, 1)}
    flag = "UPDATE cases SET category_code = '9999', category_issue = 'unknown' WHERE case_id = ?"
    store.write(lambda tx: tx.execute(flag, [ids["unknown"]]))
    yield app.server.test_client(), ids
    store.close()


def test_the_list_leaves_out_unknown_categories_and_unlocated_cases(published):
    client, ids = published
    listed = client.get(f"{BASE}/requests.json").get_json()
    shown = {r["service_request_id"] for r in listed}
    assert ids["good"] in shown
    assert ids["unknown"] not in shown and ids["nowhere"] not in shown
    assert all(r["service_name"] and r["service_code"] != "9999" for r in listed)


@pytest.mark.parametrize("kind", ["unknown", "nowhere"])
def test_by_id_they_are_not_found(published, kind):
    client, ids = published
    assert client.get(f"{BASE}/requests/{ids['good']}.json").status_code == 200
    assert client.get(f"{BASE}/requests/{ids[kind]}.json").status_code == 404
