"""The incident words of the catalog (assets/i18n/*/incidents.json) cover what the models
name: statuses, sources, timeline kinds, plan phases, refusal codes, camera classes."""

from __future__ import annotations

import re
from pathlib import Path

from app.i18n import catalog
from models.emergency.cameras import CAMERA_CLASSES
from models.emergency.incident_rules import SOURCE_KINDS, STATUSES
from models.emergency.plans import PHASES
from models.emergency.timeline import KINDS

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("incident_rules", "incidents", "plan_tasks", "incident_sources", "incident_access")


def _refusal_codes() -> set[str]:
    """The codes the incident models refuse with (bad(..., "code"), IncidentError(..., "code")
    and the field names check_text reports)."""
    codes = set()
    for name in MODULES:
        text = (ROOT / "models" / "emergency" / f"{name}.py").read_text(encoding="utf-8")
        for call in re.findall(r"(?:\bbad|IncidentError)\(([^()]*(?:\([^()]*\)[^()]*)*)\)", text):
            codes |= set(re.findall(r',\s*"([a-z_]+)"\s*(?:,|$)', call.strip()))
        codes |= set(re.findall(r'check_text\(\w+, "([a-z_]+)"', text))
    return codes


def test_every_word_the_models_name_has_its_label():
    keys = [f"incident.status.{s}" for s in STATUSES]
    keys += [f"incident.source.{s}" for s in SOURCE_KINDS]
    keys += [f"incident.event.{k}" for k in KINDS]
    keys += [f"incident.phase.{p}" for p in PHASES]
    keys += [f"camera_class.{n}" for n in CAMERA_CLASSES]
    codes = _refusal_codes()
    assert {"type", "level", "outside", "not_found", "closed", "no_plan"} <= codes, codes
    keys += [f"incident.error.{c}" for c in codes]
    for lang in ("zh", "en"):
        words = catalog(lang)
        missing = [k for k in keys if k not in words]
        assert not missing, (lang, missing)
    zh = catalog("zh")
    assert zh["incident.phase.evacuate"] == PHASES["evacuate"][0] == "转移安置"
