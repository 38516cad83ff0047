"""The grids tab's callbacks called directly (as the browser's requests would run them): other
roles change nothing; bad uploads get a message; an admin's upload is reported (problems
with cell codes, a map), staged, confirmed through the file importer as the new version
(previous closed, audited, routing follows it at once) and diffed."""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import flask_login
import geopandas as gpd
import pytest
import shapely

from app.auth import SessionUser
from models.config import load_config
from models.geography import load_cells
from models.store import Store
from models.users import get_user
from tests.conftest import SECRET

OTHER_ROLES = ("operator", "leader", "gridworker", "dispatcher", "emergency", "xq_cg")


@pytest.fixture(scope="module")
def world(demo_copy):
    from app.server import create_app

    folder = demo_copy()
    config = load_config(folder / "config.yaml", environ={"CITYOPS_SECRET_KEY": SECRET})
    store = Store(config.database_path)
    app = create_app(config, store)
    yield {"app": app, "store": store, "folder": folder}
    store.close()


class As:
    """A request context of the app with ``username`` logged in."""

    def __init__(self, world, username: str) -> None:
        self.world, self.username = world, username

    def __enter__(self):
        self.context = self.world["app"].server.test_request_context(
            "/_dash-update-component", method="POST"
        )
        self.context.push()
        flask_login.login_user(SessionUser(get_user(self.world["store"], self.username)))
        return self

    def __exit__(self, *exc) -> None:
        self.context.pop()


def data_url(data: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(data).decode()


def small_grid(store: Store, n: int = 12) -> gpd.GeoDataFrame:
    cells = load_cells(store).sort_values("cell_code").head(n)
    out = cells[["cell_code", "responsible_body", "grid_workers", "geometry"]].copy()
    out["grid_workers"] = out["grid_workers"].map(lambda w: ",".join(w) if w is not None else "")
    return gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326").reset_index(drop=True)


def geojson(gdf: gpd.GeoDataFrame) -> bytes:
    return gdf.to_json().encode()


def versions(store: Store) -> list[tuple]:
    return store.query_rows("SELECT version_id, valid_to FROM grid_versions ORDER BY 1")


def staging(world) -> Path:
    return world["folder"] / "staging" / "grids"


def test_other_roles_change_nothing(world):
    from app.pages.admin import grids_callbacks as cb

    store = world["store"]
    before = versions(store)
    good = data_url(geojson(small_grid(store)))
    for username in OTHER_ROLES:
        with As(world, username):
            report, token, disabled, config, legend = cb.upload(good, "grid.geojson")
            assert "管理员" in str(report) and token is None and disabled is True
            out = cb.confirm(1, "x" * 24, "")
            assert "管理员" in str(out[0]) and out[1] is None
            assert "管理员" in str(cb.discard_upload(1, "x" * 24)[0])
            assert "管理员" in str(cb.show_diff(1, 1, 1)[0])
    assert versions(store) == before
    assert not staging(world).exists() or not any(staging(world).iterdir())


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _shapefile_without_prj(gdf: gpd.GeoDataFrame, tmp: Path) -> bytes:
    gdf.to_file(tmp / "cells.shp")
    return _zip({p.name: p.read_bytes() for p in tmp.iterdir() if p.suffix != ".prj"})


def test_bad_uploads_get_a_message(world, tmp_path, monkeypatch):
    from app.pages.admin import grids_callbacks as cb

    store = world["store"]
    before = versions(store)
    grid = small_grid(store)
    metres = grid.to_crs("EPSG:32650").set_crs(None, allow_override=True)
    cases = {
        ("notes.txt", b"hello"): "只接受",
        ("grid.geojson", b"hello, not json"): "不符",
        ("grid.gpkg", b"\x00\x01garbage" * 50): "不符",
        ("grid.zip", b"PK\x03\x04" + b"\x00" * 200): "不能作为网格",
        ("grid.geojson", b"   "): "为空",
        ("grid.geojson", b'{"type": "FeatureCollection", "features": []}'): "不能作为网格",
        ("grid.geojson", metres.to_json().encode()): "not lon/lat",
        ("grid.zip", _shapefile_without_prj(grid, tmp_path)): "no CRS",
        ("grid.parquet", b"PAR1" + b"\x00" * 64): "不能作为网格",
    }
    with As(world, "admin"):
        for (name, data), expected in cases.items():
            report, token, disabled, _config, _legend = cb.upload(data_url(data), name)
            assert expected in str(report), (name, str(report)[:400])
            assert token is None and disabled is True
        for contents in ("not a data url", None, 42, "data:;base64,@@@"):
            out = cb.upload(contents, "grid.geojson")
            assert out[1] in (None, cb.no_update) and out[2] in (True, cb.no_update)
        assert "无法读取" in str(cb.upload("data:;base64,@@@", "grid.geojson")[0])
        from app.pages.admin import grids

        monkeypatch.setattr(grids, "MAX_UPLOAD_BYTES", 1000)
        report, token, *_ = cb.upload(data_url(b"{" + b" " * 5000 + b"}"), "big.geojson")
        assert "上限" in str(report) and token is None
    assert versions(store) == before
    assert not any(staging(world).iterdir())


def test_problems_block_with_their_cell_codes(world):
    from app.pages.admin import grids_callbacks as cb

    store = world["store"]
    grid = small_grid(store)
    grid.loc[1, "cell_code"] = "12345"  # bad code
    first = grid.geometry.iloc[0]
    grid.loc[2, "geometry"] = shapely.affinity.translate(
        first, xoff=first.bounds[2] - first.bounds[0]
    ).buffer(0)
    grid.loc[3, "geometry"] = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)]).buffer(0).envelope
    bow = shapely.Polygon([(116.6, 23.6), (116.61, 23.61), (116.61, 23.6), (116.6, 23.61)])
    grid.loc[4, "geometry"] = bow  # a self-crossing ring
    grid.loc[5, "geometry"] = shapely.affinity.translate(
        grid.geometry.iloc[6], xoff=1e-4
    )  # overlap
    with As(world, "admin"):
        report, token, disabled, config, _legend = cb.upload(data_url(geojson(grid)), "bad.geojson")
    text = str(report)
    assert token is None and disabled is True
    assert "12345" in text and "阻断" in text
    assert grid.loc[4, "cell_code"] in text and "无效多边形" in text
    assert grid.loc[5, "cell_code"] in text or grid.loc[6, "cell_code"] in text
    assert "重叠" in text
    cells = next(layer for layer in config["layers"] if layer["id"] == "grid-change-cells")
    kinds = {row["cell_code"]: row["kind"] for row in cell_rows(cells)}
    assert kinds[grid.loc[4, "cell_code"]] == "problem" and kinds["12345"] == "problem"
    assert not any(staging(world).iterdir())


def cell_rows(layer: dict) -> list[dict]:
    return layer["data"]


def test_admin_confirms_a_new_version_in_force_at_once(world):
    from app.pages.admin import grids_callbacks as cb
    from ingest.locate import store_locator
    from models.grid_versions import list_versions

    store = world["store"]
    old_version = max(v for v, _ in versions(store))
    with As(world, "gridworker"):
        field_before = str(field_map())
    grid = small_grid(store, 16)
    grid.loc[0, "responsible_body"] = "新责任单位"
    holed = grid.geometry.iloc[1]
    middle = holed.representative_point()
    holed = holed.difference(
        shapely.box(middle.x - 5e-5, middle.y - 5e-5, middle.x + 5e-5, middle.y + 5e-5)
    )
    grid.loc[1, "geometry"] = holed  # reshaped: a hole in it is a gap no cell covers
    with As(world, "admin"):
        report, token, disabled, config, legend = cb.upload(
            data_url(geojson(grid)), "新网格.geojson"
        )
        assert token and disabled is False, str(report)[:600]
        assert "可以确认" in str(report) and "缝隙" in str(report)
        layers = {layer["id"]: layer for layer in config["layers"]}
        assert len(cell_rows(layers["grid-change-cells"])) >= 16
        assert layers["grid-change-gaps"]["data"], "the gap around the reshaped cell is drawn"
        assert "base-districts" in layers
        assert versions(store)[-1][0] == old_version  # nothing written before confirming
        refused = cb.confirm(1, token, "2001-01-01T00:00")
        assert "须晚于" in str(refused[0]) and refused[2] is False
        assert "不能晚于" in str(cb.confirm(1, token, "2999-01-01T00:00")[0])
        assert "格式" in str(cb.confirm(1, token, "yesterday")[0])
        out = cb.confirm(1, token, "")
    message, staged, disabled, table, _o, older, _o2, newer, counts, config, _legend, rep = out
    assert rep is None
    assert "已导入" in str(message), str(message)
    assert staged is None and disabled is True
    rows = versions(store)
    new_version = rows[-1][0]
    assert new_version == old_version + 1 and newer == new_version and older == old_version
    assert rows[-2][1] is not None and rows[-1][1] is None  # the previous version closed
    listed = list_versions(store)
    assert listed.iloc[0]["imported_by"] == "admin" and listed.iloc[0]["cell_count"] == 16
    assert "admin" in str(table) and "新网格" in str(table)
    audit = store.query_rows(
        "SELECT actor, outcome FROM audit_log WHERE action = 'admin.grids.import' AND target = ?",
        [f"grid_version:{new_version}"],
    )
    assert audit == [("admin", "ok")]
    counts_text = str(counts)
    assert "删除 10,0" in counts_text  # the small grid drops the city's other cells
    kinds = {
        r["cell_code"]: r["kind"]
        for r in cell_rows(
            next(layer for layer in config["layers"] if layer["id"] == "grid-change-cells")
        )
    }
    assert kinds[grid.loc[0, "cell_code"]] == "duty"
    assert kinds[grid.loc[1, "cell_code"]] == "geometry"
    # routing follows the new version without a restart
    point = grid.geometry.iloc[2].representative_point()
    cells, version = store_locator(store)(  # type: ignore[misc]
        __import__("numpy").array([point.x]), __import__("numpy").array([point.y])
    )
    assert version == new_version and cells[0] == grid.loc[2, "cell_code"]
    assert not any(staging(world).iterdir())
    # the grid worker's small map follows too (its cache is keyed on the grid version)
    with As(world, "gridworker"):
        from app.pages.field.fieldmap import field_map_config
        from models.users import get_user as user_of

        fresh = field_map_config(store, user_of(store, "gridworker").scope, "zh")
        assert str(field_map()) == str(fresh) != field_before
    # the same file again: the importer's duplicate rule refuses it before confirming
    with As(world, "admin"):
        report, token, disabled, *_ = cb.upload(data_url(geojson(grid)), "again.geojson")
        assert token is None and "已导入过" in str(report)
        diff = cb.show_diff(1, new_version, old_version)
        assert "v1 → v2" in str(diff[0]).replace(f"v{old_version}", "v1").replace(
            f"v{new_version}", "v2"
        )
        assert "请选择" in str(cb.show_diff(1, 999, old_version)[0])
        assert "请选择" in str(cb.show_diff(1, "1; drop", None)[0])


def test_staged_uploads_belong_to_their_admin(tmp_path):
    from app.pages.admin.grids_upload import check_type, decode_upload, discard, stage, staged

    root = tmp_path / "staging"
    upload = stage(root, b'{"type": "FeatureCollection"}', "../../etc/网格 v2.geojson", actor="a")
    assert upload.path.parent.parent == root and upload.path.name == "网格_v2.geojson"
    assert staged(root, upload.token, actor="a") == upload
    for token in (None, 7, "../..", upload.token + "/..", "x" * 80):
        assert staged(root, token, actor="a") is None
    assert staged(root, upload.token, actor="b") is None  # another admin's upload
    assert not discard(root, upload.token, actor="b") and upload.path.exists()
    assert discard(root, upload.token, actor="a") and not upload.path.parent.exists()
    assert decode_upload("data:x;base64," + "QUJD" * 100, max_bytes=10) == "admin.grids.too_big"
    assert decode_upload("data:x;base64,QUJD", max_bytes=10) == b"ABC"
    assert check_type("grid.GPKG", b"SQLite format 3\x00...") is None
    assert check_type("grid.gpkg", b"PK\x03\x04") == "admin.grids.not_geo"
    assert check_type(None, b"{}") == "admin.grids.wrong_type"
    assert check_type("grid.shp", b"\x00\x00\x27\x0a") == "admin.grids.wrong_type"


def field_map() -> object:
    """The map config of the /field page as the logged-in user gets it."""
    from app.pages.field.page import layout

    found = []

    def walk(node: object) -> None:
        if getattr(node, "id", None) == "field-map-config":
            found.append(node.data)  # type: ignore[attr-defined]
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if child is not None and not isinstance(child, str | int | float):
                walk(child)

    walk(layout())
    assert len(found) == 1
    return found[0]


ODD = (None, 0, 1.5, True, "", "x" * 5000, [], ["a"], {"a": 1}, "\x00", -1)


def test_odd_values_from_the_browser_get_a_message_never_an_exception(world):
    from app.pages.admin import grids_callbacks as cb

    store = world["store"]
    before = versions(store)
    with As(world, "admin"):
        for value in ODD:
            cb.upload(value, value)
            cb.upload(data_url(b"{}"), value)
            out = cb.confirm(value, value, value)
            assert out[1] in (None, cb.no_update)
            cb.confirm(1, "a" * 24, value)
            cb.discard_upload(value, value)
            assert cb.show_diff(value, value, value)[1] is cb.no_update
            assert cb.show_diff(1, value, 1)[1] is cb.no_update
    assert versions(store) == before
    assert cb.parse_valid_from(["2026-01-01"], now=cb.utcnow(), zone="Asia/Shanghai") == (
        "admin.grids.bad_date"
    )


def test_a_regridding_file_without_duties_keeps_the_list_and_says_so(world):
    """Runs last: it confirms a version. A file of codes and shapes only: the report counts the
    cells keeping their body and workers and the new code without any; the confirmed version
    keeps the 权责清单 (no duty change in the diff)."""
    from app.pages.admin import grids_callbacks as cb
    from models.duties import SHEETS, DutyRow, DutyTables
    from models.duties_store import import_duties

    store = world["store"]
    old_version = max(v for v, _ in versions(store))
    grid = small_grid(store, 8)
    edited, renamed = grid.loc[0, "cell_code"], grid.loc[7, "cell_code"]
    row = dict(zip(SHEETS["cells"], (edited, "", "清单里的单位", ""), strict=True))
    assert import_duties(store, DutyTables(cells=[DutyRow(2, row)]), actor="admin").cells == 1
    new_code = renamed[:12] + "977"
    assert new_code not in set(load_cells(store)["cell_code"])
    bare = grid[["cell_code", "geometry"]].copy()
    bare.loc[7, "cell_code"] = new_code
    old = load_cells(store).set_index("cell_code")
    kept = [c for c in bare["cell_code"] if c != new_code]
    kept_body = sum(isinstance(old.loc[c, "responsible_body"], str) for c in kept)
    kept_workers = sum(len(old.loc[c, "grid_workers"]) > 0 for c in kept)
    with As(world, "admin"):
        report, token, disabled, *_ = cb.upload(data_url(geojson(bare)), "只有边界.geojson")
        text = str(report)
        assert token and disabled is False, text[:600]
        assert f"沿用责任主体 {kept_body}" in text and f"沿用网格员 {kept_workers}" in text
        assert "新网格无责任主体 1" in text and "新网格无网格员 1" in text
        assert f"v{old_version}" in text and "/admin?tab=duties" in text and new_code in text
        out = cb.confirm(1, token, "")
    done = str(out[0])
    assert "已导入" in done and f"沿用责任主体 {kept_body}" in done and "新网格无责任主体 1" in done
    new_version = out[7]
    assert new_version == old_version + 1
    stored = dict(
        store.query_rows(
            "SELECT cell_code, responsible_body FROM grid_cells WHERE version_id = ?",
            [new_version],
        )
    )
    assert stored[edited] == "清单里的单位" and stored[new_code] is None
    layer = next(layer for layer in out[9]["layers"] if layer["id"] == "grid-change-cells")
    kinds = {r["cell_code"]: r["kind"] for r in cell_rows(layer)}
    assert kinds[new_code] == "added" and kinds[renamed] == "removed"
    assert {kinds[c] for c in kept} == {"unchanged"}
    with As(world, "operator"):
        assert "管理员" in str(cb.upload(data_url(geojson(bare)), "x.geojson")[0])
