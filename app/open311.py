"""Open311 GeoReport v2: the city's public status API and the keyed endpoint for new reports."""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import flask
import pandas as pd

from app.open311_params import Open311Error, csv_values, request_query
from app.public_gate import BUSY_RETRY_AFTER_S, install_public_gate
from ingest.locate import store_locator
from models.cases import CaseError, report_case
from models.clock import utcnow
from models.config import Config
from models.open311_queries import (
    RequestQuery,
    category_enabled,
    enabled_services,
    published_requests,
)
from models.redaction import coarsen, redact_personal
from models.store import Store
from models.workflow import STAGE_LABELS, TERMINAL_STAGES

PREFIX = "/open311/v2"
REPORTER = "open311"
_FORMATS = "<any(json, xml):fmt>"
_KIND_ZH = {"component": "部件", "event": "事件"}
_REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)


def _english() -> bool:
    args = flask.request.args
    lang = (args.get("locale") or args.get("lang") or "").lower()
    return lang.startswith("en")


def _xml(root: str, item: str, rows: Sequence[Mapping[str, Any]]) -> flask.Response:
    top = ET.Element(root)
    for row in rows:
        el = ET.SubElement(top, item)
        for key, value in row.items():
            child = ET.SubElement(el, key)
            if value is not None:
                child.text = str(value).lower() if isinstance(value, bool) else str(value)
    body = ET.tostring(top, encoding="unicode", xml_declaration=False)
    return flask.Response(
        '<?xml version="1.0" encoding="utf-8"?>' + body, mimetype="application/xml"
    )


def _answer(
    fmt: str, root: str, item: str, rows: list[dict[str, Any]], status: int = 200
) -> flask.Response:
    response = _xml(root, item, rows) if fmt == "xml" else flask.jsonify(rows)
    response.status_code = status
    return response


def _error(fmt: str, err: Open311Error) -> flask.Response:
    rows = [{"code": err.code, "description": err.description}]
    return _answer(fmt, "errors", "error", rows, err.code)


def w3c(value: Any, tz: ZoneInfo) -> str | None:
    """A stored naive-UTC timestamp as a W3C datetime in the city's time zone (+08:00)."""
    if value is None or pd.isna(value):
        return None
    try:
        moment = value.to_pydatetime()
    except AttributeError:
        moment = value
    if not isinstance(moment, datetime):
        return None
    return moment.replace(tzinfo=UTC).astimezone(tz).isoformat(timespec="seconds")


def key_matches(given: str, valid: Sequence[str]) -> bool:
    """Whether ``given`` is one of ``valid``, comparing every key in constant time."""
    found = False
    for key in valid:
        found |= hmac.compare_digest(given.encode(), key.encode())
    return bool(given) and found


def _services(store: Store, *, english: bool) -> list[dict[str, Any]]:
    out = []
    for row in enabled_services(store):
        name = (row["name_en"] or row["name_zh"]) if english else row["name_zh"]
        kind = row["kind"]
        out.append(
            {
                "service_code": row["category_code"],
                "service_name": name,
                "description": row["register_condition"] or name,
                "metadata": False,
                "type": "realtime",
                "keywords": ", ".join(
                    dict.fromkeys([_KIND_ZH.get(kind, kind), kind, row["name_zh"], row["name_en"]])
                ),
                "group": kind,
            }
        )
    return out


def _request_rows(
    store: Store, query: RequestQuery, *, english: bool, tz: ZoneInfo, decimals: int
) -> list[dict[str, Any]]:
    """The published requests, every free-text field redacted and the place coarsened."""
    out = []
    for r in published_requests(store, query):
        zh, en = STAGE_LABELS.get(r["stage"], (r["stage"], r["stage"]))
        name = (r["name_en"] or r["name_zh"]) if english else r["name_zh"]
        values: dict[str, Any] = {
            "service_request_id": r["case_id"],
            "status": "closed" if r["stage"] in TERMINAL_STAGES else "open",
            "status_notes": redact_personal(f"{r['stage']} {en if english else zh}"),
            "service_name": name,
            "service_code": r["category_code"],
            "description": redact_personal(r["description"]) or None,
            "agency_responsible": r["assigned_unit"],
            "service_notice": None,
            "requested_datetime": w3c(r["reported_at"], tz),
            "updated_datetime": w3c(r["updated"], tz) or w3c(r["reported_at"], tz),
            "expected_datetime": w3c(r["due_at"], tz),
            "address": redact_personal(r["address"]) or None,
            "address_id": None,
            "zipcode": None,
            "lat": coarsen(_number(r["lat"]), decimals=decimals),
            "long": coarsen(_number(r["lon"]), decimals=decimals),
            "media_url": None,
        }
        out.append({k: values[k] for k in _REQUEST_FIELDS})
    return out


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _submitted() -> dict[str, str]:
    if flask.request.form:
        return {k: v for k, v in flask.request.form.items()}
    body = flask.request.get_json(silent=True)
    if isinstance(body, dict):
        return {k: "" if v is None else str(v) for k, v in body.items()}
    return {}


def _coordinate(fields: Mapping[str, str], name: str, bound: float) -> float:
    try:
        value = float(fields[name])
    except ValueError:
        raise Open311Error(400, f"{name} must be a number in WGS84 degrees") from None
    if not math.isfinite(value) or abs(value) > bound:
        raise Open311Error(400, f"{name} is out of range")
    return value


def install_open311(
    server: flask.Flask,
    *,
    config: Config,
    store: Store,
    clock: Callable[[], datetime] = utcnow,
) -> None:
    """Serve GeoReport v2 under ``/open311/v2``: GETs are public, POST needs an API key.

    GETs publish only cases of ``open311.public_sources``, with personal data redacted and
    coordinates coarsened. Every request (POST too) passes the public gate: a rate per client
    address and a cap on requests at once, refused fast with 429/503 and ``Retry-After``.
    Valid keys come from ``CITYOPS_OPEN311_API_KEYS`` (comma-separated); none set means
    every POST is refused.
    """
    tz = ZoneInfo(config.settings.calendar.timezone)
    public = config.settings.open311
    sources = tuple(public.public_sources)
    secret = config.secrets.open311_api_keys
    keys = tuple(csv_values(secret.get_secret_value() if secret is not None else ""))
    locate = store_locator(store, metric_crs=config.settings.map.metric_crs)
    gate = install_public_gate(server, public)
    bp = flask.Blueprint("open311", __name__, url_prefix=PREFIX)

    def guarded(view: Callable[..., flask.Response]) -> Callable[..., flask.Response]:
        """A rate per client address, then a free slot among the few public ones, or a fast
        refusal: anonymous clients never queue for the threads the screens need."""

        @functools.wraps(view)
        def run(*args: Any, **kwargs: Any) -> flask.Response:
            fmt = kwargs.get("fmt", "json")
            wait = gate.admit(flask.request.remote_addr or "-")
            if wait:
                refused = _error(fmt, Open311Error(429, "too many requests; retry later"))
            elif not gate.enter():
                wait = BUSY_RETRY_AFTER_S
                refused = _error(fmt, Open311Error(503, "busy; retry shortly"))
            else:
                try:
                    return view(*args, **kwargs)
                finally:
                    gate.leave()
            refused.headers["Retry-After"] = str(wait)
            return refused

        return run

    def rows(query: RequestQuery) -> list[dict[str, Any]]:
        english, decimals = _english(), public.coordinate_decimals
        return _request_rows(store, query, english=english, tz=tz, decimals=decimals)

    @bp.get(f"/services.{_FORMATS}")
    @guarded
    def services(fmt: str) -> flask.Response:
        return _answer(fmt, "services", "service", _services(store, english=_english()))

    @bp.get(f"/requests.{_FORMATS}")
    @guarded
    def requests_list(fmt: str) -> flask.Response:
        try:
            query = request_query(flask.request.args, sources, now=clock(), tz=tz, bounds=public)
        except Open311Error as err:
            return _error(fmt, err)
        return _answer(fmt, "service_requests", "request", rows(query))

    @bp.get(f"/requests/<request_id>.{_FORMATS}")
    @guarded
    def request_one(request_id: str, fmt: str) -> flask.Response:
        found = rows(RequestQuery(sources=sources, ids=(request_id,), limit=1))
        if not found:
            return _error(fmt, Open311Error(404, f"no service request {request_id}"))
        return _answer(fmt, "service_requests", "request", found)

    @bp.post(f"/requests.{_FORMATS}")
    @guarded
    def requests_create(fmt: str) -> flask.Response:
        fields = _submitted()
        given = fields.get("api_key", "")
        # who sent it, without keeping the key: a short fingerprint
        client = hashlib.sha256(given.encode()).hexdigest()[:10] if given else "-"
        remote = flask.request.remote_addr or "-"
        try:
            if not key_matches(given, keys):
                raise Open311Error(403, "a valid api_key is required")
            case_id, notice = _create(fields)
        except Open311Error as err:
            outcome = "denied" if err.code == 403 else "rejected"
            store.audit(
                "open311.request",
                actor=REPORTER,
                outcome=outcome,
                detail=f"key {client}: {err.description}",
                remote=remote,
            )
            return _error(fmt, err)
        store.audit(
            "open311.request", actor=REPORTER, target=case_id, detail=f"key {client}", remote=remote
        )
        rows = [{"service_request_id": case_id, "service_notice": notice, "account_id": None}]
        return _answer(fmt, "service_requests", "request", rows)

    def _create(fields: Mapping[str, str]) -> tuple[str, str]:
        code = fields.get("service_code", "").strip()
        if not code:
            raise Open311Error(400, "service_code is required")
        if not category_enabled(store, code):
            raise Open311Error(400, f"unknown service_code {code!r}")
        if not fields.get("lat", "").strip() or not fields.get("long", "").strip():
            raise Open311Error(
                400,
                "a location is required as lat and long (WGS84); "
                "address_string or address_id alone cannot be located",
            )
        lat = _coordinate(fields, "lat", 90)
        lon = _coordinate(fields, "long", 180)
        text = fields.get("description", "").strip()[:4000]
        try:
            reported = report_case(
                store,
                category_code=code,
                lon=lon,
                lat=lat,
                at=clock(),
                source="open311",
                actor=REPORTER,
                role="operator",
                locate=locate,
                text=text,
                tz=config.settings.calendar.timezone,
                public=True,
            )
        except CaseError as exc:
            raise Open311Error(400, str(exc)) from None
        if _english():
            notice = f"Received as case {reported.case_id}; track it with this id."
        else:
            notice = f"已受理，案件编号 {reported.case_id}，可凭此编号查询办理进度。"
        return reported.case_id, notice

    server.register_blueprint(bp)

    @server.route("/open311/<path:rest>", methods=["GET", "POST"])
    @guarded
    def open311_unknown(rest: str) -> flask.Response:
        # keeps the Dash catch-all page from answering under /open311/ without a log-in
        fmt = "xml" if rest.endswith(".xml") else "json"
        return _error(fmt, Open311Error(404, f"no Open311 endpoint /open311/{rest}"))
