"""A handler reports a case handled with a photo of the result (处置后照片): the server asks for
it, so no screen or client can skip it (the tester moved a case to handled whose photo had
failed, and through the API without any). The dispatch centre, acting for a unit that has no
user (a phone call), is not asked; after a failed verification (rework) a new photo is."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from models.attachments import add_photo
from models.case_service import Actor, Refused, act
from models.config import load_config
from models.security import Scope
from models.store import Store
from tests.models.case_fixtures import CAL, DISPATCHER, MON, drive, new_case

HANDLER = Actor("xq_cg", "handler", Scope("unit", ("CG-445102",)))
WORKER = Actor("gw", "grid_worker", Scope("city"))  # the reporter of the fixtures' cases


@pytest.fixture(scope="module")
def world(demo_copy, tmp_path_factory):
    folder = demo_copy()
    config = load_config(folder / "config.yaml", environ={})
    store = Store(config.database_path)
    yield store, config, tmp_path_factory.mktemp("photos")
    store.close()


def _photo(world, case_id: str, at, color=(30, 160, 60)) -> None:
    store, config, photo_dir = world
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), color).save(buf, "JPEG")
    add_photo(store, HANDLER, case_id, buf.getvalue(), kind="handled", at=at,
              settings=config.settings.photos, photo_dir=photo_dir)  # fmt: skip


def test_a_handler_reports_handled_only_with_a_photo_of_the_result(world):
    store = world[0]
    case_id = new_case(store)
    drive(store, case_id, "handling")
    at = MON + timedelta(hours=2)
    with pytest.raises(Refused) as refused:
        act(store, HANDLER, case_id, "feedback", at=at, calendar=CAL)
    assert refused.value.status == 422 and "photo" in refused.value.message
    _photo(world, case_id, at)
    assert act(store, HANDLER, case_id, "feedback", at=at, calendar=CAL).stage == "handled"


def test_after_rework_a_new_photo_is_asked_for(world):
    store = world[0]
    case_id = new_case(store)
    drive(store, case_id, "handling")
    at = MON + timedelta(hours=2)
    _photo(world, case_id, at)
    act(store, HANDLER, case_id, "feedback", at=at, calendar=CAL)
    later = at + timedelta(hours=1)
    act(store, WORKER, case_id, "verify_fail", at=later, calendar=CAL, data={"reason": "仍有垃圾"})
    with pytest.raises(Refused):
        act(store, HANDLER, case_id, "feedback", at=later + timedelta(minutes=30), calendar=CAL)
    _photo(world, case_id, later + timedelta(minutes=30), color=(20, 120, 200))
    state = act(store, HANDLER, case_id, "feedback", at=later + timedelta(minutes=30), calendar=CAL)
    assert state.stage == "handled"


def test_the_centre_acting_for_a_unit_by_phone_is_not_asked(world):
    store = world[0]
    case_id = new_case(store)
    drive(store, case_id, "handling")
    state = act(store, DISPATCHER, case_id, "feedback", at=MON + timedelta(hours=2), calendar=CAL)
    assert state.stage == "handled"


def test_a_role_that_may_not_is_told_so_before_what_its_data_lacks(world):
    """403 before 422: a grid worker's 督办 without a note is refused for the role (the tester
    got '督办 needs a note' first)."""
    store = world[0]
    case_id = new_case(store)
    drive(store, case_id, "handling")
    with pytest.raises(Refused) as refused:
        act(store, WORKER, case_id, "supervise", at=MON + timedelta(hours=1), calendar=CAL)
    assert refused.value.status == 403
