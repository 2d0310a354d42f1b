"""Saying when the event loop stalls, and what ran: every Slack answer waits on this loop.

Slack wants an answer within 3 s; one piece of work that keeps the loop for a second (a long
render, a big parse, a blocking call) delays every request and every task behind it, and
nothing else shows it. A task beats every ``BEAT_SECONDS``; a thread watches the beats, and
when none came for ``STALL_SECONDS`` it takes the loop thread's stack (what is running
there now: files, lines and functions, no values). Once the loop runs again the task logs
the stall's length with that stack.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
import time
import traceback

log = logging.getLogger(__name__)
# A stall this long is logged: a sixth of Slack's 3 s, far over any step the loop should take.
STALL_SECONDS = 0.5
BEAT_SECONDS = 0.1
# Frames of the stack said (the innermost ones: where the time went).
FRAMES = 12


class StallWatch:
    """Logs each stall of the running event loop over ``STALL_SECONDS`` with what ran."""

    def __init__(self, stall_seconds: float = STALL_SECONDS) -> None:
        self.stall_seconds = stall_seconds
        self._beat = time.monotonic()
        self._seen: str | None = None  # the loop thread's stack, taken during a stall
        self._stop = threading.Event()
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        loop_thread = threading.get_ident()
        self._beat = time.monotonic()
        self._task = asyncio.create_task(self._beating(), name="warroom stall watch")
        self._thread = threading.Thread(
            target=self._watch, args=(loop_thread,), name="warroom stall watch", daemon=True
        )
        self._thread.start()

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)

    async def _beating(self) -> None:
        while True:
            await asyncio.sleep(BEAT_SECONDS)
            now = time.monotonic()
            late = now - self._beat - BEAT_SECONDS
            self._beat = now
            seen, self._seen = self._seen, None
            if late >= self.stall_seconds:
                log.warning(
                    "the event loop stalled for %.2f s; it was running:\n%s",
                    late,
                    seen or "(not seen)",
                )

    def _watch(self, loop_thread: int) -> None:
        while not self._stop.wait(BEAT_SECONDS / 2):
            if self._seen is None and time.monotonic() - self._beat > self.stall_seconds:
                frame = sys._current_frames().get(loop_thread)
                if frame is not None:
                    self._seen = "".join(traceback.format_stack(frame, limit=FRAMES))
