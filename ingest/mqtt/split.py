"""Writing a batch in parts: a failing write is bisected down to the messages it refuses.

Independent of MQTT and of the store: the caller says how to write a slice, how to store a
refused message instead (a dead letter), and what to do once a slice is committed. Slices
are written left to right, so a caller acknowledging each slice keeps arrival order. The
happy path is one write of the whole batch; splitting only happens on failure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger(__name__)
R = TypeVar("R")


def write_in_parts(
    start: int,
    stop: int,
    *,
    write: Callable[[int, int], R],
    refuse: Callable[[int, Exception], R],
    committed: Callable[[int, int, R], None],
    fatal: tuple[type[BaseException], ...] = (),
) -> int:
    """Commit ``[start, stop)`` in order, splitting any slice whose write fails.

    Parameters
    ----------
    start, stop
        The positions to write.
    write
        Writes the slice ``[lo, hi)`` in one transaction and returns its result; raises on
        failure (nothing of the slice is then stored).
    refuse
        Stores the lone message at a position that ``write`` refused, with the error (for
        example as a dead letter); raises if even that fails.
    committed
        Called with ``(lo, hi, result)`` after each committed slice, in order.
    fatal
        Exceptions that are not the messages' fault (the store is closed): re-raised at once.

    Returns
    -------
    int
        The end of the committed prefix: ``stop`` when everything is stored, less when a
        ``refuse`` failed (the store refuses everything: retry the rest later).
    """
    parts = [(start, stop)]
    while parts:
        lo, hi = parts.pop()
        try:
            result = write(lo, hi)
        except fatal:
            raise
        except Exception as exc:
            if hi - lo > 1:
                if (lo, hi) == (start, stop):
                    log.warning(
                        "batch write failed; splitting it to find the bad messages",
                        extra={"size": hi - lo, "error": f"{type(exc).__name__}: {exc}"[:300]},
                    )
                mid = (lo + hi) // 2
                parts += [(mid, hi), (lo, mid)]  # the left half is written first
                continue
            try:
                result = refuse(lo, exc)
            except fatal:
                raise
            except Exception:
                log.exception("the store refuses even the refused message; retrying later")
                return lo
        committed(lo, hi, result)
    return stop
