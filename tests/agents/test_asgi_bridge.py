"""The bridge that has an ASGI app answer an aiohttp request (bot/web/agents/asgi.py), held to
the ASGI HTTP specification (https://asgi.readthedocs.io/en/latest/specs/www.html): the scope
it builds, the request's body in one ``http.request``, the response's status and headers from
``http.response.start``, each ``http.response.body`` streamed as it comes, ``http.disconnect``
once the answer is out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bench.harness import free_port
from bot.web.agents.asgi import ASGIFailure, Message, Receive, Scope, Send, answer_with


class Echo:
    """An ASGI app that says back what it was given, in two chunks, then waits for the
    client to go (as a streaming app does) and notes what ``receive`` said."""

    def __init__(self) -> None:
        self.scope: Scope = {}
        self.after: Message = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scope = scope
        request = await receive()
        await send(
            {
                "type": "http.response.start",
                "status": 207,
                "headers": [
                    (b"content-type", b"text/plain"),
                    (b"x-seen", b"one"),
                    (b"x-seen", b"two"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b"got: ", "more_body": True})
        await send({"type": "http.response.body", "body": request["body"]})
        self.after = await asyncio.wait_for(receive(), 5)


async def _broken(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.body", "body": b"no start"})


@pytest.fixture
async def served() -> AsyncIterator[tuple[str, Echo, list[BaseException]]]:
    echo, failures = Echo(), []

    async def handler(request: web.Request) -> web.StreamResponse:
        app: Any = _broken if request.path == "/broken" else echo
        try:
            return await answer_with(app, request, extra={"warroom.caller": "someone"})
        except ASGIFailure as failure:
            failures.append(failure)
            return web.Response(status=418)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}", echo, failures
    finally:
        await runner.cleanup()


async def test_the_app_answers_the_request_as_asgi_says(
    served: tuple[str, Echo, list[BaseException]],
) -> None:
    url, echo, _ = served
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/mcp?x=1&y=2", data=b"hello", headers={"X-Custom": "v"}) as answer,
    ):
        assert answer.status == 207
        assert answer.headers.getall("X-Seen") == ["one", "two"]
        assert await answer.read() == b"got: hello"
    scope = echo.scope
    assert scope["type"] == "http"
    assert scope["method"] == "POST"
    assert scope["path"] == "/mcp"
    assert scope["query_string"] == b"x=1&y=2"
    assert (b"x-custom", b"v") in scope["headers"]
    assert scope["client"][0] == "127.0.0.1"
    assert scope["server"][0] == "127.0.0.1"
    assert scope["warroom.caller"] == "someone"
    assert echo.after == {"type": "http.disconnect"}


async def test_an_app_that_breaks_the_protocol_is_a_failure_not_a_hang(
    served: tuple[str, Echo, list[BaseException]],
) -> None:
    url, _, failures = served
    async with aiohttp.ClientSession() as http, http.get(f"{url}/broken") as answer:
        assert answer.status == 418
    assert [str(f) for f in failures] == ["http.response.body before http.response.start"]
