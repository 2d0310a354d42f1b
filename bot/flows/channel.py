"""What every flow shows in Slack: the incident channel's header, its messages, announcements."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import incidents, roles
from bot.db import session_scope
from bot.models import Incident
from bot.services import Services
from bot.slack.workspace import slack_error

log = logging.getLogger(__name__)


async def refresh_channel_header(services: Services, incident: Incident) -> None:
    """Show the incident's current state in the channel topic and its pinned header message.

    The state is read afresh: a job may have changed the incident since the caller read it.
    """
    async with session_scope(services.engine) as session:
        current = await session.get(Incident, incident.id)
        held = await roles.roles_of(session, incident.id or 0)
    assert current is not None and current.channel_id is not None
    incident = current
    render = services.renderer.render
    # An incident an alert opened has no commander until someone takes the lead.
    lead = incident.commander
    lead_name = await services.slack.display_name(lead) if lead else "unassigned"
    await services.slack.set_topic(
        incident.channel_id,
        render("messages/channel_topic.j2", incident=incident, lead_name=lead_name),
    )
    header = render("messages/incident_header.j2", incident=incident, roles=held)
    if incident.header_ts:
        await services.slack.update(incident.channel_id, incident.header_ts, header)
        return
    header_ts = await services.slack.post(incident.channel_id, header)
    # Remembered before pinning, so whoever sees the pin can rely on the header being known.
    async with session_scope(services.engine) as session:
        session.add(incident)
        await incidents.remember_header(session, incident, header_ts)
    await services.slack.pin(incident.channel_id, header_ts)


async def say(services: Services, incident: Incident, template: str, **context: Any) -> str:
    """Post a message rendered from ``template`` in the incident's channel; return its ts."""
    assert incident.channel_id is not None
    text = services.renderer.render(template, incident=incident, **context)
    return await services.slack.post(incident.channel_id, text)


async def announce(
    services: Services, incident: Incident, template: str, **context: Any
) -> str | None:
    """Post to the operator's announcement channel, if set; return Slack's error, if any.

    The incident channel is the record; a failed announcement is reported, never fatal. A
    private incident is never announced: its title alone may say too much.
    """
    channel = services.settings.announce_channel
    if not channel or incident.is_private:
        return None
    text = services.renderer.render(template, incident=incident, **context)
    try:
        await services.slack.post(channel, text)
    except SlackApiError as error:
        log.warning("announcing %s failed: %s", incident.reference, slack_error(error))
        return slack_error(error)
    return None
