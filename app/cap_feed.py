"""The public CAP feed, without log-in: ``/cap/feed.xml`` (an Atom index, RFC 4287, of the
warnings in force) and ``/cap/alerts/{identifier}.xml`` (one published alert's CAP XML, the
same bytes as sent on MQTT). Drafts and approved warnings are never public. Every request
passes the public gate (rate per address, few at once), as Open311's do."""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime
from typing import Any

import flask

from app.public_gate import BUSY_RETRY_AFTER_S, PublicGate, install_public_gate, public_gate
from models.clock import utcnow
from models.config import Config
from models.emergency.warning_records import WarningRecord, current_warnings, published_xml
from models.emergency.warnings import local_time
from models.store import Store

ATOM = "http://www.w3.org/2005/Atom"
ATOM_MEDIA = "application/atom+xml"
CAP_MEDIA = "application/cap+xml"
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
#: Seconds a client may keep the feed or an alert before asking again.
MAX_AGE_S = 30


def _text(parent: ET.Element, tag: str, value: str, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    node.text = value
    return node


def _label(record: WarningRecord) -> str:
    content = record.content
    marks = []
    if record.exercise:
        marks.append("【演练 Exercise】")
    if record.msg_type != "Alert":
        marks.append({"Update": "【更新 Update】", "Cancel": "【解除 Cancel】"}[record.msg_type])
    return "".join(marks) + f"{content.headline.zh} / {content.headline.en}"


def atom_feed(
    records: list[WarningRecord], *, base: str, title: str, author: str, tz: str, now: datetime
) -> bytes:
    """The Atom document listing ``records`` (newest first), links under ``base``."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    feed_url = f"{base}cap/feed.xml"
    _text(feed, "id", feed_url)
    _text(feed, "title", title)
    latest = max((r.published_at or r.sent or now for r in records), default=now)
    _text(feed, "updated", local_time(latest, tz).isoformat(timespec="seconds"))
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": feed_url,
                                            "type": ATOM_MEDIA})  # fmt: skip
    _text(ET.SubElement(feed, f"{{{ATOM}}}author"), "name", author)
    for record in records:
        url = f"{base}cap/alerts/{record.identifier}.xml"
        sent = local_time(record.sent or now, tz).isoformat(timespec="seconds")
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "id", url)
        _text(entry, "title", _label(record))
        _text(entry, "updated", sent)
        _text(entry, "published", sent)
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "href": url,
                                                 "type": CAP_MEDIA})  # fmt: skip
        content = record.content
        expires = local_time(record.expires, tz).isoformat(timespec="seconds")
        summary = (
            f"{content.description.zh} / {content.description.en} "
            f"({content.severity}; {record.content.status}; expires {expires})"
        )
        _text(entry, "summary", summary)
        for term in (record.content.status, record.msg_type, content.severity, content.event):
            ET.SubElement(entry, f"{{{ATOM}}}category", {"term": term})
    body = ET.tostring(feed, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")


def _gate(server: flask.Flask, config: Config) -> PublicGate:
    try:
        return public_gate(server)  # shared with Open311: one budget for anonymous clients
    except KeyError:
        return install_public_gate(server, config.settings.open311)


def install_cap_feed(
    server: flask.Flask,
    *,
    config: Config,
    store: Store,
    clock: Callable[[], datetime] = utcnow,
) -> None:
    """Serve ``/cap/feed.xml`` and ``/cap/alerts/<identifier>.xml`` to anyone, behind the
    public gate; any other path under /cap/ is a plain 404 (never the Dash page)."""
    gate = _gate(server, config)
    tz = config.settings.calendar.timezone
    title = f"{config.settings.city.name_zh}预警信息 / {config.settings.city.name_en} warnings"
    author = config.settings.emergency.cap_sender_name
    base = config.settings.server.base_url()  # never the request's Host header

    def guarded(view: Callable[..., flask.Response]) -> Callable[..., flask.Response]:
        @functools.wraps(view)
        def run(*args: Any, **kwargs: Any) -> flask.Response:
            wait = gate.admit(flask.request.remote_addr or "-")
            if wait:
                refused = flask.Response("too many requests; retry later\n", 429)
            elif not gate.enter():
                wait = BUSY_RETRY_AFTER_S
                refused = flask.Response("busy; retry shortly\n", 503)
            else:
                try:
                    return view(*args, **kwargs)
                finally:
                    gate.leave()
            refused.headers["Retry-After"] = str(wait)
            refused.mimetype = "text/plain"
            return refused

        return run

    def _cached(response: flask.Response) -> flask.Response:
        response.headers["Cache-Control"] = f"public, max-age={MAX_AGE_S}"
        return response

    @server.get("/cap/feed.xml")
    @guarded
    def cap_feed() -> flask.Response:
        now = clock()
        body = atom_feed(
            current_warnings(store, now=now), base=base, title=title,
            author=author, tz=tz, now=now,
        )  # fmt: skip
        return _cached(
            flask.Response(body, mimetype=ATOM_MEDIA, content_type=f"{ATOM_MEDIA}; charset=utf-8")
        )

    @server.get("/cap/alerts/<identifier>.xml")
    @guarded
    def cap_alert(identifier: str) -> flask.Response:
        xml = published_xml(store, identifier) if _IDENTIFIER.match(identifier) else None
        if xml is None:
            return flask.Response("no published alert of that identifier\n", 404,
                                  mimetype="text/plain")  # fmt: skip
        response = flask.Response(xml.encode("utf-8"), content_type=f"{CAP_MEDIA}; charset=utf-8")
        return _cached(response)

    @server.get("/cap/", defaults={"rest": ""})
    @server.get("/cap/<path:rest>")
    @guarded
    def cap_unknown(rest: str) -> flask.Response:
        # keeps the Dash catch-all page from answering under /cap/ without a log-in
        return flask.Response("not found\n", 404, mimetype="text/plain")
