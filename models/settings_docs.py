"""Settings an administrator edits on /admin, kept in the store as versioned JSON documents
(sensor rules, calendar overrides, indicator targets, themes): save a validated version, read
the one in force and its history. The newest version per name is in force; a reader builds
its object again when the version it cached is no longer the newest (effective without a
restart, in every process that reads the store)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.clock import utcnow
from models.store import Store, WriteTx

#: The documents there are; a name not here is refused (no free-form keys in the store).
DOC_NAMES = ("rules", "calendar", "indicator_targets", "themes")

#: The largest document accepted (a rules file of the demo is ~10 KB).
MAX_DOC_BYTES = 512 * 1024


class SettingsDocError(ValueError):
    """A document was refused: unknown name, not JSON-serialisable, too big, or invalid;
    ``problems`` lists why (in the validator's words)."""

    def __init__(self, name: str, problems: list[str]):
        super().__init__(f"{name}: " + "; ".join(problems))
        self.name = name
        self.problems = problems


@dataclass(frozen=True)
class SettingsDoc:
    doc_id: int
    name: str
    body: Any
    saved_at: datetime
    saved_by: str
    note: str | None


def _check_name(name: str) -> None:
    if name not in DOC_NAMES:
        raise SettingsDocError(name, [f"unknown settings document {name!r}"])


def doc_version(store: Store, name: str) -> int:
    """The id of the version in force (0 when none was saved: the shipped files are in force).

    Cheap enough to call on every read of a cached object: one indexed lookup."""
    _check_name(name)
    value = store.query_value("SELECT max(doc_id) FROM settings_docs WHERE name = ?", [name])
    return int(value or 0)


def current_doc(store: Store, name: str) -> SettingsDoc | None:
    """The version in force, or None when none was saved."""
    _check_name(name)
    rows = store.query_rows(
        "SELECT doc_id, name, body, saved_at, saved_by, note FROM settings_docs "
        "WHERE name = ? ORDER BY doc_id DESC LIMIT 1",
        [name],
    )
    return _doc(rows[0]) if rows else None


def doc_history(store: Store, name: str, *, limit: int = 50) -> list[SettingsDoc]:
    """Saved versions, newest first."""
    _check_name(name)
    rows = store.query_rows(
        "SELECT doc_id, name, body, saved_at, saved_by, note FROM settings_docs "
        "WHERE name = ? ORDER BY doc_id DESC LIMIT ?",
        [name, int(limit)],
    )
    return [_doc(r) for r in rows]


def _doc(row: tuple) -> SettingsDoc:
    return SettingsDoc(int(row[0]), row[1], json.loads(row[2]), row[3], row[4], row[5])


def save_doc(
    store: Store,
    name: str,
    body: Any,
    *,
    actor: str,
    validate: Callable[[Any], list[str]],
    note: str | None = None,
    at: datetime | None = None,
) -> SettingsDoc:
    """Validate ``body`` and save it as the new version of ``name``; audited either way.

    Parameters
    ----------
    validate
        The document's own checks: the problems (empty when valid). A validator that raises
        is a refusal too, with its message.

    Raises
    ------
    SettingsDocError
        Nothing is written; the refusal is in the audit log.
    """
    _check_name(name)
    problems: list[str]
    try:
        text = json.dumps(body, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        problems = [f"not a JSON document: {exc}"]
    else:
        if len(text.encode()) > MAX_DOC_BYTES:
            problems = [f"document larger than {MAX_DOC_BYTES // 1024} KiB"]
        else:
            try:
                problems = list(validate(body))
            except (ValueError, TypeError, KeyError) as exc:
                problems = [str(exc)]
    if problems:
        store.audit(
            f"settings.{name}",
            actor=actor,
            outcome="rejected",
            detail="; ".join(problems)[:2000],
        )
        raise SettingsDocError(name, problems)
    when = at or utcnow()

    def write(tx: WriteTx) -> int:
        rows = tx.fetch(
            "INSERT INTO settings_docs (name, body, saved_at, saved_by, note) "
            "VALUES (?, ?, ?, ?, ?) RETURNING doc_id",
            [name, text, when, actor, note],
        )
        return int(rows[0][0])

    doc_id = store.write(write)
    store.audit(f"settings.{name}", actor=actor, target=str(doc_id), detail=note)
    return SettingsDoc(doc_id, name, json.loads(text), when, actor, note)


__all__ = [
    "DOC_NAMES",
    "MAX_DOC_BYTES",
    "SettingsDoc",
    "SettingsDocError",
    "current_doc",
    "doc_history",
    "doc_version",
    "save_doc",
]
