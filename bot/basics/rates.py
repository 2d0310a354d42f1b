"""How often each sender may be let in: ``KeyRates``, a token bucket per key.

A bucket holds a minute's allowance and fills again at that pace: a sender that has been
quiet may send a whole minute's worth at once (a storm of alerts), and past it one every
``60 / per_minute`` seconds. Opsgenie documents the same algorithm for its own API
(https://docs.opsgenie.com/docs/api-rate-limiting: "Token Bucket Algorithm is used for rate
limiting"). Kept in this process's memory: each replica counts what it was sent.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class _Bucket:
    tokens: float
    at: datetime


@dataclass
class KeyRates:
    """A bucket per key. Only keys already known are counted (the caller checks a key
    before it takes from its bucket): a stranger cannot fill memory with made-up ones."""

    _buckets: dict[Hashable, _Bucket] = field(default_factory=dict)

    def take(self, key: Hashable, per_minute: int, now: datetime) -> int | None:
        """One from ``key``'s bucket: None when it had one (let in), else the whole seconds
        until it has one again (``Retry-After``). ``per_minute`` 0: no limit."""
        if per_minute <= 0:
            return None
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(per_minute), now)
        elapsed = max((now - bucket.at).total_seconds(), 0.0)
        bucket.tokens = min(float(per_minute), bucket.tokens + elapsed * per_minute / 60)
        bucket.at = max(now, bucket.at)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return max(1, math.ceil((1 - bucket.tokens) * 60 / per_minute))
