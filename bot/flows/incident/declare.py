"""Declaring an incident: the record, its channel, its people, and its policy if any."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.basics.timestamps import ts_to_datetime
from bot.clients.slack.errors import SlackFailure, SlackGone, SlackRateLimited
from bot.clients.slack.pacing import URGENT, paced_at_least
from bot.flows.channel import Writes, lead_of
from bot.flows.escalation.levels import start_policy
from bot.flows.incident import triggers
from bot.flows.incident.causes import schedule_causes
from bot.flows.incident.reminders import schedule_role_reminder, schedule_update_reminder
from bot.flows.replies import run_and_reply
from bot.flows.rights import require
from bot.record.changes.beside import schedule_for_incident
from bot.record.escalation.escalations import Why, WhyType
from bot.record.escalation.policies import Policy
from bot.record.incident import fields, incidents, timeline
from bot.record.incident.incident_types import FieldValue, IncidentType
from bot.record.incident.messages import SaidMessage
from bot.record.incident.related import Related
from bot.record.rights import Act
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import Incident, TimelineKind

log = logging.getLogger(__name__)
_CHANNEL_NAME_ATTEMPTS = 20
# The related incidents the message beside it lists (it counts them all, up to ten).
RELATED_SHOWN = 5


@dataclass(frozen=True)
class Declaration:
    """What someone asked for when declaring an incident."""

    team_id: str
    title: str
    declared_by: str
    # None: the type's severity, else WARROOM_DEFAULT_SEVERITY.
    severity: str | None
    description: str = ""
    # The message the incident was declared from: its time is the detection time.
    origin: SaidMessage | None = None
    # Fight it in a private channel (only its members see it, here and in the web view).
    private: bool = False
    # Its incident type (WARROOM_INCIDENT_TYPES), whose defaults apply; and custom field
    # values, checked by the caller (bot/record/incident/incident_types.py).
    incident_type: str | None = None
    fields: Mapping[str, FieldValue] = field(default_factory=dict)
    # The service it is about (WARROOM_SERVICES, checked by the caller); declared from an
    # alert, the alert's when this names none.
    service: str | None = None
    # When the command that declares it reached warroom (by ``Services.clock``): the pages
    # of the policy it starts count from it.
    arrived_at: datetime | None = None


class Attachment(Protocol):
    """What an incident is declared from and takes in, in the transaction that opens it
    (an alert: bot/flows/alerting/declared.py). ``claim`` locks it and checks it may be
    (raising a BotError that says why not) before the incident is numbered, and returns its
    detection time; ``attach`` makes it the incident's; ``policy``, what pages for it when
    the incident's type and severity name none, and ``why``."""

    policy: Policy | None
    why: Why | None

    async def claim(self, session: AsyncSession) -> datetime | None: ...

    async def attach(self, session: AsyncSession, incident: Incident) -> None: ...

    async def tell(self, writes: Writes) -> None: ...


class ChannelNotCreated(BotError):
    """The incident is recorded but Slack refused its channel."""

    template = "messages/channel_not_created.j2"


async def declare_incident(
    services: Services, declaration: Declaration, attachment: Attachment | None = None
) -> Incident:
    """Record a new incident, open its channel, bring in its declarer and post the header.

    Declared from a message Slack does not show everyone (a DM, a private channel), it is a
    private incident: its title and description are that message's words. Declared from an
    ``attachment`` (an alert), it takes it in the same transaction: two at once, one incident.
    """
    types = services.settings.incidents.types
    kind = types.get(declaration.incident_type)
    severity = (
        declaration.severity
        or (kind.severity if kind else None)
        or services.settings.incidents.default_severity
    )
    await require_may_page(services, declaration.declared_by, severity=severity, kind=kind)
    if attachment is not None:  # asked afresh: a guest since the form opened takes nothing
        await require(services, declaration.declared_by, Act.ATTACH_ALERT)
    private = (
        declaration.private
        or bool(kind and kind.private)
        or (
            declaration.origin is not None
            and not await services.slack.is_public_channel(declaration.origin.channel)
        )
    )
    now = services.clock()
    async with session_scope(services.engine) as session:
        detected = await attachment.claim(session) if attachment else None
        incident = await incidents.open_incident(
            session,
            team_id=declaration.team_id,
            title=declaration.title,
            declared_by=declaration.declared_by,
            severity=severity,
            description=declaration.description,
            timezone=services.settings.incidents.timezone,
            declared_at=now,
            detected_at=ts_to_datetime(declaration.origin.ts) if declaration.origin else detected,
            is_private=private,
            incident_type=kind.name if kind else None,
            service=declaration.service,
        )
        apply_type_style(incident, kind)
        for name, value in declaration.fields.items():
            if (custom := types.field(name)) is not None:
                await fields.set_field(
                    session, incident, custom, value, by=declaration.declared_by, at=now
                )
        if declaration.origin:
            _record_detection(session, incident, declaration.origin)
        if attachment is not None:
            await attachment.attach(session, incident)
        await session.commit()
    origin = declaration.origin
    link = await _origin_link(services, origin) if origin else None

    async def tell(writes: Writes) -> None:
        if origin:
            await writes.say("messages/declared_from_message.j2", origin=origin, link=link)
        if attachment is not None:
            await attachment.tell(writes)
        await writes.announce("messages/announce_declared.j2")

    policies = services.settings.escalation.policies
    policy = policies.get(kind.policy or "") if kind else None
    why: Why | None = by_type(kind, policy) if kind and policy else None
    if policy is None and attachment is not None and not policies.for_severity(severity):
        # What paged for the alert goes on paging for the incident (its people paged once).
        policy, why = attachment.policy, attachment.why
    await open_war_room(
        services,
        incident,
        prefix=services.settings.incidents.channel_prefix,
        members=[declaration.declared_by],
        policy=policy,
        policy_why=why,
        tell=tell,
        arrived_at=declaration.arrived_at,
    )
    return incident


async def require_may_page(
    services: Services, by: str, *, severity: str | None, kind: IncidentType | None
) -> None:
    """NotTheirs when what ``by`` sets (a severity, a type) starts a policy and they may not
    page: declaring, or changing either, is then paging."""
    policies = services.settings.escalation.policies
    pages = bool(kind and policies.get(kind.policy or "")) or (
        severity is not None and policies.for_severity(severity) is not None
    )
    if pages:
        await require(services, by, Act.DECLARE_PAGING)


def apply_type_style(incident: Incident, kind: IncidentType | None) -> None:
    """The type's postmortem style, unless the incident chose its own."""
    if kind is not None and kind.postmortem_style and incident.postmortem_style is None:
        incident.postmortem_style = kind.postmortem_style


def by_type(kind: IncidentType, policy: Policy) -> WhyType:
    """Why a policy starts by itself: the incident's type escalates to it."""
    return {"because": "type", "type": kind.name, "policy": policy.name}


async def open_war_room(
    services: Services,
    incident: Incident,
    *,
    prefix: str,
    members: Sequence[str] = (),
    policy: Policy | None = None,
    policy_why: Why | None = None,
    tell: Callable[[Writes], Awaitable[None]] | None = None,
    arrived_at: datetime | None = None,
) -> None:
    """Create the incident's channel, start its reminders and policy, bring in ``members``,
    and post and pin its header.

    ``policy`` (else the one set for the incident's severity, if any) starts at level 1;
    ``policy_why`` says why it does, as data (``Escalation.why``). ``tell`` keeps more writes
    (what the channel and the announcements hear) in the same transaction as the channel.
    ``arrived_at``: when the command declaring it reached warroom (the policy's pages count
    from it).
    """
    try:
        # A war room opening goes first in the pace of Slack's limits (an alert storm's job),
        # a person declaring before it (their command's calls are ANSWER already).
        with paced_at_least(URGENT):
            channel_id, channel_name = await services.slack.create_channel(
                _channel_names(prefix, incident), private=incident.is_private
            )
    except SlackFailure as error:
        # Rate-limited, a job runs again once Slack allows: routine in a storm, not an error.
        level = logging.INFO if isinstance(error, SlackRateLimited) else logging.ERROR
        log.log(level, "creating the channel of %s failed: %s", incident.reference, error.code)
        raise ChannelNotCreated(reference=incident.reference, error=error.code) from error
    lead = await lead_of(services, incident)
    async with session_scope(services.engine) as session:
        session.add(incident)
        await incidents.attach_channel(
            session, incident, channel_id=channel_id, channel_name=channel_name
        )
        await schedule_update_reminder(session, services, incident)
        await schedule_role_reminder(session, services, incident)
        await start_policy(session, services, incident, policy, policy_why, arrived_at=arrived_at)
        await triggers.declared(session, services, incident)
        writes = Writes(services, session, incident)
        await writes.invite(members)
        await writes.header(lead)
        if tell is not None:
            await tell(writes)
        # What changed before it, its related incidents and runbook: a job, said once.
        await schedule_for_incident(session, incident, services.clock())
        await schedule_causes(session, services, incident, at=services.clock())
        await session.commit()
    services.wake_jobs()
    await writes.send()


def shared_trait(found: Sequence[Related]) -> dict[str, str]:
    """What the related incidents share most often (a service or component before an alert's
    name): what the offer says they are "on"."""
    counts: dict[tuple[str, str, str], int] = {}
    for each in found:
        for why in each.why:
            key = (why["by"], why["name"], why.get("value", ""))
            counts[key] = counts.get(key, 0) + 1
    (by, name, value), _ = max(
        counts.items(), key=lambda item: (item[0][0] != "alert", item[1], item[0])
    )
    return {"by": by, "name": name, "value": value}


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


async def _origin_link(services: Services, origin: SaidMessage) -> str | None:
    try:
        return await services.slack.permalink(origin.channel, origin.ts)
    except SlackGone:
        return None  # a DM or a channel the bot is not in: said so, never a failure


def _channel_names(prefix: str, incident: Incident) -> Iterator[str]:
    for attempt in range(1, _CHANNEL_NAME_ATTEMPTS + 1):
        yield incidents.channel_name_for(prefix, incident.number, incident.title, attempt)


def declare_in_background(
    services: Services,
    declaration: Declaration,
    response_url: str,
    attachment: Attachment | None = None,
) -> None:
    """Declare after the ack; tell the declarer where the war room is (or what went wrong)."""

    async def declare() -> str:
        incident = await declare_incident(services, declaration, attachment)
        return services.renderer.render("messages/incident_opened.j2", incident=incident)

    services.background.spawn(
        run_and_reply(services, response_url, declare()), name=f"declare {declaration.title!r}"
    )
