"""What every flow shows in Slack: the incident channel's header, its messages, announcements,
and the language and style they are written in (``choose_template``: the incident's own, else
the settings'; the pages, the status page and the draft ask it too).

Every write goes through the outbox (``bot/flows/outbox.py``): kept first, then sent at once,
in order per channel; what Slack cannot take now is sent when it can. A flow that changes the
record keeps its writes in the change's own transaction (``Writes``), so that a crash never
parts a change from what it says.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clients.slack.errors import SlackFailure
from bot.flows.outbox import deliver
from bot.record.incident import fields, incidents, roles
from bot.record.postmortem.figures import figures_of
from bot.record.postmortem.written import chosen_template
from bot.services import Services
from bot.store import outbox
from bot.store.db import session_scope
from bot.store.models import Incident, OutboxMessage

log = logging.getLogger(__name__)
# The topic's lead while nobody has taken it (an incident an alert opened).
NOBODY = "unassigned"


def choose_template(services: Services, incident: Incident) -> tuple[str, str]:
    """(language, style): the incident's own choice, else the settings'."""
    settings = services.settings
    return chosen_template(
        incident, language=settings.incidents.language, style=settings.incidents.postmortem_style
    )


@dataclass(frozen=True)
class Lead:
    """The incident's commander as the channel topic names them, read before a transaction
    (Slack is never waited for while one is open)."""

    user: str | None
    name: str


async def lead_of(services: Services, incident: Incident) -> Lead:
    """The commander's name for the topic; an incident an alert opened has nobody yet."""
    user = incident.commander
    return Lead(user, await services.slack.display_name(user) if user else NOBODY)


async def lead_in(services: Services, channel_id: str) -> Lead:
    """``lead_of`` the channel's incident, read afresh."""
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
    return await lead_of(services, incident)


@dataclass
class Writes:
    """The channel writes a change causes, kept in the change's own transaction.

    A flow records its change and keeps its writes in one session, commits once, then calls
    ``send``: two commits would let a crash lose the messages of a change that was kept.
    """

    services: Services
    session: AsyncSession
    incident: Incident
    channels: list[str] = field(default_factory=list)

    async def keep(
        self,
        method: str,
        payload: dict[str, Any],
        *,
        channel: str | None = None,
        after: str | None = None,
        ts_of: int | None = None,
    ) -> OutboxMessage:
        """Keep one write for ``channel`` (the incident's by default)."""
        channel = channel or self.incident.channel_id
        assert channel is not None
        if channel not in self.channels:
            self.channels.append(channel)
        return await outbox.enqueue(
            self.session,
            channel=channel,
            method=method,
            payload=payload,
            now=self.services.clock(),
            after=after,
            ts_of=ts_of,
            incident_id=self.incident.id,
        )

    async def say(
        self, template: str, *, after: str | None = None, **context: Any
    ) -> OutboxMessage:
        """A message rendered from ``template`` in the incident's channel."""
        text = self.services.renderer.render(template, incident=self.incident, **context)
        return await self.keep(outbox.POST, {"text": text}, after=after)

    async def invite(self, users: Iterable[str]) -> None:
        """Bring people into the incident's channel, in order with its messages."""
        wanted = sorted(set(users))
        if wanted and self.incident.channel_id:
            await self.keep(outbox.INVITE, {"users": wanted})

    async def announce(self, template: str, **context: Any) -> OutboxMessage | None:
        """A message in the operator's announcement channel, if set. A private incident is
        never announced: its title alone may say too much."""
        kind = self.services.settings.incidents.types.get(self.incident.incident_type)
        channel = (
            kind.announce_channel if kind else None
        ) or self.services.settings.incidents.announce_channel
        if not channel or self.incident.is_private:
            return None
        text = self.services.renderer.render(
            template, outside=True, incident=self.incident, **context
        )
        return await self.keep(outbox.POST, {"text": text}, channel=channel)

    async def header(self, lead: Lead) -> None:
        """The incident's state in the channel topic and its pinned header message, read
        under the incident's lock: two refreshes at once must not both post a first header."""
        incident = await incidents.lock(self.session, self.incident)
        held = await roles.roles_of(self.session, incident.id or 0)
        # The commander changed since ``lead`` was read: their id, until the next refresh.
        name = lead.name if lead.user == incident.commander else incident.commander or NOBODY
        render = self.services.renderer.render
        topic = render("messages/channel_topic.j2", incident=incident, lead_name=name)
        message = await self._header_message(incident, held)
        await self.keep(outbox.TOPIC, {"topic": topic})
        waiting = await outbox.written_for(self.session, f"header:{incident.id}")
        if incident.header_ts:
            await self.keep(outbox.UPDATE, {**message, "ts": incident.header_ts})
        elif waiting is not None and waiting.gave_up_at is None:
            await self.keep(outbox.UPDATE, message, ts_of=waiting.id)
        else:
            first = await self.keep(outbox.POST, message, after=f"header:{incident.id}")
            await self.keep(outbox.PIN, {}, ts_of=first.id)

    async def _header_message(self, incident: Incident, held: dict[str, str]) -> dict[str, Any]:
        """The header's text; with custom fields configured, blocks with an "Edit fields"
        button too (the text stays, as the notification's and the fallback's)."""
        types = self.services.settings.incidents.types
        kind = types.get(incident.incident_type)
        values = await fields.values_of(self.session, incident.id or 0, types.fields)
        shown = [(f, values[f.name]) for f in types.fields.values() if f.name in values]
        # The figures every page shows (bot/record/postmortem/figures.py), not the columns.
        figures = (await figures_of(self.session, [incident]))[incident.id or 0]
        header = self.services.renderer.render(
            "messages/incident_header.j2",
            incident=incident,
            figures=figures,
            roles=held,
            fields=shown,
            unheld=kind.unheld(incident.commander, held) if kind else [],
        )
        if not types.fields:
            return {"text": header}
        blocks = self.services.renderer.render_json(
            "blocks/incident_header.json.j2",
            sections=sections_of(header),
            incident=incident,
        )
        return {"text": header, "blocks": blocks}

    async def send(self) -> None:
        """Send the kept writes (once the transaction has committed)."""
        for channel in self.channels:
            await deliver_now(self.services, channel)


# A section block's text holds 3,000 characters (https://docs.slack.dev/reference/block-kit/blocks/section-block).
SECTION_MAX = 3000


def sections_of(text: str) -> list[str]:
    """``text`` in pieces a section block holds, cut between lines where it can."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > SECTION_MAX:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:SECTION_MAX])
            line = line[SECTION_MAX:]
        if len(current) + len(line) > SECTION_MAX:
            pieces.append(current)
            current = ""
        current += line
    if current.strip():
        pieces.append(current)
    return [piece for piece in pieces if piece.strip()] or [text[:SECTION_MAX] or " "]


async def as_sent(services: Services, row: OutboxMessage) -> OutboxMessage:
    """A kept write as it stands now: sent, waiting, or given up."""
    async with session_scope(services.engine) as session:
        current = await session.get(OutboxMessage, row.id)
    assert current is not None
    return current


async def announce_failure(
    services: Services, incident: Incident, row: OutboxMessage | None
) -> str | None:
    """Slack's error when an announcement was given up, once sent. The incident channel is
    the record: a failed announcement is reported, never fatal."""
    if row is None or (row := await as_sent(services, row)).gave_up_at is None:
        return None
    log.warning("announcing %s failed: %s", incident.reference, row.last_error)
    return row.last_error


async def refresh_channel_header(services: Services, incident: Incident) -> None:
    """Show the incident's current state in the channel topic and its pinned header message.

    The state is read afresh: a job may have changed the incident since the caller read it.
    """
    async with session_scope(services.engine) as session:
        current = await session.get(Incident, incident.id)
    assert current is not None and current.channel_id is not None
    lead = await lead_of(services, current)
    async with session_scope(services.engine) as session:
        writes = Writes(services, session, current)
        await writes.header(lead)
        await session.commit()
    await writes.send()


async def say(
    services: Services,
    incident: Incident,
    template: str,
    *,
    after: str | None = None,
    **context: Any,
) -> OutboxMessage:
    """Post a message rendered from ``template`` in the incident's channel; the outbox row
    says whether Slack has it yet. ``after``: what the message records once sent."""
    assert incident.channel_id is not None
    text = services.renderer.render(template, incident=incident, **context)
    return await send(services, incident, incident.channel_id, {"text": text}, after=after)


async def say_safely(
    services: Services, incident: Incident, template: str, *, about: str, **context: Any
) -> None:
    """``say``, for a message that reports work already done (a page sent, an issue filed, a
    publication): a Slack failure is logged, not raised, so that the work is not run again
    for it. ``about`` names that work in the log line."""
    try:
        await say(services, incident, template, **context)
    except SlackFailure as error:
        log.error("telling %s about %s failed: %s", incident.reference, about, error.code)


async def post(services: Services, incident: Incident, text: str, **extra: Any) -> OutboxMessage:
    """Post text (and blocks) in the incident's channel through the outbox."""
    assert incident.channel_id is not None
    after = extra.pop("after", None)
    return await send(services, incident, incident.channel_id, {"text": text, **extra}, after=after)


async def direct_message(services: Services, user: str, text: str) -> None:
    """Say ``text`` to ``user`` in their DM with the bot, through the outbox: where a reply
    goes when there is no response_url to answer through (a form's submission)."""
    async with session_scope(services.engine) as session:
        await outbox.enqueue(
            session, channel=user, method=outbox.POST, payload={"text": text}, now=services.clock()
        )
        await session.commit()
    await deliver_now(services, user)


async def invite(services: Services, incident: Incident, users: Iterable[str]) -> None:
    """Bring people into the incident's channel (through the outbox, in order with messages)."""
    async with session_scope(services.engine) as session:
        writes = Writes(services, session, incident)
        await writes.invite(users)
        await session.commit()
    await writes.send()


async def send(
    services: Services,
    incident: Incident,
    channel: str,
    payload: dict[str, Any],
    *,
    method: str = outbox.POST,
    after: str | None = None,
    ts_of: int | None = None,
) -> OutboxMessage:
    """Keep one write, send the channel's writes, and return the row as it stands after."""
    async with session_scope(services.engine) as session:
        writes = Writes(services, session, incident)
        row = await writes.keep(method, payload, channel=channel, after=after, ts_of=ts_of)
        await session.commit()
    await writes.send()
    return await as_sent(services, row)


# Set while a command is applied in its channel's line (bot/flows/in_order.py); deliver_now
# sets it once the command's decisions are committed.
DECIDED: ContextVar[asyncio.Event | None] = ContextVar("warroom_command_decided", default=None)


async def deliver_now(services: Services, channel: str) -> None:
    """Send the channel's writes at once if possible. They are kept: a failure here (the
    database busy or restarting) leaves them to the outbox sender, never fails the flow.

    Inside a command applied in its channel's line, the first call says the command's
    decisions are committed (a flow sends its writes once their transaction has): the line
    goes on to the next command while these are sent, in the order they were kept."""
    decided = DECIDED.get()
    if decided is not None:
        decided.set()
    try:
        await deliver(services, channel)
    except Exception:
        log.exception("sending %s's writes now failed; the outbox sender will", channel)


async def announce(
    services: Services, incident: Incident, template: str, **context: Any
) -> str | None:
    """Post to the operator's announcement channel, if set; return Slack's error, if any."""
    async with session_scope(services.engine) as session:
        writes = Writes(services, session, incident)
        row = await writes.announce(template, **context)
        await session.commit()
    await writes.send()
    return await announce_failure(services, incident, row)
