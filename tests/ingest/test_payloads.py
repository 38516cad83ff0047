"""Parsing is total: any topic and any bytes give a message or a reasoned rejection."""

import json
from datetime import datetime

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.payloads import (
    DEFAULT_PREFIX,
    Observation,
    Rejected,
    Report,
    TrafficSample,
    UnitPosition,
    parse_message,
    subscriptions,
)
from ingest.rows import build_rows

P = DEFAULT_PREFIX
TOPICS = [
    f"{P}/obs/air/AIR-001",
    f"{P}/traffic/R00001",
    f"{P}/reports",
    f"{P}/units/TM-001/position",
    f"{P}/dispatch/TM-001/ack",
    f"{P}/alerts/in",
]


def _none_locator(lon, lat):
    return np.full(len(lon), None, dtype=object), None


@settings(max_examples=400, deadline=None)
@given(
    topic=st.one_of(st.sampled_from(TOPICS), st.text(max_size=80)), payload=st.binary(max_size=600)
)
def test_arbitrary_bytes_never_raise_and_land_in_dead_letters(topic, payload):
    result = parse_message(topic, payload)
    if isinstance(result, Rejected):
        assert result.reason and result.payload == payload and result.topic == topic
        rows = build_rows([result], received_at=datetime(2026, 11, 24), locate=_none_locator)
        assert rows.dead_letters.num_rows == 1
        assert rows.dead_letters.column("reason")[0].as_py() == result.reason


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(
    topic=st.sampled_from(TOPICS),
    doc=st.dictionaries(
        st.sampled_from(
            [
                "id",
                "ts",
                "values",
                "speed_kmh",
                "flow_vph",
                "occupancy",
                "source",
                "category",
                "lon",
                "lat",
                "text",
                "status",
                "order_id",
                "extra",
            ]
        ),
        json_values,
        max_size=8,
    ),
)
def test_arbitrary_json_objects_never_raise(topic, doc):
    result = parse_message(topic, json.dumps(doc).encode())
    assert not isinstance(result, Exception)
    if isinstance(result, Rejected):
        assert result.reason


def test_each_topic_parses_its_payload():
    ts = "2026-11-24T09:30:00+08:00"
    obs = parse_message(
        f"{P}/obs/air/AIR-001",
        json.dumps({"id": "m1", "ts": ts, "values": {"pm25": 35.0, "pm10": 60}}).encode(),
    )
    assert isinstance(obs, Observation) and obs.sensor_id == "AIR-001"
    assert obs.payload.ts == datetime(2026, 11, 24, 1, 30)  # stored UTC
    tr = parse_message(
        f"{P}/traffic/R00001",
        json.dumps(
            {"id": "m2", "ts": ts, "speed_kmh": 32.5, "flow_vph": 900, "occupancy": 0.3}
        ).encode(),
    )
    assert isinstance(tr, TrafficSample) and tr.segment_id == "R00001"
    rep = parse_message(
        f"{P}/reports",
        json.dumps(
            {
                "id": "m3",
                "ts": ts,
                "source": "grid_worker",
                "category": "0201",
                "lon": 116.65,
                "lat": 23.66,
                "text": "道路不洁",
                "reporter": "GW1",
            }
        ).encode(),
    )
    assert isinstance(rep, Report) and rep.payload.text == "道路不洁"
    pos = parse_message(
        f"{P}/units/TM-001/position",
        json.dumps(
            {"id": "m4", "ts": ts, "lon": 116.6, "lat": 23.6, "status": "dispatched"}
        ).encode(),
    )
    assert isinstance(pos, UnitPosition) and pos.unit_id == "TM-001"


def test_rejections_say_why():
    cases = {
        (
            f"{P}/obs/air/AIR-001",
            b'{"id": "x", "ts": "2026-11-24T09:30:00Z", "values": {"pm25": NaN}}',
        ): "finite",
        (
            f"{P}/units/U1/position",
            b'{"id": "x", "ts": "2026-11-24T09:30:00Z", "lon": Infinity, '
            b'"lat": 23, "status": "available"}',
        ): "finite",
        (
            f"{P}/obs/air/AIR-001",
            b'{"id": "x", "ts": "2026-11-24T09:30:00", "values": {"pm25": 1}}',
        ): "time zone",
        (
            f"{P}/obs/air/AIR-001",
            b'{"id": "x", "ts": "2026-11-24T09:30:00Z", "values": {}}',
        ): "values",
        (f"{P}/obs/rocket/X", b"{}"): "unknown sensor kind",
        (
            f"{P}/traffic/R1",
            b'{"id": "x", "ts": "2026-11-24T09:30:00Z", "speed_kmh": -1, '
            b'"flow_vph": 1, "occupancy": 0.1}',
        ): "speed_kmh",
        (
            f"{P}/reports",
            b'{"id": "x", "ts": "2026-11-24T09:30:00Z", "source": "grid_worker", '
            b'"category": "0201", "lon": 500, "lat": 23}',
        ): "lon",
        ("other/v1/reports", b"{}"): "outside prefix",
        (f"{P}/reports", b"\xff"): "not UTF-8",
        (f"{P}/reports", b"{"): "not JSON",
        (f"{P}/units/TM-1/velocity", b"{}"): "unknown topic",
    }
    for (topic, payload), fragment in cases.items():
        result = parse_message(topic, payload)
        assert isinstance(result, Rejected), (topic, payload)
        assert fragment in result.reason, (fragment, result.reason)


def test_shared_subscriptions():
    plain = subscriptions("city/v1")
    assert "city/v1/obs/+/+" in plain and "city/v1/reports" in plain
    shared = subscriptions("city/v1", shared_group="ingest")
    assert all(f.startswith("$share/ingest/city/v1/") for f in shared)
    assert len(shared) == len(plain)
