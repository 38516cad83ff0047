"""Argparse types of the CLI's numeric options: ASCII numbers within sane bounds, refused
with argparse's usage message and exit 2 (a ``--limit -1`` reached the server and came
back as "internal error in the server", exit 4)."""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable

_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number ``low``-``high`` in ASCII digits."""

    def parse(text: str) -> int:
        if not _INT.fullmatch(text.strip()) or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(
                f"invalid value {text[:40]!r}: a whole number {low}-{high}"
            )
        return int(text)

    return parse


def bounded_float(low: float, high: float) -> Callable[[str], float]:
    """An argparse type: a finite number above ``low`` (exclusive) and at most ``high``."""

    def parse(text: str) -> float:
        value = float(text) if _FLOAT.fullmatch(text.strip()) else math.nan
        if not (math.isfinite(value) and low < value <= high):
            raise argparse.ArgumentTypeError(
                f"invalid value {text[:40]!r}: a number above {low:g}, at most {high:g}"
            )
        return value

    return parse


#: The most rows a listing prints at once.
MAX_LIST = 10_000
list_limit = bounded_int(1, MAX_LIST)
#: A TCP port; 0 asks the system for a free one (tests serve on it and read the log).
port = bounded_int(0, 65_535)
