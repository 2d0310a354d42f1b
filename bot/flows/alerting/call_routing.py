"""Live call routing: a call to a service's number rings whoever is on call for the service's
policy, level after level, and ends in a voicemail that becomes an alert when nobody takes it.

When the call arrives its plan is made once and kept (``routed_calls``): each level of the
service's policy in turn, the people it reaches now (its users, whoever its schedules name,
a user group's members), those with a voice contact, one after the other. The caller hears a
greeting and the first is rung for the service's ``ring``; a leg not answered (no answer,
busy, failed) rings the next; after the last, the caller is asked for a message, recorded and
transcribed by the provider, and its transcription (or its failure) raises the call's alert,
paged to the service's policy as any of its alerts (no message left: a missed call's alert).
A call while nobody is on call is told so, and raises its alert at once. A call someone
answered raises its alert too, as it ends, acknowledged by them and paging nobody
(bot/flows/alerting/own_alerts.py): every call is in the alerts' history. Each leg is kept on
the call's row and said in its alert.

The provider checked each request's signature; numbers are never logged above DEBUG.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clients.phone.provider import (
    CallArrived,
    Connect,
    DialEnded,
    Goodbye,
    Recorded,
    RouteStep,
    Transcribed,
    Voicemail,
)
from bot.flows.alerting.intake import keep_own_alerts
from bot.flows.escalation.reach import reach_of
from bot.flows.people import learned, names_for_page
from bot.record.alerting import routed_calls
from bot.record.alerting.routed_calls import Ring
from bot.record.alerting.services import Service
from bot.record.paging.own import reached_by
from bot.record.people import known_names
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Job, RoutedCall

log = logging.getLogger(__name__)
WORDS = "paging/call_routing.j2"
# The longest voicemail: Twilio transcribes recordings of up to 120 seconds.
VOICEMAIL_SECONDS = 120
# How long a voicemail's transcription is waited for before its alert is raised without it
# (Twilio's usually comes within a minute or two of the recording).
TRANSCRIPTION_WAIT = timedelta(minutes=5)


def _say(services: Services, part: str, **context: object) -> str:
    return services.renderer.render_plain(WORDS, part=part, **context)


async def call_arrived(services: Services, provider: str, call: CallArrived) -> RouteStep:
    """A call to a number: the service's first person rung, or the caller told nobody is on
    call (and the alert raised); a number no service has is told it is not in service."""
    service = services.settings.alerting.catalog.of_phone(call.called)
    if service is None:
        log.info("a call to a number no service has was refused")
        log.debug("call %s to %s from %s: no service", call.call_id, call.called, call.caller)
        return Goodbye(_say(services, "not_in_service"))
    plan = await _plan(services, service)
    async with session_scope(services.engine) as session:
        row = await routed_calls.start(
            session,
            call_id=call.call_id,
            provider=provider,
            service=service.name,
            plan=plan,
            at=services.clock(),
        )
        await session.commit()
    log.info("a call to %s's number: %d people to ring", service.name, len(row.plan))
    greeting = _say(services, "greeting", service=service.name)
    step = await _ring(services, call.call_id, 0, greeting)
    if step is not None:
        return step
    await _raise_alert(services, call.call_id, "nobody_on_call")
    return Goodbye(_say(services, "nobody", service=service.name))


async def _plan(services: Services, service: Service) -> list[Ring]:
    """Whom to ring, in order: each level's people now, those with a voice contact (someone
    at two levels is rung at the first)."""
    policy = services.settings.escalation.policies.get(service.policy or "")
    if policy is None:
        return []
    plan: list[Ring] = []
    contacts = services.settings.paging.contacts
    for level in policy.levels:
        reach = await reach_of(services, level.targets)
        async with session_scope(services.engine) as session:
            for user in reach.users:
                if any(ring.user == user for ring in plan):
                    continue
                methods = await reached_by(session, contacts, user)
                if any(method.kind == "voice" for method in methods.values()):
                    plan.append(Ring(level=level.number, user=user))
    return plan


async def _voice_number(session: AsyncSession, services: Services, user: str) -> str | None:
    """The person's voice contact (their own verified one above the file's), if any."""
    methods = await reached_by(session, services.settings.paging.contacts, user)
    return next((m.address for m in methods.values() if m.kind == "voice"), None)


async def _ring(services: Services, call_id: str, first: int, say: str) -> Connect | None:
    """Ring the plan's person at ``first``, or the next one whose number is there still;
    None when nobody is left."""
    async with session_scope(services.engine) as session:
        row = await routed_calls.locked(session, call_id)
        if row is None:
            return None
        service = services.settings.alerting.catalog.get(row.service)
        ring_seconds = int(service.phone.ring.total_seconds()) if service and service.phone else 20
        step = first
        while (ring := routed_calls.ring_at(row, step)) is not None:
            number = await _voice_number(session, services, ring.user)
            if number is not None:
                routed_calls.add_leg(row, step, "dialled", services.clock())
                session.add(row)
                await session.commit()
                return Connect(say=say, number=number, ring_seconds=ring_seconds, step=step)
            routed_calls.add_leg(row, step, "unreachable", services.clock())
            step += 1
        session.add(row)
        await session.commit()
    return None


async def dial_ended(services: Services, ended: DialEnded) -> RouteStep:
    """A leg ended: taken, the call ends with it; else the next person, else the voicemail."""
    async with session_scope(services.engine) as session:
        row = await routed_calls.locked(session, ended.call_id)
        if row is None:
            return Goodbye("")
        answered = routed_calls.leg_ended(row, ended.step, ended.status, services.clock())
        session.add(row)
        await session.commit()
        service = row.service
    if answered:
        await _raise_alert(services, ended.call_id, "answered")
        return Goodbye("")
    step = await _ring(services, ended.call_id, ended.step + 1, "")
    if step is not None:
        return step
    return Voicemail(_say(services, "voicemail", service=service), VOICEMAIL_SECONDS)


async def recorded(services: Services, voicemail: Recorded) -> RouteStep:
    """The voicemail recorded (the ``<Record>``'s action, then its status callback): kept;
    the caller thanked. No recording (the caller said nothing at the tone): the call's alert
    raised now, as a missed call."""
    if not voicemail.recording_url:
        async with session_scope(services.engine) as session:
            row = await routed_calls.of_call(session, voicemail.call_id)
        if row is None:
            return Goodbye("")
        await _raise_alert(services, voicemail.call_id, "missed")
        return Goodbye(_say(services, "missed", service=row.service))
    async with session_scope(services.engine) as session:
        row = await routed_calls.locked(session, voicemail.call_id)
        if row is None:
            return Goodbye("")
        row.outcome = "voicemail"
        row.recording_url = voicemail.recording_url
        row.recording_seconds = voicemail.seconds or row.recording_seconds
        session.add(row)
        # Should the transcription never come, the alert is raised without it.
        await jobs.schedule(
            session,
            kind=JobKind.CALL_VOICEMAIL,
            key=f"call-voicemail:{voicemail.call_id}",
            due_at=services.clock() + TRANSCRIPTION_WAIT,
        )
        await session.commit()
        service = row.service
    return Goodbye(_say(services, "thanks", service=service))


async def voicemail_overdue(services: Services, job: Job) -> None:
    """The job handler: a voicemail's transcription has not come in ``TRANSCRIPTION_WAIT``
    (the provider's transcription failed without a word, or its callback was lost): the
    call's alert raised with the recording alone. Raised already: nothing."""
    call_id = job.key.partition(":")[2]
    async with session_scope(services.engine) as session:
        row = await routed_calls.of_call(session, call_id)
    if row is None or row.alerted_at is not None:
        return
    log.info("a voicemail for %s came with no transcription in time", row.service)
    await _raise_alert(services, call_id, "voicemail", transcription=row.transcription or "")


async def transcribed(services: Services, text: Transcribed) -> bool:
    """The voicemail's transcription (or its failure): the call's alert raised with it, once.
    False when no routed call has the id."""
    async with session_scope(services.engine) as session:
        row = await routed_calls.locked(session, text.call_id)
        if row is None:
            return False
        row.outcome = "voicemail"
        row.transcription = text.text
        row.transcription_url = text.transcription_url or None
        row.recording_url = row.recording_url or text.recording_url or None
        session.add(row)
        await session.commit()
    await _raise_alert(services, text.call_id, "voicemail", transcription=text.text)
    return True


async def _raise_alert(
    services: Services, call_id: str, outcome: str, *, transcription: str = ""
) -> None:
    """The call's alert, kept once, in the transaction that marks the call alerted:
    ``outcome`` nobody_on_call, missed (nobody answered, no message), voicemail (with its
    ``transcription``, "" when it failed) or answered (acknowledged by whoever took it). Its
    people are named first (Slack asked, outside the transaction, for those the record has no
    name for)."""
    names = await _names(services, call_id)
    async with session_scope(services.engine) as session:
        row = await routed_calls.locked(session, call_id)
        if row is None or row.alerted_at is not None:
            return
        row.outcome = outcome
        body = _alert_body(services, row, transcription, names)
        await keep_own_alerts(session, services, [body])
        row.alerted_at = services.clock()
        session.add(row)
        await session.commit()
    log.info("a call to %s's number raised an alert (%s)", row.service, row.outcome)
    services.wake_jobs()


async def _names(services: Services, call_id: str) -> dict[str, str]:
    async with session_scope(services.engine) as session:
        row = await routed_calls.of_call(session, call_id)
    users = [str(leg["user"]) for leg in row.legs] if row else []
    # Those rung were seen as the call arrived: their names may be on their way from Slack.
    await learned(services, users)
    async with session_scope(services.engine) as session:
        kept = await known_names(session, users)
    return await names_for_page(services, kept, users)


def _alert_body(
    services: Services, row: RoutedCall, transcription: str, names: dict[str, str]
) -> str:
    """The call's alert in the generic shape: its legs, its voicemail, their links."""
    service = services.settings.alerting.catalog.get(row.service)
    words = {
        "service": row.service,
        "outcome": row.outcome,
        "policy": service.policy if service else None,
        "transcription": transcription,
        "seconds": row.recording_seconds,
        "legs": [
            {**leg, "name": names.get(str(leg["user"]), str(leg["user"]))}
            for leg in routed_calls.ended_legs(row)
        ],
    }
    links = [
        (_say(services, "recording"), row.recording_url or ""),
        (_say(services, "transcription_link"), row.transcription_url or ""),
    ]
    return routed_calls.alert_body(
        row,
        title=_say(services, "title", **words),
        description=_say(services, "description", **words),
        links=links,
    )
