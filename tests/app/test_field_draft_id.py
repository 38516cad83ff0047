"""A field report's draft id (a UUID made in the phone) is the case's external_id on both
ways in: the page's Dash callback and the case API the phone's outbox sends through; so the
same report sent both ways (or twice) makes one case."""

from __future__ import annotations

import uuid

from tests.app.test_field_callbacks import _cases, _submit, _text, world  # noqa: F401


def _api(world, draft: str):  # noqa: F811
    world["client"].environ_base["HTTP_X_REQUESTED_WITH"] = "XMLHttpRequest"
    return world["client"].post(
        "/api/v1/cases",
        json={
            "category": "0203",
            "lon": world["lon"],
            "lat": world["lat"],
            "text": "垃圾满溢",  # the page strips the text it was given
            "external_id": f"field:{draft}",
        },
    )


def test_the_page_and_the_api_share_the_draft_id(world):  # noqa: F811
    draft = str(uuid.uuid4())
    before = _cases(world)
    text = _text(_submit(world, trigger="field-report-confirm", token=draft))
    assert "已上报" in text, text
    made = world["store"].query_value(
        "SELECT case_id FROM cases WHERE external_id = ?", [f"field:{draft}"]
    )
    assert made is not None
    again = _api(world, draft)
    assert again.status_code == 200, again.get_json()
    assert again.get_json() == {"id": made, "stage": "reported", "created": False}
    assert _cases(world) == before + 1


def test_the_api_first_then_the_page_says_sent_already(world):  # noqa: F811
    draft = str(uuid.uuid4())
    before = _cases(world)
    first = _api(world, draft)
    assert first.status_code == 201, first.get_json()
    text = _text(_submit(world, trigger="field-report-confirm", token=draft))
    assert "已提交" in text, text
    # the draft is done: its id is cleared, so the phone makes a new one for the next report
    assert '"field-report-token": {"data": null}' in text, text
    assert _cases(world) == before + 1


def test_an_upper_case_or_braced_uuid_is_not_a_draft_id(world):  # noqa: F811
    before = _cases(world)
    for token in (str(uuid.uuid4()).upper(), "{" + str(uuid.uuid4()) + "}", "a" * 36):
        text = _text(_submit(world, trigger="field-report-confirm", token=token))
        assert "页面已过期" in text, token
    assert _cases(world) == before
