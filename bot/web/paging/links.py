"""Acknowledgement links: ``GET /ack/<token>`` shows a small page with a button, ``POST``
acknowledges (mail clients' link scanners GET what they find; they never POST).

The token is the only key (a phone's push action and a mail reader send no cookie). A
wrong, used or expired token (its incident resolved) is answered 404, the same page: nothing
says whether a link ever existed. The token is never logged (the access log keeps paths
without it: ``bot/basics/logs.py`` redacts ``/ack/…``) and pages ask browsers not to pass the
address on (``Referrer-Policy``).
"""

from __future__ import annotations

from aiohttp import web

from bot.flows.escalation.answers import acknowledge_page
from bot.record.paging import tokens
from bot.store.db import session_scope
from bot.web.context import web_context
from bot.web.pages_common import render_page

_HEADERS = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


async def show_acknowledge(request: web.Request) -> web.Response:
    """GET /ack/<token>: the incident and an Acknowledge button (nothing is acknowledged)."""
    services = web_context(request).services
    async with session_scope(services.engine) as session:
        held = await tokens.look_up(session, request.match_info["token"])
    if held is None:
        return _no_such_link(request)
    return _page(request, "ask", incident=held.incident, alert=held.alert)


async def acknowledge(request: web.Request) -> web.Response:
    """POST /ack/<token>: acknowledge the escalation that paged the link's person, once."""
    services = web_context(request).services
    token = request.match_info["token"]
    async with session_scope(services.engine) as session:
        held = await tokens.look_up(session, token)
        if held is None or not await tokens.use(session, token, at=services.clock()):
            return _no_such_link(request)
        await session.commit()
    answer = await acknowledge_page(services, held.page.id or 0, via=held.method)
    return _page(
        request, answer.outcome, incident=answer.incident, alert=answer.alert, by=answer.by
    )


def _no_such_link(request: web.Request) -> web.Response:
    return _page(request, "gone", status=404)


def _page(
    request: web.Request, state: str, *, status: int = 200, **context: object
) -> web.Response:
    response = render_page(
        request, "web/acknowledge.html.j2", status=status, state=state, **context
    )
    response.headers.update(_HEADERS)
    return response
