"""A person's leave on their page (``/oncall/people/<user id>#leave``): everyone signed in
sees the leave to come, which rotations skip; the person adds some (a first and a last
day, in their zone) and removes it, through the flows ``/oncall leave`` uses
(``bot.flows.oncall.leave``): the same checks and refusals, in the page's words. Each form
answers with a redirect to the page, which says the answer once (``bot.web.notices``); only
the person themselves, as for their contact methods (``bot.web.oncall.contacts.own_form``)."""

from __future__ import annotations

from datetime import date, datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.clients.ical_feeds import feed_host
from bot.flows.oncall.common import OncallRefused
from bot.flows.oncall.leave import drop_leave, keep_leave
from bot.flows.oncall.leave_feeds import set_leave_feed
from bot.record.oncall.leave import leave_feed_of, leave_of
from bot.store.db import session_scope
from bot.store.models import OncallLeave, OncallLeaveFeed
from bot.web.context import web_context
from bot.web.oncall.contacts import own_form

WORDS = "web/leave_answer.html.j2"


async def leave_to_come(engine: AsyncEngine, user: str, now: datetime) -> list[OncallLeave]:
    """``user``'s leave not over yet, soonest first."""
    async with session_scope(engine) as session:
        return await leave_of(session, user, now=now)


@own_form("first", "last", section="leave")
async def add_leave_form(request: web.Request, user: str, fields: dict[str, str]) -> str:
    """POST /oncall/people/<user>/leave: leave from the first to the last day."""
    services = web_context(request).services
    first, last = _day(fields["first"]), _day(fields["last"] or fields["first"])
    if first is None or last is None:
        return services.renderer.render(WORDS, state="refused", problem="leave_days", text="")
    try:
        row, emptied, zone = await keep_leave(services, user=user, days=(first, last), source="web")
    except OncallRefused as refusal:
        return services.renderer.render(WORDS, state="refused", **refusal.context)
    return services.renderer.render(WORDS, state="added", leave=row, emptied=emptied, zone=zone)


@own_form(section="leave")
async def remove_leave_form(request: web.Request, user: str, _fields: dict[str, str]) -> str:
    """POST /oncall/people/<user>/leave/<id>/remove: rotations give them their turns back."""
    services = web_context(request).services
    leave_id = parse_bounded_int(request.match_info["leave"], 1, DATABASE_ID_MAX)
    try:
        if leave_id is None:
            raise OncallRefused("leave_no_leave", leave_id=request.match_info["leave"][:20])
        row = await drop_leave(services, user=user, leave_id=leave_id)
    except OncallRefused as refusal:
        return services.renderer.render(WORDS, state="refused", **refusal.context)
    return services.renderer.render(WORDS, state="removed", leave=row)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@own_form("url", section="leave")
async def leave_feed_form(request: web.Request, user: str, fields: dict[str, str]) -> str:
    """POST /oncall/people/<user>/leave/feed: their leave calendar's address (empty:
    remove it, and the leave it gave)."""
    services = web_context(request).services
    url = fields["url"] or None
    try:
        row = await set_leave_feed(services, user=user, url=url)
    except OncallRefused as refusal:
        return services.renderer.render(WORDS, state="refused", **refusal.context)
    if url is None:
        return services.renderer.render(WORDS, state="feed_off")
    return services.renderer.render(WORDS, state="feed_set", host=feed_host(row.url))


async def leave_feed(engine: AsyncEngine, user: str) -> tuple[OncallLeaveFeed | None, str | None]:
    """``user``'s leave calendar and its host (never its whole address: it holds a secret)."""
    async with session_scope(engine) as session:
        feed = await leave_feed_of(session, user)
    return feed, feed_host(feed.url) if feed else None
