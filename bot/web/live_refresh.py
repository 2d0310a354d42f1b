"""A live page's refresh answered "not modified" (304, no body, none of the page's queries)
when nothing it shows can have changed since its tab last read it (templates/web/_live.html.j2
sends back the version it was given). The version is the database's change stamp
(bot/store/change_stamps.py, bumped in every transaction that writes what a page shows),
the minute (the ages and "open for" words, and who is on call now, change with the clock
alone), the address asked and the session that asked it (its forms' tokens, what it may
see)."""

from __future__ import annotations

import hashlib
from datetime import UTC
from email.utils import format_datetime

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.store.change_stamps import change_stamp
from bot.web.auth import page_viewer
from bot.web.context import web_context
from bot.web.sessions import SESSION_COOKIE

# The parts a live page's script asks for (``?part=live``; the alerts' list ``?part=list``).
LIVE_PARTS = frozenset({"live", "list"})
# The clock's share of the version: every tab reads its page whole at least this often.
CLOCK_SECONDS = 60


async def live_part_answer(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The handler's answer, with its version (``ETag``) when it is a live part; 304 when
    the tab already holds that version (``If-None-Match``)."""
    if request.method != "GET" or request.query.get("part") not in LIVE_PARTS:
        return await handler(request)
    page_viewer(request)  # a stranger is sent to sign in, as by the page itself
    version = await _version(request)
    if version in _held(request):
        # Dated by the server's clock, which the page's "as of" time is read from.
        now = web_context(request).services.clock().astimezone(UTC)
        dated = format_datetime(now, usegmt=True)
        return web.Response(status=304, headers={"ETag": version, "Date": dated})
    response = await handler(request)
    if response.status == 200:
        response.headers["ETag"] = version
    return response


async def _version(request: web.Request) -> str:
    services = web_context(request).services
    stamp = await change_stamp(services.engine)
    minute = int(services.clock().timestamp() // CLOCK_SECONDS)
    session = request.cookies.get(SESSION_COOKIE, "")
    seen = f"{stamp}\n{minute}\n{request.path_qs}\n{session}".encode()
    return '"' + hashlib.sha256(seen).hexdigest()[:32] + '"'


def _held(request: web.Request) -> list[str]:
    asked = request.headers.get("If-None-Match", "")
    return [tag.strip().removeprefix("W/") for tag in asked.split(",")]
