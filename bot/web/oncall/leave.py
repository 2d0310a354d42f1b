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
from bot.flows.oncall.common import OncallRefused
from bot.flows.oncall.leave import drop_leave, keep_leave
from bot.record.oncall.leave import leave_of
from bot.store.db import session_scope
from bot.store.models import OncallLeave
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
        row, emptied, zone = await keep_leave(
            services, user=user, days=(first, last), source="web"
        )
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
