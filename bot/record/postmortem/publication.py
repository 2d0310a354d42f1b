"""Asking the job runner for the postmortem draft: written and posted again once what
changed it commits. Here, below every domain, because follow-ups, lessons, the wrap-up
and the model's suggestions all ask for it (bot/flows/postmortem/posting.py runs it).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.incident import incidents
from bot.store import jobs
from bot.store.job_kinds import JobKind
from bot.store.models import Incident


async def schedule_publication(
    session: AsyncSession, incident: Incident, *, by: str, now: datetime, quiet: bool = False
) -> None:
    """Have the job runner write and post the draft (retried if Slack fails), in the
    transaction of what asked for it (the caller commits, then wakes the jobs). ``quiet``:
    only bring the channel's canvas up to date, if it has one, without a message (a web edit).

    A request that comes while a draft is waiting or being written joins it: one draft, one
    announcement (by whoever asked first), the draft run once more after the run under way
    so that it shows what the request changed. The incident's lock makes requests take turns.
    """
    await incidents.lock(session, incident)
    assert incident.id is not None
    asked = {"by": by, "quiet": quiet, "asked": uuid.uuid4().hex}
    pending = await jobs.unfinished(
        session, kind=JobKind.POSTMORTEM_PUBLISH, incident_id=incident.id
    )
    if pending is not None:
        was = jobs.payload_of(pending)
        # A message is posted if any request wanted one; by the first who did.
        loud = was if not was.get("quiet") else asked
        joined = {**asked, "by": loud["by"], "quiet": bool(was.get("quiet")) and quiet}
        if await jobs.amend(session, pending, joined):
            return
    await jobs.schedule(
        session,
        kind=JobKind.POSTMORTEM_PUBLISH,
        # A draft asked for once it was posted is a new one: a job of its own.
        key=f"postmortem:{incident.id}:{uuid.uuid4().hex}",
        due_at=now,
        incident_id=incident.id,
        payload=asked,
    )
