"""CAP 1.2 out: an alert record as XML in the schema's element order, and as an ``alerts`` row."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from ingest.cap import NS, CapAlertRecord, cap_tag


def _fmt_time(value: datetime) -> str:
    return value.isoformat()


def _add(parent: ET.Element, tag: str, value: str | datetime | None) -> None:
    if value is None:
        return
    ET.SubElement(parent, cap_tag(tag)).text = (
        _fmt_time(value) if isinstance(value, datetime) else value
    )


def _add_pairs(parent: ET.Element, tag: str, pairs: tuple[tuple[str, str], ...]) -> None:
    for name, value in pairs:
        node = ET.SubElement(parent, cap_tag(tag))
        _add(node, "valueName", name)
        _add(node, "value", value)


#: Element order of the CAP 1.2 schema: ``*`` repeats, ``=`` is a valueName/value list.
# fmt: off
_ALERT_ORDER = ("identifier", "sender", "sent", "status", "msgType", "source", "scope",
                "restriction", "addresses", "code*", "note", "references", "incidents")
_INFO_ORDER = ("language", "category*", "event", "responseType*", "urgency", "severity",
               "certainty", "audience", "eventCode=", "effective", "onset", "expires",
               "senderName", "headline", "description", "instruction", "web", "contact",
               "parameter=")
_RESOURCE_ORDER = ("resourceDesc", "mimeType", "size", "uri", "derefUri", "digest")
_AREA_ORDER = ("areaDesc", "polygon*", "circle*", "geocode=", "altitude", "ceiling")
_ATTRIBUTE = {
    "msgType": "msg_type", "code": "codes", "responseType": "response_type",
    "eventCode": "event_codes", "senderName": "sender_name", "parameter": "parameters",
    "resourceDesc": "resource_desc", "mimeType": "mime_type", "derefUri": "deref_uri",
    "areaDesc": "area_desc", "polygon": "polygons", "circle": "circles", "geocode": "geocodes",
}
# fmt: on


def _write(parent: ET.Element, obj: object, order: tuple[str, ...]) -> None:
    for spec in order:
        tag = spec.rstrip("*=")
        value = getattr(obj, _ATTRIBUTE.get(tag, tag))
        if spec.endswith("*"):
            for item in value:
                _add(parent, tag, item)
        elif spec.endswith("="):
            _add_pairs(parent, tag, value)
        else:
            _add(parent, tag, value)


def to_cap_xml(record: CapAlertRecord) -> str:
    """Serialise ``record`` as a CAP 1.2 document that :func:`parse_cap` reads back equal."""
    root = ET.Element(cap_tag("alert"))
    _write(root, record, _ALERT_ORDER)
    for info in record.infos:
        node = ET.SubElement(root, cap_tag("info"))
        _write(node, info, _INFO_ORDER)
        for resource in info.resources:
            _write(ET.SubElement(node, cap_tag("resource")), resource, _RESOURCE_ORDER)
        for area in info.areas:
            _write(ET.SubElement(node, cap_tag("area")), area, _AREA_ORDER)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode", default_namespace=NS)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def alert_row(record: CapAlertRecord, xml: str) -> dict:
    """The ``alerts`` row of an inbound CAP alert (direction in, state imported)."""
    return {
        "identifier": record.identifier,
        "direction": "in",
        "state": "imported",
        "sender": record.sender,
        "sent": record.sent_utc,
        "msg_type": record.msg_type,
        "severity": record.severity,
        "headline": record.headline,
        "area_wkb": record.area_wkb,
        "xml": xml,
        "exercise": record.exercise,
    }
