"""The web view's Accept on a timeline note an agent proposed (``propose_timeline_note``):
``POST /incidents/INC-7/notes/{note}/accept`` makes it an entry at its time, accepted by the
viewer, as the channel's Accept button does."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.flows.incident.proposed_notes import NoteRefused, accept_note
from bot.flows.rights import NotTheirs
from bot.web.pages_common import guests_refused, not_allowed, refused_page
from bot.web.reading import id_in_address, posted_about_incident

log = logging.getLogger(__name__)


async def accept_note_page(request: web.Request) -> web.Response:
    """POST /incidents/INC-7/notes/{note}/accept: the note in the timeline, accepted by the
    viewer if they may write the incident's record; back to the incident's timeline."""
    web_, viewer, _, incident, incident_id = await posted_about_incident(request)
    note_id = id_in_address(request, "note", "This incident has no such proposed note.")
    if not await web_.visibility.can_edit(viewer, incident):
        return not_allowed(request, incident)
    try:
        await accept_note(web_.services, incident_id=incident_id, note_id=note_id, by=viewer.author)
    except NotTheirs:  # a guest: accepting puts an agent's words in the record for them
        return guests_refused(request, "guest_accept")
    except NoteRefused as refused:
        return await refused_page(request, incident, "note_refused", refused)
    log.info(
        "%s: a proposed note accepted in the web view by %s", incident.reference, viewer.author
    )
    raise web.HTTPSeeOther(f"/incidents/{incident.reference}?accepted_note={note_id}#timeline")
