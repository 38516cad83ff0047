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


def test_times_outside_the_window_are_rejected_with_the_setting_named():
    from ingest.time_window import TimeWindow

    now = datetime(2026, 11, 24, 1, 30)
    window = TimeWindow(max_clock_skew_s=300, max_age_days=30)

    def body(ts: str, **extra: object) -> bytes:
        return json.dumps({"id": "w1", "ts": ts, **extra}).encode()

    position = {"lon": 116.6, "lat": 23.6, "status": "available"}
    shapes = {
        f"{P}/obs/smoke/SMOKE-002": {"values": {"smoke": 0}},
        f"{P}/traffic/R00001": {"speed_kmh": 30, "flow_vph": 900, "occupancy": 0.3},
        f"{P}/reports": {"source": "public", "category": "0201", "lon": 116.6, "lat": 23.6},
        f"{P}/units/TM-001/position": position,
        f"{P}/dispatch/TM-001/ack": {"order_id": "D-1"},
    }
    for topic, extra in shapes.items():
        future = parse_message(topic, body("2099-01-01T00:00:00Z", **extra), now=now, window=window)
        assert isinstance(future, Rejected), topic
        assert "ingest.max_clock_skew_s" in future.reason
        old = parse_message(topic, body("2000-01-01T00:00:00Z", **extra), now=now, window=window)
        assert isinstance(old, Rejected), topic
        assert "ingest.max_age_days" in old.reason
        # a little ahead (within the skew) and 29 days old are both fine
        ahead = parse_message(topic, body("2026-11-24T01:34:00Z", **extra), now=now, window=window)
        aged = parse_message(topic, body("2026-10-26T01:30:00Z", **extra), now=now, window=window)
        assert not isinstance(ahead, Rejected) and not isinstance(aged, Rejected), topic


def test_cap_sent_outside_the_window_is_rejected():
    from ingest.cap import RejectedCap, parse_cap
    from ingest.time_window import TimeWindow
    from tests.ingest.test_cap import POLYGON as POLYGON_ALERT

    window = TimeWindow(max_clock_skew_s=300, max_age_days=30)
    record = parse_cap(POLYGON_ALERT)
    sent = record.sent_utc
    assert not isinstance(parse_cap(POLYGON_ALERT, now=sent, window=window), RejectedCap)
    early = parse_cap(POLYGON_ALERT, now=sent - (window.max_skew * 2), window=window)
    assert isinstance(early, RejectedCap) and "ingest.max_clock_skew_s" in early.reason
    late = parse_cap(POLYGON_ALERT, now=sent + window.max_age * 2, window=window)
    assert isinstance(late, RejectedCap) and "ingest.max_age_days" in late.reason


def test_duplicate_ids_in_one_batch_keep_the_first_copy():
    ts = "2026-11-24T09:30:00+08:00"

    def msg(topic: str, **fields: object) -> bytes:
        return parse_message(topic, json.dumps({"id": "dup", "ts": ts, **fields}).encode())

    parsed = [
        msg(f"{P}/obs/air/AIR-001", values={"pm25": 1.0}),
        msg(f"{P}/obs/air/AIR-001", values={"pm25": 2.0}),
        msg(f"{P}/traffic/R00001", speed_kmh=10, flow_vph=1, occupancy=0.1),
        msg(f"{P}/traffic/R00001", speed_kmh=20, flow_vph=2, occupancy=0.2),
        msg(f"{P}/units/TM-001/position", lon=116.1, lat=23.1, status="available"),
        msg(f"{P}/units/TM-001/position", lon=116.2, lat=23.2, status="dispatched"),
    ]
    rows = build_rows(parsed, received_at=datetime(2026, 11, 24, 2), locate=_none_locator)
    assert rows.observations["value"].to_pylist() == [1.0]
    assert rows.traffic["speed_kmh"].to_pylist() == [10]
    assert rows.positions["status"].to_pylist() == ["available"]


def test_cap_over_mqtt_outside_the_window_becomes_a_dead_letter():
    from ingest.time_window import TimeWindow
    from tests.ingest.test_cap import POLYGON  # sent 2026-11-24T00:00 UTC

    parsed = [parse_message(f"{P}/alerts/in", POLYGON.encode())]
    window = TimeWindow(max_clock_skew_s=300, max_age_days=30)
    late = build_rows(parsed, received_at=datetime(2027, 3, 1), locate=_none_locator, window=window)
    assert late.alerts is None and "ingest.max_age_days" in late.dead_letters["reason"][0].as_py()
    ok = build_rows(
        parsed, received_at=datetime(2026, 11, 24, 1), locate=_none_locator, window=window
    )
    assert ok.alerts.num_rows == 1 and ok.dead_letters is None


def test_a_reading_outside_its_metric_plausible_range_is_rejected_naming_metric_and_range():
    """Issue 10 part R (a): ``pm25: 1e308`` was accepted and drew AQI 500 on the wall."""
    ts = "2026-11-24T09:30:00+08:00"

    def obs(kind: str, values: dict) -> Observation | Rejected:
        body = json.dumps({"id": "r-1", "ts": ts, "values": values}).encode()
        return parse_message(f"{P}/obs/{kind}/S-1", body)

    huge = obs("air", {"pm25": 1e308})
    assert isinstance(huge, Rejected)
    assert "pm25" in huge.reason and "0" in huge.reason and "2000" in huge.reason
    for kind, values in [
        ("air", {"pm10": -1.0}),
        ("water_quality", {"ph": 14.5}),
        ("noise", {"leq": 151.0}),
        ("water_level", {"water_level_m": -51.0}),
        ("manhole", {"open": 2}),
        ("gas", {"gas_ppm": 100001}),
    ]:
        result = obs(kind, values)
        assert isinstance(result, Rejected), (kind, values)
        assert next(iter(values)) in result.reason
    # the edges of a range and metrics without a range are fine
    edges = obs("air", {"pm25": 2000.0, "pm10": 0.0, "co": 200.0})
    assert isinstance(edges, Observation)
    assert isinstance(obs("water_level", {"water_level_m": -50.0, "rain_mm_h": 0.0}), Observation)
    assert isinstance(obs("air", {"humidity": 1e9}), Observation)


def test_topic_ids_dot_and_dot_dot_are_rejected():
    """Issue 10 part R (b): ``units/../position`` was taken as the unit id ``..``."""
    pos = json.dumps(
        {
            "id": "p-1",
            "ts": "2026-11-24T09:30:00+08:00",
            "lon": 116.6,
            "lat": 23.6,
            "status": "available",
        }
    ).encode()
    obs = json.dumps({"id": "o-1", "ts": "2026-11-24T09:30:00+08:00", "values": {"pm25": 1}})
    tr = json.dumps(
        {
            "id": "t-1",
            "ts": "2026-11-24T09:30:00+08:00",
            "speed_kmh": 1,
            "flow_vph": 1,
            "occupancy": 0.1,
        }
    )
    for topic, body in [
        (f"{P}/units/../position", pos),
        (f"{P}/units/./position", pos),
        (f"{P}/obs/air/..", obs.encode()),
        (f"{P}/traffic/.", tr.encode()),
        (
            f"{P}/dispatch/../ack",
            json.dumps({"id": "a", "ts": "2026-11-24T09:30:00+08:00", "order_id": "o"}).encode(),
        ),
    ]:
        result = parse_message(topic, body)
        assert isinstance(result, Rejected), topic
        assert "not a valid id" in result.reason
    assert isinstance(parse_message(f"{P}/units/a.b/position", pos), UnitPosition)


def test_a_metric_name_out_of_lower_snake_case_is_refused_naming_it():
    """Metric names are checked by pydantic-core, not a Python regex per name (ingest's
    hot path): the refusal still names the key and the rule."""
    import json as _json
    from datetime import UTC as _UTC
    from datetime import datetime as _dt

    from ingest.payloads import Rejected as _Rejected
    from ingest.payloads import parse_message as _parse

    now = _dt.now(_UTC)
    for name in ("PM25", "1pm", "pm-25", "a" * 33, ""):
        body = {"id": "m1", "ts": now.isoformat(), "values": {name: 1.0}}
        got = _parse("cityops/v1/obs/air/AIR-001", _json.dumps(body).encode(),
                     now=now.replace(tzinfo=None))  # fmt: skip
        assert isinstance(got, _Rejected), name
        assert f"values.{name}" in got.reason and "pattern" in got.reason, got.reason
