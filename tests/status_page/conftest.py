"""What the status page's subscription tests share: a real SMTP server (aiosmtpd on
127.0.0.1) and a subscriber's receiving webhook on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from email.message import Message

import pytest
from aiohttp import web

from tests.helpers.mail import Mailbox, smtp_server


def text_of(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    with smtp_server(box) as port:
        yield box, port


class Receiver:
    """A subscriber's webhook: keeps each notice's headers and raw body, and answers a
    challenge (``{"type": "url_verification", "challenge": ...}``) as Slack's Events API
    documentation tells a Request URL to: HTTP 200, ``Content-type: text/plain``, the
    challenge's value as the body (https://api.slack.com/events/url_verification).

    ``mode``: ``ok``; ``hang`` (answers nothing until ``release`` is set, or the test ends);
    ``fail`` (HTTP 500 to everything but the challenge); ``no_echo`` (204 to a challenge too,
    as a receiver that never heard of it); ``reflect`` (sends back whatever it is sent, as an
    echo service)."""

    def __init__(self, mode: str = "ok") -> None:
        self.mode = mode
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.challenges: list[str] = []
        self.release = asyncio.Event()
        # When each notice arrived (the event loop's clock).
        self.arrived: list[float] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        document = json.loads(body) if body.startswith(b"{") else {}
        if self.mode == "reflect":
            return web.Response(body=body, content_type="application/json")
        if document.get("type") == "url_verification":
            self.challenges.append(str(document.get("challenge")))
            if self.mode == "no_echo":
                return web.Response(status=204)
            return web.Response(text=str(document["challenge"]), content_type="text/plain")
        self.received.append((dict(request.headers), body))
        self.arrived.append(asyncio.get_running_loop().time())
        if self.mode == "hang":
            await self.release.wait()
        if self.mode == "fail":
            return web.Response(status=500)
        return web.Response(status=204)


@asynccontextmanager
async def receivers(*hooks: Receiver) -> AsyncIterator[list[str]]:
    """Serve each hook on 127.0.0.1 at a path of its own; their URLs."""
    app = web.Application()
    for n, hook in enumerate(hooks):
        app.router.add_post(f"/hook{n}", hook.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield [f"http://127.0.0.1:{port}/hook{n}" for n in range(len(hooks))]
    finally:
        for hook in hooks:
            hook.release.set()
        await runner.cleanup()


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    hook = Receiver()
    async with receivers(hook) as (url,):
        yield hook, url
