"""A refusal reads in the user's language on every screen (the tester saw field messages
with English server text after a Chinese heading): each coded refusal of the case service
has its text in both catalogs, stage and action names included; a refusal without a code
falls back to a heading by its status."""

from __future__ import annotations

import re

import pytest

from app.i18n import catalog
from app.refusals import refusal_text
from models.case_service import Refused

CODES = {
    "not_found": {"case": "C1"},
    "role": {"action": "dispatch"},
    "stage": {"action": "close", "stage": "handling"},
    "supervise_note": {},
    "no_suggestion": {},
    "unknown_unit": {"unit": "XX"},
    "merge_self": {},
    "merge_target": {"case": "C2"},
    "merge_closed": {"case": "C2", "stage": "closed"},
    "result_photo": {},
    "claim_finished": {"stage": "void"},
    "claimed": {"holder": "d2"},
    "changed": {},
    "override_reason": {},
}


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_reads_in_chinese_and_english(code):
    exc = Refused("english detail", 422, code=code, values=CODES[code])
    zh, en = refusal_text(exc, "zh"), refusal_text(exc, "en")
    assert re.search(r"[\u4e00-\u9fff]", zh) and "english detail" not in zh, zh
    assert not re.search(r"[\u4e00-\u9fff]", en.replace("督办", "")), en
    assert f"refusal.{code}" in catalog("zh") and f"refusal.{code}" in catalog("en")


def test_stage_and_action_names_are_the_readers():
    exc = Refused("x", 409, code="stage", values={"action": "close", "stage": "handling"})
    assert "结案" in refusal_text(exc, "zh") and "处置" in refusal_text(exc, "zh")
    assert "Handling" in refusal_text(exc, "en")


def test_without_a_code_a_heading_by_status():
    text = refusal_text(Refused("a leader may not add photos", 403), "zh")
    assert text.startswith("无权") and "a leader may not add photos" in text
