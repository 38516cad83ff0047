"""What "stale" means for a sensor (SPEC §2.4): one definition for registry, map and rules.

A sensor is stale when it has missed three expected reports: more than three of its
``interval_s`` have passed since it was last heard from. Exactly three intervals is still
fresh (the third report is due then, not missed). A time from the future is not believed:
a reading dated beyond ``now + max_clock_skew_s`` never makes a sensor look alive.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd

#: A sensor that misses this many expected intervals is stale.
STALE_AFTER_INTERVALS = 3
#: Default of ``ingest.max_clock_skew_s``: how far ahead of the server clock a ``ts`` may be.
MAX_CLOCK_SKEW_S = 300.0

Ages = TypeVar("Ages", float, np.ndarray, pd.Series)


def is_stale(age_s: Ages, interval_s: Ages) -> Ages:
    """Whether a sensor last heard ``age_s`` seconds ago is stale (element-wise for arrays).

    Parameters
    ----------
    age_s
        Seconds since the sensor's last reading (NaN: never heard, which is not "stale"
        but "never"; the caller tells them apart).
    interval_s
        The sensor's expected reporting interval in seconds.

    Returns
    -------
    bool, or a boolean array / Series shaped like the inputs
        ``age_s > 3 × interval_s``.
    """
    return age_s > STALE_AFTER_INTERVALS * interval_s  # type: ignore[return-value,operator]
