"""Exports through the API (issue 14): every map layer as RFC 7946 GeoJSON and as a
GeoPackage (read back with geopandas), now and replayed, in the caller's scope; the tables
as streamed CSV and as XLSX (read back), the queue's filters, each role's answer."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import geopandas as gpd
import openpyxl
import pytest
import shapely

from app.exports.layer_files import LAYERS
from models.case_export import CASE_EXPORT_COLUMNS
from models.config import load_config
from models.store import Store
from tests.app.test_auth import _csrf
from tests.conftest import SECRET, demo_passwords
from tests.models.case_fixtures import PAIFANG, drive, new_case, other_district_point

API = "/api/v1"
FORMULA = '=HYPERLINK("http://evil.example","x") 电话13812345678'


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@pytest.fixture(scope="module")
def world(demo_copy):
    """The app over its own demo copy with three cases: one open in 湘桥区, one in 饶平县
    and one in 湘桥区 closed an hour ago (open before)."""
    from app.server import create_app

    folder = demo_copy()
    now = _now()
    seeded = {"closed_at": now - timedelta(hours=1)}
    with Store(folder / "cityops.duckdb") as store:
        seeded["inside"] = new_case(store, at=now - timedelta(hours=3), text=FORMULA)
        seeded["outside"] = new_case(
            store, at=now - timedelta(hours=3), lonlat=other_district_point(store, "445122")
        )
        seeded["closed"] = new_case(store, at=now - timedelta(hours=3), lonlat=PAIFANG)
        drive(store, seeded["closed"], "closed", at=seeded["closed_at"] - timedelta(minutes=30))
    config = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    store = Store(config.database_path)
    app = create_app(config, store)
    app.server.config["TESTING"] = True
    yield {"app": app, "store": store, "passwords": demo_passwords(folder), **seeded}
    store.close()


_clients: dict[str, object] = {}


def _as(world, username: str):
    if username not in _clients:
        client = world["app"].server.test_client()
        response = client.post(
            "/login",
            data={"username": username, "password": world["passwords"][username],
                  "csrf": _csrf(client)},
        )  # fmt: skip
        assert response.status_code == 302, username
        _clients[username] = client
    return _clients[username]


@pytest.fixture(scope="module", autouse=True)
def _fresh_clients():
    _clients.clear()
    yield
    _clients.clear()


def _no_nan(text: str) -> dict:
    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in the JSON")

    return json.loads(text, parse_constant=refuse)


def _read_gpkg(data: bytes, folder) -> gpd.GeoDataFrame:
    path = folder / "layer.gpkg"  # GDAL wants the extension a GeoPackage has
    path.write_bytes(data)
    return gpd.read_file(path)


def _check_rfc7946(body: dict) -> None:
    assert body["type"] == "FeatureCollection"
    assert "crs" not in body
    for feature in body["features"]:
        assert feature["type"] == "Feature" and "crs" not in feature
        geom = shapely.geometry.shape(feature["geometry"])
        x0, y0, x1, y1 = geom.bounds
        assert -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90
        assert x0 > 115 and x1 < 118 and y0 > 22.5 and y1 < 25  # lon first: Chaozhou
        for part in getattr(geom, "geoms", [geom]):
            if part.geom_type == "Polygon":
                assert part.exterior.is_ccw, feature.get("id")
                assert all(not ring.is_ccw for ring in part.interiors)
        for value in feature["properties"].values():
            assert value is None or isinstance(value, str | int | float | bool)


@pytest.mark.parametrize("name", list(LAYERS))
def test_each_layer_is_rfc7946_geojson_and_a_geopackage_that_read_back(world, name, tmp_path):
    client = _as(world, "admin")
    response = client.get(f"{API}/layers/{name}.geojson")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/geo+json"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert name in response.headers["Content-Disposition"]
    body = _no_nan(response.get_data(as_text=True))
    _check_rfc7946(body)
    read = gpd.read_file(io.BytesIO(response.get_data()))
    assert len(read) == len(body["features"])
    package = client.get(f"{API}/layers/{name}.gpkg")
    assert package.status_code == 200
    assert package.headers["Content-Disposition"].endswith('.gpkg"')
    layer = _read_gpkg(package.get_data(), tmp_path)
    assert layer.crs.to_epsg() == 4326
    assert len(layer) == len(body["features"])
    if name in ("grid-cells", "cases", "traffic-segments", "cameras", "resources"):
        assert len(layer) > 0, name  # the demo city has them: the check sees features


def test_a_district_user_gets_only_their_district_and_a_grid_worker_their_cells(world, tmp_path):
    district = _as(world, "xq_operator")
    cases = district.get(f"{API}/layers/cases.geojson").get_json()
    ids = {f["id"] for f in cases["features"]}
    assert world["inside"] in ids and world["outside"] not in ids
    assert {f["properties"]["district_code"] for f in cases["features"]} == {"445102"}
    for name, key in (("grid-cells", "cell_code"), ("sensors", "cell_code")):
        codes = {
            f["properties"][key]
            for f in district.get(f"{API}/layers/{name}.geojson").get_json()["features"]
        }
        assert codes and all(c.startswith("445102") for c in codes), name
    resources = district.get(f"{API}/layers/resources.geojson").get_json()["features"]
    assert {f["properties"]["district_code"] for f in resources} <= {"445102", None}
    gpkg = _read_gpkg(district.get(f"{API}/layers/cases.gpkg").get_data(), tmp_path)
    assert set(gpkg["district_code"]) == {"445102"}
    worker = _as(world, "gridworker")
    cells = worker.get(f"{API}/layers/grid-cells.geojson").get_json()["features"]
    admin_cells = _as(world, "admin").get(f"{API}/layers/grid-cells.geojson").get_json()
    assert 0 < len(cells) < len(admin_cells["features"]) / 100
    assert world["outside"] not in worker.get(f"{API}/layers/cases.geojson").get_data(as_text=True)


def test_at_rebuilds_the_past_picture(world):
    client = _as(world, "admin")
    live = {f["id"] for f in client.get(f"{API}/layers/cases.geojson").get_json()["features"]}
    assert world["closed"] not in live and world["inside"] in live
    before = (world["closed_at"] - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    past = client.get(f"{API}/layers/cases.geojson", query_string={"at": before}).get_json()
    shown = {f["id"]: f["properties"] for f in past["features"]}
    assert world["closed"] in shown and shown[world["closed"]]["stage"] != "closed"
    grid = client.get(f"{API}/layers/grid-cells.gpkg", query_string={"at": before})
    assert grid.status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        {"at": "yesterday"},
        {"at": "2026-11-24T04:00:00"},  # no zone
        {"at": "2019-01-01T00:00:00Z"},  # before the replay window
        {"at": "2999-01-01T00:00:00Z"},  # the future
        {"at": "x" * 5000},
        {"when": "now"},
    ],
)
def test_a_bad_instant_or_parameter_is_400_json(world, query):
    for fmt in ("geojson", "gpkg"):
        response = _as(world, "operator").get(f"{API}/layers/cases.{fmt}", query_string=query)
        assert response.status_code == 400, query
        assert "error" in response.get_json()


def test_an_unknown_layer_is_404_with_the_list_and_a_unit_scope_403(world):
    response = _as(world, "operator").get(f"{API}/layers/nothing.geojson")
    assert response.status_code == 404
    assert response.get_json()["layers"] == list(LAYERS)
    assert _as(world, "xq_cg").get(f"{API}/layers/cases.geojson").status_code == 403


def _csv_rows(response) -> list[dict[str, str]]:
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads Chinese right
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_cases_csv_is_streamed_and_holds_what_the_queue_holds(world):
    client = _as(world, "admin")
    response = client.get(f"{API}/exports/cases.csv", query_string={"include_closed": "true"})
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="cases-')
    rows = _csv_rows(response)
    assert list(rows[0]) == list(CASE_EXPORT_COLUMNS)
    queue = client.get(f"{API}/cases", query_string={"include_closed": "true", "limit": 200})
    assert {r["case_id"] for r in rows} == {i["id"] for i in queue.get_json()["items"]}
    inside = next(r for r in rows if r["case_id"] == world["inside"])
    assert inside["description"].startswith("'=")  # neutralised, not run by a spreadsheet
    assert "13812345678" not in response.get_data(as_text=True)  # personal data redacted
    assert "reporter" not in rows[0]
    district = _csv_rows(_as(world, "xq_operator").get(f"{API}/exports/cases.csv"))
    assert world["inside"] in {r["case_id"] for r in district}
    assert {r["district_code"] for r in district} == {"445102"}


def test_the_queues_filters_apply_and_bad_ones_are_refused(world):
    client = _as(world, "dispatcher")
    rows = _csv_rows(client.get(f"{API}/exports/cases.csv", query_string={"district": "445122"}))
    assert [r["case_id"] for r in rows] == [world["outside"]]
    for query in ({"due": "soon"}, {"offset": "5"}, {"limit": "5"}, {"stage": "nope"},
                  {"sort": "reporter"}, {"colour": "red"}):  # fmt: skip
        for fmt in ("csv", "xlsx"):
            response = client.get(f"{API}/exports/cases.{fmt}", query_string=query)
            assert response.status_code == 422, (query, fmt)
            assert "error" in response.get_json()


def test_cases_xlsx_reads_back_with_openpyxl(world):
    client = _as(world, "admin")
    query = {"include_closed": "true"}
    response = client.get(f"{API}/exports/cases.xlsx", query_string=query)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(CASE_EXPORT_COLUMNS)
    csv_rows = _csv_rows(client.get(f"{API}/exports/cases.csv", query_string=query))
    assert len(rows) - 1 == len(csv_rows)
    by_id = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert isinstance(by_id[world["inside"]]["reported_at"], datetime)
    assert by_id[world["inside"]]["description"].startswith("'=")


@pytest.mark.parametrize("table", ["evaluation", "indicators"])
def test_evaluation_and_indicators_for_their_roles(world, table):
    for fmt in ("csv", "xlsx"):
        response = _as(world, "leader").get(f"{API}/exports/{table}.{fmt}")
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    rows = _csv_rows(
        _as(world, "leader").get(f"{API}/exports/{table}.csv", query_string={"period": "2026-11"})
    )
    assert all(r["period"] == "2026-11" for r in rows)
    if table == "indicators":
        assert rows and {"id", "value", "target", "status"} <= set(rows[0])
    operator = 200 if table == "indicators" else 403  # the indicator API's rule, the cockpit's
    assert _as(world, "operator").get(f"{API}/exports/{table}.csv").status_code == operator
    for username in ("dispatcher", "gridworker", "emergency", "xq_cg"):
        assert _as(world, username).get(f"{API}/exports/{table}.xlsx").status_code == 403
    for query in ({"period": "2026-13"}, {"period": "x" * 100}, {"by": "moon"}, {"q": "1"}):
        if table == "indicators" and "by" in query:
            continue
        response = _as(world, "admin").get(f"{API}/exports/{table}.csv", query_string=query)
        assert response.status_code == 400, query


def test_audit_is_for_admins_only_and_takes_the_tabs_filters(world):
    store = world["store"]
    store.audit("export.test", actor="admin", target="=cmd|' /C calc'!A0", detail="d")
    store.flush()
    client = _as(world, "admin")
    rows = _csv_rows(client.get(f"{API}/exports/audit.csv", query_string={"action": "export."}))
    assert [r["action"] for r in rows] == ["export.test"]
    assert rows[0]["target"].startswith("'=")
    today = _now().strftime("%Y-%m-%d")
    both = client.get(f"{API}/exports/audit.xlsx", query_string={"from": "2020-01-01", "to": today})
    sheet = openpyxl.load_workbook(io.BytesIO(both.get_data()), read_only=True).active
    assert next(sheet.iter_rows(values_only=True))[:4] == ("seq", "occurred_at", "actor", "action")
    for query in ({"from": "yesterday"}, {"from": "2026-12-05", "to": "2026-12-01"},
                  {"who": "a", "actor": "b"}, {"page": "2"}):  # fmt: skip
        assert client.get(f"{API}/exports/audit.csv", query_string=query).status_code == 400
    for username in ("operator", "leader", "dispatcher", "emergency", "gridworker", "xq_cg"):
        for fmt in ("csv", "xlsx"):
            assert _as(world, username).get(f"{API}/exports/audit.{fmt}").status_code == 403


def test_every_export_without_credentials_is_401(world):
    client = world["app"].server.test_client()
    paths = [f"{API}/layers/{n}.{f}" for n in ("cases", "nothing") for f in ("geojson", "gpkg")]
    paths += [f"{API}/exports/{t}.{f}" for t in ("cases", "evaluation", "indicators", "audit")
              for f in ("csv", "xlsx")]  # fmt: skip
    for path in paths:
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.get_json()["error"] == "authentication required"


@pytest.mark.parametrize(
    "text", ["' OR 1=1 --", "%", "\x00", "ｓｅｌｅｃｔ＊", "a" * 3000, "445102%"]
)
def test_injection_strings_never_make_a_500(world, text):
    client = _as(world, "xq_operator")
    for path, query in (
        ("/layers/cases.geojson", {"at": text}),
        (f"/layers/{text[:100]}.gpkg", {}),
        ("/exports/cases.csv", {"q": text, "category": text, "district": text}),
        ("/exports/cases.xlsx", {"sort": text, "source": text}),
        ("/exports/indicators.csv", {"period": text, "scope": text}),
    ):
        response = client.get(API + path, query_string=query)
        assert response.status_code < 500, (path, query)
        assert world["outside"] not in response.get_data(as_text=True)
    admin = _as(world, "admin")
    for query in ({"actor": text, "target": text, "action": text}, {"from": text}):
        assert admin.get(f"{API}/exports/audit.csv", query_string=query).status_code < 500
    assert admin.get(f"{API}/exports/evaluation.csv", query_string={"by": text}).status_code == 400
