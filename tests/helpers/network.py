"""Networks that fail as real ones do, for tests: a TCP proxy on 127.0.0.1 that can be cut
(the server is down) or held (the server hangs: connections open, no bytes back); and an
aiohttp application served there (``served``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web


class TcpProxy:
    """Forwards a port on 127.0.0.1 to ``target``, and fails on demand.

    ``cut`` drops every connection and refuses new ones (the server is down); ``restore``
    listens again on the same port. ``hold`` stops passing bytes on without closing anything
    (the server hangs). ``sent`` keeps what clients sent, to see when a request went out.
    """

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.sent = bytearray()
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.Task[Any]] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def restore(self) -> None:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for task in list(self._links):
            task.cancel()
        await asyncio.gather(*self._links, return_exceptions=True)

    def hold(self) -> None:
        self._flowing.clear()

    def release(self) -> None:
        self._flowing.set()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._links.add(task)
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            self._links.discard(task)
            return
        try:
            await asyncio.gather(
                self._pipe(reader, upstream_writer, self.sent),
                self._pipe(upstream_reader, writer, None),
            )
        except asyncio.CancelledError:
            pass  # cut: asyncio would log a link that ends cancelled as an error
        finally:
            upstream_writer.close()
            writer.close()
            self._links.discard(task)

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, kept: bytearray | None
    ) -> None:
        try:
            while data := await reader.read(65536):
                if kept is not None:
                    kept += data
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def proxy_to(host: str, port: int) -> AsyncIterator[TcpProxy]:
    proxy = TcpProxy(host, port)
    await proxy.restore()
    try:
        yield proxy
    finally:
        proxy.release()
        await proxy.cut()


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname is not None
    return parts.hostname, parts.port or 5432


@asynccontextmanager
async def served(app: web.Application) -> AsyncIterator[str]:
    """``app`` served on 127.0.0.1 until the block ends: its root URL (a vendor's fake)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()
