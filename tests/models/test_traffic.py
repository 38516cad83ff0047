"""Congestion maths: the travel-time index, its bands at the thresholds, the city index."""

import math

import numpy as np
import pytest

from models.traffic import (
    BAND_NAMES,
    band_name,
    city_index,
    congestion_band,
    congestion_index,
)


def test_index_is_free_flow_over_speed_and_never_below_one():
    assert congestion_index(60.0, 30.0) == pytest.approx(2.0)
    assert congestion_index(60.0, 80.0) == 1.0
    assert congestion_index(60.0, 0.0) == 60.0  # a standstill counts as 1 km/h
    assert math.isnan(congestion_index(60.0, float("nan")))
    out = congestion_index(np.array([60.0, 40.0]), np.array([40.0, 10.0]))
    assert out.tolist() == pytest.approx([1.5, 4.0])


@pytest.mark.parametrize(
    ("index", "band"),
    [(1.0, 0), (1.49, 0), (1.5, 1), (1.99, 1), (2.0, 2), (2.99, 2), (3.0, 3), (3.99, 3),
     (4.0, 4), (9.0, 4)],
)  # fmt: skip
def test_bands_change_at_the_thresholds(index, band):
    assert congestion_band(index) == band


def test_bands_of_an_array_and_missing_data():
    bands = congestion_band(np.array([1.2, 2.5, np.nan, 5.0]))
    assert bands.tolist() == [0, 2, -1, 4]
    assert band_name(4) == "严重拥堵" and band_name(0, "en") == BAND_NAMES[0][1]
    assert band_name(-1) == ""


def test_arterial_bands_fall_at_40_30_20_15_kmh():
    speeds = np.array([41.0, 39.0, 29.0, 19.0, 14.0])
    assert congestion_band(congestion_index(60.0, speeds)).tolist() == [0, 1, 2, 3, 4]


def test_city_index_weights_length_and_class_and_skips_missing():
    index = [1.0, 3.0, np.nan]
    # 1 km of local (weight 1) at 1.0 and 1 km of arterial (weight 2) at 3.0 → 7/3
    assert city_index(index, [1000, 1000, 5000], ["local", "arterial", "expressway"]) == (
        pytest.approx(7 / 3)
    )
    assert city_index([np.nan], [1000], ["local"]) is None
