"""Warnings (CAP 1.2 out) for the /emergency screen and the API: role and scope checks, the
workflow of models.emergency.warnings, the XML composed and checked against the OASIS schema
at publication, and a warning as JSON with its reach.

Every function takes the caller (:class:`models.case_service.Actor`) and refuses with
:class:`WarningRefused` (403/404/409/422) or :class:`WarningInvalid` (bad content: 400).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import shapely

from ingest.cap import CapAlertRecord, parse_cap
from ingest.cap_compose import Envelope, warning_xml
from models.cap_schema import cap_schema_problems
from models.case_service import Actor
from models.config import Config
from models.emergency.warning_area import resolve_area, resolved_from_json
from models.emergency.warning_content import (
    Lang,
    WarningInvalid,
    content_json,
    parse_area,
    parse_warning_content,
)
from models.emergency.warning_reach import Reach, warning_reach
from models.emergency.warning_records import (
    STATES,
    WarningRecord,
    get_warning,
    list_warnings,
    reference_chain,
)
from models.emergency.warnings import (
    APPROVE_ROLES,
    DRAFT_ROLES,
    PUBLISH_ROLES,
    READ_ROLES,
    Issuer,
    WarningRefused,
    approve_warning,
    draft_follow_up,
    draft_warning,
    edit_warning,
    local_time,
    publish_warning,
)
from models.store import Store

__all__ = [
    "WarningInvalid",
    "WarningRefused",
    "allowed_actions",
    "approve",
    "draft",
    "edit",
    "follow_up",
    "issuer_of",
    "listing",
    "preview_reach",
    "publish",
    "require",
    "view",
]


def issuer_of(config: Config) -> Issuer:
    """The sender, city code, zone and metric CRS of this installation's warnings."""
    settings = config.settings
    return Issuer(
        sender=settings.emergency.cap_sender,
        city_code=settings.city.adcode,
        tz=settings.calendar.timezone,
        metric_crs=settings.map.metric_crs,
    )


def _may(who: Actor, roles: frozenset[str], what: str, *, city: bool = True) -> None:
    if who.role not in roles:
        raise WarningRefused(403, f"role {who.role!r} may not {what} warnings")
    if city and who.scope.kind != "city":
        raise WarningRefused(
            403, f"warnings go out in the city's name: {what} needs a city-wide scope, "
            f"not {who.scope.label()}",
        )  # fmt: skip


#: action -> (roles, whether a city-wide scope is needed)
ACTION_RULES: dict[str, tuple[frozenset[str], bool]] = {
    "read": (READ_ROLES, False),
    "draft": (DRAFT_ROLES, True),
    "edit": (DRAFT_ROLES, True),
    "approve": (APPROVE_ROLES, True),
    "publish": (PUBLISH_ROLES, True),
    "update": (DRAFT_ROLES, True),
    "cancel": (DRAFT_ROLES, True),
}


def require(who: Actor, action: str) -> None:
    """Refuse (403) ``who`` an action of :data:`ACTION_RULES` their role or scope does not
    allow (before a request's body is even read)."""
    roles, city = ACTION_RULES[action]
    _may(who, roles, action, city=city)


def _existing(store: Store, identifier: str) -> WarningRecord:
    record = get_warning(store, identifier)
    if record is None:
        raise WarningRefused(404, f"no warning {identifier}")
    return record


def draft(store: Store, config: Config, who: Actor, data: Any, *, now: datetime) -> str:
    """Compose a new warning (msgType Alert) as a draft; returns its identifier."""
    _may(who, DRAFT_ROLES, "draft")
    content = parse_warning_content(data, now=now)
    identifier = draft_warning(
        store, content, issuer=issuer_of(config), actor=who.username, now=now
    )
    store.audit("warning.draft", actor=who.username, target=identifier)
    return identifier


def edit(
    store: Store, config: Config, who: Actor, identifier: str, changes: Any, *, now: datetime
) -> None:
    """Change a draft or an approved warning (top-level fields of ``changes`` replace the
    stored ones); an approved warning goes back to draft."""
    _may(who, DRAFT_ROLES, "edit")
    record = _existing(store, identifier)
    if not isinstance(changes, Mapping):
        raise WarningInvalid("the changes must be a JSON object")
    content = parse_warning_content({**content_json(record.content), **changes}, now=now)
    edit_warning(store, identifier, content, issuer=issuer_of(config), actor=who.username, now=now)
    store.audit("warning.edit", actor=who.username, target=identifier)


def approve(store: Store, config: Config, who: Actor, identifier: str, *, now: datetime) -> None:
    """Approve a draft: a second person (never one who wrote it)."""
    del config
    _may(who, APPROVE_ROLES, "approve")
    _existing(store, identifier)
    try:
        approve_warning(store, identifier, actor=who.username, now=now)
    except WarningRefused as exc:
        outcome = "denied" if exc.status == 403 else "refused"
        store.audit(
            "warning.approve", actor=who.username, target=identifier, outcome=outcome,
            detail=exc.message,
        )  # fmt: skip
        raise
    store.audit("warning.approve", actor=who.username, target=identifier)


def compose_xml(store: Store, config: Config, record: WarningRecord, *, sent: datetime) -> str:
    """The CAP 1.2 XML of ``record`` as sent at ``sent`` (naive UTC)."""
    settings = config.settings
    area = record.area
    name = settings.emergency.cap_sender_name
    chain = [] if record.references_id is None else reference_chain(
        store.query_rows, record.references_id
    )  # fmt: skip
    envelope = Envelope(
        identifier=record.identifier,
        sender=record.sender,
        sender_name=Lang(name, name),
        sent=local_time(sent, settings.calendar.timezone),
        msg_type=record.msg_type,
        polygons=tuple(area["polygons"]),
        circles=tuple(area["circles"]),
        geocodes=tuple((a, b) for a, b in area["geocodes"]),
        area_description=Lang(area["description"]["zh"], area["description"]["en"]),
        references=tuple(chain),
    )
    return warning_xml(record.content, envelope)


def check_cap(xml: str, *, metric_crs: str) -> None:
    """Refuse (422) XML that breaks the OASIS CAP 1.2 schema or that our own reader refuses."""
    if problems := cap_schema_problems(xml):
        raise WarningRefused(
            422, "the composed alert is not valid CAP 1.2: " + "; ".join(problems)[:500]
        )
    parsed = parse_cap(xml, metric_crs=metric_crs)
    if not isinstance(parsed, CapAlertRecord):
        raise WarningRefused(422, f"the composed alert does not read back: {parsed.reason}")


def publish(store: Store, config: Config, who: Actor, identifier: str, *, now: datetime) -> str:
    """Publish an approved warning: the XML composed, checked against the schema, stored,
    queued to ``{mqtt.topic_prefix}/alerts/out``; returns the XML."""
    _may(who, PUBLISH_ROLES, "publish")
    record = _existing(store, identifier)
    if record.state != "approved":
        raise WarningRefused(
            409, f"{identifier} is {record.state}: only an approved warning is published"
        )
    sent = now.replace(microsecond=0)
    xml = compose_xml(store, config, record, sent=sent)
    check_cap(xml, metric_crs=config.settings.map.metric_crs)
    topic = f"{config.settings.mqtt.topic_prefix}/alerts/out"
    publish_warning(
        store, identifier, xml=xml, sent=sent, draft=record.draft, topic=topic,
        actor=who.username, now=now,
    )  # fmt: skip
    store.audit("warning.publish", actor=who.username, target=identifier, detail=topic)
    return xml


def follow_up(
    store: Store,
    config: Config,
    who: Actor,
    identifier: str,
    msg_type: str,
    changes: Any,
    *,
    now: datetime,
) -> str:
    """Draft an Update or Cancel of the published warning ``identifier`` (its content with
    ``changes`` over it); returns the new draft's identifier."""
    _may(who, DRAFT_ROLES, "update or cancel")
    new = draft_follow_up(
        store, identifier, msg_type, changes if changes is not None else {},
        issuer=issuer_of(config), actor=who.username, now=now,
    )  # fmt: skip
    store.audit(f"warning.{msg_type.lower()}", actor=who.username, target=new, detail=identifier)
    return new


def preview_reach(
    store: Store, config: Config, who: Actor, area: Any
) -> tuple[Reach, dict[str, Any]]:
    """The reach of an area being composed (before any draft), and its geometry as GeoJSON."""
    _may(who, DRAFT_ROLES, "compose", city=False)
    metric_crs = config.settings.map.metric_crs
    resolved = resolve_area(store, parse_area(area), metric_crs=metric_crs)
    reach = warning_reach(store, resolved.geometry, metric_crs=metric_crs)
    return reach, json.loads(shapely.to_geojson(resolved.geometry))


def allowed_actions(who: Actor, record: WarningRecord, *, now: datetime) -> list[str]:
    """What ``who`` may do with ``record`` now (the screen's buttons; the server checks)."""
    city = who.scope.kind == "city"
    out = []
    if city and who.role in DRAFT_ROLES and record.state in ("draft", "approved"):
        out.append("edit")
    approver = who.role in APPROVE_ROLES and who.username not in record.editors
    if city and approver and record.state == "draft":
        out.append("approve")
    if city and who.role in PUBLISH_ROLES and record.state == "approved":
        out.append("publish")
    open_alert = record.is_current(now) and record.msg_type != "Cancel"
    if city and who.role in DRAFT_ROLES and open_alert:
        out += ["update", "cancel"]
    return out


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat(timespec="seconds") + "Z"


def as_json(
    record: WarningRecord, who: Actor, *, now: datetime, reach: Reach | None = None
) -> dict[str, Any]:
    """A warning as the API and the screen show it (times UTC, ``Z``)."""
    published = record.state == "published"
    out = {
        "id": record.identifier,
        "state": record.state,
        "msg_type": record.msg_type,
        "status": record.content.status,
        "exercise": record.exercise,
        "sender": record.sender,
        "colour": record.content.colour,
        "content": content_json(record.content),
        "area": record.area,
        "references": record.references_id,
        "incident_id": record.incident_id,
        "drafted_by": record.drafted_by,
        "drafted_at": _iso(record.drafted_at),
        "editors": list(record.editors),
        "approved_by": record.approved_by,
        "approved_at": _iso(record.approved_at),
        "published_at": _iso(record.published_at),
        "sent": _iso(record.sent),
        "expires": _iso(record.expires),
        "current": record.is_current(now),
        "cancelled_by": record.cancelled_by,
        "updated_by": record.updated_by,
        "allowed_actions": allowed_actions(who, record, now=now),
        "xml_url": f"/cap/alerts/{record.identifier}.xml" if published else None,
        "xml": record.xml if published else None,
    }
    if reach is not None:
        out["reach"] = reach.as_json()
    return out


def view(
    store: Store, config: Config, who: Actor, identifier: str, *, now: datetime
) -> dict[str, Any]:
    """One warning with its reach (cells of the current grid and population) and, when
    published, its XML; the area's geometry as GeoJSON for the map."""
    _may(who, READ_ROLES, "read", city=False)
    record = _existing(store, identifier)
    metric_crs = config.settings.map.metric_crs
    geometry = resolved_from_json(record.area).geometry
    reach = warning_reach(store, geometry, metric_crs=metric_crs)
    out = as_json(record, who, now=now, reach=reach)
    out["geometry"] = json.loads(shapely.to_geojson(geometry))
    return out


def listing(
    store: Store,
    who: Actor,
    *,
    now: datetime,
    states: tuple[str, ...] = STATES,
    incident_id: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Warnings newest first (without reach), of one incident when given."""
    _may(who, READ_ROLES, "read", city=False)
    records = list_warnings(store, states=states, incident_id=incident_id, limit=limit)
    return [as_json(r, who, now=now) for r in records]
