"""The web view's Accept and Edit on the sections the team's model suggested (WARROOM_AI_*):
``POST /incidents/INC-7/postmortem/suggestions/{suggestion}/accept`` accepts one as it is; Edit
is the section's own form (``GET …/postmortem?edit={suggestion}`` fills its textarea with the
suggested text, and saving it accepts the suggestion as the person edited it)."""

from __future__ import annotations

import logging
import re

from aiohttp import web

from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.flows.postmortem.suggestions import SuggestionRefused, accept_suggestion
from bot.flows.rights import NotTheirs
from bot.store.models import Incident
from bot.web.auth import guest_viewer
from bot.web.context import WebContext
from bot.web.notices import refused_back
from bot.web.pages_common import guests_refused, not_allowed, refused_page
from bot.web.postmortem.page import Refusal
from bot.web.reading import id_in_address, posted_about_incident
from bot.web.visibility import Viewer

log = logging.getLogger(__name__)
# A section's key as templates name them (``underlying_issue``): what a form may send back
# to say where the page returns to.
_SECTION_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")


async def accept_page(request: web.Request) -> web.Response:
    """POST /incidents/INC-7/postmortem/suggestions/{suggestion}/accept: the suggestion as
    the section's text, accepted by the viewer."""
    web_, viewer, form, incident, _ = await posted_about_incident(request)
    suggestion_id = id_in_address(request, "suggestion", "This postmortem has no such suggestion.")
    section = form.get("section")
    back_to = section if isinstance(section, str) and _SECTION_KEY.fullmatch(section) else None
    return await accepted(
        request, web_, viewer, incident, suggestion_id, text=None, section=back_to
    )


async def accepted(
    request: web.Request,
    web_: WebContext,
    viewer: Viewer,
    incident: Incident,
    suggestion_id: int,
    *,
    text: str | None,
    section: str | None,
) -> web.Response:
    """Accept (``text`` None) or accept as edited, if the viewer may write the incident's
    postmortem; back to the draft where ``section`` stands (its confirmation beside its
    form), or a page that says why not."""
    if await guest_viewer(request, viewer):
        return guests_refused(request, "guest_draft")
    if not await web_.visibility.can_edit(viewer, incident):
        return not_allowed(request, incident)
    if text is not None and not text.strip():
        raise await _empty_edit(request, web_, viewer, incident, suggestion_id, section)
    try:
        await accept_suggestion(
            web_.services,
            incident_id=incident.id or 0,
            suggestion_id=suggestion_id,
            by=viewer.author,
            text=text,
        )
    except NotTheirs:  # a guest Slack names now, the session being older
        return guests_refused(request, "guest_accept")
    except SuggestionRefused as refused:
        return await refused_page(request, incident, "suggestion_refused", refused)
    log.info("%s: a suggestion accepted in the web view by %s", incident.reference, viewer.author)
    where = f"?accepted={section}#place-{section}" if section else "?accepted=1#draft"
    raise web.HTTPSeeOther(f"/incidents/{incident.reference}/postmortem{where}")


async def _empty_edit(
    request: web.Request,
    web_: WebContext,
    viewer: Viewer,
    incident: Incident,
    suggestion_id: int,
    section: str | None,
) -> web.HTTPSeeOther:
    """An edited suggestion sent empty: back to the draft with the suggestion's form open
    again (``?edit=``), saying why at its field once; a reload shows the form clean."""
    detail = web_.services.renderer.render("messages/suggestion_empty.j2").strip()
    form = f"section-{section}" if section else "section"
    refusal = Refusal(form, {"body": detail}, {"body": ""})
    location = f"/incidents/{incident.reference}/postmortem?edit={suggestion_id}"
    if section:
        location += f"#place-{section}"
    return await refused_back(request, viewer, location, refusal.kept())


def suggestion_of_form(value: object) -> int | None:
    """The suggestion a section's form edits (its hidden ``suggestion`` field), if any."""
    if not isinstance(value, str) or not value:
        return None
    return parse_bounded_int(value, 1, DATABASE_ID_MAX)
