"""The postmortem's review moves as people make them (bot/record/postmortem/review.py says
which and by whom): kept on the incident and in its timeline, said in the channel when it is
published or reopened (with the reason), and the channel's canvas brought up to date, all in
the move's own transaction."""

from __future__ import annotations

import logging

from bot.flows.channel import Writes
from bot.flows.postmortem.grading import schedule_grading
from bot.record.postmortem.publication import schedule_publication
from bot.record.postmortem.review import Review, may_publish, move_review, review_of
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import Incident

log = logging.getLogger(__name__)


async def move_postmortem(
    services: Services,
    *,
    incident_id: int,
    to: str,
    by: str,
    reason: str,
    sees_everything: bool = False,
) -> None:
    """Move the postmortem to ``to`` as ``by`` asks (``sees_everything``: an operator, who
    may publish any); ReviewRefused when the move cannot be made."""
    now = services.clock()
    async with session_scope(services.engine) as session:
        incident = await session.get(Incident, incident_id, with_for_update=True)
        assert incident is not None
        publisher = sees_everything or await may_publish(session, incident, by)
        was = review_of(incident)
        entry = move_review(
            session, incident, to, by=by, at=now, reason=reason, publisher=publisher
        )
        writes = Writes(services, session, incident)
        if incident.channel_id:
            # Publishing and reopening change what the team reads as the postmortem: said
            # where the team works, the reason with it.
            if Review.PUBLISHED in (was, review_of(incident)):
                await writes.say("messages/postmortem_review.j2", was=was.value, by=by, entry=entry)
            await schedule_publication(session, incident, by=by, now=now, quiet=True)
        if was != Review.PUBLISHED and review_of(incident) == Review.PUBLISHED:
            # The root cause is known: every cause proposed during the incident is graded.
            await schedule_grading(session, incident, at=now)
        await session.commit()
    await writes.send()
    services.wake_jobs()
    log.info("%s: the postmortem moved from %s to %s by %s", incident.reference, was, to, by)
