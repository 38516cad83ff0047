"""Shared pieces of the sensing, safety, grid and external measures: the table of asked
periods for SQL, one value per period, results shared within one computation run, and the
checks of measure parameters the registry runs when loading the indicators."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, time
from typing import TYPE_CHECKING, Any, TypeVar

from models.store import Store

if TYPE_CHECKING:
    from models.indicators.periods import Period

Values = list[float | None]
T = TypeVar("T")


def periods_cte(periods: Sequence[Period]) -> tuple[str, list[Any]]:
    """A ``periods(p, p_start, p_end)`` table expression of the asked periods and its params
    (``p`` is the index into ``periods``), for joining rows to every period they fall in."""
    sql = (
        "periods AS (SELECT unnest(?::INTEGER[]) AS p, unnest(?::TIMESTAMP[]) AS p_start, "
        "unnest(?::TIMESTAMP[]) AS p_end)"
    )
    return sql, [list(range(len(periods))), [x.start for x in periods], [x.end for x in periods]]


def bounds_of(periods: Sequence[Period]) -> tuple:
    """The periods as a hashable key: their (start, end) pairs."""
    return tuple((p.start, p.end) for p in periods)


def per_period(n: int, values: Mapping[int, float | None]) -> Values:
    """``values`` (period index -> value) as a list of ``n`` values, None where missing."""
    out: Values = []
    for i in range(n):
        v = values.get(i)
        out.append(None if v is None or not math.isfinite(float(v)) else float(v))
    return out


def counts_per_period(
    periods: Sequence[Period], counts: Mapping[int, int], now: datetime
) -> Values:
    """Counts per period: 0 where nothing happened, None for a period not begun at ``now``."""
    return [
        None if p.start > now else float(counts.get(i, 0)) for i, p in enumerate(periods)
    ]


def minutes(text: str) -> tuple[int, int]:
    start, end = (time.fromisoformat(t.strip()) for t in text.split("-"))
    return start.hour * 60 + start.minute, end.hour * 60 + end.minute


def texts(value: Any) -> list[str]:
    """A parameter that is a list of non-empty texts (ValueError otherwise)."""
    if not isinstance(value, list | tuple) or not value:
        raise ValueError(f"expected a non-empty list, not {value!r}")
    if not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"expected a list of texts, not {value!r}")
    return list(value)


def whole(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"expected a whole number {low}..{high}, not {value!r}")
        return value

    return check


def one_of(*choices: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, not {value!r}")
        return value

    return check


def spans(value: Any) -> list[str]:
    for text in texts(value):
        try:
            start, end = minutes(text)
        except ValueError:
            raise ValueError(f"{text!r} is not HH:MM-HH:MM") from None
        if start >= end:
            raise ValueError(f"{text!r} ends before it starts")
    return list(value)


def with_params(measure: Callable, **checks: Callable[[Any], Any]) -> Callable:
    """Give ``measure`` the ``check_params`` the registry calls on loading: only the named
    parameters, each passing its check."""

    def check_params(params: Mapping[str, Any]) -> None:
        unknown = sorted(set(params) - set(checks))
        if unknown:
            takes = ", ".join(checks) or "no params"
            raise ValueError(f"unknown params {unknown} (this measure takes {takes})")
        for key, value in params.items():
            try:
                checks[key](value)
            except ValueError as exc:
                raise ValueError(f"params.{key}: {exc}") from None

    measure.check_params = check_params  # type: ignore[attr-defined]
    return measure


#: The last result of each shared computation, by kind: (key, value).
_SHARED: dict[str, tuple[tuple, Any]] = {}


def shared(kind: str, store: Store, key: tuple, compute: Callable[[], T]) -> T:
    """``compute()``, reused by the next call of the same ``kind`` with the same ``key``.

    Several indicators read the same intermediate result (the air days, the traffic slots)
    in one ``compute_indicators`` run. ``key`` must hold everything the result depends on,
    including the ``now`` of the run; the store's path and its table row counts are added,
    so a later run (another ``now``) or new rows never see an old result. Only the latest
    result of a kind is kept.
    """
    full = (str(store.path), *key)
    hit = _SHARED.get(kind)
    if hit is not None and hit[0] == full:
        return hit[1]
    value = compute()
    _SHARED[kind] = (full, value)
    return value
