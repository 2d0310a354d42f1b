"""Untrusted input parsed off the event loop, with a time limit: ``UntrustedParsing.run``.

What strangers and other systems send (a delivery report, an alert body, an iCal feed) is read
by pure-Python parsers (``email``, ``icalendar``, ``dateutil``) whose time is not linear in
the input: a 70 KB delivery report with a malformed header kept the standard library's
``email`` parser busy for 11.8 s. Run on the event loop, that stops everything else (Slack's
answers, alert intake, paging); the caller caps the size first, and this runs the parse in a
worker process and gives up on it after ``seconds``.

A process, not a thread: a thread cannot be stopped (Python has no way to kill one, so a parse
of hours would hold it for hours) and it holds the GIL while it parses, so the event loop
would still get only part of the CPU. A worker process that overruns is killed (SIGKILL) and
replaced at the next parse; the caller gets ``ParseTooSlow`` and refuses the input.

Each worker is a ``ProcessPoolExecutor`` of one process, so that killing it ends that parse
alone (a broken pool fails every parse in it). Workers are forked from a fork server that has
imported the parsers' modules once (``preload``): no fork of the threaded server process
itself, and a new worker is ready in milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from typing import ParamSpec, TypeVar

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")
# What a worker adds to its niceness (Unix: 0 by default, 19 the least CPU).
NICENESS = 10


class ParseTooSlow(Exception):
    """The parse went past its time limit (or its worker died): the input is refused."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"not read within {seconds:g} s")
        self.seconds = seconds

    def __reduce__(self) -> tuple[type[ParseTooSlow], tuple[float]]:
        return (ParseTooSlow, (self.seconds,))


@dataclass(eq=False)
class _Worker:
    pool: ProcessPoolExecutor
    pid: int
    ended: bool = False


class UntrustedParsing:
    """Up to ``workers`` parses at once, each in a worker process, each given ``seconds``;
    more wait their turn. Started lazily; ``close`` ends the workers.

    ``workers=0`` parses in the caller, with no limit: for one-off commands (``warroom alerts
    replay``), whose event loop serves nobody else and whose input was read within the limit
    once already."""

    def __init__(
        self, *, workers: int, seconds: float, preload: Sequence[str] = (), inline_below: int = 0
    ) -> None:
        self.workers = workers
        self.seconds = seconds
        self.inline_below = inline_below
        self._preload = list(preload)
        self._turns = asyncio.Semaphore(max(workers, 1))
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args, **kwargs)`` in a worker (``fn`` a module's function, its arguments
        and result picklable); what it raises is raised here; ParseTooSlow past the limit."""
        if not self.workers:
            return fn(*args, **kwargs)
        async with self._turns:
            worker = self._idle.pop() if self._idle else await self._start()
            self._busy.add(worker)
            loop = asyncio.get_running_loop()
            try:
                result = await asyncio.wait_for(
                    loop.run_in_executor(worker.pool, partial(fn, *args, **kwargs)),
                    self.seconds,
                )
            except TimeoutError:
                self._end(worker)
                raise ParseTooSlow(self.seconds) from None
            except BrokenProcessPool:
                # The worker died under the parse (out of memory, killed): refused as well. Its
                # process is gone (its number may be another's by now): not signalled.
                self._end(worker, kill=False)
                raise ParseTooSlow(self.seconds) from None
            except asyncio.CancelledError:
                self._end(worker)  # nobody waits for what it is doing
                raise
            except BaseException:
                self._keep(worker)  # the parser refused the input: the worker is fine
                raise
            self._keep(worker)
            return result

    async def run_sized(
        self, size: int, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """As ``run``, but an input of fewer than ``inline_below`` bytes is read here, at
        once: for readers whose time grows with the size alone, where a worker's round trip
        (and, in a burst, its turn) costs more than the read."""
        if size < self.inline_below:
            return fn(*args, **kwargs)
        return await self.run(fn, *args, **kwargs)

    async def prepare(self) -> None:
        """Start the fork server now (it imports the parsers meanwhile), so that the first
        parse does not wait for it."""
        self._context()
        await asyncio.to_thread(multiprocessing.forkserver.ensure_running)

    async def close(self) -> None:
        """End every worker (one still parsing is killed)."""
        for worker in list(self._busy):
            self._end(worker)
        idle, self._idle = self._idle, []
        for worker in idle:
            await asyncio.to_thread(worker.pool.shutdown, wait=True, cancel_futures=True)

    def _context(self) -> multiprocessing.context.ForkServerContext:
        context = multiprocessing.get_context("forkserver")
        if self._preload:
            # The fork server imports them once, at its start.
            context.set_forkserver_preload(self._preload)
        return context

    async def _start(self) -> _Worker:
        # At a lower CPU priority than the server: on a busy machine, a hostile parse running
        # to its limit takes no CPU the event loop wants.
        pool = ProcessPoolExecutor(
            max_workers=1, mp_context=self._context(), initializer=os.nice, initargs=(NICENESS,)
        )
        # Its process starts with the first task: this one says which process it is.
        pid = await asyncio.get_running_loop().run_in_executor(pool, os.getpid)
        return _Worker(pool, pid)

    def _keep(self, worker: _Worker) -> None:
        self._busy.discard(worker)
        self._idle.append(worker)

    def _end(self, worker: _Worker, *, kill: bool = True) -> None:
        if worker.ended:
            return  # a process number is signalled once: after that it may be another's
        worker.ended = True
        self._busy.discard(worker)
        if kill:
            with contextlib.suppress(ProcessLookupError):  # it had died already
                os.kill(worker.pid, signal.SIGKILL)
        # Its manager thread reaps the process; nothing here waits for it.
        worker.pool.shutdown(wait=False, cancel_futures=True)
