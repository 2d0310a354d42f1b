"""GET /follow-ups: the follow-ups not done yet of every incident the viewer may see, overdue
first, each with its owner, its due date in its incident's zone, and its incident."""

from __future__ import annotations

from aiohttp import web

from bot.record.people import known_names
from bot.store.db import session_scope
from bot.web.auth import csrf_token, page_viewer, with_session
from bot.web.context import web_context
from bot.web.pages_common import render_page
from bot.web.reading import open_follow_ups_for, team_of


async def follow_ups_page(request: web.Request) -> web.Response:
    """The open follow-ups (``?mine=1``: the viewer's own), overdue first, then by due date,
    then those without one."""
    web_ = web_context(request)
    viewer = with_session(request, page_viewer(request))
    team_id = await team_of(request, web_, viewer)
    rows = await open_follow_ups_for(web_, viewer, team_id)
    mine = request.query.get("mine") == "1" and bool(viewer.user_id)
    if mine:
        rows = [row for row in rows if row.item.owner == viewer.user_id]
    now = web_.services.clock()
    async with session_scope(web_.services.engine) as session:
        names = await known_names(session, {row.item.owner for row in rows if row.item.owner})
    return render_page(
        request,
        "web/follow_ups.html.j2",
        viewer=viewer,
        csrf=csrf_token(request, viewer),
        rows=rows,
        overdue=[row for row in rows if row.overdue(now)],
        names=names,
        now=now,
        mine=mine,
    )
