"""MQTT and file parsers under hypothesis: never an exception, every rejection with a reason.

``parse_message`` gets arbitrary topics and bytes, and JSON objects shaped like each message
with wrong values; ``ingest_file`` gets arbitrary bytes and rows under each file kind's
header (hotline, observations, sensor registry, CAP XML) on a copy of the demo database.
"""

from __future__ import annotations

import csv
import io
import json
import string
from datetime import datetime
from itertools import count
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.files import ingest_file
from ingest.payloads import Rejected, parse_message
from models.store import Store

NOW = datetime(2026, 11, 25, 9)
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
FILES = settings(FUZZ, max_examples=15)  # each load is a transaction on the demo database

TOPICS = [
    "cityops/v1/obs/air/AIR-001",
    "cityops/v1/traffic/SEG-1",
    "cityops/v1/reports",
    "cityops/v1/units/U1/position",
    "cityops/v1/dispatch/U1/ack",
    "cityops/v1/alerts/in",
]
FIELDS = [
    "id",
    "ts",
    "values",
    "exercise",
    "speed_kmh",
    "flow_vph",
    "occupancy",
    "source",
    "category",
    "lon",
    "lat",
    "text",
    "reporter",
    "status",
    "order_id",
]
HEADERS = {
    "hotline": [
        "工单编号",
        "受理时间",
        "问题分类",
        "问题描述",
        "经度",
        "纬度",
        "所属社区",
        "地址",
        "来电人",
    ],
    "observations": ["sensor_id", "ts", "metric", "value"],
    "sensors": [
        "sensor_id",
        "kind",
        "lon",
        "lat",
        "interval_s",
        "owner",
        "installed_on",
        "zone",
        "warning_level",
        "danger_level",
        "segment_id",
    ],
}

odd_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            "NaN",
            "inf",
            "-1e309",
            "1e400",
            "2026-11-24T08:00:00+08:00",
            "9999-12-31T23:59:59-14:00",
            "0001-01-01",
            "2026/11/24 9:02",
            "0201",
            "AIR-001",
            "air",
            "pm25",
            "116.65",
            "23.67",
            "' OR 1=1 --",
            "\x00",
            "=cmd|' /C calc'!A0",
            "x" * 3000,
        ]
    ),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats().map(str),
)
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(),
        odd_text,
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _check(result: object, topic: str, payload: bytes) -> None:
    if isinstance(result, Rejected):
        assert isinstance(result.reason, str) and result.reason.strip(), (topic, payload)
        assert result.topic == topic and result.payload == payload


@FUZZ
@given(
    topic=st.one_of(
        st.text(max_size=60),
        st.sampled_from(TOPICS),
        st.sampled_from(TOPICS).map(lambda t: t + "/extra"),
        st.lists(st.text(max_size=8), max_size=6).map("/".join),
    ),
    payload=st.binary(max_size=300),
)
def test_any_topic_and_bytes_are_parsed_or_rejected_with_a_reason(topic, payload):
    result = parse_message(topic, payload, now=NOW)
    _check(result, topic, payload)


@FUZZ
@given(
    topic=st.sampled_from(TOPICS),
    body=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=len(FIELDS)),
)
def test_structured_but_wrong_json_is_parsed_or_rejected_with_a_reason(topic, body):
    payload = json.dumps(body, allow_nan=True).encode()
    result = parse_message(topic, payload, now=NOW)
    _check(result, topic, payload)


@FUZZ
@given(topic=st.sampled_from(TOPICS), text=st.text(max_size=200))
def test_text_that_is_not_an_object_is_rejected_with_a_reason(topic, text):
    payload = text.encode("utf-8", "surrogatepass")
    result = parse_message(topic, payload, now=NOW)
    _check(result, topic, payload)


# -- files ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def db(demo_copy):
    store = Store(Path(demo_copy()) / "cityops.duckdb")
    yield store
    store.close()


_names = count()


def _load(db: Store, folder: Path, data: bytes, suffix: str, kind: str | None = None):
    path = folder / f"fuzz-{next(_names)}{suffix}"
    path.write_bytes(data)
    result = ingest_file(db, path, kind=kind, now=NOW)
    assert result.status in ("loaded", "failed"), result
    if result.status == "failed":
        assert result.reason or result.bad_rows, (data[:200], result)
    for bad in result.bad_rows:
        assert isinstance(bad.line, int) and bad.line >= 0, bad
        assert bad.reason and bad.reason.strip(), bad
    if result.reason:
        assert result.reason.strip()
        # the runner's last net: a value a parser did not expect is a bug, not a report
        assert not result.reason.startswith("unexpected error"), (data[:300], result.reason)
    return result


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8", "surrogatepass")


@FILES
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".xml", ".xlsx", ".parquet"]))
def test_arbitrary_bytes_as_a_file_never_raise(db, tmp_path_factory, data, suffix):
    result = _load(db, tmp_path_factory.mktemp("bytes"), data, suffix)
    assert result.status == "failed" or result.rows_loaded >= 0


@FILES
@given(
    kind=st.sampled_from(sorted(HEADERS)),
    rows=st.lists(st.lists(odd_text, min_size=0, max_size=12), min_size=1, max_size=6),
)
def test_arbitrary_rows_under_each_header_are_loaded_or_reported(db, tmp_path_factory, kind, rows):
    header = HEADERS[kind]
    data = _csv(header, rows)
    result = _load(db, tmp_path_factory.mktemp("rows"), data, ".csv")
    if result.status == "failed" and result.bad_rows:
        lines = len(data.splitlines())
        # lines count from the header (1); a quoted newline can only make a row's line later
        assert all(1 <= b.line <= max(lines, len(rows) + 1) for b in result.bad_rows), result


@FILES
@given(
    kind=st.sampled_from(sorted(HEADERS)),
    rows=st.lists(st.lists(odd_text, min_size=0, max_size=12), min_size=1, max_size=4),
    forced=st.sampled_from([None, "hotline", "observations", "sensors", "cap", "grid"]),
)
def test_a_forced_kind_never_raises(db, tmp_path_factory, kind, rows, forced):
    _load(db, tmp_path_factory.mktemp("forced"), _csv(HEADERS[kind], rows), ".csv", forced)


CAP_SKELETON = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
    "<identifier>{0}</identifier><sender>{1}</sender><sent>{2}</sent>"
    "<status>{3}</status><msgType>{4}</msgType><scope>Public</scope>"
    "<info><event>{5}</event><urgency>{6}</urgency><severity>{7}</severity>"
    "<certainty>Likely</certainty><expires>{2}</expires>"
    "<area><areaDesc>{5}</areaDesc><polygon>{8}</polygon><circle>{8}</circle></area></info>"
    "</alert>"
)
xml_text = odd_text.map(
    lambda s: (
        "".join(c for c in s if c in string.printable or ord(c) > 127)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
    )
)


@FILES
@given(parts=st.lists(xml_text, min_size=9, max_size=9))
def test_cap_files_with_odd_values_never_raise(db, tmp_path_factory, parts):
    data = CAP_SKELETON.format(*parts).encode("utf-8", "surrogatepass")
    _load(db, tmp_path_factory.mktemp("cap"), data, ".xml")


@pytest.mark.parametrize("stamp", ["9999-12-31T23:00:00-14:00", "0001-01-01T00:00:00+14:00"])
@pytest.mark.parametrize(
    "kind,row",
    [
        ("hotline", ["OVF-1", "{}", "0201", "x", "116.65", "23.67", "", "", ""]),
        ("observations", ["AIR-001", "{}", "pm25", "1"]),
    ],
)
def test_a_time_that_overflows_moving_to_utc_is_a_bad_row(db, tmp_path, stamp, kind, row):
    """Found by the fuzz above: the runner's net caught an OverflowError (no line, no reason)."""
    data = _csv(HEADERS[kind], [[v.format(stamp) for v in row]])
    result = _load(db, tmp_path, data, ".csv")
    assert result.status == "failed" and [b.line for b in result.bad_rows] == [2], result


@pytest.mark.parametrize("data", [b"", b"PAR", b"not a parquet file at all"])
def test_a_parquet_name_on_other_bytes_is_refused_with_a_reason(db, tmp_path, data):
    """Found by the fuzz above: the geo check raised, so the runner's net answered."""
    result = _load(db, tmp_path, data, ".parquet")
    assert result.status == "failed" and "Parquet" in (result.reason or ""), result
