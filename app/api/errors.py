"""The case API's errors and request parsing: every bad input becomes a 4xx JSON answer."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import flask
from werkzeug.exceptions import RequestEntityTooLarge

from app.auth import current_user
from app.validation import surrogate_path
from models.case_service import Actor, Refused
from models.workflow import MAX_EXTENSION

F = TypeVar("F", bound=Callable[..., Any])

#: Largest JSON body (a bulk action of 500 case ids with a note fits many times over).
MAX_JSON_BYTES = 256 * 1024
#: Longest free text kept from a note, a reason or a report's text.
MAX_NOTE = 2000
MAX_TEXT = 4000
MAX_ID = 64
#: Longest extension one request may ask for, in working hours (a year of working days).
MAX_EXTENSION_HOURS = MAX_EXTENSION.total_seconds() / 3600  # the workflow's one bound
_ISO_DURATION = re.compile(r"^PT(?=\d)(?:(\d{1,12})H)?(?:(\d{1,12})M)?(?:(\d{1,12})S)?$")
#: The machine code of an error by its status (``code`` beside ``error``; stable names a
#: client may branch on, the English message may change). A refusal may name another.
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "bad_data",
    429: "rate_limited",
    503: "unavailable",
}
#: Every code an answer may carry (the OpenAPI document's enum).
ALL_CODES = (*CODES.values(), "wrong_stage", "changed", "exists")


@dataclass
class ApiError(Exception):
    """A request answered with ``status`` and ``{"error": message, ...}``."""

    status: int
    message: str
    allowed: list[str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    code: str | None = None

    def response(self) -> flask.Response:
        body: dict[str, Any] = {
            "error": self.message,
            "code": self.code or CODES.get(self.status, "error"),
        }
        if self.allowed is not None:
            body["allowed_actions"] = self.allowed
        answer = flask.jsonify(body)
        answer.status_code = self.status
        answer.headers.update(self.headers)
        return answer


def refused(exc: Refused) -> ApiError:
    """The API's answer to a refusal of the case service (its status and allowed actions)."""
    code = "wrong_stage" if exc.status == 409 and exc.allowed else None
    return ApiError(exc.status, exc.message, list(exc.allowed), code=code)


def actor() -> Actor:
    """Who calls: the bearer token's user or the session's (the gate let no one else in)."""
    user = current_user()
    if user is None:  # the gate answers 401 first; kept for safety
        raise ApiError(401, "authentication required")
    return Actor(user.user.username, user.role, user.scope)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def json_body(max_bytes: int = MAX_JSON_BYTES) -> dict[str, Any]:
    """The request's JSON object, its size checked before it is read.

    Raises
    ------
    ApiError
        413 too big, 415 not declared JSON, 400 not JSON (NaN and Infinity are not JSON),
        422 JSON but not an object.
    """
    request = flask.request
    if request.content_length is not None and request.content_length > max_bytes:
        raise ApiError(413, f"the body is larger than {max_bytes} bytes")
    if not request.is_json:
        raise ApiError(415, "send the body as Content-Type: application/json")
    request.max_content_length = max_bytes  # a chunked body is cut off at the bound too
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise ApiError(413, f"the body is larger than {max_bytes} bytes") from None
    try:
        data = json.loads(raw, parse_int=_whole_number, parse_constant=_no_constant)
    except _TooLarge:
        raise ApiError(422, "number too large") from None
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ApiError(400, f"malformed JSON: {str(exc)[:200]}") from None
    if not isinstance(data, dict):
        raise ApiError(422, "the body must be a JSON object")
    if (where := surrogate_path(data)) is not None:
        raise ApiError(422, f"{where}: text that is not UTF-8 (a lone surrogate)")
    return data


class _TooLarge(ValueError):
    """A JSON integer longer than any value the API takes."""


#: Digits of the longest integer read from a body (no field takes more).
MAX_INT_DIGITS = 100


def _whole_number(digits: str) -> int:
    if len(digits) > MAX_INT_DIGITS:
        raise _TooLarge(digits[:20])
    return int(digits)


def check_fields(data: Mapping[str, Any], known: set[str] | frozenset[str]) -> None:
    """Refuse names the endpoint does not take (a typo must not be silently ignored)."""
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ApiError(422, f"unknown fields: {', '.join(unknown)[:300]}")


def text(data: Mapping[str, Any], name: str, *, max_len: int, required: bool = False) -> str | None:
    """A string field, stripped; None when absent or empty (422 when required)."""
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise ApiError(422, f"{name} is required")
        return None
    if not isinstance(value, str):
        raise ApiError(422, f"{name} must be a string")
    value = value.strip()
    if "\x00" in value:
        raise ApiError(422, f"{name} must not contain NUL characters")
    if len(value) > max_len:
        raise ApiError(422, f"{name} is longer than {max_len} characters")
    if not value and required:
        raise ApiError(422, f"{name} is required")
    return value or None


def number(data: Mapping[str, Any], name: str, *, low: float, high: float) -> float:
    """A required finite JSON number in ``[low, high]``."""
    value = data.get(name)
    if value is None:
        raise ApiError(422, f"{name} is required")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError(422, f"{name} must be a number")
    try:
        result = float(value)
    except OverflowError:
        raise ApiError(422, f"{name} is out of range [{low}, {high}]") from None
    if not math.isfinite(result) or not low <= result <= high:
        raise ApiError(422, f"{name} is out of range [{low}, {high}]")
    return result


def extension(value: Any) -> timedelta:
    """An extension of working time: hours as a number (8, 1.5), or an ISO 8601 duration
    of hours, minutes and seconds (``PT8H``, ``PT1H30M``). Days are refused: a day of
    working time is ambiguous (8 working hours or 24?)."""
    if isinstance(value, bool):
        raise ApiError(422, "extension must be hours (a number) or a duration like PT8H")
    if isinstance(value, int | float):
        try:
            hours = float(value)
        except OverflowError:
            hours = math.inf
    elif isinstance(value, str) and (match := _ISO_DURATION.match(value.strip().upper())):
        h, m, s = (int(g or 0) for g in match.groups())
        hours = h + m / 60 + s / 3600
    else:
        raise ApiError(422, "extension must be hours (a number) or a duration like PT8H")
    if not math.isfinite(hours) or not 0 < hours <= MAX_EXTENSION_HOURS:
        raise ApiError(
            422, f"extension must be more than 0 and at most {MAX_EXTENSION_HOURS:g} hours"
        )
    return timedelta(hours=hours)


def case_id_value(value: Any, name: str = "id") -> str:
    """A case id as given (a string of at most :data:`MAX_ID` characters)."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID:
        raise ApiError(422, f"{name} must be a case id (a string of 1-{MAX_ID} characters)")
    return value.strip()
