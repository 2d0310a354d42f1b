"""Paging: PagerDuty events sent as jobs, retried with backoff, failures told in the channel."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.slack_text import SlackText, mentioned_users, to_plain
from bot.clients.pagerduty.events import (
    EventAction,
    PagerAlert,
    PagerFailure,
    follow_up_event,
    send_event,
    trigger_event,
)
from bot.clients.slack.errors import SlackFailure
from bot.flows.channel import choose_template, say_safely
from bot.record.escalation.escalations import open_pages
from bot.record.people import known_names
from bot.record.postmortem.writing import escalation_words
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Escalation, Incident, Job, Page

log = logging.getLogger(__name__)
_ABOUT = "its page"  # what a Slack failure to say so is logged about
# Waits before the 2nd, 3rd, 4th and 5th attempt; PagerDuty suggests retrying about 30 s apart.
RETRY_DELAYS = (
    timedelta(seconds=15),
    timedelta(seconds=30),
    timedelta(seconds=60),
    timedelta(seconds=120),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
FOLLOW_UP_WAIT = timedelta(seconds=5)
FOLLOW_UP_ROUNDS = 120  # ten minutes of waiting for a trigger's outcome
_STATE_AFTER = {"trigger": "triggered", "acknowledge": "acknowledged", "resolve": "resolved"}
_SENDS_FROM = {
    "trigger": {"pending"},
    "acknowledge": {"triggered"},
    "resolve": {"triggered", "acknowledged"},
}


async def schedule_page(
    session: AsyncSession, page: Page, action: EventAction, now: datetime
) -> None:
    """Send ``action`` for this page as soon as the job runner gets to it (caller commits)."""
    await jobs.schedule(
        session,
        kind=JobKind.PAGE,
        key=f"page:{page.id}:{action}",
        due_at=now,
        incident_id=page.incident_id,
        payload={"page": page.id, "action": action},
    )


async def follow_up_pages(
    session: AsyncSession, incident_id: int, action: EventAction, now: datetime
) -> None:
    """Acknowledge or resolve every page of the incident PagerDuty may hold open (caller commits).

    A page whose trigger has not gone out yet is not sent at all (see ``send_page``).
    """
    for page in await open_pages(session, incident_id):
        if page.state == "pending" or page.state in _SENDS_FROM[action]:
            await schedule_page(session, page, action, now)


async def send_page(services: Services, job: Job) -> datetime | None:
    """The job handler: send one event; on failure, retry later or give up, and say so."""
    payload = jobs.payload_of(job)
    action: EventAction = payload["action"]
    async with session_scope(services.engine) as session:
        page = await session.get(Page, payload["page"])
        if page is None:
            return None
        answered = action == "trigger" and await _answered_already(session, page)
        incident = await session.get(Incident, page.incident_id)
        escalation = await session.get(Escalation, page.escalation_id)
    if answered:
        await _move(services, page, "pending", "cancelled")
        return None
    if page.state == "pending" and action != "trigger":
        # The trigger is in flight or being retried: follow it once it has an outcome (its
        # retries end within minutes; a trigger job that died leaves nothing to follow).
        return services.clock() + FOLLOW_UP_WAIT if job.attempts < FOLLOW_UP_ROUNDS else None
    if page.state not in _SENDS_FROM[action]:
        return None  # cancelled, failed, or already past this step
    assert incident is not None and escalation is not None
    routing_key = services.settings.escalation.pager_keys.get(page.routing_key_env)
    if not routing_key:
        await _give_up(services, incident, page, action, f"{page.routing_key_env} is not set", 1)
        return None
    if action == "trigger":
        alert = await _alert(services, incident, escalation)
        event = trigger_event(routing_key, page.dedup_key, alert)
    else:
        event = follow_up_event(routing_key, page.dedup_key, action)
    assert services.http is not None, "paging needs the application's HTTP session"
    attempt = job.attempts + 1
    try:
        await send_event(
            services.http,
            services.settings.escalation.pagerduty_events_url,
            event,
            timeout=services.settings.escalation.pagerduty_timeout,
        )
    except PagerFailure as failure:
        return await _failed(services, incident, page, action, failure, attempt)
    await _move(services, page, page.state, _STATE_AFTER[action])
    if action == "trigger":
        await say_safely(
            services, incident, "messages/paged.j2", about=_ABOUT, page=page, attempts=attempt
        )
    return None


async def _answered_already(session: AsyncSession, page: Page) -> bool:
    """Whether the incident was acknowledged or resolved before this page went out."""
    keys = [f"page:{page.id}:acknowledge", f"page:{page.id}:resolve"]
    return await jobs.any_scheduled(session, keys)


async def _failed(
    services: Services,
    incident: Incident,
    page: Page,
    action: EventAction,
    failure: PagerFailure,
    attempt: int,
) -> datetime | None:
    log.warning(
        "PagerDuty %s for %s (%s) failed, attempt %d: %s",
        action,
        incident.reference,
        page.service,
        attempt,
        failure.detail,
    )
    if not failure.retryable or attempt >= MAX_ATTEMPTS:
        await _give_up(services, incident, page, action, failure.detail, attempt)
        return None
    delay = max(RETRY_DELAYS[attempt - 1], timedelta(seconds=failure.retry_after or 0))
    if attempt == 1:
        await _report_failure(services, incident, page, action, failure.detail, attempt, delay)
    return services.clock() + delay


async def _give_up(
    services: Services, incident: Incident, page: Page, action: str, detail: str, attempts: int
) -> None:
    if action == "trigger":
        await _move(services, page, "pending", "failed")
    await _report_failure(services, incident, page, action, detail, attempts, None)


async def _report_failure(
    services: Services,
    incident: Incident,
    page: Page,
    action: str,
    detail: str,
    attempts: int,
    retry_in: timedelta | None,
) -> None:
    """Say in the channel that a page failed: retrying (``retry_in``), or given up (None)."""
    await say_safely(
        services,
        incident,
        "messages/page_failed.j2",
        about=_ABOUT,
        page=page,
        action=action,
        detail=detail,
        retry_in=retry_in,
        attempts=attempts,
        max_attempts=MAX_ATTEMPTS,
    )


async def _move(services: Services, page: Page, expected: str, state: str) -> None:
    """Change the page's state, only from the state it was read in."""
    async with session_scope(services.engine) as session:
        await session.exec(
            update(Page)
            .where(col(Page.id) == page.id, col(Page.state) == expected)
            .values(state=state, updated_at=services.clock())
        )
        await session.commit()


async def _alert(services: Services, incident: Incident, escalation: Escalation) -> PagerAlert:
    link = None
    if incident.channel_id and incident.header_ts:
        try:
            link = await services.slack.permalink(incident.channel_id, incident.header_ts)
        except SlackFailure as error:
            log.warning("no permalink for %s: %s", incident.reference, error.code)
    async with session_scope(services.engine) as session:
        names = await known_names(session, mentioned_users(incident.title))
    # Plain text (PagerDuty shows the summary as it is): people by name, links by label or URL.
    title = to_plain(incident.title, names)
    return PagerAlert(
        summary=f"[{incident.reference} {incident.severity}] {title}",
        source=f"warroom #{incident.channel_name}" if incident.channel_name else "warroom",
        severity=incident.severity,
        timestamp=escalation.escalated_at,
        link=link,
        link_text=f"Slack #{incident.channel_name or incident.reference}",
        details={
            "incident": incident.reference,
            "severity": incident.severity,
            "status": incident.status,
            **_escalation_said(services, incident, escalation),
        },
    )


def _escalation_said(
    services: Services, incident: Incident, escalation: Escalation
) -> dict[str, str]:
    """The page's target and reason as the incident's draft says them: a policy's level and
    why it escalated in the incident's language (the record keeps them as data)."""
    language, _ = choose_template(services, incident)
    target, reason = escalation_words(services.renderer, language, {})(escalation)
    # A person's reason is Slack text, decoded; the policy's is warroom's words already.
    said = to_plain(reason) if isinstance(reason, SlackText) else reason
    return {"escalated_to": target, "reason": said}
