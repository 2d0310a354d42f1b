"""An escalation's answer said by a person when the record has none (docs/postmortem-draft.md): who
answered and when, or that nobody did, for the postmortem draft. The record's facts win: an
acknowledgement refuses it, and a first message of a person the escalation brought in is
its answer whatever is said here (bot/record/postmortem/semantics.py ``answer_of``)."""

from __future__ import annotations

from datetime import datetime

from bot.basics.errors import BotError
from bot.flows.channel import Writes
from bot.record.escalation import escalations
from bot.record.incident import incidents
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import Escalation


class AnswerRefused(BotError):
    """The answer cannot be kept as given; ``field``: the form's field it is about,
    ``problem``: why (templates/messages/escalation_answer_refused.j2)."""

    template = "messages/escalation_answer_refused.j2"


async def say_escalation_answer(
    services: Services,
    *,
    channel_id: str,
    escalation_id: int,
    by: str,
    answerer: str | None,
    when: datetime | None,
    where: str,
) -> None:
    """Keep who answered the escalation and when (``when``: as the page read it, in the
    incident's zone; ``answerer`` None: nobody answered), as ``by`` says it ``where``; said
    in the channel.
    AlreadyAcknowledged when it was; AnswerRefused when ``when`` is missing or too early."""
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
        escalation = await session.get(Escalation, escalation_id)
        if escalation is None or escalation.incident_id != incident.id:
            raise AnswerRefused(field="escalation", problem="gone")
        now = services.clock()
        at = None
        if answerer is not None:
            if not when:
                raise AnswerRefused(field="when", problem="when_missing")
            at = when
            if at < escalation.escalated_at:
                raise AnswerRefused(field="when", problem="before_escalation")
        escalations.say_answer(
            session,
            escalation,
            incident,
            answerer=answerer,
            answered_at=at,
            by=by,
            at=now,
            where=where,
        )
        writes = Writes(services, session, incident)
        await writes.say(
            "messages/escalation_answer_said.j2",
            escalation=escalation,
            by=by,
            answerer=answerer,
            at=at,
            where=where,
        )
        await session.commit()
    await writes.send()
