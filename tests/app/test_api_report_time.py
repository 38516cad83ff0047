"""POST /api/v1/cases takes the time the report was made (``reported_at``): a phone that kept
a report offline sends it later with the time the worker saw the problem; a time from the
future or too old is refused 422 per ingest.max_clock_skew_s / max_age_days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.app.api_support import ApiWorld, build_world


@pytest.fixture(scope="module")
def world(demo_copy) -> ApiWorld:
    w = build_world(demo_copy)
    yield w
    w.store.close()


def _post(world: ApiWorld, **extra):
    lon, lat = world.spots["worker"]
    body = {"category": "0201", "lon": lon, "lat": lat, "text": "report-time", **extra}
    return world.session("gridworker").post("/api/v1/cases", json=body)


def _reported_at(world: ApiWorld, case_id: str) -> datetime:
    return world.store.query_value("SELECT reported_at FROM cases WHERE case_id = ?", [case_id])


def test_the_report_keeps_the_time_it_was_made(world):
    made = datetime.now(UTC) - timedelta(hours=3)
    response = _post(world, reported_at=made.isoformat(), external_id="field:time-1")
    assert response.status_code == 201, response.get_json()
    kept = _reported_at(world, response.get_json()["id"])
    assert abs(kept - made.replace(tzinfo=None)) < timedelta(seconds=1)


def test_a_browser_time_with_z_and_another_offset(world):
    made = datetime.now(UTC) - timedelta(minutes=20)
    shanghai = made.astimezone(tz=None).isoformat()
    for i, stamp in enumerate((made.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", shanghai)):
        response = _post(world, reported_at=stamp, external_id=f"field:time-z{i}")
        assert response.status_code == 201, response.get_json()
        kept = _reported_at(world, response.get_json()["id"])
        assert abs(kept - made.replace(tzinfo=None)) < timedelta(seconds=1)


@pytest.mark.parametrize(
    ("stamp", "says"),
    [
        ((datetime.now(UTC) + timedelta(hours=2)).isoformat(), "ahead"),
        ((datetime.now(UTC) - timedelta(days=400)).isoformat(), "old"),
        ("2026-13-40T00:00:00Z", "ISO 8601"),
        ("2026-01-01T00:00:00", "time zone"),
        (1234567890, "ISO 8601"),
    ],
    # ids without the instants: they differ between collections (pytest-xdist's processes)
    ids=["ahead", "old", "bad-date", "no-zone", "number"],
)
def test_unbelievable_times_are_refused(world, stamp, says):
    response = _post(world, reported_at=stamp)
    assert response.status_code == 422, response.get_json()
    assert says in response.get_json()["error"], response.get_json()


def test_without_a_time_the_server_clock(world):
    response = _post(world)
    assert response.status_code == 201
    kept = _reported_at(world, response.get_json()["id"])
    assert abs(kept - datetime.now(UTC).replace(tzinfo=None)) < timedelta(minutes=1)
