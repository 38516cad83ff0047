"""The case API's rate limit on writes that make something (a report, a photo): a token
bucket per user, so one token cannot flood the store and slow everyone else down."""

from __future__ import annotations

import math
import time

import flask

from app.api.errors import ApiError
from models.rate_limit import TokenBuckets

#: Writes one user may make at once, and how many a minute after that.
REPORT_BURST = 20
REPORT_PER_MINUTE = 60
#: Users whose buckets are kept (the least recently seen are forgotten first).
MAX_USERS = 10_000

_EXTENSION = "cityops-api-write-buckets"


def set_write_limit(server: flask.Flask, *, burst: int, per_minute: float) -> None:
    """Give ``server`` another bound on each user's creating writes (a test making many
    cases with one token; a deployment's own figures)."""
    server.extensions[_EXTENSION] = TokenBuckets(
        rate_per_s=per_minute / 60, burst=burst, max_keys=MAX_USERS
    )


def write_buckets(server: flask.Flask) -> TokenBuckets:
    """The server's per-user buckets of creating writes."""
    buckets = server.extensions.get(_EXTENSION)
    if buckets is None:
        buckets = TokenBuckets(
            rate_per_s=REPORT_PER_MINUTE / 60, burst=REPORT_BURST, max_keys=MAX_USERS
        )
        server.extensions[_EXTENSION] = buckets
    return buckets


def take_write(username: str) -> None:
    """Take one of ``username``'s creating writes, or answer 429 with ``Retry-After``."""
    wait = write_buckets(flask.current_app).take(username, now=time.monotonic())
    if wait > 0:
        raise ApiError(
            429,
            f"at most {REPORT_BURST} reports or photos at once and {REPORT_PER_MINUTE} a "
            "minute per user; retry later",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
