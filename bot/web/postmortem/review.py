"""``POST /incidents/INC-7/postmortem/review``: move the postmortem between draft, in review
and published (bot/record/postmortem/review.py says who may make which move), kept on the
incident and in its timeline; a move refused is said at its field, the page kept."""

from __future__ import annotations

from aiohttp import web

from bot.flows.postmortem.review import move_postmortem
from bot.record.postmortem.review import REASON_MAX, ReviewRefused, may_publish
from bot.store.db import session_scope
from bot.web.auth import page_viewer
from bot.web.postmortem.facts import refused_at, writer
from bot.web.postmortem.page import Refusal, draft_again, gaps_left


async def review_page(request: web.Request) -> web.Response:
    """Move the review as the form asks, if the viewer may. Publishing with gaps left lists
    them and asks again: the same form posted with ``confirm=1`` publishes it as it is."""
    checked = await writer(request, published_too=True)
    if isinstance(checked, web.Response):
        return checked
    web_, by, form, incident = checked
    to, reason, confirm = form.get("to"), form.get("reason"), form.get("confirm")
    to = to if isinstance(to, str) else ""
    reason = reason if isinstance(reason, str) else ""
    viewer = page_viewer(request)
    services = web_.services
    if to == "published" and confirm != "1":
        async with session_scope(services.engine) as session:
            publisher = viewer.sees_everything or await may_publish(session, incident, by)
        left = await gaps_left(web_, incident.id or 0) if publisher else 0
        if left:
            words = services.renderer.render("web/_draft_words.j2", problem="gaps_left", most=left)
            asked = Refusal("review", {"confirm": words}, {"to": to, "reason": reason})
            return await draft_again(request, asked, status=200)
    try:
        await move_postmortem(
            services,
            incident_id=incident.id or 0,
            to=to,
            by=by,
            reason=reason,
            sees_everything=viewer.sees_everything,
        )
    except ReviewRefused as refused:
        words = services.renderer.render(
            "web/_draft_words.j2", problem=refused.problem, most=REASON_MAX
        )
        where = "reason" if refused.problem.startswith("reason") else "to"
        return await refused_at(request, "review", {where: words}, {"to": to, "reason": reason})
    raise web.HTTPSeeOther(f"/incidents/{incident.reference}/postmortem?saved=review#review")
