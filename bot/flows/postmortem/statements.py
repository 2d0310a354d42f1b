"""The draft's gaps only a person can fill, filled on its page (docs/postmortem-draft.md): who else
was brought in when warroom escalated to nobody (or that nobody was), that no path led the
investigation astray (bot/record/postmortem/statements.py); a message of the channel marked
misleading, or as the one that stopped the impact, by the person on the draft's page: kept as
their reaction, through the record a reaction in Slack takes (bot/record/incident/reactions.py), so
the draft reads it as it reads a :x: or a :white_check_mark:, and says who marked it where.
Each is said in the incident's channel, in the transaction that keeps it."""

from __future__ import annotations

from datetime import datetime

from bot.basics.errors import BotError
from bot.basics.slack_text import SlackText, truncate
from bot.flows.channel import Writes
from bot.flows.postmortem.prompts import QUOTED_CHARS
from bot.record.incident import incidents, messages, reactions
from bot.record.postmortem import statements
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import ChannelMessage, TimelineKind

# How many of the channel's last messages the page offers to mark.
MARKABLE = 200
# The kinds a message may be marked as on the page, and the reaction each stands for when
# the operator's mapping names none (WARROOM_REACTIONS).
PAGE_MARKS = {TimelineKind.MISLEADING: "x", TimelineKind.MITIGATION: "white_check_mark"}


class MarkRefused(BotError):
    """The message cannot be marked: ``problem`` says why (gone, not offered)."""

    template = "messages/page_mark_refused.j2"


async def say_statement(
    services: Services,
    *,
    channel_id: str,
    kind: str,
    by: str,
    words: SlackText | None,
    when: datetime | None,
) -> None:
    """Keep what ``by`` says on the draft's page of ``kind`` (``statements.KINDS``): their
    ``words`` at ``when`` (read as the incident's by the page: ``read_incident_time``), or,
    without words, that nobody (nothing) was; said in the channel."""
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
        now = services.clock()
        at = when
        said = statements.Statement(words is None, words, at, by, now, "page")
        await statements.say(session, incident, kind, said)
        writes = Writes(services, session, incident)
        quoted = truncate(words, QUOTED_CHARS) if words else None
        await writes.say("messages/draft_statement_said.j2", kind=kind, said=said, quoted=quoted)
        await session.commit()
    await writes.send()


async def markable(services: Services, incident_id: int) -> list[ChannelMessage]:
    """The messages the page offers to mark: the channel's last ``MARKABLE``, oldest first."""
    async with session_scope(services.engine) as session:
        return await messages.said_lately(session, incident_id, MARKABLE)


async def mark_on_page(
    services: Services, *, channel_id: str, message_id: int, kind: TimelineKind, by: str
) -> None:
    """Mark the message ``message_id`` (one of those ``markable``) as ``kind`` for ``by``, as
    their reaction would, given on the draft's page; said in the channel."""
    mapped = services.settings.incidents.reactions
    name = next((emoji for emoji, of in mapped.items() if of == kind.value), PAGE_MARKS[kind])
    async with session_scope(services.engine) as session:
        incident = await incidents.locked_in_channel(session, channel_id)
        offered = await messages.said_lately(session, incident.id or 0, MARKABLE)
        message = next((m for m in offered if m.id == message_id), None)
        if message is None:
            raise MarkRefused(problem="not_offered")
        now = services.clock()
        await reactions.add_reaction(
            session,
            incident,
            message,
            name=name,
            user=by,
            added_at=now,
            kind=kind,
            source=reactions.ON_PAGE,
        )
        writes = Writes(services, session, incident)
        await writes.say(
            "messages/page_mark_said.j2",
            kind=kind.value,
            by=by,
            message=message,
            quoted=truncate(SlackText(message.text), QUOTED_CHARS),
            name=name,
        )
        await session.commit()
    await writes.send()
