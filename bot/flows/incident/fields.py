"""Changing an incident's type and custom fields from Slack: recorded (with history and the
timeline, bot/record/incident/fields.py), said in the channel, shown in the header.

A new type brings what it sets up that still makes sense mid-fight: its escalation policy
(if none runs yet), its required roles' reminders, its postmortem style (unless the incident
chose one). Severity stays what people set; privacy never changes: a private incident is
never made public, and Slack gives apps no way to make a public channel private.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.flows.channel import Writes, lead_in
from bot.flows.escalation.levels import start_policy
from bot.flows.incident import triggers
from bot.flows.incident.declare import by_type, require_may_page
from bot.flows.incident.reminders import schedule_role_reminder
from bot.record.incident import fields, incidents
from bot.record.incident.fields import NoFieldChange
from bot.record.incident.incident_types import CustomField, FieldValue
from bot.record.workflows.definitions import FIELD_CHANGED, TYPE_CHANGED
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import Incident, TimelineKind


@dataclass(frozen=True)
class TypeChanged:
    incident: Incident
    previous: str | None
    # The new type is private but the incident is fought in a public channel.
    stays_public: bool


async def change_type(
    services: Services, *, channel_id: str, by: str, type_name: str | None
) -> TypeChanged:
    """Give the channel's incident another type (None: none) and what it sets up."""
    kind = services.settings.incidents.types.get(type_name)
    await require_may_page(services, by, severity=None, kind=kind)
    lead = await lead_in(services, channel_id)
    async with session_scope(services.engine) as session:
        incident = await incidents.locked_in_channel(session, channel_id)
        previous = await fields.set_type(
            session, incident, kind.name if kind else None, by=by, at=services.clock()
        )
        await set_up_type(session, services, incident, previous)
        await triggers.changed(
            session,
            services,
            incident,
            TYPE_CHANGED,
            TimelineKind.TYPE,
            kind.name if kind else "none",
        )
        stays_public = bool(kind and kind.private and not incident.is_private)
        writes = Writes(services, session, incident)
        await writes.say(
            "messages/type_changed.j2", by=by, previous=previous, stays_public=stays_public
        )
        await writes.header(lead)
        await session.commit()
    services.wake_jobs()
    await writes.send()
    return TypeChanged(incident, previous, stays_public)


async def set_up_type(
    session: AsyncSession, services: Services, incident: Incident, previous: str | None
) -> None:
    """What the incident's new type sets up (the caller commits): its postmortem style
    unless one was chosen, its escalation policy, and the reminders of its required roles.
    Whoever changed the type, a person or a workflow."""
    types = services.settings.incidents.types
    kind, old = types.get(incident.incident_type), types.get(previous)
    if kind is None:
        return
    if incident.postmortem_style in (None, old.postmortem_style if old else None):
        incident.postmortem_style = kind.postmortem_style
    policy = services.settings.escalation.policies.get(kind.policy or "")
    if policy is not None:
        await start_policy(session, services, incident, policy, by_type(kind, policy))
    await schedule_role_reminder(session, services, incident)


async def set_fields(
    services: Services,
    *,
    channel_id: str,
    by: str,
    values: Mapping[str, FieldValue | None],
) -> tuple[Incident, list[CustomField]]:
    """Set several fields of the channel's incident at once (a form); a field given the value
    it has is left alone. Returns the incident and the fields that changed."""
    types = services.settings.incidents.types
    lead = await lead_in(services, channel_id)
    async with session_scope(services.engine) as session:
        incident = await incidents.locked_in_channel(session, channel_id)
        changed: list[tuple[CustomField, FieldValue | None]] = []
        for name, value in values.items():
            field = types.field(name)
            if field is None:
                continue
            try:
                await fields.set_field(session, incident, field, value, by=by, at=services.clock())
            except NoFieldChange:
                continue
            changed.append((field, value))
            await triggers.changed(
                session, services, incident, FIELD_CHANGED, TimelineKind.FIELD, name
            )
        writes = Writes(services, session, incident)
        if changed:
            await writes.say("messages/fields_changed.j2", by=by, changed=changed)
            await writes.header(lead)
        await session.commit()
    await writes.send()
    return incident, [field for field, _ in changed]


async def set_one_field(
    services: Services, *, channel_id: str, by: str, field: CustomField, value: FieldValue | None
) -> Incident:
    """Set one field of the channel's incident (``/incident set``); NoFieldChange when it
    already has that value."""
    lead = await lead_in(services, channel_id)
    async with session_scope(services.engine) as session:
        incident = await incidents.locked_in_channel(session, channel_id)
        previous = await fields.set_field(
            session, incident, field, value, by=by, at=services.clock()
        )
        await triggers.changed(
            session, services, incident, FIELD_CHANGED, TimelineKind.FIELD, field.name
        )
        writes = Writes(services, session, incident)
        await writes.say(
            "messages/field_changed.j2", by=by, field=field, value=value, previous=previous
        )
        await writes.header(lead)
        await session.commit()
    await writes.send()
    return incident


async def fields_of_channel(
    services: Services, channel_id: str
) -> tuple[Incident, dict[str, FieldValue]]:
    """The channel's incident and its field values."""
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
        values = await fields.values_of(
            session, incident.id or 0, services.settings.incidents.types.fields
        )
    return incident, values


async def missing_to_resolve(services: Services, channel_id: str) -> tuple[CustomField, ...]:
    """The fields the channel's incident must have before it is resolved and has not."""
    incident, values = await fields_of_channel(services, channel_id)
    if not incident.is_open:
        return ()
    return services.settings.incidents.types.missing(incident.incident_type, values, "resolve")
