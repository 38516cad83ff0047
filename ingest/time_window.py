"""The window of believable message times: not ahead of the server clock, not too old (pure).

A reading dated in the future would stick as a sensor's newest time (and blind its rules);
a report dated years ago would open as a new case. Every ingest path checks times against
this window with the clock passed in as ``now`` (``ingest.max_clock_skew_s``,
``ingest.max_age_days``); files of historic observations skip the age limit only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

import numpy as np
import pyarrow as pa

from models.config import IngestSettings

DEFAULT_MAX_CLOCK_SKEW_S = 300.0
DEFAULT_MAX_AGE_DAYS = 30.0


@dataclass(frozen=True)
class TimeWindow:
    """How far ahead of the clock, and how far behind it, a message time may be.

    Parameters
    ----------
    max_clock_skew_s
        Seconds a time may lie ahead of ``now`` (clocks of devices drift).
    max_age_days
        Days a time may lie behind ``now``.
    """

    max_clock_skew_s: float = DEFAULT_MAX_CLOCK_SKEW_S
    max_age_days: float = DEFAULT_MAX_AGE_DAYS

    @classmethod
    def from_settings(cls, ingest: IngestSettings) -> TimeWindow:
        """The window the settings ask for (``ingest.max_clock_skew_s``, ``max_age_days``)."""
        return cls(max_clock_skew_s=ingest.max_clock_skew_s, max_age_days=ingest.max_age_days)

    @cached_property
    def max_skew(self) -> timedelta:
        return timedelta(seconds=self.max_clock_skew_s)

    @cached_property
    def max_age(self) -> timedelta:
        return timedelta(days=self.max_age_days)

    def problem(self, ts: datetime, *, now: datetime, check_age: bool = True) -> str | None:
        """Why ``ts`` (UTC-naive) is not believable at ``now``, or None when it is.

        Parameters
        ----------
        ts
            The message time, UTC-naive.
        now
            The server clock, UTC-naive.
        check_age
            Also refuse times older than ``max_age_days`` (historic files do not).
        """
        if ts - now > self.max_skew:
            return (
                f"ts {ts:%Y-%m-%d %H:%M:%S} UTC is {_span(ts - now)} ahead of the server clock "
                f"(more than ingest.max_clock_skew_s = {self.max_clock_skew_s:g} s)"
            )
        if check_age and now - ts > self.max_age:
            return (
                f"ts {ts:%Y-%m-%d %H:%M:%S} UTC is {_span(now - ts)} old "
                f"(older than ingest.max_age_days = {self.max_age_days:g})"
            )
        return None

    def problems(self, ts: pa.Array, *, now: datetime, check_age: bool = True) -> list[str | None]:
        """:meth:`problem` for each element of a ``timestamp[us]`` array (nulls pass)."""
        values = np.asarray(ts.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype="float64")
        latest = np.datetime64(now + self.max_skew, "us").astype("int64")
        earliest = np.datetime64(now - self.max_age, "us").astype("int64")
        with np.errstate(invalid="ignore"):
            out_of_window = values > latest
            if check_age:
                out_of_window |= values < earliest
        out: list[str | None] = [None] * len(values)
        stamps = ts.to_pylist()
        for i in np.flatnonzero(out_of_window):
            out[i] = self.problem(stamps[i], now=now, check_age=check_age)
        return out


def _span(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.0f} days"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds:.0f} s"


DEFAULT_WINDOW = TimeWindow()
