"""Bringing an escalation's people in: the job that invites them and posts the escalation
with its Acknowledge button (through the outbox; it waits for an alert's war room's channel),
and the DM to each person an on-call schedule named. A crash or a Slack outage after the
escalation's commit delays them; it never loses them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clients.slack.errors import SlackFailure
from bot.clients.slack.web_api import Invitation
from bot.flows.channel import choose_template, deliver_now
from bot.flows.escalation.reach import (
    Reach,
)
from bot.record.escalation import escalations
from bot.record.incident import incidents
from bot.record.paging import pages as person_pages
from bot.services import Services
from bot.store import jobs, outbox
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Escalation, Incident, Job, Page

# How often bringing people in looks again for an alert's war room still being opened (the war
# room makes it due at once when its channel exists).
CHANNEL_WAIT = timedelta(seconds=1)


async def schedule_bring_in(
    session: AsyncSession, escalation: Escalation, reach: Reach, now: datetime
) -> None:
    await session.flush()
    await jobs.schedule(
        session,
        kind=JobKind.BRING_IN,
        key=f"bring_in:{escalation.id}",
        due_at=now,
        incident_id=escalation.incident_id,
        payload={"escalation": escalation.id, "problems": reach.problems},
    )


async def bring_in(services: Services, job: Job) -> datetime | None:
    """The job handler: invite an escalation's people and post it with its Acknowledge button.

    The post goes through the outbox (it waits there while Slack fails); one Slack gave up
    on is posted again when the job runs again. An alert's incident may be escalated (and
    its people paged) before its channel exists: this waits for the channel.
    """
    payload = jobs.payload_of(job)
    async with session_scope(services.engine) as session:
        escalation = await session.get(Escalation, payload["escalation"])
        if escalation is None:
            return None
        written = await outbox.written_for(session, f"escalation:{escalation.id}")
        if written is not None and written.gave_up_at is None:
            return None  # posted (or waiting in the outbox) already: this is a retried job
        incident = await session.get(Incident, escalation.incident_id)
        pages = await escalations.pages_of(session, escalation.id or 0)
    assert incident is not None
    if incident.channel_id is None:
        # The war room hurries this job once its channel exists (alert_intake).
        return services.clock() + CHANNEL_WAIT if incident.is_open else None
    problems = list(payload.get("problems") or [])
    try:
        invitation = await services.slack.invite(incident.channel_id, escalation.users)
    except SlackFailure as error:
        # Nobody came in: each of them is told apart in the message, with Slack's reason.
        invitation = Invitation(refused=tuple((u, error.code) for u in escalation.users))
    # Rendered and kept under the incident's lock, from the escalation as it stands now: an
    # acknowledgement that came while people were invited shows in it, and one that comes
    # later finds this message to edit (acknowledge takes the same lock).
    async with session_scope(services.engine) as session:
        await incidents.lock(session, incident)
        current = await session.get(Escalation, escalation.id)
        assert current is not None
        current.record_invitation(invitation.already_there, invitation.refused)
        session.add(current)
        pages = await escalations.pages_of(session, escalation.id or 0)
        text, blocks = escalation_message(services, incident, current, pages, problems)
        # Its ts becomes the escalation's message_ts once Slack has it (bot/flows/outbox.py).
        await outbox.enqueue(
            session,
            channel=incident.channel_id,
            method=outbox.POST,
            payload={"text": text, "blocks": blocks},
            now=services.clock(),
            after=f"escalation:{escalation.id}",
            incident_id=incident.id,
        )
        told = await _tell_on_call(session, services, incident, current)
        await session.commit()
    for channel in [incident.channel_id, *told]:
        await deliver_now(services, channel)
    return None


async def _tell_on_call(
    session: AsyncSession, services: Services, incident: Incident, escalation: Escalation
) -> list[str]:
    """A DM to each person an on-call schedule named, once (the caller commits); whom."""
    told: list[str] = []
    # A person with a page hears of it through their rules (the Slack method's DM says it),
    # as does one an alert attached to the incident paged (not paged twice: start_pages).
    paged = await person_pages.paged_users(session, escalation.id or 0)
    paged |= await person_pages.alert_paged(session, incident.id or 0)
    for named in escalation.on_call or []:
        if named["user"] is None or named.get("guest") or named["user"] in paged:
            continue
        text = services.renderer.render(
            "messages/oncall_paged.j2",
            outside=True,  # a DM
            incident=incident,
            escalation=escalation,
            schedule=named["schedule"],
        )
        kept = await outbox.post_once(
            session,
            channel=named["user"],
            text=text,
            now=services.clock(),
            after=f"oncall_paged:{escalation.id}:{named['user']}",
            incident_id=incident.id,
        )
        if kept is not None:
            told.append(named["user"])
    return told


def escalation_message(
    services: Services,
    incident: Incident,
    escalation: Escalation,
    pages: Sequence[Page],
    problems: list[str],
) -> tuple[str, list[dict[str, object]]]:
    language, _ = choose_template(services, incident)
    context: dict[str, Any] = {
        "incident": incident,
        "escalation": escalation,
        "pagers": [page.service for page in pages],
        "problems": problems,
        # Why a policy escalated is said in the incident's language, as its timeline is.
        "sentences": services.renderer.entries_for(language),
    }
    text = services.renderer.render("messages/escalation.j2", **context)
    blocks = services.renderer.render_json("blocks/escalation.json.j2", text=text, **context)
    return text, blocks
