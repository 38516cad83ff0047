"""Open311 GeoReport v2: the city's public status API and the keyed endpoint for new reports."""

from __future__ import annotations

import hashlib
import hmac
import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import flask
import pandas as pd

from ingest.locate import store_locator
from models.cases import CaseError, report_case
from models.clock import utcnow
from models.config import Config
from models.store import Store
from models.workflow import STAGE_LABELS, TERMINAL_STAGES

PREFIX = "/open311/v2"
MAX_REQUESTS = 1000
WINDOW = timedelta(days=90)
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


class Open311Error(Exception):
    """A request refused, answered in the spec's error format with ``code`` as HTTP status."""

    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code = code
        self.description = description


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


def parse_w3c(text: str, tz: ZoneInfo, name: str) -> datetime:
    """A W3C datetime (a date alone, or without offset: city time) as naive UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        example = "2026-11-24T09:30:00+08:00"
        raise Open311Error(400, f"{name} must be a W3C datetime, e.g. {example}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC).replace(tzinfo=None)


def _csv(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def key_matches(given: str, valid: Sequence[str]) -> bool:
    """Whether ``given`` is one of ``valid``, comparing every key in constant time."""
    found = False
    for key in valid:
        found |= hmac.compare_digest(given.encode(), key.encode())
    return bool(given) and found


def _services(store: Store, *, english: bool) -> list[dict[str, Any]]:
    df = store.query_df(
        "SELECT category_code, kind, name_zh, name_en, register_condition FROM categories "
        "WHERE enabled ORDER BY category_code"
    )
    out = []
    for row in df.to_dict("records"):
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


_REQUESTS_SQL = (
    "SELECT c.case_id, c.stage, c.category_code, k.name_zh, k.name_en, c.description, "
    "c.assigned_unit, c.reported_at, c.due_at, c.lon, c.lat, "
    "COALESCE(c.address, concat_ws(' ', d.name_zh, s.name_zh, m.name_zh)) AS address, "
    "(SELECT max(t.occurred_at) FROM case_transitions t WHERE t.case_id = c.case_id) AS updated "
    "FROM cases c LEFT JOIN categories k ON k.category_code = c.category_code "
    "LEFT JOIN admin_areas d ON d.code = c.district_code "
    "LEFT JOIN admin_areas s ON s.code = c.street_code "
    "LEFT JOIN admin_areas m ON m.code = c.community_code "
    "WHERE NOT c.exercise"
)


def _request_rows(
    store: Store, where: str, params: list[Any], *, english: bool, tz: ZoneInfo
) -> list[dict[str, Any]]:
    df = store.query_df(
        f"{_REQUESTS_SQL}{where} ORDER BY c.reported_at DESC LIMIT {MAX_REQUESTS}", params
    )
    out = []
    for r in df.to_dict("records"):
        zh, en = STAGE_LABELS.get(r["stage"], (r["stage"], r["stage"]))
        name = (r["name_en"] or r["name_zh"]) if english else r["name_zh"]
        values: dict[str, Any] = {
            "service_request_id": r["case_id"],
            "status": "closed" if r["stage"] in TERMINAL_STAGES else "open",
            "status_notes": f"{r['stage']} {en if english else zh}",
            "service_name": name,
            "service_code": r["category_code"],
            "description": r["description"] or None,
            "agency_responsible": r["assigned_unit"],
            "service_notice": None,
            "requested_datetime": w3c(r["reported_at"], tz),
            "updated_datetime": w3c(r["updated"], tz) or w3c(r["reported_at"], tz),
            "expected_datetime": w3c(r["due_at"], tz),
            "address": r["address"] or None,
            "address_id": None,
            "zipcode": None,
            "lat": _number(r["lat"]),
            "long": _number(r["lon"]),
            "media_url": None,
        }
        out.append({k: values[k] for k in _REQUEST_FIELDS})
    return out


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _filters(args: Mapping[str, str], *, now: datetime, tz: ZoneInfo) -> tuple[str, list[Any]]:
    ids = _csv(args.get("service_request_id"))
    if ids:  # the spec: ids override every other filter
        return f" AND c.case_id IN ({', '.join('?' * len(ids))})", list(ids)
    where, params = "", []
    codes = _csv(args.get("service_code"))
    if codes:
        where += f" AND c.category_code IN ({', '.join('?' * len(codes))})"
        params += codes
    statuses = {s.lower() for s in _csv(args.get("status"))}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, "status must be open, closed or both (comma-separated)")
    if statuses == {"open"}:
        where += " AND c.stage NOT IN ('closed', 'void')"
    elif statuses == {"closed"}:
        where += " AND c.stage IN ('closed', 'void')"
    start_text, end_text = args.get("start_date"), args.get("end_date")
    end = parse_w3c(end_text, tz, "end_date") if end_text else None
    start = parse_w3c(start_text, tz, "start_date") if start_text else None
    if end is None:
        end = start + WINDOW if start is not None else now
    if start is None:
        start = end - WINDOW
    if start > end:
        raise Open311Error(400, "start_date is after end_date")
    if end - start > WINDOW:
        raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    where += " AND c.reported_at BETWEEN ? AND ?"
    params += [start, end]
    return where, params


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

    Valid keys come from ``CITYOPS_OPEN311_API_KEYS`` (comma-separated); none set means
    every POST is refused.
    """
    tz = ZoneInfo(config.settings.calendar.timezone)
    secret = config.secrets.open311_api_keys
    keys = tuple(_csv(secret.get_secret_value() if secret is not None else ""))
    locate = store_locator(store, metric_crs=config.settings.map.metric_crs)
    bp = flask.Blueprint("open311", __name__, url_prefix=PREFIX)

    @bp.get(f"/services.{_FORMATS}")
    def services(fmt: str) -> flask.Response:
        return _answer(fmt, "services", "service", _services(store, english=_english()))

    @bp.get(f"/requests.{_FORMATS}")
    def requests_list(fmt: str) -> flask.Response:
        try:
            where, params = _filters(flask.request.args, now=clock(), tz=tz)
        except Open311Error as err:
            return _error(fmt, err)
        rows = _request_rows(store, where, params, english=_english(), tz=tz)
        return _answer(fmt, "service_requests", "request", rows)

    @bp.get(f"/requests/<request_id>.{_FORMATS}")
    def request_one(request_id: str, fmt: str) -> flask.Response:
        rows = _request_rows(store, " AND c.case_id = ?", [request_id], english=_english(), tz=tz)
        if not rows:
            return _error(fmt, Open311Error(404, f"no service request {request_id}"))
        return _answer(fmt, "service_requests", "request", rows)

    @bp.post(f"/requests.{_FORMATS}")
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
        enabled = store.query_value(
            "SELECT count(*) FROM categories WHERE category_code = ? AND enabled", [code]
        )
        if not enabled:
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
    def open311_unknown(rest: str) -> flask.Response:
        # keeps the Dash catch-all page from answering under /open311/ without a log-in
        fmt = "xml" if rest.endswith(".xml") else "json"
        return _error(fmt, Open311Error(404, f"no Open311 endpoint /open311/{rest}"))
