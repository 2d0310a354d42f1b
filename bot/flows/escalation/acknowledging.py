"""Acknowledging: every policy timer stops, every ringing page is acknowledged, the
escalation's message is shown acknowledged; and standing down when the incident is resolved.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clients.slack.errors import SlackFailure
from bot.flows.channel import refresh_channel_header, say, send
from bot.flows.escalation.bringing_in import escalation_message
from bot.flows.paging.pagerduty_events import follow_up_pages
from bot.flows.paging.pages import stop_pages
from bot.flows.rights import require
from bot.record.escalation import escalations
from bot.record.incident import incidents
from bot.record.rights import Act
from bot.services import Services
from bot.store import jobs, outbox
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Escalation, Incident

log = logging.getLogger(__name__)


async def acknowledge(
    services: Services,
    *,
    channel_id: str,
    user_id: str,
    escalation_id: int | None = None,
    via: str | None = None,
) -> tuple[Incident, list[Escalation]]:
    """Acknowledge escalations: every policy timer stops, every ringing page is acknowledged,
    and every person's notifications still to come are cancelled. ``via``: how, when not in
    Slack (``sms``, ``voice``, ``ntfy``, ``email``)."""
    if via is None:  # from Slack: a phone's or a link's answer is its owner's
        await require(services, user_id, Act.ACKNOWLEDGE)
    now = services.clock()
    async with session_scope(services.engine) as session:
        incident = await incidents.lock(
            session, await incidents.incident_in_channel(session, channel_id)
        )
        chosen = await escalations.acknowledge(
            session, incident, user_id=user_id, at=now, escalation_id=escalation_id, via=via
        )
        # Someone is on it: no policy escalates further, and no page keeps ringing.
        await jobs.cancel(session, incident_id=incident.id or 0, kinds=[JobKind.ESCALATE], now=now)
        await follow_up_pages(session, incident.id or 0, "acknowledge", now)
        acknowledged = await stop_pages(
            session,
            incident_id=incident.id or 0,
            escalation_ids=[escalation.id or 0 for escalation in chosen],
            now=now,
            by=user_id,
            via=via or "slack",
        )
        await session.commit()
    for page in acknowledged:
        services.metrics.page_acknowledged(via or "slack", (now - page.started_at).total_seconds())
    services.wake_jobs()
    for escalation in chosen:
        await _show_acknowledged(services, incident, escalation)
    try:
        await say(services, incident, "messages/acknowledged.j2", escalations=chosen, user=user_id)
        await refresh_channel_header(services, incident)
    except SlackFailure as error:
        # The acknowledgement is recorded and has stopped the policy; only showing it failed.
        log.warning("showing the acknowledgement failed: %s", error.code)
    return incident, chosen


async def _show_acknowledged(
    services: Services, incident: Incident, escalation: Escalation
) -> None:
    """Rewrite the escalation message without its button, saying who acknowledged."""
    if not incident.channel_id:
        return
    async with session_scope(services.engine) as session:
        pages = await escalations.pages_of(session, escalation.id or 0)
        posted = await outbox.written_for(session, f"escalation:{escalation.id}")
    if posted is None:
        return  # not posted yet: the bring-in job posts it already acknowledged
    text, blocks = escalation_message(services, incident, escalation, pages, [])
    edit = {"text": text, "blocks": blocks}
    if escalation.message_ts:
        await send(
            services,
            incident,
            incident.channel_id,
            {**edit, "ts": escalation.message_ts},
            method=outbox.UPDATE,
        )
    else:
        await send(
            services, incident, incident.channel_id, edit, method=outbox.UPDATE, ts_of=posted.id
        )


async def stand_down(session: AsyncSession, incident: Incident, now: datetime) -> None:
    """On resolution: no more policy levels, and every open page resolved (caller commits)."""
    await jobs.cancel(session, incident_id=incident.id or 0, kinds=[JobKind.ESCALATE], now=now)
    await follow_up_pages(session, incident.id or 0, "resolve", now)
    await stop_pages(session, incident_id=incident.id or 0, escalation_ids=None, now=now)
