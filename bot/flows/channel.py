"""What every flow shows in Slack: the incident channel's header, its messages, announcements.

Every write goes through the outbox (``bot/flows/outbox.py``): kept first, then sent at once,
in order per channel; what Slack cannot take now is sent when it can.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from bot.clients.slack_errors import SlackFailure
from bot.flows.outbox import deliver
from bot.record import incidents, roles
from bot.services import Services
from bot.store import outbox
from bot.store.db import session_scope
from bot.store.models import Incident, OutboxMessage

log = logging.getLogger(__name__)


async def refresh_channel_header(services: Services, incident: Incident) -> None:
    """Show the incident's current state in the channel topic and its pinned header message.

    The state is read afresh: a job may have changed the incident since the caller read it.
    """
    async with session_scope(services.engine) as session:
        current = await session.get(Incident, incident.id)
        held = await roles.roles_of(session, incident.id or 0)
    assert current is not None and current.channel_id is not None
    incident, channel = current, current.channel_id
    render = services.renderer.render
    # An incident an alert opened has no commander until someone takes the lead.
    lead = incident.commander
    lead_name = await services.slack.display_name(lead) if lead else "unassigned"
    topic = render("messages/channel_topic.j2", incident=incident, lead_name=lead_name)
    header = render("messages/incident_header.j2", incident=incident, roles=held)
    now = services.clock()
    async with session_scope(services.engine) as session:
        # Two refreshes at once must not both post a first header (PostgreSQL row lock).
        locked = await incidents.lock(session, incident)
        keep = _keeper(session, incident, now)
        await keep(outbox.TOPIC, {"topic": topic})
        waiting = await outbox.written_for(session, f"header:{incident.id}")
        if locked.header_ts:
            await keep(outbox.UPDATE, {"text": header, "ts": locked.header_ts})
        elif waiting is not None and waiting.gave_up_at is None:
            await keep(outbox.UPDATE, {"text": header}, ts_of=waiting.id)
        else:
            first = await keep(outbox.POST, {"text": header}, after=f"header:{incident.id}")
            await keep(outbox.PIN, {}, ts_of=first.id)
        await session.commit()
    await deliver_now(services, channel)


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


async def invite(services: Services, incident: Incident, users: Iterable[str]) -> None:
    """Bring people into the incident's channel (through the outbox, in order with messages)."""
    wanted = sorted(set(users))
    if wanted and incident.channel_id:
        await send(services, incident, incident.channel_id, {"users": wanted}, method=outbox.INVITE)


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
        row = await _keeper(session, incident, services.clock(), channel)(
            method, payload, after=after, ts_of=ts_of
        )
        await session.commit()
    await deliver_now(services, channel)
    async with session_scope(services.engine) as session:
        current = await session.get(OutboxMessage, row.id)
    assert current is not None
    return current


async def deliver_now(services: Services, channel: str) -> None:
    """Send the channel's writes at once if possible. They are kept: a failure here (the
    database busy or restarting) leaves them to the outbox sender, never fails the flow."""
    try:
        await deliver(services, channel)
    except Exception:
        log.exception("sending %s's writes now failed; the outbox sender will", channel)


def _keeper(session: Any, incident: Incident, now: Any, channel: str | None = None) -> Any:
    async def keep(
        method: str,
        payload: dict[str, Any],
        *,
        after: str | None = None,
        ts_of: int | None = None,
    ) -> OutboxMessage:
        return await outbox.enqueue(
            session,
            channel=channel or incident.channel_id or "",
            method=method,
            payload=payload,
            now=now,
            after=after,
            ts_of=ts_of,
            incident_id=incident.id,
        )

    return keep


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
    row = await send(services, incident, channel, {"text": text})
    if row.gave_up_at is not None:
        log.warning("announcing %s failed: %s", incident.reference, row.last_error)
        return row.last_error
    return None
