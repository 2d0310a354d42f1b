"""What the fake vendor servers share: listening on 127.0.0.1, injected failures, waiting.

A fake subclasses ``FakeHttpServer`` and answers every request in ``handle``; where its
vendor would, it takes the oldest injected mishap with ``next_mishap`` (a ``fail`` or a
``stall``, queued in call order) and answers with the mishap's status in its vendor's words.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

from aiohttp import web

STALL_STATUS = 504  # what a stalled request is finally answered with (if the client still waits)
_POLL_INTERVAL = 0.01


@dataclass
class Mishap:
    """A pending ``fail`` or ``stall`` for the next ``times`` requests."""

    times: int
    status: int = STALL_STATUS
    retry_after: int | None = None
    stall: float | None = None  # seconds; None for an immediate failure

    @property
    def stalled(self) -> bool:
        return self.stall is not None

    @property
    def headers(self) -> dict[str, str]:
        """The answer's headers: ``Retry-After`` when one was asked for."""
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


class FakeHttpServer:
    """An aiohttp server on 127.0.0.1 (a free port) answering every path with ``handle``."""

    # The largest body aiohttp reads (its own default); a fake that must see larger bodies to
    # refuse them in its vendor's words raises it.
    client_max_size = 1024**2

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._root: str | None = None
        self._mishaps: deque[Mishap] = deque()
        self._closing = asyncio.Event()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raise NotImplementedError

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (port 0 picks a free one); see ``root``."""
        if self._runner is not None:
            raise RuntimeError(f"{type(self).__name__} is already running")
        self._closing = asyncio.Event()
        app = web.Application(client_max_size=self.client_max_size)
        app.router.add_route("*", "/{path:.*}", self.handle)
        # A short shutdown timeout: a test's stop() must not hang on a client's keep-alive.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        self._root = f"http://{host}:{runner.addresses[0][1]}"

    async def stop(self) -> None:
        """Stop listening; requests still stalled are answered at once. Safe to call twice."""
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def root(self) -> str:
        """``http://127.0.0.1:PORT`` (only once started)."""
        if self._root is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._root

    # -- failure injection -----------------------------------------------------------------
    def fail(self, status: int, *, times: int = 1, retry_after: int | None = None) -> None:
        """Answer the next ``times`` requests with HTTP ``status`` (4xx/5xx); none is taken.

        ``retry_after`` adds a Retry-After header (seconds), as on a 429. ``fail`` and
        ``stall`` queue up in call order: each request takes the oldest pending one.
        """
        if not 400 <= status <= 599:
            raise ValueError(f"fail() needs a 4xx or 5xx status, not {status}")
        self._mishaps.append(Mishap(_positive(times), status, retry_after))

    def stall(self, seconds: float, *, times: int = 1) -> None:
        """Hold the next ``times`` requests for ``seconds`` before answering (to make clients
        time out).

        A stalled request is never taken: if the client is still waiting it finally gets HTTP
        504. ``stop()`` ends a stall early. Queued with ``fail`` in call order.
        """
        if seconds < 0:
            raise ValueError(f"stall() needs seconds >= 0, not {seconds}")
        self._mishaps.append(Mishap(_positive(times), stall=seconds))

    def recover(self) -> None:
        """Forget every pending mishap: the service answers normally again (an outage ends)."""
        self._mishaps.clear()

    async def next_mishap(self) -> Mishap | None:
        """Take the oldest pending mishap, if any; a stall is waited out (until ``stop()``)
        before it is returned, for the fake to answer with its ``status``."""
        if not self._mishaps:
            return None
        mishap = self._mishaps[0]
        mishap.times -= 1
        if mishap.times <= 0:
            self._mishaps.popleft()
        if mishap.stall is not None:
            await self.hold(mishap.stall)
        return mishap

    async def hold(self, seconds: float) -> None:
        """Wait ``seconds``, or until ``stop()``."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    # -- waiting ---------------------------------------------------------------------------
    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Poll ``predicate`` until it returns something truthy and return that.

        Raises AssertionError after ``timeout`` seconds, with what ``describe`` says the fake
        received.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (value := predicate()):
            if loop.time() >= deadline:
                name = getattr(predicate, "__qualname__", repr(predicate))
                message = (
                    f"{type(self).__name__}.wait_for({name}) still falsy ({value!r}) "
                    f"after {timeout}s"
                )
                raise AssertionError("; ".join(filter(None, [message, self.describe()])))
            await asyncio.sleep(_POLL_INTERVAL)
        return value

    def describe(self) -> str:
        """What the fake received, for a failed ``wait_for`` (nothing unless a fake says)."""
        return ""


def _positive(times: int) -> int:
    if times < 1:
        raise ValueError(f"times must be >= 1, not {times}")
    return times
