"""One person's on-call page (``/oncall/people/<user id>``): how pages reach them (their
contact methods, masked; the rules in force and whose; their last test page), for signed-in
members of the workspace. Guests see no schedule, and no one's contacts either."""

from __future__ import annotations

from aiohttp import web

from bot.record.paging.own import reachable
from bot.store.db import session_scope
from bot.web.auth import viewer_and_csrf
from bot.web.context import web_context
from bot.web.oncall.reading import names_of
from bot.web.pages_common import render_page
from bot.web.status_page.pages import viewer_zone


async def person_page(request: web.Request) -> web.Response:
    """GET /oncall/people/<user id>: how pages reach this person, masked."""
    web_ = web_context(request)
    viewer, csrf = viewer_and_csrf(request)
    user = request.match_info["user"]
    if viewer.guest:
        return render_page(
            request,
            "web/error.html.j2",
            status=403,
            problem="oncall_guests",
            viewer=viewer,
            csrf=csrf,
        )
    zone, unknown = viewer_zone(request.query.get("tz"), web_.settings.incidents.timezone)
    async with session_scope(web_.services.engine) as session:
        paging = await reachable(session, web_.settings.paging.contacts, user)
    return render_page(
        request,
        "web/oncall_person.html.j2",
        viewer=viewer,
        csrf=csrf,
        user=user,
        names=await names_of(web_, [user]),
        paging=paging,
        zone=zone,
        unknown_zone=unknown,
    )
