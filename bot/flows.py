"""Flows: the steps of declaring and resolving an incident, across the record and Slack.

Each flow opens its own database sessions (one per unit of work) and talks to Slack only
through ``services.slack``. The record is written first, so a Slack failure never loses it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import incidents, timeline
from bot.db import session_scope
from bot.errors import BotError, NotIncidentChannel
from bot.messages import SaidMessage
from bot.models import Incident, TimelineKind
from bot.services import Services
from bot.slack.workspace import slack_error
from bot.timestamps import ts_to_datetime

log = logging.getLogger(__name__)
_CHANNEL_NAME_ATTEMPTS = 20


@dataclass(frozen=True)
class Declaration:
    """What someone asked for when declaring an incident."""

    team_id: str
    title: str
    declared_by: str
    severity: str
    description: str = ""
    # The message the incident was declared from: its time is the detection time.
    origin: SaidMessage | None = None


class ChannelNotCreated(BotError):
    """The incident is recorded but Slack refused its channel."""

    template = "messages/channel_not_created.j2"


async def declare_incident(services: Services, declaration: Declaration) -> Incident:
    """Record a new incident, open its channel, bring in its declarer and post the header."""
    async with session_scope(services.engine) as session:
        incident = await incidents.open_incident(
            session,
            team_id=declaration.team_id,
            title=declaration.title,
            declared_by=declaration.declared_by,
            severity=declaration.severity,
            description=declaration.description,
            timezone=services.settings.timezone,
            declared_at=services.clock(),
            detected_at=ts_to_datetime(declaration.origin.ts) if declaration.origin else None,
        )
        if declaration.origin:
            _record_detection(session, incident, declaration.origin)
            await session.commit()
    try:
        channel_id, channel_name = await services.slack.create_channel(
            _channel_names(services, incident)
        )
    except SlackApiError as error:
        log.error("creating the channel of %s failed: %s", incident.reference, slack_error(error))
        raise ChannelNotCreated(reference=incident.reference, error=slack_error(error)) from error
    async with session_scope(services.engine) as session:
        session.add(incident)
        await incidents.attach_channel(
            session, incident, channel_id=channel_id, channel_name=channel_name
        )
    await services.slack.invite(channel_id, [declaration.declared_by])
    await refresh_channel_header(services, incident)
    if declaration.origin:
        await _link_origin(services, incident, declaration.origin)
    return incident


def _record_detection(session: AsyncSession, incident: Incident, origin: SaidMessage) -> None:
    timeline.add_entry(
        session,
        incident,
        kind=TimelineKind.DETECTION,
        text=origin.text,
        author=origin.user,
        occurred_at=ts_to_datetime(origin.ts),
        slack_channel=origin.channel,
        slack_ts=origin.ts,
    )


async def _link_origin(services: Services, incident: Incident, origin: SaidMessage) -> None:
    assert incident.channel_id is not None
    permalink = await services.slack.permalink(origin.channel, origin.ts)
    await services.slack.post(
        incident.channel_id,
        services.renderer.render(
            "messages/declared_from_message.j2", incident=incident, origin=origin, link=permalink
        ),
    )


def _channel_names(services: Services, incident: Incident) -> Iterator[str]:
    prefix = services.settings.channel_prefix
    for attempt in range(1, _CHANNEL_NAME_ATTEMPTS + 1):
        yield incidents.channel_name_for(prefix, incident.number, incident.title, attempt)


async def refresh_channel_header(services: Services, incident: Incident) -> None:
    """Show the incident's current state in the channel topic and its pinned header message."""
    assert incident.channel_id is not None
    render = services.renderer.render
    await services.slack.set_topic(
        incident.channel_id, render("messages/channel_topic.j2", incident=incident)
    )
    header = render("messages/incident_header.j2", incident=incident)
    if incident.header_ts:
        await services.slack.update(incident.channel_id, incident.header_ts, header)
        return
    header_ts = await services.slack.post(incident.channel_id, header)
    # Remembered before pinning, so whoever sees the pin can rely on the header being known.
    async with session_scope(services.engine) as session:
        session.add(incident)
        await incidents.remember_header(session, incident, header_ts)
    await services.slack.pin(incident.channel_id, header_ts)


async def resolve_incident(
    services: Services, *, channel_id: str, resolved_by: str, summary: str
) -> Incident:
    """Resolve the channel's incident and post the first postmortem draft there."""
    async with session_scope(services.engine) as session:
        incident = await incidents.get_by_channel(session, channel_id)
        if incident is None:
            raise NotIncidentChannel()
        await incidents.resolve_incident(
            session,
            incident,
            resolved_by=resolved_by,
            resolved_at=services.clock(),
            summary=summary,
        )
        entries = await timeline.entries(session, incident.id or 0)
    render = services.renderer.render
    await services.slack.post(
        channel_id,
        render("messages/incident_resolved.j2", incident=incident, resolved_by=resolved_by),
    )
    await services.slack.post(
        channel_id, render("messages/postmortem_draft.j2", incident=incident, entries=entries)
    )
    await refresh_channel_header(services, incident)
    return incident


async def postmortem_markdown(services: Services, incident_id: int) -> str:
    """The postmortem draft of an incident as Markdown, from the record as it stands."""
    async with session_scope(services.engine) as session:
        incident = await session.get(Incident, incident_id)
        if incident is None:
            raise LookupError(f"no incident with id {incident_id}")
        entries = await timeline.entries(session, incident_id)
    return services.renderer.render("postmortem.md.j2", incident=incident, entries=entries)
