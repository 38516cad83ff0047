"""The warning workflow (CAP 1.2 out): draft → approve by a second person → publish, edits
sending an approved warning back to draft, Update and Cancel of a published alert of ours.

Each step runs in one write transaction that checks the state it expects again (the single
writer makes check and change one). Publication stores the final XML (composed and checked
against the OASIS schema by the caller), queues it on the MQTT outbox and appends the
incident's timeline entry, all in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import shapely

from models.emergency.timeline import append_event
from models.emergency.warning_area import resolve_area
from models.emergency.warning_content import (
    WarningContent,
    WarningInvalid,
    content_json,
    parse_warning_content,
)
from models.emergency.warning_records import (
    WarningRecord,
    draft_document,
    get_warning,
    read_warning,
)
from models.outbox import enqueue
from models.store import Store, WriteTx

#: Who may do what (the server checks; the screen only hides).
DRAFT_ROLES = frozenset({"emergency", "admin"})
PUBLISH_ROLES = DRAFT_ROLES
APPROVE_ROLES = frozenset({"emergency", "leader", "admin"})
READ_ROLES = APPROVE_ROLES | {"operator"}


class WarningRefused(Exception):
    """A workflow step refused: ``status`` as HTTP would say it (403 the person or role may
    not, 404 no such warning, 409 its state does not allow it), ``message`` why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Issuer:
    """In whose name warnings go out, and how identifiers and times are formed."""

    sender: str  # emergency.cap_sender
    city_code: str  # city.adcode: CN-<city_code>-<local time>-<n>
    tz: str  # calendar.timezone
    metric_crs: str  # map.metric_crs


def local_time(at: datetime, tz: str) -> datetime:
    """A naive UTC time in the zone ``tz`` (aware)."""
    return at.replace(tzinfo=UTC).astimezone(ZoneInfo(tz))


def _new_identifier(tx: WriteTx, issuer: Issuer, now: datetime) -> str:
    prefix = f"CN-{issuer.city_code}-{local_time(now, issuer.tz):%Y%m%d%H%M%S}-"
    taken = tx.fetch("SELECT count(*) FROM alerts WHERE identifier LIKE ? || '%'", [prefix])
    return f"{prefix}{int(taken[0][0]) + 1}"


def _check_incident(tx: WriteTx, content: WarningContent) -> None:
    if content.incident_id is None:
        return
    rows = tx.fetch("SELECT exercise FROM incidents WHERE incident_id = ?", [content.incident_id])
    if not rows:
        raise WarningInvalid(f"incident_id: no incident {content.incident_id}")
    if rows[0][0] and not content.exercise:
        raise WarningInvalid(
            f"incident {content.incident_id} is an exercise: the warning's status must be Exercise"
        )


def _no_original(fetch: Any, original_id: str) -> None:
    """Why a follow-up of an alert that is no warning of ours is refused (always raises)."""
    other = fetch("SELECT sender FROM alerts WHERE identifier = ?", [original_id])
    if other:
        raise WarningRefused(
            409, f"{original_id} is an alert of {other[0][0]}: only its own sender may "
            "update or cancel it",
        )  # fmt: skip
    raise WarningRefused(404, f"no warning {original_id}")


def _check_original(
    tx: WriteTx, original_id: str, content: WarningContent, *, sender: str, now: datetime
) -> WarningRecord:
    """The published alert of ours a follow-up refers to, or why it may not."""
    original = read_warning(tx.fetch, original_id)
    if original is None:
        _no_original(tx.fetch, original_id)
    if original.sender != sender:
        raise WarningRefused(
            409, f"{original_id} was sent by {original.sender}: only its own sender may "
            "update or cancel it",
        )  # fmt: skip
    if original.state != "published":
        raise WarningRefused(
            409, f"{original_id} is not published (it is {original.state}): only a "
            "published alert may be updated or cancelled",
        )  # fmt: skip
    if original.msg_type == "Cancel":
        raise WarningRefused(409, f"{original_id} is a Cancel: it may not be updated or cancelled")
    if original.followed_by:
        later, kind = original.followed_by[0]
        raise WarningRefused(
            409, f"{original_id} was already {'cancelled' if kind == 'Cancel' else 'updated'} "
            f"by {later}: refer to that one",
        )  # fmt: skip
    if original.expires <= now:
        raise WarningRefused(409, f"{original_id} has expired")
    if content.status != original.content.status:
        raise WarningInvalid(f"status must stay {original.content.status}, as {original_id}'s")
    return original


def _columns(content: WarningContent, geometry: shapely.Geometry) -> dict[str, Any]:
    return {
        "severity": content.severity,
        "headline": content.headline.zh,
        "area_wkb": shapely.to_wkb(geometry, output_dimension=2),
        "exercise": content.exercise,
        "expires": content.expires,
        "incident_id": content.incident_id,
    }


def draft_warning(
    store: Store,
    content: WarningContent,
    *,
    issuer: Issuer,
    actor: str,
    now: datetime,
    msg_type: str = "Alert",
    references_id: str | None = None,
) -> str:
    """Store a new draft; returns its identifier (``CN-445100-20261124080000-1``).

    Raises
    ------
    WarningInvalid
        The area names an unknown code or is too large, the incident is unknown or an
        exercise while the warning is not.
    WarningRefused
        A follow-up (Update, Cancel) of an alert that is not a published one of ours, or no
        longer current.
    """
    if msg_type not in ("Alert", "Update", "Cancel") or (msg_type == "Alert") != (
        references_id is None
    ):
        raise ValueError("an Alert refers to nothing; an Update or Cancel to one alert")
    area = resolve_area(store, content.area, metric_crs=issuer.metric_crs)
    draft = draft_document(content_json(content), area.as_json(), [actor])

    def write(tx: WriteTx) -> str:
        _check_incident(tx, content)
        if references_id is not None:
            _check_original(tx, references_id, content, sender=issuer.sender, now=now)
        identifier = _new_identifier(tx, issuer, now)
        row = {
            "identifier": identifier,
            "direction": "out",
            "state": "draft",
            "sender": issuer.sender,
            "msg_type": msg_type,
            "drafted_by": actor,
            "drafted_at": now,
            "draft": draft,
            "references_id": references_id,
            **_columns(content, area.geometry),
        }
        marks = ", ".join("?" for _ in row)
        tx.execute(f"INSERT INTO alerts ({', '.join(row)}) VALUES ({marks})", list(row.values()))
        return identifier

    return store.write(write)


def follow_up_content(
    original: WarningRecord, changes: Mapping[str, Any], *, now: datetime
) -> WarningContent:
    """The content of an Update or Cancel: the original's with ``changes`` over it (the
    top-level fields given replace the original's)."""
    if not isinstance(changes, Mapping):
        raise WarningInvalid("the changes must be a JSON object")
    merged = {**content_json(original.content), **changes}
    return parse_warning_content(merged, now=now)


def draft_follow_up(
    store: Store,
    original_id: str,
    msg_type: str,
    changes: Mapping[str, Any],
    *,
    issuer: Issuer,
    actor: str,
    now: datetime,
) -> str:
    """A new draft Update or Cancel of the published warning ``original_id``; returns its
    identifier. It goes through approval and publication like any warning."""
    if msg_type not in ("Update", "Cancel"):
        raise ValueError(f"not a follow-up: {msg_type}")
    original = get_warning(store, original_id)
    if original is None:
        _no_original(store.query_rows, original_id)
        raise AssertionError("unreachable")
    content = follow_up_content(original, changes, now=now)
    return draft_warning(
        store, content, issuer=issuer, actor=actor, now=now, msg_type=msg_type,
        references_id=original_id,
    )  # fmt: skip


def _editable(tx: WriteTx, identifier: str) -> WarningRecord:
    record = read_warning(tx.fetch, identifier)
    if record is None:
        raise WarningRefused(404, f"no warning {identifier}")
    return record


def edit_warning(
    store: Store,
    identifier: str,
    content: WarningContent,
    *,
    issuer: Issuer,
    actor: str,
    now: datetime,
) -> None:
    """Replace a draft's or an approved warning's content; an approved one goes back to
    draft (its approval was of the old text). A published warning is changed by an Update."""
    area = resolve_area(store, content.area, metric_crs=issuer.metric_crs)

    def write(tx: WriteTx) -> None:
        record = _editable(tx, identifier)
        if record.state == "published":
            raise WarningRefused(409, f"{identifier} is published: send an Update instead")
        _check_incident(tx, content)
        if record.references_id is not None:
            _check_original(tx, record.references_id, content, sender=record.sender, now=now)
        editors = [*record.editors, *([] if actor in record.editors else [actor])]
        cols = {
            **_columns(content, area.geometry),
            "draft": draft_document(content_json(content), area.as_json(), editors),
            "state": "draft",
            "approved_by": None,
            "approved_at": None,
        }
        sets = ", ".join(f"{c} = ?" for c in cols)
        tx.execute(
            f"UPDATE alerts SET {sets}, change_seq = nextval('change_seq') WHERE identifier = ?",
            [*cols.values(), identifier],
        )

    store.write(write)


def approve_warning(
    store: Store, identifier: str, *, actor: str, now: datetime, seen_draft: str | None = None
) -> None:
    """Approve a draft: never by one who wrote it (the drafter or any editor).

    ``seen_draft`` (the ``draft`` the approver read) refuses the approval when the text
    changed since (409)."""

    def write(tx: WriteTx) -> None:
        record = _editable(tx, identifier)
        if record.state != "draft":
            raise WarningRefused(409, f"{identifier} is {record.state}, not a draft to approve")
        if actor in record.editors:
            raise WarningRefused(
                403, f"{actor} wrote {identifier}: a second person must approve it"
            )
        if seen_draft is not None and seen_draft != record.draft:
            raise WarningRefused(409, f"{identifier} changed since it was read: read it again")
        if record.expires <= now:
            raise WarningRefused(409, f"{identifier} has expired: edit its times first")
        tx.execute(
            "UPDATE alerts SET state = 'approved', approved_by = ?, approved_at = ?, "
            "change_seq = nextval('change_seq') WHERE identifier = ?",
            [actor, now, identifier],
        )

    store.write(write)


def publish_warning(
    store: Store,
    identifier: str,
    *,
    xml: str,
    sent: datetime,
    draft: str,
    topic: str,
    actor: str,
    now: datetime,
) -> None:
    """Publish an approved warning as ``xml`` (sent at ``sent``, naive UTC), composed from
    its ``draft`` as read: stored, queued on ``topic`` and on the incident's timeline."""

    def write(tx: WriteTx) -> None:
        record = _editable(tx, identifier)
        if record.state != "approved":
            raise WarningRefused(
                409, f"{identifier} is {record.state}: only an approved warning is published"
            )
        if record.draft != draft:
            raise WarningRefused(409, f"{identifier} changed while it was composed: try again")
        if record.expires <= now:
            raise WarningRefused(409, f"{identifier} has expired: edit its times first")
        if record.references_id is not None:
            _check_original(tx, record.references_id, record.content, sender=record.sender, now=now)
        tx.execute(
            "UPDATE alerts SET state = 'published', sent = ?, xml = ?, published_at = ?, "
            "change_seq = nextval('change_seq') WHERE identifier = ?",
            [sent, xml, now, identifier],
        )
        enqueue(tx, topic, xml.encode("utf-8"), now=now)
        if record.incident_id is not None:
            detail = {
                "identifier": identifier,
                "msg_type": record.msg_type,
                "status": record.content.status,
                "severity": record.content.severity,
                "headline": record.content.headline.zh,
                "references": record.references_id,
            }
            append_event(tx, record.incident_id, "warning", at=now, actor=actor, detail=detail)

    store.write(write)


def draft_json(record: WarningRecord) -> dict[str, Any]:
    """The stored draft document (content, area as published, editors)."""
    return dict(json.loads(record.draft))
