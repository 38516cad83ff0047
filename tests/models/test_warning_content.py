"""A warning's composed content is checked totally: every bad value is a WarningInvalid with
its reason (the API's 400), never another exception; the area's size and codes too."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.emergency.warning_area import area_km2, circle_geometry, resolve_area
from models.emergency.warning_content import (
    MAX_DESCRIPTION,
    MAX_HEADLINE,
    MAX_VERTICES,
    WarningInvalid,
    content_from_json,
    content_json,
    parse_area,
    parse_warning_content,
)
from tests.models.warning_world import CONTENT, NOW, content, small_city

SQUARE = [[116.60, 23.60], [116.61, 23.60], [116.61, 23.61], [116.60, 23.61], [116.60, 23.60]]


def test_the_composed_warning_reads_and_round_trips_through_its_json():
    parsed = parse_warning_content(CONTENT, now=NOW)
    assert parsed.exercise and parsed.category == "Met" and parsed.colour == "orange"
    assert parsed.onset == NOW + timedelta(hours=2)  # 10:00 +08:00 is 02:00 UTC
    assert parsed.expires == NOW + timedelta(hours=24)
    assert parsed.headline.zh == "潮州市台风橙色预警"
    again = content_from_json(content_json(parsed))
    assert again == parsed
    assert content_json(again) == content_json(parsed)


BAD = [
    ({"severity": "Red"}, "severity"),
    ({"severity": "Unknown"}, "severity"),
    ({"status": "Draft"}, "status"),
    ({"event": "meteor"}, "event"),
    ({"certainty": "Very Likely"}, "certainty"),
    ({"headline": {"zh": "只有中文"}}, "both zh and en"),
    ({"headline": "plain text"}, "headline must be an object"),
    ({"headline": {"zh": "x" * (MAX_HEADLINE + 1), "en": "x"}}, "longer than"),
    ({"description": {"zh": "说明", "en": "y" * (MAX_DESCRIPTION + 1)}}, "longer than"),
    ({"description": {"zh": "控制\x07字符", "en": "x"}}, "control characters"),
    ({"instruction": {"zh": " ", "en": "x"}}, "instruction.zh is empty"),
    ({"expires": "2026-11-25 08:00"}, "time zone"),
    ({"expires": "tomorrow"}, "not an ISO 8601 time"),
    ({"expires": 1764028800}, "ISO 8601 time"),
    ({"expires": "2026-11-24T07:00:00+08:00", "onset": None}, "not in the future"),
    ({"onset": "2026-11-25T09:00:00+08:00"}, "expires must be after onset"),
    ({"expires": "2027-03-01T08:00:00+08:00"}, "days ahead"),
    ({"onset": "2026-11-01T08:00:00+08:00"}, "days ago"),
    ({"incident_id": "x y;"}, "incident_id"),
    ({"response_types": ["Run"]}, "response_types"),
    ({"colour": "red"}, "unknown fields: colour"),
    ({"area": None}, "area must be an object"),
    ({"area": {}}, "needs a polygon, a circle or district/street codes"),
    ({"area": {"polygon": SQUARE}}, "unknown fields: polygon"),
]


@pytest.mark.parametrize(("change", "reason"), BAD)
def test_bad_values_are_refused_with_their_reason(change, reason):
    with pytest.raises(WarningInvalid, match=reason):
        parse_warning_content(content(**change), now=NOW)


def test_not_an_object_at_all():
    for data in (None, [], "warning", 5):
        with pytest.raises(WarningInvalid):
            parse_warning_content(data, now=NOW)


BAD_AREAS = [
    ({"polygons": [SQUARE[:-1]]}, "not closed"),
    ({"polygons": [[[116.6, 23.6], [116.61, 23.6], [116.6, 23.6]]]}, "at least 4 points"),
    # a bow tie: the ring crosses itself
    (
        {
            "polygons": [
                [
                    [116.60, 23.60],
                    [116.61, 23.61],
                    [116.61, 23.60],
                    [116.60, 23.61],
                    [116.60, 23.60],
                ]
            ]
        },
        "self-intersecting",
    ),  # fmt: skip
    ({"polygons": [[[116.6, 23.6], [116.6, 23.6], [116.6, 23.6], [116.6, 23.6]]]}, "simple"),
    ({"polygons": [[[200, 23.6], [116.61, 23.6], [116.61, 23.61], [200, 23.6]]]}, "lon"),
    ({"polygons": [[["a", "b"]] * 4]}, "must be a number"),
    ({"polygons": [[[116.6, float("nan")]] * 4]}, "within"),
    ({"polygons": [[[116.6, 23.6, 5]] * 4]}, r"\[lon, lat\] pair"),
    ({"polygons": [[[116.6 + i * 1e-4, 23.6] for i in range(MAX_VERTICES + 1)]]}, "more than"),
    ({"polygons": "POLYGON((...))"}, "must be a list"),
    ({"circles": [{"lon": 116.6, "lat": 23.6}]}, "lon, lat and radius_km"),
    ({"circles": [{"lon": 116.6, "lat": 23.6, "radius_km": 0}]}, "more than 0"),
    ({"circles": [{"lon": 116.6, "lat": 23.6, "radius_km": 76}]}, "radius_km must be within"),
    ({"circles": [{"lon": 116.6, "lat": 23.6, "radius_km": True}]}, "must be a number"),
    ({"codes": ["4451"]}, "6-digit district or 9-digit street"),
    ({"codes": [445102]}, "6-digit district or 9-digit street"),
    ({"codes": ["445102"] * 201}, "more than 200"),
    ({"codes": ["445102"], "description": {"zh": "区"}}, "both zh and en"),
]


@pytest.mark.parametrize(("area", "reason"), BAD_AREAS)
def test_bad_areas_are_refused_with_their_reason(area, reason):
    with pytest.raises(WarningInvalid, match=reason):
        parse_area(area)


def test_unknown_codes_and_huge_areas_are_refused_when_resolved(store):
    small_city(store)
    with pytest.raises(WarningInvalid, match="no district or street 445199"):
        resolve_area(store, parse_area({"codes": ["445102", "445199"]}), metric_crs="EPSG:32650")
    huge = [[115.5, 23.0], [117.5, 23.0], [117.5, 25.0], [115.5, 25.0], [115.5, 23.0]]
    with pytest.raises(WarningInvalid, match="more than 20,000 km²"):
        resolve_area(store, parse_area({"polygons": [huge]}), metric_crs="EPSG:32650")
    wide = [[-179.0, 0.0], [179.0, 0.0], [179.0, 0.001], [-179.0, 0.001], [-179.0, 0.0]]
    with pytest.raises(WarningInvalid, match="spans more than"):
        resolve_area(store, parse_area({"polygons": [wide]}), metric_crs="EPSG:32650")
    polar = {"circles": [{"lon": -179.0, "lat": -89.9, "radius_km": 50}]}
    with pytest.raises(WarningInvalid, match="not a valid shape|spans more than"):
        resolve_area(store, parse_area(polar), metric_crs="EPSG:32650")
    # a circle is measured where it is: 50 km anywhere is about 7,850 km²
    for lon, lat in ((116.6, 23.6), (0.0, 0.0), (-70.0, 60.0)):
        assert area_km2(circle_geometry(lon, lat, 50)) == pytest.approx(7854, rel=0.01)
    near = parse_area({"circles": [{"lon": 116.6, "lat": 23.6, "radius_km": 50}]})
    assert resolve_area(store, near, metric_crs="EPSG:32650").geometry.area > 0
    # and one far from the city is no warning of ours
    far = parse_area({"circles": [{"lon": 0.0, "lat": 0.0, "radius_km": 50}]})
    with pytest.raises(WarningInvalid, match="does not reach the city"):
        resolve_area(store, far, metric_crs="EPSG:32650")


def test_picked_codes_become_closed_cap_polygons_and_geocodes(store):
    small_city(store)
    area = parse_area({"codes": ["445102", "445102001"]})
    resolved = resolve_area(store, area, metric_crs="EPSG:32650")
    assert resolved.geocodes == (("GB/T 2260", "445102"), ("GB/T 10114", "445102001"))
    assert resolved.description.zh == "湘桥区、桥东街道"
    assert resolved.description.en == "Xiangqiao District, 桥东街道"  # no English street name
    for text in resolved.polygons:
        pairs = text.split()
        assert pairs[0] == pairs[-1] and len(pairs) >= 4
        lat, lon = (float(v) for v in pairs[0].split(","))
        assert 23.5 < lat < 23.8 and 116.5 < lon < 116.8  # latitude first
    assert abs(resolved.geometry.area - 0.01) < 1e-6  # the district, the street inside it
