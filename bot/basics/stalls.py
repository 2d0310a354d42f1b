"""Saying when the event loop stalls, and what ran: every Slack answer waits on this loop.

Slack wants an answer within 3 s; one piece of work that keeps the loop for a second (a long
render, a big parse, a blocking call) delays every request and every task behind it, and
nothing else shows it. A task beats every ``BEAT_SECONDS``; a thread watches the beats, and
when none came for ``STALL_SECONDS`` it takes the loop thread's stack (what is running
there now: files, lines and functions, no values). Once the loop runs again the task logs
the stall's length with that stack.

The stack is read by ``faulthandler``, in C, while the watching thread holds the GIL, and
never as Python frame objects: a frame object of another thread, held while that thread runs
on (``traceback`` reads source files, giving the GIL up), outlives the frame it stands for,
which is how a watcher can bring down the process it watches.
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import logging
import re
import tempfile
import threading
import time

log = logging.getLogger(__name__)
# A stall this long is logged: a sixth of Slack's 3 s, far over any step the loop should take.
STALL_SECONDS = 0.5
BEAT_SECONDS = 0.1
# Frames of the stack said (the innermost ones: where the time went).
FRAMES = 12
# How faulthandler names each thread in its dump: "Thread 0x…" ("Current thread 0x…").
THREAD_HEADER = re.compile(r"[Tt]hread 0x([0-9a-f]+)")


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
                self._seen = loop_stack(loop_thread)


def loop_stack(thread: int) -> str | None:
    """The innermost ``FRAMES`` frames of ``thread`` (most recent first), as faulthandler
    says them; None when it could not be read."""
    with tempfile.TemporaryFile() as dump:
        faulthandler.dump_traceback(dump, all_threads=True)
        dump.seek(0)
        text = dump.read().decode(errors="replace")
    for section in text.split("\n\n"):
        lines = section.strip("\n").splitlines()
        named = THREAD_HEADER.search(lines[0]) if lines else None
        if named is not None and int(named.group(1), 16) == thread:
            frames = [line.strip() for line in lines[1 : FRAMES + 1]]
            return "\n".join(["(most recent call first)", *frames])
    return None
