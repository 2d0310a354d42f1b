"""What happens to an incident channel itself: renamed, archived, unarchived.

Slack tells the apps in a channel (``channel_rename`` / ``group_rename``,
``channel_archive`` / ``group_archive``, ``channel_unarchive`` / ``group_unarchive``); each is
applied once, in the transaction that claims its event. An archive does not resolve the
incident: it is a timeline entry, and since nothing can be posted in an archived channel, the
commander is told in the announcement channel, where warroom can still reach them.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.flows.channel import deliver_now
from bot.flows.ingestion import IngestWriter
from bot.record.incident.timeline import add_entry
from bot.store import outbox
from bot.store.models import Incident, TimelineKind

log = logging.getLogger(__name__)


async def record_rename(writer: IngestWriter, event_id: str, *, channel: str, name: str) -> None:
    """Keep the incident channel's new name."""

    async def rename(session: AsyncSession, incident: Incident) -> bool:
        incident.channel_name = name
        session.add(incident)
        return True

    await writer.apply(event_id, channel, rename)


async def record_archive(
    writer: IngestWriter,
    event_id: str,
    *,
    channel: str,
    archived: bool,
    by: str | None,
    at: datetime,
) -> None:
    """Put the channel's archive (or unarchive) in the timeline; for an archive of an open
    incident, tell its commander in the announcement channel."""
    services = writer.services
    where = services.settings.incidents.announce_channel

    async def change(session: AsyncSession, incident: Incident) -> str | None:
        facts = {"change": "archived" if archived else "unarchived", "user": by}
        add_entry(
            session, incident, kind=TimelineKind.CHANNEL, author=by, occurred_at=at, facts=facts
        )
        if not (archived and incident.is_open):
            return None
        if not where or incident.is_private:  # a private incident is never announced
            log.warning("%s: its channel was archived; nowhere to tell", incident.reference)
            return None
        text = services.renderer.render(
            "messages/channel_archived.j2", outside=True, incident=incident, by=by
        )
        await outbox.enqueue(
            session,
            channel=where,
            method=outbox.POST,
            payload={"text": text},
            now=services.clock(),
            incident_id=incident.id,
        )
        return where

    told_in = await writer.apply(event_id, channel, change)
    if told_in:
        # Sent after Slack's request is answered: a listener never waits on Slack.
        services.background.spawn(deliver_now(services, told_in), name=f"deliver {told_in}")
