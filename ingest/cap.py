"""CAP 1.2 alerts: a total parser from XML (via defusedxml) to a record, and the record back to XML.

``parse_cap(xml)`` never raises: it returns a :class:`CapAlertRecord` or a :class:`RejectedCap`
with the reason. DTDs, entities and external references are refused (XML bombs, XXE).
Areas are turned into one WGS84 (multi)polygon as WKB: CAP polygons are "lat,lon" pairs
(latitude first), circles "lat,lon radius_km", buffered in a metric CRS (EPSG:32650 default).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import defusedxml.ElementTree as DefusedET
import shapely
from defusedxml import DefusedXmlException

from ingest.cap_geometry import (
    DEFAULT_METRIC_CRS,
    InvalidCap,
    area_geometry,
)
from ingest.cap_references import foreign_reference
from ingest.time_window import DEFAULT_WINDOW, TimeWindow

NS = "urn:oasis:names:tc:emergency:cap:1.2"
MAX_CAP_BYTES = 1024 * 1024
STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPES = ("Public", "Restricted", "Private")
CATEGORIES = (
    "Geo",
    "Met",
    "Safety",
    "Security",
    "Rescue",
    "Fire",
    "Health",
    "Env",
    "Transport",
    "Infra",
    "CBRNE",
    "Other",
)
RESPONSE_TYPES = (
    "Shelter",
    "Evacuate",
    "Prepare",
    "Execute",
    "Avoid",
    "Monitor",
    "Assess",
    "AllClear",
    "None",
)
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown", "Very Likely")
_FORBIDDEN_ID = re.compile(r"[\s,<&]")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")


@dataclass(frozen=True)
class CapResource:
    resource_desc: str
    mime_type: str
    size: str | None = None
    uri: str | None = None
    deref_uri: str | None = None
    digest: str | None = None


@dataclass(frozen=True)
class CapArea:
    """One ``<area>``: polygons and circles kept as CAP text (lat first), geocodes as pairs."""

    area_desc: str
    polygons: tuple[str, ...] = ()
    circles: tuple[str, ...] = ()
    geocodes: tuple[tuple[str, str], ...] = ()
    altitude: str | None = None
    ceiling: str | None = None


@dataclass(frozen=True)
class CapInfo:
    category: tuple[str, ...]
    event: str
    urgency: str
    severity: str
    certainty: str
    language: str | None = None
    response_type: tuple[str, ...] = ()
    audience: str | None = None
    event_codes: tuple[tuple[str, str], ...] = ()
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str | None = None
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    web: str | None = None
    contact: str | None = None
    parameters: tuple[tuple[str, str], ...] = ()
    resources: tuple[CapResource, ...] = ()
    areas: tuple[CapArea, ...] = ()


@dataclass(frozen=True)
class CapAlertRecord:
    """A parsed CAP 1.2 ``<alert>``; ``area_wkb`` is the union of all areas (WGS84) or None."""

    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    scope: str
    infos: tuple[CapInfo, ...]
    source: str | None = None
    restriction: str | None = None
    addresses: str | None = None
    codes: tuple[str, ...] = ()
    note: str | None = None
    references: str | None = None
    incidents: str | None = None
    area_wkb: bytes | None = field(default=None, compare=True)

    @property
    def exercise(self) -> bool:
        return self.status == "Exercise"

    @property
    def sent_utc(self) -> datetime:
        """``sent`` as a UTC-naive timestamp, as the store keeps times."""
        return self.sent.astimezone(UTC).replace(tzinfo=None)

    @property
    def severity(self) -> str:
        """The most severe ``severity`` over all infos."""
        return min((i.severity for i in self.infos), key=SEVERITIES.index)

    @property
    def headline(self) -> str:
        first = self.infos[0]
        return first.headline or first.event


@dataclass(frozen=True)
class RejectedCap:
    """A CAP document that could not be accepted, with the reason (and identifier if known)."""

    reason: str
    identifier: str | None = None


def cap_tag(tag: str) -> str:
    """The namespaced (Clark notation) name of a CAP 1.2 element."""
    return f"{{{NS}}}{tag}"


def _text(parent: ET.Element, tag: str, *, required: bool = False, where: str = "") -> str | None:
    node = parent.find(cap_tag(tag))
    value = None if node is None or node.text is None else node.text.strip()
    if required and not value:
        raise InvalidCap(f"missing required element <{tag}>{where}")
    return value or None


def _req(parent: ET.Element, tag: str, where: str = "") -> str:
    value = _text(parent, tag, required=True, where=where)
    assert value is not None
    return value


def _all(parent: ET.Element, tag: str) -> tuple[str, ...]:
    return tuple(
        (n.text or "").strip() for n in parent.findall(cap_tag(tag)) if (n.text or "").strip()
    )


def _enum(value: str, allowed: tuple[str, ...], tag: str) -> str:
    if value not in allowed:
        raise InvalidCap(f"<{tag}> {value[:40]!r} is not one of {', '.join(allowed)}")
    return value


def _time(value: str | None, tag: str) -> datetime | None:
    if value is None:
        return None
    if not _TIME.match(value):
        raise InvalidCap(f"<{tag}> {value[:40]!r} is not a CAP date-time with a zone offset")
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidCap(f"<{tag}> {value[:40]!r}: {exc}") from None


def _pairs(parent: ET.Element, tag: str) -> tuple[tuple[str, str], ...]:
    out = []
    for node in parent.findall(cap_tag(tag)):
        name = _req(node, "valueName", f" in <{tag}>")
        out.append((name, _text(node, "value") or ""))
    return tuple(out)


def _area(node: ET.Element) -> CapArea:
    area = CapArea(
        area_desc=_req(node, "areaDesc", " in <area>"),
        polygons=_all(node, "polygon"),
        circles=_all(node, "circle"),
        geocodes=_pairs(node, "geocode"),
        altitude=_text(node, "altitude"),
        ceiling=_text(node, "ceiling"),
    )
    return area


def _resource(node: ET.Element) -> CapResource:
    return CapResource(
        resource_desc=_req(node, "resourceDesc", " in <resource>"),
        mime_type=_req(node, "mimeType", " in <resource>"),
        size=_text(node, "size"),
        uri=_text(node, "uri"),
        deref_uri=_text(node, "derefUri"),
        digest=_text(node, "digest"),
    )


def _info(node: ET.Element, n: int) -> CapInfo:
    where = f" in <info> #{n}"
    categories = _all(node, "category")
    if not categories:
        raise InvalidCap(f"missing required element <category>{where}")
    return CapInfo(
        category=tuple(_enum(c, CATEGORIES, "category") for c in categories),
        event=_req(node, "event", where),
        urgency=_enum(_req(node, "urgency", where), URGENCIES, "urgency"),
        severity=_enum(_req(node, "severity", where), SEVERITIES, "severity"),
        certainty=_enum(_req(node, "certainty", where), CERTAINTIES, "certainty"),
        language=_text(node, "language"),
        response_type=tuple(
            _enum(r, RESPONSE_TYPES, "responseType") for r in _all(node, "responseType")
        ),
        audience=_text(node, "audience"),
        event_codes=_pairs(node, "eventCode"),
        effective=_time(_text(node, "effective"), "effective"),
        onset=_time(_text(node, "onset"), "onset"),
        expires=_time(_text(node, "expires"), "expires"),
        sender_name=_text(node, "senderName"),
        headline=_text(node, "headline"),
        description=_text(node, "description"),
        instruction=_text(node, "instruction"),
        web=_text(node, "web"),
        contact=_text(node, "contact"),
        parameters=_pairs(node, "parameter"),
        resources=tuple(_resource(r) for r in node.findall(cap_tag("resource"))),
        areas=tuple(_area(a) for a in node.findall(cap_tag("area"))),
    )


def _parse(xml: str | bytes, metric_crs: str) -> CapAlertRecord:
    if len(xml) > MAX_CAP_BYTES:
        raise InvalidCap(f"CAP document larger than {MAX_CAP_BYTES} bytes")
    try:
        root = DefusedET.fromstring(xml, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise InvalidCap(
            f"refused unsafe XML ({type(exc).__name__}): DTDs and entities are not allowed in CAP"
        ) from None
    except ET.ParseError as exc:
        raise InvalidCap(f"not well-formed XML: {exc}") from None
    if root.tag != cap_tag("alert"):
        raise InvalidCap(f"root element is {root.tag!r}, expected <alert> in namespace {NS}")
    identifier = _req(root, "identifier")
    sender = _req(root, "sender")
    for tag, value in (("identifier", identifier), ("sender", sender)):
        if _FORBIDDEN_ID.search(value):
            raise InvalidCap(f"<{tag}> must not contain spaces, commas, '<' or '&'")
    sent = _time(_req(root, "sent"), "sent")
    assert sent is not None
    infos = tuple(_info(n, i + 1) for i, n in enumerate(root.findall(cap_tag("info"))))
    if not infos:
        raise InvalidCap("missing required element <info>")
    record = CapAlertRecord(
        identifier=identifier,
        sender=sender,
        sent=sent,
        status=_enum(_req(root, "status"), STATUSES, "status"),
        msg_type=_enum(_req(root, "msgType"), MSG_TYPES, "msgType"),
        scope=_enum(_req(root, "scope"), SCOPES, "scope"),
        infos=infos,
        source=_text(root, "source"),
        restriction=_text(root, "restriction"),
        addresses=_text(root, "addresses"),
        codes=_all(root, "code"),
        note=_text(root, "note"),
        references=_text(root, "references"),
        incidents=_text(root, "incidents"),
    )
    if record.scope == "Restricted" and not record.restriction:
        raise InvalidCap("<scope> Restricted needs a <restriction>")
    if record.scope == "Private" and not record.addresses:
        raise InvalidCap("<scope> Private needs <addresses>")
    if foreign := foreign_reference(record.sender, record.msg_type, record.references):
        raise InvalidCap(foreign)
    geometry = area_geometry(infos, metric_crs=metric_crs)
    wkb = None if geometry is None else shapely.to_wkb(geometry, output_dimension=2)
    return replace(record, area_wkb=wkb)


def parse_cap(
    xml: str | bytes,
    *,
    metric_crs: str = DEFAULT_METRIC_CRS,
    now: datetime | None = None,
    window: TimeWindow = DEFAULT_WINDOW,
) -> CapAlertRecord | RejectedCap:
    """Parse one CAP 1.2 document; never raises.

    Parameters
    ----------
    xml
        The document, as text or bytes (bytes honour the XML encoding declaration).
    metric_crs
        Projected CRS in which circles are buffered.
    now
        The server clock (UTC-naive). When given, a ``<sent>`` outside ``window`` (ahead of
        the clock or too old) refuses the alert.
    window
        The believable time window (``ingest.max_clock_skew_s``, ``ingest.max_age_days``).

    Returns
    -------
    CapAlertRecord | RejectedCap
        The alert, or the reason it was refused.
    """
    try:
        record = _parse(xml, metric_crs)
        problem = None if now is None else window.problem(record.sent_utc, now=now)
        if problem is not None:
            return RejectedCap(f"<sent>: {problem}", record.identifier)
        return record
    except InvalidCap as exc:
        return RejectedCap(str(exc), _identifier_hint(xml))
    except Exception as exc:  # totality: any surprise becomes a rejection
        return RejectedCap(f"unexpected CAP parser error: {type(exc).__name__}: {exc}"[:500])


def _identifier_hint(xml: str | bytes) -> str | None:
    text = xml.decode("utf-8", "replace") if isinstance(xml, bytes) else xml
    match = re.search(r"<(?:\w+:)?identifier>\s*([^<\s]{1,128})\s*</", text[:20000])
    return match.group(1) if match else None


__all__ = [
    "NS",
    "CapAlertRecord",
    "CapArea",
    "CapInfo",
    "CapResource",
    "RejectedCap",
    "parse_cap",
]
