"""CAP 1.2: total parsing, lat-first areas, circles in metres, refusal of unsafe XML, round trip."""

from __future__ import annotations

import math
import re
import shutil
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.cap import CapAlertRecord, RejectedCap, parse_cap
from ingest.cap_write import to_cap_xml
from ingest.files import ingest_file
from models.store import Store

DATA = Path(__file__).parent / "data"
POLYGON = (DATA / "cap_rainstorm_polygon.xml").read_text("utf-8")
CIRCLE = (DATA / "cap_typhoon_circle.xml").read_text("utf-8")


def _ok(xml: str | bytes) -> CapAlertRecord:
    record = parse_cap(xml)
    assert isinstance(record, CapAlertRecord), record
    return record


def _without(xml: str, tag: str) -> str:
    return re.sub(rf"<{tag}>.*?</{tag}>", "", xml, count=1, flags=re.S)


def test_polygon_alert_is_parsed_with_lat_first_coordinates():
    record = _ok(POLYGON)
    assert record.identifier == "CN-GD-CZ-20261124-0001" and record.msg_type == "Alert"
    assert record.sent_utc == datetime(2026, 11, 24, 0, 0) and not record.exercise
    info = record.infos[0]
    assert info.event == "暴雨" and info.headline == "潮州市气象台发布暴雨橙色预警信号"
    assert "内涝" in info.description and info.event_codes == (("GB/T 35965.1", "11B03"),)
    area = shapely.from_wkb(record.area_wkb)
    assert area.bounds == pytest.approx((116.635, 23.660, 116.660, 23.680))
    assert area.contains(shapely.Point(116.65, 23.67))  # the old city, lon/lat


def test_circle_is_buffered_in_metres():
    record = _ok(CIRCLE)
    assert record.exercise and record.severity == "Extreme"
    assert record.infos[0].category == ("Met", "Safety")
    area = gpd.GeoSeries([shapely.from_wkb(record.area_wkb)], crs=4326).to_crs(32650)
    assert area.area[0] == pytest.approx(math.pi * 10_000**2, rel=0.01)
    assert shapely.from_wkb(record.area_wkb).contains(shapely.Point(116.9, 23.6))


@pytest.mark.parametrize("xml", [POLYGON, CIRCLE])
def test_to_cap_xml_round_trips(xml):
    record = _ok(xml)
    text = to_cap_xml(record)
    assert 'xmlns="urn:oasis:names:tc:emergency:cap:1.2"' in text
    assert _ok(text) == record
    assert _ok(text.encode("utf-8")) == record


@pytest.mark.parametrize(
    "tag",
    [
        "identifier",
        "sender",
        "sent",
        "status",
        "msgType",
        "scope",
        "info",
        "category",
        "event",
        "urgency",
        "severity",
        "certainty",
        "areaDesc",
    ],
)
def test_missing_required_elements_are_refused_by_name(tag):
    result = parse_cap(_without(POLYGON, tag))
    assert isinstance(result, RejectedCap)
    assert f"<{tag}>" in result.reason


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("<status>Actual", "<status>Real", "<status>"),
        ("<severity>Severe", "<severity>Bad", "<severity>"),
        ("2026-11-24T08:00:00+08:00</sent>", "2026-11-24 08:00</sent>", "zone offset"),
        ("23.660,116.635 23.660,116.660", "23.660 116.635 23.660,116.660", "lat,lon"),
        (" 23.660,116.635</polygon>", " 23.661,116.635</polygon>", "not closed"),
        (
            "<polygon>23.660,116.635 23.660,116.660 23.680,116.660 23.680,116.635 23.660,116.635",
            "<polygon>23.660,116.635 23.680,116.660 23.660,116.660 23.680,116.635 23.660,116.635",
            "Self-intersection",
        ),
        ("CN-GD-CZ-20261124-0001", "CN GD 1", "spaces"),
        (
            "urn:oasis:names:tc:emergency:cap:1.2",
            "urn:oasis:names:tc:emergency:cap:1.1",
            "namespace",
        ),
    ],
)
def test_invalid_values_are_refused_with_a_reason(old, new, words):
    assert old in POLYGON
    result = parse_cap(POLYGON.replace(old, new))
    assert isinstance(result, RejectedCap) and words in result.reason, result


def test_xml_bomb_and_external_entities_are_refused():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol3;</identifier>'
        "</alert>"
    )
    xxe = POLYGON.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    ).replace("<headline>", "<headline>&x;")
    for xml in (bomb, xxe):
        result = parse_cap(xml)
        assert isinstance(result, RejectedCap) and "unsafe XML" in result.reason
        assert "root:" not in result.reason


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_parse_cap_never_raises(data):
    assert isinstance(parse_cap(data), RejectedCap)


@pytest.fixture
def db(tmp_path):
    store = Store(tmp_path / "cap.duckdb")
    yield store
    store.close()


def test_cap_files_are_stored_as_imported_alerts_once(db, tmp_path):
    for name in ("cap_rainstorm_polygon.xml", "cap_typhoon_circle.xml"):
        shutil.copy(DATA / name, tmp_path / name)
        result = ingest_file(db, tmp_path / name, now=datetime(2026, 11, 24, 2))
        assert result.status == "loaded" and result.kind == "cap", result.reason
    rows = db.query_rows(
        "SELECT identifier, direction, state, exercise, severity, headline, sent, msg_type, "
        "sender, xml FROM alerts ORDER BY identifier"
    )
    assert [r[:6] for r in rows] == [
        (
            "CN-GD-CZ-20261124-0001",
            "in",
            "imported",
            False,
            "Severe",
            "潮州市气象台发布暴雨橙色预警信号",
        ),
        ("CZ-DRILL-TYPHOON-0001", "in", "imported", True, "Extreme", "【演练】台风红色预警"),
    ]
    assert rows[0][6] == datetime(2026, 11, 24, 0) and rows[0][9] == POLYGON
    wkb = db.query_value("SELECT area_wkb FROM alerts WHERE identifier = 'CZ-DRILL-TYPHOON-0001'")
    assert shapely.from_wkb(bytes(wkb)).geom_type == "Polygon"
    renamed = tmp_path / "upstream-copy.cap"
    renamed.write_text(POLYGON, "utf-8")
    again = ingest_file(db, renamed, now=datetime(2026, 11, 24, 3))
    assert again.ok and again.duplicate_of is not None
    edited = tmp_path / "same-id-other-text.xml"
    edited.write_text(POLYGON.replace("请注意防范", "请务必注意防范"), "utf-8")
    third = ingest_file(db, edited, now=datetime(2026, 11, 24, 4))
    assert third.ok and (third.rows_loaded, third.rows_duplicate) == (0, 1)
    assert db.query_value("SELECT count(*) FROM alerts") == 2


def test_a_bad_cap_file_fails_with_its_reason_and_stores_nothing(db, tmp_path):
    path = tmp_path / "broken.xml"
    path.write_text(_without(POLYGON, "event"), "utf-8")
    result = ingest_file(db, path, now=datetime(2026, 11, 24, 2), failed_dir=tmp_path / "failed")
    assert result.status == "failed" and "<event>" in result.reason
    assert (tmp_path / "failed" / "broken.xml").exists()
    assert (tmp_path / "failed" / "broken.xml.report.txt").exists()
    assert db.query_value("SELECT count(*) FROM alerts") == 0


# --- an Update or Cancel counts only from the sender of the alert it references (issue 10)

ORIGINAL_ID = "CN-GD-CZ-20261124-0001"
REAL_SENDER = "cz-weather@gd.cma.gov.cn"


def _follow_up(msg_type: str, *, sender: str, ref_sender: str, identifier: str) -> str:
    """The rainstorm alert re-sent as an Update/Cancel of itself by ``sender``."""
    xml = POLYGON.replace(
        f"<identifier>{ORIGINAL_ID}</identifier>", f"<identifier>{identifier}</identifier>"
    )
    xml = xml.replace(f"<sender>{REAL_SENDER}</sender>", f"<sender>{sender}</sender>")
    xml = xml.replace("<msgType>Alert</msgType>", f"<msgType>{msg_type}</msgType>")
    ref = f"{ref_sender},{ORIGINAL_ID},2026-11-24T08:00:00+08:00"
    return xml.replace(
        "<scope>Public</scope>", f"<scope>Public</scope>\n  <references>{ref}</references>"
    )


def test_a_reference_naming_another_sender_is_refused():
    xml = _follow_up(
        "Cancel", sender="intruder@example.com", ref_sender=REAL_SENDER, identifier="X-1"
    )
    record = parse_cap(xml)
    assert isinstance(record, RejectedCap)
    assert "sender" in record.reason and REAL_SENDER in record.reason
    own = _follow_up("Update", sender=REAL_SENDER, ref_sender=REAL_SENDER, identifier="U-1")
    assert _ok(own).references is not None


def _store_original(db, tmp_path):
    shutil.copy(DATA / "cap_rainstorm_polygon.xml", tmp_path / "original.xml")
    assert (
        ingest_file(db, tmp_path / "original.xml", now=datetime(2026, 11, 24, 2)).status == "loaded"
    )


def test_a_cancel_file_from_another_sender_fails_and_cancels_nothing(db, tmp_path):
    _store_original(db, tmp_path)
    # the intruder names itself as the referenced sender: the stored alert's sender differs
    xml = _follow_up("Cancel", sender="intruder@example.com", ref_sender="intruder@example.com",
                     identifier="X-2")  # fmt: skip
    (tmp_path / "cancel.xml").write_text(xml, encoding="utf-8")
    result = ingest_file(db, tmp_path / "cancel.xml", now=datetime(2026, 11, 24, 2))
    assert result.status != "loaded"
    assert result.reason.startswith("CAP refused: Cancel from intruder@example.com references")
    assert REAL_SENDER in result.reason
    assert db.query_value("SELECT count(*) FROM alerts WHERE identifier = 'X-2'") == 0


def test_a_cancel_over_mqtt_from_another_sender_is_a_dead_letter(db, tmp_path):
    from ingest.payloads import parse_message
    from ingest.rows import build_rows
    from ingest.sink import write_batch

    _store_original(db, tmp_path)
    topic = "cityops/v1/alerts/in"
    intruder = _follow_up("Cancel", sender="intruder@example.com",
                          ref_sender="intruder@example.com", identifier="X-3")  # fmt: skip
    own = _follow_up("Update", sender=REAL_SENDER, ref_sender=REAL_SENDER, identifier="U-3")
    parsed = [parse_message(topic, x.encode()) for x in (intruder, own)]
    rows = build_rows(parsed, received_at=datetime(2026, 11, 24, 2), locate=lambda lon, lat: None)
    written = db.write(lambda tx: write_batch(tx, rows))
    assert written["alerts"] == 1 and written["dead_letters"] == 1
    assert (
        db.query_value(
            "SELECT string_agg(identifier, ',') FROM alerts WHERE identifier IN ('X-3', 'U-3')"
        )
        == "U-3"
    )
    reason = db.query_value("SELECT reason FROM dead_letters")
    assert "sender" in reason and "X-3" in reason
