"""The one retry schedule (bot/basics/backoff.py) and the schedules its users get from it."""

from __future__ import annotations

from datetime import timedelta

from bot.basics.backoff import backoff
from bot.flows import outbox, scheduler
from bot.flows.status_page import subscriptions


def seconds(waits: list[timedelta]) -> list[float]:
    return [wait.total_seconds() for wait in waits]


def test_the_wait_doubles_from_the_first_up_to_the_longest() -> None:
    waits = [
        backoff(n, first=timedelta(seconds=10), longest=timedelta(minutes=10)) for n in range(9)
    ]
    assert seconds(waits) == [10, 20, 40, 80, 160, 320, 600, 600, 600]


def test_without_a_cap_it_keeps_doubling_and_never_overflows() -> None:
    assert backoff(3, first=timedelta(seconds=30)) == timedelta(minutes=4)
    assert backoff(10_000, first=timedelta(seconds=1), longest=timedelta(hours=1)) == timedelta(
        hours=1
    )
    assert backoff(-1, first=timedelta(seconds=5)) == timedelta(seconds=5)


def test_what_the_other_side_asked_is_the_least_wait() -> None:
    first, longest = timedelta(seconds=15), timedelta(minutes=10)
    assert backoff(0, first=first, longest=longest, asked=120) == timedelta(minutes=2)
    # A Retry-After beyond the cap is honoured: the vendor said when to come back.
    assert backoff(0, first=first, longest=longest, asked=timedelta(hours=1)) == timedelta(hours=1)
    assert backoff(2, first=first, longest=longest, asked=0) == timedelta(minutes=1)


def test_each_durable_retry_keeps_its_schedule() -> None:
    assert seconds([scheduler.failure_backoff(n) for n in (0, 1, 5, 6, 20)]) == [
        10, 20, 320, 600, 600,
    ]  # fmt: skip
    assert [outbox._wait_for(RuntimeError("down"), n) for n in (0, 1, 5, 6, 40)] == [
        1, 2, 32, 60, 60,
    ]  # fmt: skip
    assert seconds([subscriptions._backoff(n) for n in (0, 1, 6, 7, 30)]) == [
        30, 60, 1920, 3600, 3600,
    ]  # fmt: skip
