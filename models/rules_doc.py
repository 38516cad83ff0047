"""The alarm rules in force: the shipped models/data/rules.yaml until an administrator saves
an edited version (settings document ``rules``), then the newest saved version. Also the
checks of an edited YAML text, with the line of each problem."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from models.rules import Rule, load_rules, rule_problems, rules_from_entries, with_stale_entry
from models.settings_docs import (
    SettingsDoc,
    SettingsDocError,
    current_doc,
    doc_history,
    doc_version,
    save_doc,
)
from models.store import Store
from models.yaml_text import YamlTextError, compose_admin_yaml, load_admin_yaml

DOC_NAME = "rules"
#: Said when a rules text has no enabled rule of its own (it would switch every alarm off).
NO_ENABLED_RULE = (
    "the rule set has no enabled rule: saving it would switch every alarm off; "
    "to switch single rules off, write 'enabled: false' on them and keep at least one on"
)


def shipped_rules_path() -> Path:
    return Path(str(resources.files("models") / "data" / "rules.yaml"))


@dataclass(frozen=True)
class RulesText:
    """The rules in force as YAML text: ``version`` 0 is the shipped file."""

    text: str
    version: int
    saved_at: datetime | None = None
    saved_by: str | None = None


def _lines_of_entries(text: str) -> list[int]:
    """The 1-based line where each entry of the ``rules:`` list starts ([] if unknown)."""
    try:
        root = compose_admin_yaml(text)
    except YamlTextError:
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if getattr(key, "value", None) == "rules" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def parse_rules_text(text: str) -> tuple[list[Any], list[str]]:
    """The raw entries of a rules YAML text and the problems reading it (never raises).

    Returns
    -------
    (entries, problems)
        ``problems`` is empty when the text is YAML with a top-level ``rules:`` list.
    """
    if not isinstance(text, str) or not text.strip():
        return [], ["the rules text is empty"]
    try:
        raw = load_admin_yaml(text)
    except YamlTextError as exc:
        return [], [str(exc)]
    entries = raw.get("rules") if isinstance(raw, Mapping) else None
    if not isinstance(entries, list):
        return [], ["expected a top-level 'rules:' list"]
    return entries, []


def rules_text_problems(text: str, *, categories: Collection[str] | None = None) -> list[str]:
    """Every problem of an edited rules text, each with the line of its rule when known."""
    entries, problems = parse_rules_text(text)
    if problems:
        return problems
    if not any(isinstance(e, Mapping) and e.get("enabled", True) is not False for e in entries):
        return [NO_ENABLED_RULE]
    lines = _lines_of_entries(text)
    line_of: dict[str, int] = {}
    for i, entry in enumerate(entries):
        rid = str(entry.get("rule_id") or f"rule #{i + 1}") if isinstance(entry, Mapping) else ""
        if i < len(lines):
            line_of.setdefault(rid or f"rule #{i + 1}", lines[i])
    out = []
    for problem in rule_problems(with_stale_entry(entries), categories=categories):
        rid = problem.split(":", 1)[0]
        out.append(f"line {line_of[rid]}: {problem}" if rid in line_of else problem)
    return out


def _body_problems(body: Any, categories: Collection[str] | None) -> list[str]:
    if not isinstance(body, Mapping) or not isinstance(body.get("text"), str):
        return ["a rules document holds the YAML text"]
    return rules_text_problems(body["text"], categories=categories)


def rules_in_force(store: Store) -> list[Rule]:
    """The rules the alarm engine applies: the newest saved version, else the shipped file.

    Raises
    ------
    ValueError
        The saved version no longer validates (it did when saved).
    """
    doc = current_doc(store, DOC_NAME)
    if doc is None:
        return load_rules()
    entries, problems = parse_rules_text(doc.body.get("text", ""))
    if problems:
        raise ValueError(f"rules version {doc.doc_id}: " + "; ".join(problems))
    return rules_from_entries(entries, source=f"rules version {doc.doc_id}")


def rules_version(store: Store) -> int:
    """The version of the rules in force (0: the shipped file); cheap, for each pass."""
    return doc_version(store, DOC_NAME)


def rules_text_in_force(store: Store) -> RulesText:
    doc = current_doc(store, DOC_NAME)
    if doc is None:
        return RulesText(shipped_rules_path().read_text(encoding="utf-8"), 0)
    return RulesText(doc.body["text"], doc.doc_id, doc.saved_at, doc.saved_by)


def save_rules_text(
    store: Store,
    text: str,
    *,
    actor: str,
    categories: Collection[str] | None = None,
    note: str | None = None,
) -> SettingsDoc:
    """Validate and save an edited rules text as the new version in force (audited).

    Raises
    ------
    SettingsDocError
        Nothing saved; ``problems`` lists why (with lines).
    """
    entries, _ = parse_rules_text(text)
    body = {"text": text, "rules": entries}
    return save_doc(
        store,
        DOC_NAME,
        body,
        actor=actor,
        validate=lambda b: _body_problems(b, categories),
        note=note,
    )


def rules_history(store: Store, *, limit: int = 50) -> list[SettingsDoc]:
    return doc_history(store, DOC_NAME, limit=limit)


def restore_rules_version(store: Store, doc_id: int, *, actor: str) -> SettingsDoc:
    """Save an older version again, as the newest (the history is never rewritten); version
    0 is the shipped file.

    Raises
    ------
    SettingsDocError
        No such version, or it no longer validates.
    """
    if doc_id == 0:
        text = shipped_rules_path().read_text(encoding="utf-8")
    else:
        older = next((d for d in rules_history(store, limit=10_000) if d.doc_id == doc_id), None)
        if older is None:
            raise SettingsDocError(DOC_NAME, [f"no rules version {doc_id}"])
        text = older.body.get("text", "")
    return save_rules_text(store, text, actor=actor, note=f"restored version {doc_id}")


__all__ = [
    "DOC_NAME",
    "NO_ENABLED_RULE",
    "RulesText",
    "parse_rules_text",
    "restore_rules_version",
    "rules_history",
    "rules_in_force",
    "rules_text_in_force",
    "rules_text_problems",
    "rules_version",
    "save_rules_text",
    "shipped_rules_path",
]
