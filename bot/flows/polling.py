"""A task each replica runs in the background: a round of work, then a wait, until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.services import Services

log = logging.getLogger(__name__)


class Poller:
    """Runs ``round`` every ``WARROOM_SCHEDULER_INTERVAL`` seconds (sooner when ``wake`` is
    set), until stopped. A round that fails is logged; the next one tries again (the
    database may be restarting)."""

    name = "warroom poller"

    def __init__(self, services: Services, wake: asyncio.Event | None = None) -> None:
        self.services = services
        self._wake = wake or asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def round(self) -> None:
        raise NotImplementedError

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.round()
            except Exception:
                log.exception("%s: a round failed", self.name)
            # asyncio.timeout, not wait_for: on Python 3.11, wait_for swallows a cancellation
            # that comes as the event is set (a wake at shutdown), and stop() then waited for
            # ever on a loop that went on (seen as a test's cleanup hanging 120 s).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.services.settings.runtime.scheduler_interval):
                    await self._wake.wait()
