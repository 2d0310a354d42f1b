"""Acknowledgement links: ``GET /ack/<token>`` shows a small page with a button, ``POST``
acknowledges (mail clients' link scanners GET what they find; they never POST). An alert's
link is its phone console instead (``alert_console``), ``POST /ack/<token>/escalate`` its
push's Escalate.

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
from bot.web.paging import alert_console


async def show_acknowledge(request: web.Request) -> web.Response:
    """GET /ack/<token>: the incident and an Acknowledge button (nothing is acknowledged)."""
    services = web_context(request).services
    async with session_scope(services.engine) as session:
        held = await tokens.look_up(session, request.match_info["token"])
    if held is None:
        return _no_such_link(request)
    if held.alert is not None:
        return await alert_console.show(request, held)
    return _page(request, "ask", incident=held.incident)


async def acknowledge(request: web.Request) -> web.Response:
    """POST /ack/<token>: acknowledge the escalation that paged the link's person, once."""
    services = web_context(request).services
    token = request.match_info["token"]
    async with session_scope(services.engine) as session:
        held = await tokens.look_up(session, token)
    if held is not None and held.alert is not None:  # never spent: it acts until resolved
        return await alert_console.act_on_form(request, held)
    async with session_scope(services.engine) as session:
        if held is None or not await tokens.use(session, token, at=services.clock()):
            return _no_such_link(request)
        await session.commit()
    answer = await acknowledge_page(services, held.page.id or 0, via=held.method)
    return _page(request, answer.outcome, incident=answer.incident, by=answer.by)


async def escalate(request: web.Request) -> web.Response:
    """POST /ack/<token>/escalate: an alert's push's Escalate (an incident's link has none)."""
    services = web_context(request).services
    async with session_scope(services.engine) as session:
        held = await tokens.look_up(session, request.match_info["token"])
    if held is None or held.alert is None:
        return _no_such_link(request)
    return await alert_console.act(request, held, "escalate")


def _no_such_link(request: web.Request) -> web.Response:
    return _page(request, "gone", status=404)


def _page(
    request: web.Request, state: str, *, status: int = 200, **context: object
) -> web.Response:
    response = render_page(
        request, "web/acknowledge.html.j2", status=status, state=state, **context
    )
    response.headers.update(alert_console.HEADERS)
    return response
