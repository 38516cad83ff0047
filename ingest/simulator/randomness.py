"""Deterministic randomness as pure functions of (keys, time): hashed uniforms and smooth noise.

Every reading is a function of the seed, the source and the simulated moment, so the same
seed replays the same day, whatever the start time or the order of evaluation.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence

_MASK = 0xFFFFFFFFFFFFFFFF
_INV64 = 1.0 / 2**64


def text_key(text: str) -> int:
    """A stable integer key for a name (crc32; Python's ``hash`` of str is salted)."""
    return zlib.crc32(text.encode("utf-8"))


def unit(a: int, b: int, c: int = 0) -> float:
    """A uniform number in [0, 1) determined by three integers.

    The three are spread by large odd multipliers, then one splitmix64 finaliser mixes them
    (inlined: this is the simulator's hottest function).
    """
    x = (a * 0x9E3779B97F4A7C15 + b * 0xC2B2AE3D27D4EB4F + c * 0x165667B19E3779F9) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return (x ^ (x >> 31)) * _INV64


def normal(a: int, b: int, c: int = 0) -> float:
    """A standard normal number determined by three integers (Box-Muller)."""
    u1 = unit(a, b, c) or 1e-12
    u2 = unit(a, b, c + 0x5BD1E995)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2 * math.pi * u2)


def smooth(key: int, t: float, period: float) -> float:
    """Smooth value noise in [0, 1] over time: new random knots every ``period`` seconds."""
    x = t / period
    i = math.floor(x)
    f = x - i
    f = f * f * (3.0 - 2.0 * f)
    a = unit(key, i, 7)
    return a + (unit(key, i + 1, 7) - a) * f


def wobble(key: int, t: float, period: float) -> float:
    """Smooth noise in [-1, 1] with two octaves (``period`` and a third of it)."""
    return 1.3 * (smooth(key, t, period) - 0.5) + 0.7 * (smooth(key + 1, t, period / 3) - 0.5)


def poisson(lam: float, u: float) -> int:
    """The Poisson(``lam``) count whose CDF first reaches the uniform ``u``."""
    if lam <= 0:
        return 0
    p = math.exp(-lam)
    cdf, k = p, 0
    while u > cdf and k < 1000:
        k += 1
        p *= lam / k
        cdf += p
    return k


def pick(cumulative: Sequence[float], u: float) -> int:
    """Index chosen by a uniform ``u`` from cumulative weights (last entry = total)."""
    target = u * cumulative[-1]
    lo, hi = 0, len(cumulative) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cumulative[mid] > target:
            hi = mid
        else:
            lo = mid + 1
    return lo
