"""``/mcp``: the Model Context Protocol's streamable HTTP transport, for agents holding a token
(``warroom tokens create``). Every request's ``Authorization: Bearer`` token is looked up
afresh (a revoked or expired one is refused from its next request on), then the SDK's
session manager answers it through the ASGI bridge (asgi.py), with the caller in the scope
where the tools read it.

Stateless, JSON answers: each POST is one exchange with no session kept between requests, so
nothing outlives a token's revocation and any replica answers any request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.record.agents.tokens import Caller, caller_of
from bot.store.db import session_scope
from bot.web.agents.asgi import answer_with
from bot.web.agents.usage import FLUSH_SECONDS, Usage
from bot.web.context import WebContext, web_context, web_key

if TYPE_CHECKING:
    # The MCP SDK (with its Starlette, httpx and JSON-schema parts) is imported when the server
    # is built, on the first `/mcp` request: importing or starting the application (every
    # `warroom` command imports it) does not pay for it.
    from mcp.server.mcpserver import Context
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

log = logging.getLogger(__name__)
# Where the bridge puts the caller in the ASGI scope, for the tools.
CALLER = "warroom.caller"
UNAVAILABLE = "warroom's database does not answer: try again in a few seconds."
# Seconds an agent is asked to wait when the database does not answer.
RETRY_AFTER = 5
UNAUTHORIZED = "Send Authorization: Bearer <token>, a token from `warroom tokens create`."


class McpHttp:
    """The SDK's server and session manager, built and started on the first ``/mcp`` request
    (its tools' JSON schemas take a noticeable part of a start, and most replicas, most
    tests and every `warroom` command that builds the application never see an agent);
    stopped with the application. Its task group is entered and left in a task of its own:
    anyio requires one task to do both."""

    def __init__(self, web_: WebContext) -> None:
        self._web = web_
        # The tokens' calls, counted in memory and flushed in batches (usage.py).
        self.usage = Usage(web_.services.clock)
        self._lock = asyncio.Lock()
        self._manager: StreamableHTTPSessionManager | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def manager(self) -> StreamableHTTPSessionManager:
        if self._manager is not None:  # every request after the first: no lock to take
            return self._manager
        async with self._lock:
            if self._manager is None:
                self._manager = await self._start()
        return self._manager

    async def close(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
        else:
            await self.usage.flush(self._web.services.engine)

    async def _start(self) -> StreamableHTTPSessionManager:
        manager = _session_manager(self._web, self.usage)
        started = asyncio.Event()

        async def hold() -> None:
            async with manager.run():
                started.set()
                while not self._stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), timeout=FLUSH_SECONDS)
                    await self.usage.flush(self._web.services.engine)

        self._task = asyncio.create_task(hold(), name="warroom mcp")
        await started.wait()
        return manager


mcp_key = web.AppKey("mcp", McpHttp)


def caller_on_request(ctx: Context) -> Caller:
    """Who calls over HTTP: what the endpoint found the token to be."""
    request = ctx.request_context.request
    caller = getattr(request, "scope", {}).get(CALLER) if request is not None else None
    if not isinstance(caller, Caller):
        raise LookupError("a request without its caller reached the tools")
    return caller


async def mcp_ctx(app: web.Application) -> AsyncIterator[None]:
    """``/mcp``'s server for the application's life, built when first asked."""
    mcp = McpHttp(app[web_key])
    app[mcp_key] = mcp
    yield
    await mcp.close()


def _session_manager(web_: WebContext, usage: Usage) -> StreamableHTTPSessionManager:
    from mcp.server.transport_security import TransportSecuritySettings

    from bot.web.agents.server import RateLimit, build_server
    from bot.web.agents.tools import Tools

    server = build_server(
        Tools(web_),
        caller_of=caller_on_request,
        limit=RateLimit(
            web_.settings.agents.calls_per_minute, web_.services.engine, web_.services.clock
        ),
        usage=usage,
    )
    # Made for its session manager (its Starlette app, routes and lifespan are not used: the
    # bridge hands requests to the manager, run below).
    server.streamable_http_app(
        json_response=True,
        stateless_http=True,
        # Every request carries a bearer token, which a page re-pointed at 127.0.0.1 (DNS
        # rebinding) does not have: the Host check the SDK offers adds nothing.
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    return server.session_manager


async def mcp_endpoint(request: web.Request) -> web.StreamResponse:
    """POST (and GET, DELETE: refused by the SDK in stateless mode) /mcp."""
    web_ = web_context(request)
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    caller = None
    if scheme.lower() == "bearer" and value.strip():
        try:
            async with session_scope(web_.services.engine) as session:
                caller = await caller_of(session, value.strip(), now=web_.services.clock())
        except (SQLAlchemyError, OSError) as failed:
            # The database is down or refusing: try again soon, never a 500 (and nothing said
            # about the token, which was not looked up).
            log.warning("/mcp: the token could not be looked up: %s", type(failed).__name__)
            return web.json_response(
                {"error": "unavailable", "message": UNAVAILABLE},
                status=503,
                headers={"Retry-After": str(RETRY_AFTER)},
            )
    if caller is None:
        # The same answer for no token, a wrong one, a revoked or an expired one.
        return web.json_response(
            {"error": "unauthorized", "message": UNAUTHORIZED},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="warroom"'},
        )
    manager = await request.app[mcp_key].manager()
    return await answer_with(manager.handle_request, request, extra={CALLER: caller})


__all__ = ["mcp_ctx", "mcp_endpoint", "mcp_key"]
