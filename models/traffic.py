"""Road congestion maths (pure): the travel-time index of a segment, its band, the city index.

The index is a travel-time index (TTI): free-flow speed over current speed, so 1.0 is an
empty road and 2.0 takes twice as long. Band thresholds 1.5 / 2 / 3 / 4 are chosen so that
for a 60 km/h arterial the bands change at 40 / 30 / 20 / 15 km/h, the arterial speed bands
of the Chinese urban traffic evaluation practice (GB/T 33171-2016, 城市交通运行状况评价规范,
as we read its road-segment speed table); other classes scale with their free-flow speed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

ArrayLike = npt.ArrayLike

#: Upper bounds (exclusive) of bands 0..3; an index at or above the last is band 4.
BAND_THRESHOLDS: tuple[float, ...] = (1.5, 2.0, 3.0, 4.0)
#: Band -> (zh, en).
BAND_NAMES: tuple[tuple[str, str], ...] = (
    ("畅通", "Free flow"),
    ("基本畅通", "Mostly free"),
    ("轻度拥堵", "Light congestion"),
    ("中度拥堵", "Moderate congestion"),
    ("严重拥堵", "Heavy congestion"),
)
#: Weight of a kilometre of each road class in the city index: a rough share of the traffic
#: a kilometre carries (expressway > arterial > secondary > local); unknown classes weigh 1.
CLASS_WEIGHTS: dict[str, float] = {
    "expressway": 3.0,
    "arterial": 2.0,
    "secondary": 1.5,
    "local": 1.0,
}
#: A standstill is counted as this speed, so the index stays finite.
MIN_SPEED_KMH = 1.0


def congestion_index(free_flow_kmh: ArrayLike, speed_kmh: ArrayLike) -> np.ndarray | float:
    """Travel-time index ``free_flow / speed`` (at least 1.0), element-wise.

    A speed at or under :data:`MIN_SPEED_KMH` counts as that speed; a speed above the
    free-flow speed gives 1.0; a missing speed (NaN) gives NaN.

    Parameters
    ----------
    free_flow_kmh, speed_kmh
        Scalars or arrays of the same shape, km/h.

    Returns
    -------
    float or numpy.ndarray
        A float for scalar input, else an array.
    """
    free = np.asarray(free_flow_kmh, dtype=float)
    speed = np.asarray(speed_kmh, dtype=float)
    with np.errstate(invalid="ignore"):
        index = np.maximum(free / np.maximum(speed, MIN_SPEED_KMH), 1.0)
    index = np.where(np.isnan(speed) | np.isnan(free), np.nan, index)
    return float(index) if index.ndim == 0 else index


def congestion_band(index: ArrayLike) -> np.ndarray | int:
    """Band 0 畅通 … 4 严重拥堵 of travel-time indexes; -1 where the index is NaN.

    Bands: ``< 1.5`` → 0, ``< 2`` → 1, ``< 3`` → 2, ``< 4`` → 3, ``≥ 4`` → 4 (see
    :data:`BAND_THRESHOLDS`); a value on a threshold belongs to the worse band.
    """
    values = np.asarray(index, dtype=float)
    band = np.searchsorted(np.asarray(BAND_THRESHOLDS), values, side="right").astype(np.int64)
    band = np.where(np.isnan(values), -1, band)
    return int(band) if band.ndim == 0 else band


def band_name(band: int, lang: str = "zh") -> str:
    """The name of a band in ``zh`` or ``en``; ``""`` for -1 (no data)."""
    if band < 0:
        return ""
    zh, en = BAND_NAMES[band]
    return zh if lang == "zh" else en


def segment_weights(length_m: ArrayLike, road_class: ArrayLike) -> np.ndarray:
    """Each segment's weight in the city index: length x class weight (:data:`CLASS_WEIGHTS`)."""
    length = np.asarray(length_m, dtype=float)
    classes = np.asarray(road_class, dtype=object)
    return length * np.array([CLASS_WEIGHTS.get(str(c), 1.0) for c in classes], dtype=float)


def city_index_by(
    groups: ArrayLike, index: ArrayLike, weight: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`city_index` of many groups of segment readings at once (e.g. one group per
    time slot): the weighted mean index of each group.

    Parameters
    ----------
    groups
        The group of each reading (integers or any sortable values).
    index
        Travel-time index of each reading (NaN: no data, left out).
    weight
        Weight of each reading's segment (:func:`segment_weights`).

    Returns
    -------
    tuple of numpy.ndarray
        The groups with data (sorted) and their city index.
    """
    idx = np.asarray(index, dtype=float)
    w = np.asarray(weight, dtype=float)
    keys = np.asarray(groups)
    ok = np.isfinite(idx) & np.isfinite(w) & (w > 0)
    found, inverse = np.unique(keys[ok], return_inverse=True)
    total = np.bincount(inverse, weights=w[ok], minlength=len(found))
    weighted = np.bincount(inverse, weights=idx[ok] * w[ok], minlength=len(found))
    return found, weighted / total if len(found) else np.array([], dtype=float)


def city_index(index: ArrayLike, length_m: ArrayLike, road_class: ArrayLike) -> float | None:
    """The city's congestion index: segment indexes weighted by length x class weight.

    Segments without data (NaN index) are left out; ``None`` when no segment has data.

    Parameters
    ----------
    index
        Travel-time index per segment.
    length_m
        Segment length in metres.
    road_class
        Road class per segment (keys of :data:`CLASS_WEIGHTS`).
    """
    idx = np.asarray(index, dtype=float)
    _, values = city_index_by(np.zeros(idx.shape, dtype=np.int64), idx,
                              segment_weights(length_m, road_class))  # fmt: skip
    return float(values[0]) if len(values) else None
