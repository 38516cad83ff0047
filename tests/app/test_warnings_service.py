"""Warnings (CAP 1.2 out) end to end through the service the screen and the API share: compose,
approve by a second person, publish, the XML valid by the OASIS schema and read back equal,
the outbox and the incident's timeline, Update and Cancel references, reach, refusals."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
import shapely

from app.emergency import warnings_service as ws
from ingest.cap import CapAlertRecord, parse_cap
from ingest.cap_write import to_cap_xml
from models.cap_schema import cap_schema_problems
from models.case_service import Actor
from models.config import load_config
from models.emergency.timeline import timeline
from models.emergency.warning_content import WarningInvalid
from models.emergency.warning_records import current_warnings, get_warning, published_xml
from models.emergency.warnings import WarningRefused
from models.security import Scope
from models.store import Store
from tests.conftest import SECRET, write_config
from tests.models.warning_world import INCIDENT, NOW, content, small_city

CITY = Scope("city")
ALICE = Actor("alice", "emergency", CITY)  # drafts
BOB = Actor("bob", "leader", CITY)  # approves
CAROL = Actor("carol", "emergency", CITY)
ADMIN = Actor("root", "admin", CITY)
LATER = NOW + timedelta(minutes=10)
CAP_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")


@pytest.fixture
def world(tmp_path):
    config = load_config(write_config(tmp_path), environ={"CITYOPS_SECRET_KEY": SECRET})
    store = Store(config.database_path)
    small_city(store)
    yield store, config
    store.close()


def _published(store, config, data=None, *, at=NOW) -> str:
    identifier = ws.draft(store, config, ALICE, data or content(incident_id=INCIDENT), now=at)
    ws.approve(store, config, BOB, identifier, now=at)
    ws.publish(store, config, ALICE, identifier, now=at)
    return identifier


def test_round_trip_compose_approve_publish_validate_and_read_back_equal(world):
    store, config = world
    data = content(incident_id=INCIDENT)
    identifier = ws.draft(store, config, ALICE, data, now=NOW)
    assert re.fullmatch(r"CN-445100-20261124080000-1", identifier)
    with pytest.raises(WarningRefused, match="second person") as refused:
        ws.approve(store, config, ALICE, identifier, now=NOW)
    assert refused.value.status == 403
    ws.approve(store, config, BOB, identifier, now=NOW)
    xml = ws.publish(store, config, ALICE, identifier, now=LATER)

    assert cap_schema_problems(xml) == []
    record = parse_cap(xml)
    assert isinstance(record, CapAlertRecord), record
    assert to_cap_xml(replace(record, area_wkb=None)) == xml  # every field read back equal
    assert (record.identifier, record.sender) == (identifier, "cityops@chaozhou.example")
    assert (record.status, record.msg_type, record.scope) == ("Exercise", "Alert", "Public")
    assert CAP_TIME.match(re.search(r"<sent>([^<]+)</sent>", xml).group(1))
    assert record.sent_utc == LATER and record.references is None
    assert record.incidents == INCIDENT
    zh, en = record.infos
    assert (zh.language, en.language) == ("zh-CN", "en-US")
    for info, lang in ((zh, "zh"), (en, "en")):
        assert info.headline == data["headline"][lang]
        assert info.description == data["description"][lang]
        assert info.instruction == data["instruction"][lang]
        assert (info.urgency, info.severity, info.certainty) == ("Expected", "Severe", "Likely")
        assert info.category == ("Met",) and info.response_type == ("Prepare", "Avoid")
        assert info.event_codes == (("CityOps", "typhoon"),)
        assert info.onset.isoformat() == "2026-11-24T10:00:00+08:00"
        assert info.expires.isoformat() == "2026-11-25T08:00:00+08:00"
        (area,) = info.areas
        assert area.polygons == (
            "23.625000,116.600000 23.625000,116.637500 23.650000,116.637500 "
            "23.650000,116.600000 23.625000,116.600000",
        )
    assert zh.event == "台风" and en.event == "Typhoon"
    assert zh.parameters == (("预警级别", "橙色"),) and en.parameters == (
        ("warningLevel", "Orange"),
    )
    drawn = shapely.Polygon([p for p in data["area"]["polygons"][0]])
    assert shapely.from_wkb(record.area_wkb).equals(drawn)

    stored = get_warning(store, identifier)
    assert stored.state == "published" and stored.xml == xml and stored.sent == LATER
    assert (stored.drafted_by, stored.approved_by) == ("alice", "bob")
    assert published_xml(store, identifier) == xml
    # the outbox holds the same bytes on the alerts/out topic
    rows = store.query_rows("SELECT topic, payload FROM mqtt_outbox ORDER BY seq")
    assert [(t, bytes(p)) for t, p in rows] == [("cityops/v1/alerts/out", xml.encode("utf-8"))]
    # and the incident's timeline records it
    (event,) = [e for e in timeline(store, INCIDENT) if e["kind"] == "warning"]
    assert event["actor"] == "alice" and event["detail"]["identifier"] == identifier


def test_circles_and_picked_streets_validate_and_read_back(world):
    store, config = world
    area = {
        "circles": [{"lon": 116.64, "lat": 23.64, "radius_km": 1.5}],
        "codes": ["445102001"],
        "description": {"zh": "桥东街道及周边", "en": "Qiaodong and around"},
    }
    identifier = _published(store, config, content(area=area, status="Actual"))
    xml = published_xml(store, identifier)
    assert cap_schema_problems(xml) == []
    record = parse_cap(xml)
    assert record.status == "Actual" and record.note is None
    (area_out,) = record.infos[0].areas
    assert area_out.circles == ("23.640000,116.640000 1.5",)
    assert area_out.geocodes == (("GB/T 10114", "445102001"),)
    assert area_out.area_desc == "桥东街道及周边"
    assert record.infos[1].areas[0].area_desc == "Qiaodong and around"


def test_the_author_and_every_editor_may_not_approve_and_an_edit_undoes_approval(world):
    store, config = world
    identifier = ws.draft(store, config, ALICE, content(), now=NOW)
    ws.approve(store, config, BOB, identifier, now=NOW)
    ws.edit(store, config, CAROL, identifier, {"severity": "Extreme"}, now=NOW)
    after = get_warning(store, identifier)
    assert after.state == "draft" and after.approved_by is None and after.approved_at is None
    assert after.editors == ("alice", "carol") and after.content.severity == "Extreme"
    for who in (ALICE, CAROL):
        with pytest.raises(WarningRefused, match="second person"):
            ws.approve(store, config, who, identifier, now=NOW)
    with pytest.raises(WarningRefused, match="only an approved") as refused:
        ws.publish(store, config, ALICE, identifier, now=NOW)
    assert refused.value.status == 409
    ws.approve(store, config, ADMIN, identifier, now=NOW)
    ws.publish(store, config, CAROL, identifier, now=NOW)
    with pytest.raises(WarningRefused, match="send an Update"):
        ws.edit(store, config, ALICE, identifier, {"severity": "Minor"}, now=NOW)
    denied = store.query_value(
        "SELECT count(*) FROM audit_log WHERE action = 'warning.approve' AND outcome = 'denied'"
    )
    assert denied == 2


def test_update_and_cancel_reference_the_original_and_end_it(world):
    store, config = world
    first = _published(store, config)
    first_sent = parse_cap(published_xml(store, first)).sent
    update = ws.follow_up(store, config, ALICE, first, "Update", {"severity": "Extreme"}, now=NOW)
    assert get_warning(store, update).references_id == first
    ws.approve(store, config, BOB, update, now=NOW)
    ws.publish(store, config, CAROL, update, now=LATER)
    xml = published_xml(store, update)
    assert cap_schema_problems(xml) == []
    parsed = parse_cap(xml)
    assert parsed.msg_type == "Update" and parsed.infos[0].severity == "Extreme"
    assert parsed.references == f"cityops@chaozhou.example,{first},{first_sent.isoformat()}"
    assert [w.identifier for w in current_warnings(store, now=LATER)] == [update]
    assert get_warning(store, first).updated_by == update
    with pytest.raises(WarningRefused, match="already updated") as refused:
        ws.follow_up(store, config, ALICE, first, "Cancel", {}, now=LATER)
    assert refused.value.status == 409

    cancel = ws.follow_up(store, config, ALICE, update, "Cancel", None, now=LATER)
    ws.approve(store, config, BOB, cancel, now=LATER)
    ws.publish(store, config, ALICE, cancel, now=LATER)
    parsed = parse_cap(published_xml(store, cancel))
    assert parsed.msg_type == "Cancel"
    refs = parsed.references.split()
    assert [r.split(",")[1] for r in refs] == [first, update]  # the whole chain, oldest first
    current = current_warnings(store, now=LATER)
    assert [(w.identifier, w.msg_type) for w in current] == [(cancel, "Cancel")]
    with pytest.raises(WarningRefused, match="is a Cancel"):
        ws.follow_up(store, config, ALICE, cancel, "Update", {}, now=LATER)


def test_follow_ups_of_drafts_foreign_or_unknown_alerts_are_refused(world):
    store, config = world
    draft = ws.draft(store, config, ALICE, content(), now=NOW)
    with pytest.raises(WarningRefused, match="not published") as refused:
        ws.follow_up(store, config, ALICE, draft, "Cancel", {}, now=NOW)
    assert refused.value.status == 409
    store.write(
        lambda tx: tx.execute(
            "INSERT INTO alerts (identifier, direction, state, sender, sent, msg_type) "
            "VALUES ('CMA-1', 'in', 'imported', 'cz-meteo@cityops.example', ?, 'Alert')",
            [NOW],
        )
    )
    with pytest.raises(WarningRefused, match="only its own sender") as refused:
        ws.follow_up(store, config, ALICE, "CMA-1", "Update", {}, now=NOW)
    assert refused.value.status == 409
    with pytest.raises(WarningRefused, match="no warning") as refused:
        ws.follow_up(store, config, ALICE, "CN-nothing", "Cancel", {}, now=NOW)
    assert refused.value.status == 404
    # our own published alert under an earlier sender name: not ours to follow up any more
    published = _published(store, config, content())
    store.write(
        lambda tx: tx.execute(
            "UPDATE alerts SET sender = 'old@chaozhou.example' WHERE identifier = ?", [published]
        )
    )
    with pytest.raises(WarningRefused, match="only its own sender"):
        ws.follow_up(store, config, ALICE, published, "Cancel", {}, now=NOW)


def test_a_follow_up_keeps_the_original_status(world):
    store, config = world
    first = _published(store, config, content())
    with pytest.raises(WarningInvalid, match="status must stay Exercise"):
        ws.follow_up(store, config, ALICE, first, "Update", {"status": "Actual"}, now=NOW)


def test_roles_and_scopes_are_checked_by_the_service(world):
    store, config = world
    for who in (Actor("op", "operator", CITY), BOB, Actor("d", "dispatcher", CITY)):
        with pytest.raises(WarningRefused, match="may not draft") as refused:
            ws.draft(store, config, who, content(), now=NOW)
        assert refused.value.status == 403
    district = Actor("xq", "emergency", Scope("district", ("445102",)))
    with pytest.raises(WarningRefused, match="city-wide scope"):
        ws.draft(store, config, district, content(), now=NOW)
    identifier = ws.draft(store, config, ALICE, content(), now=NOW)
    with pytest.raises(WarningRefused, match="may not approve"):
        ws.approve(store, config, Actor("op", "operator", CITY), identifier, now=NOW)
    ws.approve(store, config, BOB, identifier, now=NOW)
    with pytest.raises(WarningRefused, match="may not publish"):
        ws.publish(store, config, BOB, identifier, now=NOW)
    with pytest.raises(WarningRefused, match="may not read"):
        ws.view(store, config, Actor("g", "grid_worker", CITY), identifier, now=NOW)
    seen = ws.view(store, config, Actor("op", "operator", CITY), identifier, now=NOW)
    assert seen["state"] == "approved" and seen["allowed_actions"] == []
    assert ws.view(store, config, ALICE, identifier, now=NOW)["allowed_actions"] == [
        "edit",
        "publish",
    ]


def test_an_exercise_incident_takes_only_exercise_warnings_and_unknown_incidents_none(world):
    store, config = world
    with pytest.raises(WarningInvalid, match="must be Exercise"):
        ws.draft(store, config, ALICE, content(incident_id=INCIDENT, status="Actual"), now=NOW)
    with pytest.raises(WarningInvalid, match="no incident"):
        ws.draft(store, config, ALICE, content(incident_id="INC-NONE"), now=NOW)


def test_an_expired_warning_is_not_approved_nor_published(world):
    store, config = world
    identifier = ws.draft(store, config, ALICE, content(), now=NOW)
    late = NOW + timedelta(days=2)
    with pytest.raises(WarningRefused, match="expired"):
        ws.approve(store, config, BOB, identifier, now=late)
    ws.approve(store, config, BOB, identifier, now=NOW)
    with pytest.raises(WarningRefused, match="expired"):
        ws.publish(store, config, ALICE, identifier, now=late)
    assert get_warning(store, identifier).state == "approved"
    assert store.query_value("SELECT count(*) FROM mqtt_outbox") == 0


def test_invalid_cap_is_refused_before_publishing():
    with pytest.raises(WarningRefused, match="not valid CAP 1.2") as refused:
        ws.check_cap(
            '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier>'
            "</alert>",
            metric_crs="EPSG:32650",
        )
    assert refused.value.status == 422


def test_reach_counts_cells_shares_and_population(world):
    store, config = world
    identifier = ws.draft(store, config, ALICE, content(), now=NOW)
    reach = ws.view(store, config, ALICE, identifier, now=NOW)["reach"]
    cells = {c["cell_code"]: c for c in reach["cells"]}
    assert set(cells) == {"445102001001001", "445102001001002"}
    assert cells["445102001001001"]["share"] == pytest.approx(1.0, abs=1e-3)
    assert cells["445102001001002"]["share"] == pytest.approx(0.5, abs=1e-2)
    assert reach["population"] == pytest.approx(2000, abs=20)
    assert reach["cells_without_population"] == 0 and reach["grid_version"] == 1
    # the whole street: one cell has no estimate, said so; the figure is of the others
    street, geometry = ws.preview_reach(store, config, ALICE, {"codes": ["445102001"]})
    assert len(street.cells) == 4 and street.cells_without_population == 1
    assert street.population == pytest.approx(7000, abs=70)
    assert geometry["type"] == "Polygon"


def test_identifiers_are_unique_within_the_same_second_and_stable(world):
    store, config = world
    first = ws.draft(store, config, ALICE, content(), now=NOW)
    second = ws.draft(store, config, CAROL, content(), now=NOW)
    assert (first, second) == ("CN-445100-20261124080000-1", "CN-445100-20261124080000-2")
    ws.edit(store, config, ALICE, first, {"severity": "Minor"}, now=LATER)
    ws.approve(store, config, BOB, first, now=LATER)
    ws.publish(store, config, ALICE, first, now=LATER)
    assert parse_cap(published_xml(store, first)).identifier == first  # kept through it all
