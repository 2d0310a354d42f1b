"""How long a durable retry waits: one doubling schedule for every job, outbox write and
vendor call that is tried again (the scheduler's failed jobs, the Slack outbox, Statuspage,
status page subscribers' mails and webhooks' challenges, the import clients).

``first`` after the first failure, twice that after the second, and so on, capped at
``longest``; never sooner than the other side asked (a 429's ``Retry-After``)."""

from __future__ import annotations

from datetime import timedelta

# 2**32 times any first wait is past every cap, and still a timedelta (no overflow).
MAX_DOUBLINGS = 32


def backoff(
    attempt: int,
    *,
    first: timedelta,
    longest: timedelta | None = None,
    asked: timedelta | float | None = None,
) -> timedelta:
    """The wait after failed attempt number ``attempt`` (0: the first try failed):
    ``first * 2**attempt``, at most ``longest``, at least ``asked`` (seconds, or a timedelta)."""
    wait: timedelta = first * 2 ** min(max(attempt, 0), MAX_DOUBLINGS)
    if longest is not None:
        wait = min(wait, longest)
    if asked is not None:
        wait = max(wait, asked if isinstance(asked, timedelta) else timedelta(seconds=asked))
    return wait
