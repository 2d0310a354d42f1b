"""``GET /admin/audit``: the admin record, for warroom's admins (the workspace's admins and
owners, ``WARROOM_ADMINS``, Slack asked afresh: ``bot.flows.rights.require_admin``): each
change to an agent's token, an integration or a person's own contact method, newest first,
with who made it, when and why. A member gets 403 in words, a guest too."""

from __future__ import annotations

from aiohttp import web

from bot.flows.administering import admin_record
from bot.flows.rights import NotAdmin, NotTheirs
from bot.record.people import known_names
from bot.store.db import session_scope
from bot.web.auth import viewer_and_csrf
from bot.web.context import web_context
from bot.web.pages_common import guests_refused, render_page


async def audit_page(request: web.Request) -> web.Response:
    """GET /admin/audit: the latest changes, newest first."""
    web_ = web_context(request)
    viewer, csrf = viewer_and_csrf(request)
    if viewer.guest:
        return guests_refused(request, "admin_guests", viewer=viewer, csrf=csrf)
    try:
        changes = await admin_record(web_.services, by=viewer.author)
    except NotTheirs:
        return guests_refused(request, "admin_guests", viewer=viewer, csrf=csrf)
    except NotAdmin:
        return render_page(
            request, "web/error.html.j2", status=403, problem="not_admin", viewer=viewer,
            csrf=csrf,
        )  # fmt: skip
    async with session_scope(web_.services.engine) as session:
        names = await known_names(session, {change.by for change in changes})
    return render_page(
        request,
        "web/audit.html.j2",
        viewer=viewer,
        csrf=csrf,
        changes=changes,
        names=names,
        zone=web_.settings.incidents.timezone,
    )
