"""An ASGI application answering one aiohttp request: the bridge that serves the MCP SDK's
streamable HTTP transport (an ASGI app) from warroom's aiohttp server, on the same port, behind
its own bearer-token check (docs/decisions/0008-mcp-asgi-bridge.md).

ASGI's HTTP connection scope and its messages as the specification gives them
(https://asgi.readthedocs.io/en/latest/specs/www.html): the request's body is handed over in
one ``http.request`` message (aiohttp has read it, within its ``client_max_size``); the app's
``http.response.start`` prepares an aiohttp ``StreamResponse`` with its status and headers,
each ``http.response.body`` is written as it comes (a Server-Sent Events stream too), and
``http.disconnect`` is what ``receive`` says once the response is complete or the client left.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from aiohttp import web

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ASGIFailure(RuntimeError):
    """The app broke the protocol (a body before its start, nothing sent at all)."""


def http_scope(request: web.Request, body_path: str, extra: Mapping[str, Any]) -> Scope:
    """The ASGI HTTP scope of an aiohttp request (``extra``: keys the app's handlers read,
    such as who the caller is)."""
    host, port = _server(request)
    peer = request.transport.get_extra_info("peername") if request.transport else None
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": f"{request.version.major}.{request.version.minor}",
        "method": request.method,
        "scheme": request.scheme,
        "path": body_path,
        "raw_path": request.raw_path.split("?", 1)[0].encode("latin-1"),
        "root_path": "",
        "query_string": request.query_string.encode("latin-1"),
        "headers": [(name.lower(), value) for name, value in request.raw_headers],
        "client": (peer[0], peer[1]) if isinstance(peer, tuple) and len(peer) >= 2 else None,
        "server": (host, port),
        "state": {},
        **extra,
    }


def _server(request: web.Request) -> tuple[str, int | None]:
    sock = request.transport.get_extra_info("sockname") if request.transport else None
    if isinstance(sock, tuple) and len(sock) >= 2:
        return str(sock[0]), int(sock[1])
    return request.host, None


async def answer_with(
    app: ASGIApp, request: web.Request, *, extra: Mapping[str, Any] | None = None
) -> web.StreamResponse:
    """Have the ASGI ``app`` answer ``request``: its status, headers and body, streamed."""
    body = await request.read()
    scope = http_scope(request, request.path, extra or {})
    handed = False
    done = asyncio.Event()
    response: web.StreamResponse | None = None

    async def receive() -> Message:
        nonlocal handed
        if not handed:
            handed = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()  # an app waiting for the client to go: once the answer is out
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal response
        if message["type"] == "http.response.start":
            response = web.StreamResponse(status=int(message["status"]))
            for name, value in message.get("headers", ()):
                response.headers.add(bytes(name).decode("latin-1"), bytes(value).decode("latin-1"))
            await response.prepare(request)
        elif message["type"] == "http.response.body":
            if response is None:
                raise ASGIFailure("http.response.body before http.response.start")
            chunk = bytes(message.get("body", b""))
            if chunk:
                await response.write(chunk)
            if not message.get("more_body", False):
                await response.write_eof()
                done.set()

    try:
        await app(scope, receive, send)
    finally:
        done.set()
    if response is None:
        raise ASGIFailure("the app sent no response")
    return response
