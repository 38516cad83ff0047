"""Camera registry files: detected by their columns, every bad row reported with its line,
all or nothing, new cameras inserted and changed ones updated; the radius query over them."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.cli_parser import build_parser
from ingest.files import detect_kind, ingest_file
from models.emergency.cameras import cameras_near, safe_stream_url, stream_url_problem
from models.store import Store

NOW = datetime(2026, 11, 25, 9)
GOOD = """摄像机编号,经度,纬度,点位类别,视频流地址,权属单位,点位名称
CAM-0001,116.6465,23.6707,一类,rtsp://camera.invalid/cam-0001,市公安局,牌坊街北口
CAM-0002,116.6470,23.6712,2,https://video.example/cam-0002.m3u8,湘桥区城管,牌坊街中段
CAM-0003,116.6600,23.6700,3,,,
"""


@pytest.fixture
def db(tmp_path):
    store = Store(tmp_path / "cams.duckdb")
    yield store
    store.close()


def _file(tmp_path, text: str, name: str = "cameras.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_registry_loads_and_a_changed_one_updates(db, tmp_path):
    result = ingest_file(db, _file(tmp_path, GOOD), now=NOW)
    assert result.status == "loaded", (result.reason, result.bad_rows)
    assert result.kind == "cameras" and result.rows_loaded == 3
    rows = db.query_rows(
        "SELECT camera_id, camera_class, stream_url, owner, name, synthetic, imported_at "
        "FROM cameras ORDER BY camera_id"
    )
    assert rows[0] == ("CAM-0001", 1, "rtsp://camera.invalid/cam-0001", "市公安局", "牌坊街北口",
                       False, NOW)  # fmt: skip
    assert rows[2][1:5] == (3, None, None, None)
    changed = GOOD.replace("CAM-0003,116.6600,23.6700,3", "CAM-0003,116.6600,23.6700,1")
    changed += "CAM-0004,116.70,23.70,3,http://camera.invalid/4,,\n"
    again = ingest_file(db, _file(tmp_path, changed, "cameras-2.csv"), now=NOW)
    assert again.status == "loaded", again.bad_rows
    assert again.details == {"inserted": 1, "updated": 1, "unchanged": 2}
    assert db.query_value("SELECT camera_class FROM cameras WHERE camera_id = 'CAM-0003'") == 1


def test_every_bad_row_is_reported_with_its_line_and_nothing_loads(db, tmp_path):
    text = (
        "id,lon,lat,class,stream_url,owner,name\n"
        "C1,116.6,23.6,1,rtsp://camera.invalid/1,,\n"  # line 2: good
        "C2,116.6,23.6,4,,,\n"  # line 3: class
        "C3,nan,23.6,1,,,\n"  # line 4: not finite
        "C4,116.6,123.6,1,,,\n"  # line 5: latitude
        "C5,116.6,23.6,1,javascript:alert(1),,\n"  # line 6: scheme
        "C6,116.6,23.6,1,file:///etc/passwd,,\n"  # line 7: scheme
        "C1,116.6,23.6,1,,,\n"  # line 8: duplicate
        "bad id!,116.6,23.6,1,,,\n"  # line 9: id
        "C9,116.6,23.6,2,rtsp://,,\n"  # line 10: no host
        "C10,116.6,23.6,2,http://has space/x,,\n"  # line 11: space
    )
    result = ingest_file(db, _file(tmp_path, text), now=NOW, kind="cameras")
    assert result.status == "failed" and result.rows_loaded == 0
    found = {(b.line, b.column) for b in result.bad_rows}
    assert found == {(3, "camera_class"), (4, "lon"), (5, "lat"), (6, "stream_url"),
                     (7, "stream_url"), (8, "camera_id"), (9, "camera_id"), (10, "stream_url"),
                     (11, "stream_url")}  # fmt: skip
    assert "first at line 2" in next(b.reason for b in result.bad_rows if b.line == 8)
    assert db.query_value("SELECT count(*) FROM cameras") == 0


def test_missing_columns_name_what_is_expected(db, tmp_path):
    result = ingest_file(db, _file(tmp_path, "id,lon,lat\nC1,116.6,23.6\n"), now=NOW,
                         kind="cameras")  # fmt: skip
    assert result.status == "failed" and "camera_class" in result.reason


def test_the_kind_is_detected_and_the_cli_takes_it():
    assert detect_kind(["摄像机编号", "经度", "纬度", "点位类别"]) == "cameras"
    assert detect_kind(["sensor_id", "kind", "lon", "lat", "interval_s"]) == "sensors"
    args = build_parser().parse_args(["ingest", "x.csv", "--kind", "cameras"])
    assert args.kind == "cameras"


def test_stream_links_are_http_https_or_rtsp_only():
    assert stream_url_problem("rtsp://camera.invalid/a") is None
    assert stream_url_problem("HTTPS://video.example/a.m3u8") is None
    for bad in (
        "javascript:alert(1)",
        "file:///etc/passwd",
        "ftp://x/y",
        "//x/y",
        "rtsp://",
        "http://a b/",
        "http://[::1/",
        "http://x/" + "a" * 600,
    ):
        assert stream_url_problem(bad), bad
        assert safe_stream_url(bad) is None
    assert safe_stream_url(None) is None


def test_cameras_within_a_radius_nearest_first_with_distances(db, tmp_path):
    ingest_file(db, _file(tmp_path, GOOD), now=NOW)
    near = cameras_near(db, 116.6465, 23.6707, radius_m=200)
    assert [c["camera_id"] for c in near] == ["CAM-0001", "CAM-0002"]
    assert near[0]["distance_m"] == 0 and 50 < near[1]["distance_m"] < 100
    wide = cameras_near(db, 116.6465, 23.6707, radius_m=2000)
    assert [c["camera_id"] for c in wide] == ["CAM-0001", "CAM-0002", "CAM-0003"]
    assert wide[2]["distance_m"] > 1300
    assert cameras_near(db, 116.6465, 23.6707, radius_m=2000, limit=1)[0]["camera_id"] == (
        "CAM-0001"
    )
    db.write(
        lambda tx: tx.execute(  # a link stored by hand that is not acceptable
            "UPDATE cameras SET stream_url = 'javascript:alert(1)' WHERE camera_id = 'CAM-0002'"
        )
    )
    assert cameras_near(db, 116.6465, 23.6707, radius_m=200)[1]["stream_url"] is None
    for radius in (0, -5, float("nan"), 1e9, True, "100"):
        with pytest.raises(ValueError):
            cameras_near(db, 116.6465, 23.6707, radius_m=radius)
