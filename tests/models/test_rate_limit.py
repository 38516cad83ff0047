"""Token buckets per client address: refill, refusal with a wait, bounded memory."""

from models.rate_limit import TokenBuckets


def test_burst_then_refusal_with_the_wait_then_refill():
    buckets = TokenBuckets(rate_per_s=0.5, burst=2, max_keys=10)
    assert buckets.take("a", now=0.0) == 0.0
    assert buckets.take("a", now=0.0) == 0.0
    wait = buckets.take("a", now=0.0)
    assert wait == 2.0  # one token comes back after 1 / 0.5 s
    assert buckets.take("b", now=0.0) == 0.0  # another address has its own bucket
    assert buckets.take("a", now=1.0) == 1.0
    assert buckets.take("a", now=2.0) == 0.0
    assert buckets.take("a", now=100.0) == 0.0  # never more than the burst
    assert buckets.take("a", now=100.0) == 0.0
    assert buckets.take("a", now=100.0) > 0


def test_memory_is_bounded():
    buckets = TokenBuckets(rate_per_s=1.0, burst=1, max_keys=100)
    for i in range(10_000):
        buckets.take(f"10.0.{i // 256}.{i % 256}", now=0.0)
    assert len(buckets) <= 100


def test_a_refused_address_is_not_forgotten_first():
    """The least recently seen addresses go first, so the one hammering stays tracked."""
    buckets = TokenBuckets(rate_per_s=0.001, burst=1, max_keys=3)
    buckets.take("attacker", now=0.0)
    for i in range(10):
        buckets.take(f"other-{i}", now=0.0)
        assert buckets.take("attacker", now=0.0) > 0
