from datetime import datetime, timedelta

import pandas as pd

from models.security import parse_scope
from models.sensors import freshness_counts, sensor_freshness


def _sensors(store):
    now = datetime(2026, 11, 24, 2, 0)
    df = pd.DataFrame(
        {
            "sensor_id": ["A", "B", "C", "D"],
            "kind": ["air", "noise", "gas", "air"],
            "lon": 116.6,
            "lat": 23.6,
            "cell_code": ["445102007002001", "445102007002002", "445103100001001", None],
            "interval_s": [3600, 300, 60, 3600],
            # A: 2 intervals old (fresh); B: exactly 3 intervals (still fresh); C: 3 intervals + 1 s
            "last_seen": [
                now - timedelta(hours=2),
                now - timedelta(seconds=900),
                now - timedelta(seconds=181),
                None,
            ],
            "synthetic": True,
        }
    )
    store.append("sensors", df)
    return now


def test_stale_after_three_missed_intervals(store):
    now = _sensors(store)
    df = sensor_freshness(store, now=now).set_index("sensor_id")
    assert df.loc["A", "status"] == "fresh"
    assert df.loc["B", "status"] == "fresh"
    assert df.loc["C", "status"] == "stale" and df.loc["C", "age_s"] == 181
    assert df.loc["D", "status"] == "never"
    assert freshness_counts(store, now=now) == {"fresh": 2, "stale": 1, "never": 1}
    # an hour later everything short-interval is stale
    later = freshness_counts(store, now=now + timedelta(hours=5))
    assert later == {"fresh": 0, "stale": 3, "never": 1}


def test_freshness_respects_scope(store):
    now = _sensors(store)
    got = sensor_freshness(store, now=now, scope=parse_scope("district:445103"))
    assert list(got["sensor_id"]) == ["C"]
