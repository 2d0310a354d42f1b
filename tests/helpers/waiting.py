"""Waiting on the wall clock, for tests that run the bot in real time (storms, replicas)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

import pytest

from bot.store.columns import utcnow
from tests.conftest import Clock


class RealClock(Clock):
    """The wall clock: job retries and backoff fall due on their own."""

    def __call__(self) -> datetime:
        return utcnow()


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    """Until ``check`` says so; fails after ``timeout`` seconds naming ``what`` it waited for."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.2)
