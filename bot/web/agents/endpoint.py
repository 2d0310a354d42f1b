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
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.record.agents.tokens import Caller, caller_of
from bot.store.db import session_scope
from bot.web.agents.asgi import answer_with
from bot.web.agents.usage import FLUSH_SECONDS, Usage
from bot.web.context import web_context, web_key

if TYPE_CHECKING:
    # The MCP SDK (with its Starlette, httpx and JSON-schema parts) is imported when the server
    # is built, at start-up: importing the application (every `warroom` command does) does not
    # pay for it.
    from mcp.server.mcpserver import Context
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

log = logging.getLogger(__name__)
# Where the bridge puts the caller in the ASGI scope, for the tools.
CALLER = "warroom.caller"
UNAVAILABLE = "warroom's database does not answer: try again in a few seconds."
# Seconds an agent is asked to wait when the database does not answer.
RETRY_AFTER = 5
UNAUTHORIZED = "Send Authorization: Bearer <token>, a token from `warroom tokens create`."


@dataclass(frozen=True)
class McpHttp:
    manager: StreamableHTTPSessionManager
    # The tokens' calls, counted in memory and flushed in batches (usage.py).
    usage: Usage


mcp_key = web.AppKey("mcp", McpHttp)


def caller_on_request(ctx: Context) -> Caller:
    """Who calls over HTTP: what the endpoint found the token to be."""
    request = ctx.request_context.request
    caller = getattr(request, "scope", {}).get(CALLER) if request is not None else None
    if not isinstance(caller, Caller):
        raise LookupError("a request without its caller reached the tools")
    return caller


async def mcp_ctx(app: web.Application) -> AsyncIterator[None]:
    """The SDK's session manager, run for the application's life. Its task group is entered
    and left in a task of its own: anyio requires one task to do both, and aiohttp's start-up
    and clean-up are two."""
    from mcp.server.transport_security import TransportSecuritySettings

    from bot.web.agents.server import RateLimit, build_server
    from bot.web.agents.tools import Tools

    web_ = app[web_key]
    usage = Usage(web_.services.clock)
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
    manager = server.session_manager
    started, stop = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with manager.run():
            started.set()
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=FLUSH_SECONDS)
                await usage.flush(web_.services.engine)

    task = asyncio.create_task(hold(), name="warroom mcp")
    await started.wait()
    app[mcp_key] = McpHttp(manager, usage)
    yield
    stop.set()
    await task


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
    return await answer_with(
        request.app[mcp_key].manager.handle_request, request, extra={CALLER: caller}
    )


__all__ = ["mcp_ctx", "mcp_endpoint", "mcp_key"]
