"""``GET /agents``: the tokens agents call /mcp with and how they are used, for the
workspace's members (guests: 403, as the on-call pages): each token's name, scope, whether it
sees private incidents, when it was made, expires, was last used and revoked, and its calls
in the last 24 hours by tool. Never a token's value nor its hash (only the hash is kept)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from aiohttp import web

from bot.record.agents import tokens
from bot.store.db import session_scope
from bot.web.agents.endpoint import mcp_key
from bot.web.agents.usage import use_since
from bot.web.auth import guest_viewer, viewer_and_csrf
from bot.web.context import web_context
from bot.web.pages_common import guests_refused, render_page


async def agents_page(request: web.Request) -> web.Response:
    """GET /agents: every token, newest last, with its use."""
    web_ = web_context(request)
    viewer, csrf = viewer_and_csrf(request)
    if await guest_viewer(request, viewer):
        return guests_refused(request, "agents_guests", viewer=viewer, csrf=csrf)
    now = web_.services.clock()
    # What this process counted since its last flush, first: the page is up to date.
    await request.app[mcp_key].usage.flush(web_.services.engine)
    async with session_scope(web_.services.engine) as session:
        rows = await tokens.every_token(session)
        used = await use_since(session, now - timedelta(hours=24))
    return render_page(
        request,
        "web/agents.html.j2",
        viewer=viewer,
        csrf=csrf,
        now=now,
        zone=web_.settings.incidents.timezone,
        tokens=rows,
        used={row.name: used.get(row.name, Counter()) for row in rows},
        works={row.name: tokens.works(row, now) for row in rows},
    )
