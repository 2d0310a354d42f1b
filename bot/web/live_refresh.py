"""A live page's refresh answered "not modified" (304, no body, none of the page's queries)
when nothing it shows can have changed since its tab last read it (templates/web/_live.html.j2
sends back the version it was given). The version is made of the change stamps of the
families of tables the page shows (bot/store/change_stamps.py: a write to the alerts leaves
an open incident list as it was), the address asked, the session that asked it (its forms'
tokens, what it may see), and until when the clock leaves the page as it was: the ages it
shows ("open for 3 hours") are worded by the browser, so only what the clock turns on the
server (an update falling overdue, a shift handed over) ends a version early. A page says
when (``live_until``); one that does not is read again at each minute's turn. The moment is
carried in the version itself, so any replica can answer it."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.store.change_stamps import Family, change_stamps
from bot.web.auth import page_viewer
from bot.web.context import web_context
from bot.web.sessions import SESSION_COOKIE

# The parts a live page's script asks for (``?part=live``; the alerts' list ``?part=list``).
LIVE_PARTS = frozenset({"live", "list"})
# A page that does not say until when the clock leaves it as it was: read at each minute's turn.
CLOCK_SECONDS = 60
# At the longest: what a page's clock moves that it did not say is read again within this.
CLOCK_MOST = timedelta(minutes=10)
_UNTIL = web.RequestKey("live_until", datetime)
_ALL = frozenset(Family)
# The families each list shows; a page not named here (an incident's, a service's) shows all.
_SHOWN = {
    "/": frozenset({Family.INCIDENTS, Family.TIMELINE, Family.PEOPLE}),
    "/alerts": frozenset({Family.ALERTS, Family.INCIDENTS, Family.PEOPLE}),
    "/services": frozenset({Family.ALERTS, Family.INCIDENTS, Family.ONCALL, Family.PEOPLE}),
    "/oncall": frozenset({Family.ONCALL, Family.PEOPLE}),
}


def live_until(request: web.Request, *moments: datetime | None) -> None:
    """Say that the clock leaves the page being answered as it is until the earliest of
    ``moments`` still to come (at most ``CLOCK_MOST`` from now; none: that long)."""
    now = web_context(request).services.clock()
    coming = [m for m in moments if m is not None and m > now]
    said = request.get(_UNTIL)
    request[_UNTIL] = min([*coming, now + CLOCK_MOST, *([said] if said else [])])


async def live_part_answer(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The handler's answer, with its version (``ETag``) when it is a live part; 304 when
    the tab already holds that version (``If-None-Match``) and its moment has not come."""
    if request.method != "GET" or request.query.get("part") not in LIVE_PARTS:
        return await handler(request)
    page_viewer(request)  # a stranger is sent to sign in, as by the page itself
    services = web_context(request).services
    stamps = await change_stamps(services.engine)
    now = services.clock()
    # Dated by the server's clock, which the page's "as of" time and ages are read from.
    dated = {"Date": format_datetime(now.astimezone(UTC), usegmt=True)}
    for held in _held(request):
        until = _until_of(held)
        if until is not None and now.timestamp() < until and held == _tag(request, stamps, until):
            return web.Response(status=304, headers={"ETag": held, **dated})
    response = await handler(request)
    if response.status == 200:
        moment = request.get(_UNTIL)
        minute = (int(now.timestamp()) // CLOCK_SECONDS + 1) * CLOCK_SECONDS
        until = math.ceil(moment.timestamp()) if moment is not None else minute
        response.headers.update({"ETag": _tag(request, stamps, until), **dated})
    return response


def _tag(request: web.Request, stamps: dict[Family, int], until: int) -> str:
    shown = _SHOWN.get(request.path, _ALL)
    stamped = ",".join(f"{family}:{stamps[family]}" for family in sorted(shown))
    session = request.cookies.get(SESSION_COOKIE, "")
    seen = f"{stamped}\n{until}\n{request.path_qs}\n{session}".encode()
    return f'"{hashlib.sha256(seen).hexdigest()[:32]}.{until}"'


def _until_of(tag: str) -> int | None:
    _, _, until = tag.strip('"').rpartition(".")
    return int(until) if until.isdigit() else None


def _held(request: web.Request) -> list[str]:
    asked = request.headers.get("If-None-Match", "")
    return [tag.strip().removeprefix("W/") for tag in asked.split(",")]
