"""Pages first: while a process writes a page, its other work waits at its next step.

A process's event loop runs every task in turn: while an alert that pages is applied, the
tasks opening war rooms, posting messages and applying a storm's other bodies take their
turns at each of its awaits, so its dozen statements each waited for whatever those did
next (bench/RESULTS.md, "Where an alert-only page's time goes"). Here a page's work says it
is ``urgent`` and the rest waits at the steps that start work (a database session opened, a
Slack call, a job started) while any page's is in flight, and goes on as soon as none is.

A wait is never longer than ``LONGEST_HOLD_SECONDS``: a task waiting here may hold what the
page needs (a row lock of an open transaction, a connection), and then the page waits for
it; bounded, that costs the page at most the hold, never a deadlock. Work that is urgent
itself, or that Slack waits on (``answers_slack``: an event's or a command's answer), never
waits here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from weakref import WeakKeyDictionary

# The longest a step of other work waits for the pages in flight.
LONGEST_HOLD_SECONDS = 0.25

# Whether this task's work is a page's (or answers Slack): it never waits here.
_EXEMPT: ContextVar[bool] = ContextVar("warroom_precedence_exempt", default=False)


class _Pages:
    """The pages in flight on one event loop, and the event set when there are none."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.none = asyncio.Event()
        self.none.set()


_LOOPS: WeakKeyDictionary[asyncio.AbstractEventLoop, _Pages] = WeakKeyDictionary()


def _pages() -> _Pages | None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    pages = _LOOPS.get(loop)
    if pages is None:
        pages = _LOOPS[loop] = _Pages()
    return pages


@contextmanager
def urgent() -> Iterator[None]:
    """This task's work is a page's: the rest waits for it (see the docstring)."""
    pages, token = _pages(), _EXEMPT.set(True)
    if pages is not None:
        pages.in_flight += 1
        pages.none.clear()
    try:
        yield
    finally:
        _EXEMPT.reset(token)
        if pages is not None:
            pages.in_flight -= 1
            if pages.in_flight == 0:
                pages.none.set()


@contextmanager
def exempt() -> Iterator[None]:
    """This task's work never waits for pages (it answers Slack, which waits on it)."""
    token = _EXEMPT.set(True)
    try:
        yield
    finally:
        _EXEMPT.reset(token)


async def after_pages() -> None:
    """Wait (at most ``LONGEST_HOLD_SECONDS``) while a page's work is in flight, unless this
    task's own work is a page's or answers Slack."""
    if _EXEMPT.get():
        return
    pages = _pages()
    if pages is None or pages.none.is_set():
        return
    try:
        async with asyncio.timeout(LONGEST_HOLD_SECONDS):
            await pages.none.wait()
    except TimeoutError:
        return
