"""Reading outbound warnings (CAP alerts out): one with its workflow state, lists, the chain of
alerts an Update or Cancel refers to, and the alerts current on the public feed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.emergency.warning_content import WarningContent, content_from_json
from models.store import Store

#: Workflow states of an outbound warning (inbound alerts are ``imported``).
STATES = ("draft", "approved", "published")
MSG_TYPES = ("Alert", "Update", "Cancel")
_COLUMNS = (
    "identifier, state, msg_type, sender, draft, drafted_by, drafted_at, approved_by, "
    "approved_at, published_at, sent, xml, references_id, incident_id, exercise, expires"
)
#: Longest chain of Updates followed back to the first alert.
MAX_CHAIN = 200


@dataclass(frozen=True)
class WarningRecord:
    """One outbound warning; ``draft`` is the stored JSON as it was when read (the version
    an approval or publication must still find)."""

    identifier: str
    state: str
    msg_type: str
    sender: str
    content: WarningContent
    area: dict[str, Any]
    editors: tuple[str, ...]
    drafted_by: str
    drafted_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    published_at: datetime | None
    sent: datetime | None
    xml: str | None
    references_id: str | None
    incident_id: str | None
    exercise: bool
    expires: datetime
    draft: str
    #: published follow-ups referencing this one: (identifier, msg_type), oldest first
    followed_by: tuple[tuple[str, str], ...] = ()

    @property
    def cancelled_by(self) -> str | None:
        return next((i for i, t in self.followed_by if t == "Cancel"), None)

    @property
    def updated_by(self) -> str | None:
        return next((i for i, t in self.followed_by if t == "Update"), None)

    def is_current(self, now: datetime) -> bool:
        """Published, not expired, neither cancelled nor replaced by an Update."""
        return self.state == "published" and self.expires > now and not self.followed_by


def draft_document(content: dict[str, Any], area: dict[str, Any], editors: list[str]) -> str:
    """The ``draft`` column: the content, the area as it will be published, who wrote it."""
    return json.dumps(
        {"content": content, "area": area, "editors": editors}, ensure_ascii=False, sort_keys=True
    )


def _record(row: tuple, followed: tuple[tuple[str, str], ...]) -> WarningRecord:
    identifier, state, msg_type, sender, draft, drafted_by, drafted_at = row[:7]
    approved_by, approved_at, published_at, sent, xml, references_id = row[7:13]
    incident_id, exercise, expires = row[13:]
    doc = json.loads(draft)
    return WarningRecord(
        identifier=identifier,
        state=state,
        msg_type=msg_type,
        sender=sender,
        content=content_from_json(doc["content"]),
        area=doc["area"],
        editors=tuple(doc["editors"]),
        drafted_by=drafted_by,
        drafted_at=drafted_at,
        approved_by=approved_by,
        approved_at=approved_at,
        published_at=published_at,
        sent=sent,
        xml=xml,
        references_id=references_id,
        incident_id=incident_id,
        exercise=bool(exercise),
        expires=expires,
        draft=draft,
        followed_by=followed,
    )


def _followers(fetch: Any, identifiers: list[str]) -> dict[str, tuple[tuple[str, str], ...]]:
    if not identifiers:
        return {}
    rows = fetch(
        "SELECT references_id, identifier, msg_type FROM alerts WHERE direction = 'out' "
        "AND state = 'published' AND references_id IN (SELECT unnest(?::VARCHAR[])) "
        "ORDER BY published_at, identifier",
        [identifiers],
    )
    out: dict[str, tuple[tuple[str, str], ...]] = {}
    for ref, identifier, msg_type in rows:
        out[ref] = (*out.get(ref, ()), (identifier, msg_type))
    return out


def read_warning(fetch: Any, identifier: str) -> WarningRecord | None:
    """One outbound warning through ``fetch`` (``store.query_rows`` or a transaction's
    ``tx.fetch``), or None."""
    rows = fetch(
        f"SELECT {_COLUMNS} FROM alerts WHERE identifier = ? AND direction = 'out' "
        "AND draft IS NOT NULL",
        [identifier],
    )
    if not rows:
        return None
    return _record(rows[0], _followers(fetch, [identifier]).get(identifier, ()))


def get_warning(store: Store, identifier: str) -> WarningRecord | None:
    """One outbound warning, or None (unknown, or an inbound alert)."""
    return read_warning(store.query_rows, identifier)


def list_warnings(
    store: Store,
    *,
    states: tuple[str, ...] = STATES,
    incident_id: str | None = None,
    limit: int = 200,
) -> list[WarningRecord]:
    """Outbound warnings in ``states``, newest first (of one incident when given)."""
    where, params = "state IN (SELECT unnest(?::VARCHAR[]))", [list(states)]
    if incident_id is not None:
        where += " AND incident_id = ?"
        params.append(incident_id)
    rows = store.query_rows(
        f"SELECT {_COLUMNS} FROM alerts WHERE direction = 'out' AND draft IS NOT NULL "
        f"AND {where} ORDER BY drafted_at DESC, identifier DESC LIMIT ?",
        [*params, limit],
    )
    followed = _followers(store.query_rows, [r[0] for r in rows])
    return [_record(r, followed.get(r[0], ())) for r in rows]


def current_warnings(store: Store, *, now: datetime) -> list[WarningRecord]:
    """Published warnings in force at ``now``, newest first: not expired, not cancelled
    nor replaced by a published Update (a Cancel itself stays listed until it expires, so
    a feed reader learns of it)."""
    rows = store.query_rows(
        f"SELECT {_COLUMNS} FROM alerts a WHERE direction = 'out' AND state = 'published' "
        "AND draft IS NOT NULL AND expires > ? AND NOT EXISTS (SELECT 1 FROM alerts b "
        "WHERE b.direction = 'out' AND b.state = 'published' "
        "AND b.references_id = a.identifier) ORDER BY sent DESC, identifier DESC",
        [now],
    )
    return [_record(r, ()) for r in rows]


def published_xml(store: Store, identifier: str) -> str | None:
    """The XML of a published outbound warning (None: unknown, a draft, or inbound)."""
    return store.query_value(
        "SELECT xml FROM alerts WHERE identifier = ? AND direction = 'out' AND state = 'published'",
        [identifier],
    )


def reference_chain(fetch: Any, identifier: str) -> list[tuple[str, str, datetime]]:
    """(sender, identifier, sent UTC) of ``identifier`` and every alert before it that it
    updates, oldest first: what a follow-up's ``<references>`` names."""
    chain: list[tuple[str, str, datetime]] = []
    current: str | None = identifier
    while current is not None and len(chain) < MAX_CHAIN:
        rows = fetch(
            "SELECT sender, sent, references_id FROM alerts WHERE identifier = ? "
            "AND direction = 'out' AND state = 'published'",
            [current],
        )
        if not rows:
            break
        sender, sent, previous = rows[0]
        chain.append((sender, current, sent))
        current = previous
    return chain[::-1]
