"""``/shadow``: the last ``warroom shadow compare``'s report (a shadow week beside the vendor's
log, ``bot.record.paging.shadow``), as the command printed it, for the workspace's members (a
guest gets 403). The page shows the report kept by the last run, never asks the vendor itself:
the vendor's key stays with whoever runs the command.
"""

from __future__ import annotations

import json

from aiohttp import web
from sqlmodel import col, select

from bot.record.paging.shadow import Report
from bot.store.db import session_scope
from bot.store.models import ShadowReport
from bot.web.auth import guest_viewer, viewer_and_csrf
from bot.web.context import web_context
from bot.web.pages_common import guests_refused, render_page


async def shadow_page(request: web.Request) -> web.Response:
    """GET /shadow: the latest shadow comparison, or how to make one."""
    web_ = web_context(request)
    viewer, csrf = viewer_and_csrf(request)
    if await guest_viewer(request, viewer):
        return guests_refused(request, "shadow_guests", viewer=viewer, csrf=csrf)
    async with session_scope(web_.services.engine) as session:
        statement = select(ShadowReport).order_by(col(ShadowReport.id).desc()).limit(1)
        latest = (await session.exec(statement)).first()
    report = Report.from_json(json.loads(latest.body)) if latest is not None else None
    return render_page(
        request,
        "web/shadow.html.j2",
        viewer=viewer,
        csrf=csrf,
        report=report,
        made_at=latest.created_at if latest is not None else None,
        zone=web_.settings.incidents.timezone,
    )
