"""Work that runs after Slack has been answered, kept track of so shutdown can wait for it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)
# How long cancelled work gets to run its cleanup at shutdown (a delivery gives its outbox
# lease back: one write, which on a loaded machine waits behind other writers).
# With the 7 s of grace (bot/app.py) the process still ends within 10 s of the signal.
UNWIND_SECONDS = 2.5


class BackgroundTasks:
    """A set of running tasks: referenced until done, awaited on shutdown."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        # Set when shutdown begins: the loop time by which ``drain`` gives up waiting.
        self._deadline: float | None = None

    def spawn(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run ``work`` now, in the background."""
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    @property
    def running(self) -> int:
        """How many tasks are running now."""
        return len(self._tasks)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    def finish_by(self, deadline: float) -> None:
        """Shutdown has begun: ``drain`` waits no later than ``deadline`` (loop time)."""
        self._deadline = deadline

    def time_left(self, timeout: float) -> float:
        """``timeout``, or what is left of the shutdown's grace once that has begun if less."""
        if self._deadline is None:
            return timeout
        return max(0.0, min(timeout, self._deadline - asyncio.get_running_loop().time()))

    async def drain(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds (and not past the shutdown deadline, once set) for
        running work; cancel what is still running."""
        if not self._tasks:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.time_left(timeout)
        pending: set[asyncio.Task[Any]] = set()
        # Work may start more work (a command in its channel's line hands the rest of itself
        # on): waited for too, until none is left or the time is up.
        while self._tasks:
            _done, pending = await asyncio.wait(
                set(self._tasks), timeout=max(0.0, deadline - loop.time())
            )
            if pending:
                break
        for task in pending:
            log.warning("cancelling unfinished background task %s at shutdown", task.get_name())
            task.cancel()
        if pending:
            # Let them unwind while the database is still open: a cancelled delivery gives its
            # channel's outbox lease back, or the next start could not send there for minutes.
            await asyncio.wait(pending, timeout=UNWIND_SECONDS)
