"""``POST /incidents/INC-7/postmortem/review``: move the postmortem between draft, in review
and published (bot/record/postmortem/review.py says who may make which move), kept on the
incident and in its timeline; a move refused is said at its field, the page kept."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.record.postmortem.review import (
    REASON_MAX,
    ReviewRefused,
    may_publish,
    move_review,
)
from bot.store.db import session_scope
from bot.store.models import Incident
from bot.web.auth import page_viewer
from bot.web.postmortem.facts import refused_at, writer

log = logging.getLogger(__name__)


async def review_page(request: web.Request) -> web.Response:
    """Move the review as the form asks, if the viewer may."""
    checked = await writer(request)
    if isinstance(checked, web.Response):
        return checked
    web_, by, form, incident = checked
    to, reason = form.get("to"), form.get("reason")
    to = to if isinstance(to, str) else ""
    reason = reason if isinstance(reason, str) else ""
    viewer = page_viewer(request)
    services = web_.services
    try:
        async with session_scope(services.engine) as session:
            locked = await session.get(Incident, incident.id, with_for_update=True)
            assert locked is not None
            publisher = viewer.sees_everything or await may_publish(session, locked, by)
            move_review(
                session, locked, to, by=by, at=services.clock(), reason=reason, publisher=publisher
            )
            await session.commit()
    except ReviewRefused as refused:
        words = services.renderer.render(
            "web/_draft_words.j2", problem=refused.problem, most=REASON_MAX
        )
        where = "reason" if refused.problem.startswith("reason") else "to"
        return await refused_at(request, "review", {where: words}, {"to": to, "reason": reason})
    log.info("%s: the postmortem moved to %s by %s", incident.reference, to, by)
    raise web.HTTPSeeOther(f"/incidents/{incident.reference}/postmortem?saved=review#review")
