"""Applying what happens in incident channels to the record, each Slack event exactly once.

Events go through the process's ``IngestWriter`` (bot/flows/ingestion.py), which claims the
event id in the same transaction as the work it guards, many events to a transaction: a
retried or duplicated delivery finds the claim and does nothing, and a failed one leaves no
claim, so Slack's retry applies it. Channels that are not incident channels are never stored.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.clients.slack.errors import SlackGone
from bot.clients.slack.messages import said_message
from bot.flows.follow_ups.model import Marked, ask_in_background
from bot.flows.ingestion import IngestWriter, MessageNotStored
from bot.flows.postmortem.prompts import ask_after_mark
from bot.record.incident import incidents, messages, reactions
from bot.record.incident.incidents import incident_in_channel
from bot.record.incident.messages import SaidMessage
from bot.record.incident.reactions import SeenReaction
from bot.record.incident.timeline import add_entry, entries
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import ChannelMessage, Incident, Job, TimelineEntry, TimelineKind

log = logging.getLogger(__name__)


async def record_said(writer: IngestWriter, event_id: str, said: SaidMessage) -> None:
    """Keep a message said in an incident channel (the writer's two-statement batch path)."""
    await writer.said(event_id, said)


async def record_edit(
    writer: IngestWriter,
    event_id: str,
    *,
    channel: str,
    ts: str,
    text: str,
    edited_by: str | None,
    edited_at: datetime,
) -> None:
    """Apply an edit to a kept message."""

    async def edit(session: AsyncSession, _incident: Incident) -> bool:
        await messages.edit_message(
            session, channel=channel, ts=ts, text=text, edited_by=edited_by, edited_at=edited_at
        )
        return True

    await writer.apply(event_id, channel, edit)


async def record_deletion(
    writer: IngestWriter, event_id: str, *, channel: str, ts: str, deleted_at: datetime
) -> None:
    """Take a deleted message out of the timeline, keeping the audit row."""

    async def delete(session: AsyncSession, _incident: Incident) -> bool:
        await messages.delete_message(session, channel=channel, ts=ts, deleted_at=deleted_at)
        return True

    await writer.apply(event_id, channel, delete)


async def record_reaction(
    writer: IngestWriter,
    event_id: str,
    *,
    channel: str,
    ts: str,
    name: str,
    user: str,
    reacted_at: datetime,
) -> None:
    """Store a reaction and promote its message when the reaction maps to a timeline kind.

    A reaction on a message the record lacks (said before the bot was there) is claimed
    together with a job that fetches it: asking Slack here would keep Slack's own request
    waiting, past its 3 seconds when Slack is slow or rate-limits the history.
    """
    services = writer.services
    kind_name = services.settings.incidents.reactions.get(name)
    reaction = _Reaction(
        event_id, name, user, reacted_at, TimelineKind(kind_name) if kind_name else None
    )

    async def apply(session: AsyncSession, incident: Incident) -> bool:
        message = await messages.find_message(session, channel, ts)
        if message is None:
            await _fetch_later(session, services, incident, channel, ts, reaction)
            return False
        return await _apply_reaction(session, incident, message, reaction)

    seen = SeenReaction(channel, ts, name, user, reacted_at)
    try:  # the batch's Core path, timeline entry included
        promoted = await writer.react(event_id, seen, reaction.kind)
    except MessageNotStored:
        # Nothing was claimed: claimed here, with the job that fetches the message.
        promoted = bool(await writer.apply(event_id, channel, apply))
        services.wake_jobs()
    if promoted:
        _spawn_receipt(services, channel, ts)
        _spawn_prompt(services, channel, ts, reaction.kind)


def _spawn_receipt(services: Services, channel: str, ts: str) -> None:
    services.background.spawn(
        _receipt(services.slack.react(channel, ts, services.settings.incidents.receipt_reaction)),
        name=f"receipt on {channel} {ts}",
    )


def _spawn_prompt(services: Services, channel: str, ts: str, kind: TimelineKind | None) -> None:
    """Ask in the message's thread what the draft needs of a mark of this kind, if anything
    (bot/flows/postmortem/prompts.py): after the reaction's event is answered, as the receipt."""
    if kind is not None:
        services.background.spawn(
            ask_after_mark(services, channel=channel, ts=ts, kind=kind),
            name=f"question on {channel} {ts}",
        )
    _ask_if_follow_up(services, channel, ts, kind)


def _ask_if_follow_up(services: Services, channel: str, ts: str, kind: TimelineKind | None) -> None:
    """A message made a follow-up (:memo:, or the shortcut) has the team's model asked whether
    it repeats another follow-up, as one noted by command is (bot/flows/follow_ups/model.py)."""
    if kind == TimelineKind.FOLLOW_UP:
        ask_in_background(services, Marked(channel, ts))


async def _fetch_later(
    session: AsyncSession,
    services: Services,
    incident: Incident,
    channel: str,
    ts: str,
    reaction: _Reaction,
) -> None:
    """Schedule the fetch of a reacted message, in the transaction that claims the event."""
    await jobs.schedule(
        session,
        kind=JobKind.FETCH_REACTED_MESSAGE,
        key=f"{JobKind.FETCH_REACTED_MESSAGE}:{reaction.event_id}",
        due_at=services.clock(),
        incident_id=incident.id,
        payload={
            "channel": channel,
            "ts": ts,
            "name": reaction.name,
            "user": reaction.user,
            "reacted_at": reaction.reacted_at.isoformat(),
            "kind": reaction.kind.value if reaction.kind else None,
        },
    )


async def apply_fetched_reaction(services: Services, job: Job) -> None:
    """Job: fetch the message a reaction is on from Slack, keep it, and apply the reaction."""
    assert job.incident_id is not None
    payload = jobs.payload_of(job)
    channel, ts = str(payload["channel"]), str(payload["ts"])
    kind = payload.get("kind")
    reaction = _Reaction(
        job.key.partition(":")[2],
        str(payload["name"]),
        str(payload["user"]),
        datetime.fromisoformat(str(payload["reacted_at"])),
        TimelineKind(kind) if kind else None,
    )
    # Fetched outside any transaction: Slack may be slow, the database must not wait on it.
    fetched = await _fetch(services, channel, ts)
    async with session_scope(services.engine) as session:
        incident = await session.get(Incident, job.incident_id)
        if incident is None:
            return
        message = await _keep_fetched(session, incident, fetched)
        promoted = await _apply_reaction(session, incident, message, reaction)
        await session.commit()
    if promoted:
        await _receipt(
            services.slack.react(channel, ts, services.settings.incidents.receipt_reaction)
        )
        _spawn_prompt(services, channel, ts, reaction.kind)


@dataclass(frozen=True)
class _Reaction:
    event_id: str
    name: str
    user: str
    reacted_at: datetime
    kind: TimelineKind | None


async def _apply_reaction(
    session: AsyncSession,
    incident: Incident,
    message: ChannelMessage | None,
    reaction: _Reaction,
) -> bool:
    """Store the reaction (its event is claimed by the writer); True when it put the message
    in the timeline."""
    if message is None:
        log.warning("reaction %s on a message Slack does not have", reaction.event_id)
        return False
    return await reactions.add_reaction(
        session,
        incident,
        message,
        name=reaction.name,
        user=reaction.user,
        added_at=reaction.reacted_at,
        kind=reaction.kind,
    )


async def record_unreaction(
    writer: IngestWriter, event_id: str, *, channel: str, ts: str, name: str, user: str
) -> None:
    """Forget a reaction and demote its message when no other reaction holds it."""
    services = writer.services

    async def unreact(session: AsyncSession, incident: Incident) -> bool:
        removed = await reactions.remove_reaction(
            session,
            incident,
            channel=channel,
            ts=ts,
            name=name,
            user=user,
            mapping=services.settings.incidents.reactions,
        )
        return removed and not await reactions.still_promoted(session, channel, ts)

    if await writer.apply(event_id, channel, unreact):
        services.background.spawn(
            _receipt(
                services.slack.unreact(channel, ts, services.settings.incidents.receipt_reaction)
            ),
            name=f"remove receipt on {channel} {ts}",
        )


# Slack answers SlackGone when the message cannot be had; retrying the event would not change
# it. Any other failure is raised: the 5xx answer makes Slack redeliver the event later.


async def _receipt(work: Awaitable[None]) -> None:
    """The bot's receipt reaction: a message gone from Slack meanwhile has nowhere to show it."""
    try:
        await work
    except SlackGone as error:
        log.warning("no receipt reaction: %s", error.code)


async def _fetch(services: Services, channel: str, ts: str) -> SaidMessage | None:
    try:
        found = await services.slack.fetch_message(channel, ts)
    except SlackGone:
        found = None
    if found is None:
        return None
    return said_message(channel, {**found, "ts": ts})


async def _keep_fetched(
    session: AsyncSession, incident: Incident, fetched: SaidMessage | None
) -> ChannelMessage | None:
    if fetched is None:
        return None
    kept = await messages.record_message(session, incident, fetched)
    return kept or await messages.find_message(session, fetched.channel, fetched.ts)


async def add_note(
    services: Services, *, channel: str, author: str, text: str
) -> tuple[Incident, TimelineEntry]:
    """A key event typed by hand, at the time it is typed."""
    async with session_scope(services.engine) as session:
        incident = await incident_in_channel(session, channel)
        entry = add_entry(
            session,
            incident,
            kind=TimelineKind.KEY_EVENT,
            text=text,
            author=author,
            occurred_at=services.clock(),
        )
        await session.commit()
    return incident, entry


async def add_message_to_timeline(
    services: Services, *, channel: str, ts: str, kind: TimelineKind, text: str
) -> Incident:
    """Put a message in the timeline as ``kind``, in the words given (from the shortcut).

    The message comes from the record, else from Slack (one said before the bot was there).
    """
    async with session_scope(services.engine) as session:
        incident = await incident_in_channel(session, channel)
        known = await messages.find_message(session, channel, ts)
    if known is None:
        # Fetched outside any transaction: Slack may be slow, the database must not wait on it.
        fetched = await _fetch(services, channel, ts)
        if fetched is None:
            raise MessageGone()
        async with session_scope(services.engine) as session:
            await _keep_fetched(session, incident, fetched)
            await session.commit()
    async with session_scope(services.engine) as session:
        # Both as they stand now: the message may have been deleted meanwhile.
        incident = await incidents.lock(session, incident)
        message = await messages.find_message(session, channel, ts)
        if message is None or message.is_system or message.deleted_at is not None:
            raise NotPromotable()
        await reactions.promote(session, incident, message, kind=kind, text=text)
        await session.commit()
    _spawn_receipt(services, channel, ts)
    _ask_if_follow_up(services, channel, ts, kind)
    return incident


class MessageGone(BotError):
    """Slack no longer has the message (deleted, or in a conversation the bot cannot read)."""

    template = "messages/message_gone.j2"


class NotPromotable(BotError):
    """A join, a topic change or a deleted message is not a moment of the incident."""

    template = "messages/not_promotable.j2"


async def curated_timeline(
    services: Services, channel: str
) -> tuple[Incident, Sequence[TimelineEntry]]:
    """The incident of this channel and its timeline so far."""
    async with session_scope(services.engine) as session:
        incident = await incident_in_channel(session, channel)
        return incident, await entries(session, incident.id or 0)
