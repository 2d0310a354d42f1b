"""What the status page's subscription tests share: a real SMTP server (aiosmtpd on
127.0.0.1) and a subscriber's receiving webhook on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
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
    """A subscriber's webhook: keeps each request's headers and raw body."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        return web.Response(status=204)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield hook, f"http://127.0.0.1:{port}/hook"
    finally:
        await runner.cleanup()
