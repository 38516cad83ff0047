"""Token buckets per client (a public endpoint's rate limit) with bounded memory (pure: the
time comes in as a parameter)."""

from __future__ import annotations

import threading
from collections import OrderedDict


class TokenBuckets:
    """One token bucket per key (a client address), ``burst`` deep, refilled at ``rate_per_s``.

    At most ``max_keys`` buckets are kept: the least recently seen key is forgotten first
    (it comes back with a full bucket), so a client that keeps asking stays tracked.
    """

    def __init__(self, *, rate_per_s: float, burst: int, max_keys: int) -> None:
        if rate_per_s <= 0 or burst < 1 or max_keys < 1:
            raise ValueError("rate_per_s > 0, burst >= 1 and max_keys >= 1 are needed")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, *, now: float) -> float:
        """Take a token for ``key`` at monotonic time ``now``.

        Returns
        -------
        float
            0.0 when a token was taken; otherwise the seconds until one is there (the
            request is refused and nothing is taken).
        """
        with self._lock:
            tokens, last = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + max(0.0, now - last) * self.rate_per_s)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate_per_s
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return wait

    def __len__(self) -> int:
        with self._lock:
            return len(self._buckets)
