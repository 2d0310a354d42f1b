"""What the fake vendor servers share: listening on 127.0.0.1, injected failures, waiting."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

from aiohttp import web

_POLL_INTERVAL = 0.01


@dataclass
class Failure:
    """A pending ``fail`` for the next ``times`` requests."""

    times: int
    status: int
    retry_after: int | None = None


class FakeHttpServer:
    """An aiohttp server on 127.0.0.1 (a free port) answering every path with ``handle``."""

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._root: str | None = None
        self._failures: deque[Failure] = deque()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raise NotImplementedError

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if self._runner is not None:
            raise RuntimeError(f"{type(self).__name__} is already running")
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self.handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        self._root = f"http://{host}:{runner.addresses[0][1]}"

    async def stop(self) -> None:
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

    def fail(self, status: int, *, times: int = 1, retry_after: int | None = None) -> None:
        """Answer the next ``times`` requests with HTTP ``status`` (and a Retry-After)."""
        if not 400 <= status <= 599 or times < 1:
            raise ValueError(f"fail() needs a 4xx or 5xx status and times >= 1 ({status}, {times})")
        self._failures.append(Failure(times, status, retry_after))

    def take_failure(self) -> Failure | None:
        if not self._failures:
            return None
        failure = self._failures[0]
        failure.times -= 1
        if failure.times <= 0:
            self._failures.popleft()
        return failure

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Poll ``predicate`` until it is truthy and return its value; AssertionError after
        ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (value := predicate()):
            if loop.time() >= deadline:
                raise AssertionError(f"{type(self).__name__}: still {value!r} after {timeout}s")
            await asyncio.sleep(_POLL_INTERVAL)
        return value
