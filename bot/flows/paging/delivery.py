"""Not delivered in time: an SMS or a call a phone provider took but never reported delivered
or answered within ``WARROOM_PAGING_DELIVERY_WAIT`` counts as not reaching the person, and
their next rule fires at once (bot/flows/paging/fallback.py), said in the incident's channel.

Only a destination whose delivery is reported later waits (``reported_later``: SMS and calls,
whose outcome comes in the provider's status webhooks: delivered; a call answered, busy,
unanswered). ntfy's, the mail server's, a webhook's and Teams' acceptance is their answer to
the send itself, and Slack's DM goes through the outbox. The wait is a ``delivery_wait`` job
written in the transaction that kept the notification sent, so it survives a restart; it does
nothing once the report came, the page ended, or the next rule is due anyway. Without
``WARROOM_PUBLIC_URL`` neither has anywhere to report to: no wait. What else a destination
does in that transaction is its own (``after_sent``: a Pushover emergency push's receipt read
once its repeats expire, bot/flows/paging/destinations/pushover.py).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clients.phone import registry
from bot.flows.paging.destinations.destination import Destination
from bot.flows.paging.destinations.registry import find
from bot.flows.paging.fallback import fire_next_rule
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Incident, Job, Notification

log = logging.getLogger(__name__)


def delivery_key(notification_id: int) -> str:
    return f"delivery:{notification_id}"


async def wait_for_report(
    session: AsyncSession, services: Services, notification: Notification, sent_at: datetime
) -> None:
    """Schedule the check that ``notification``, just sent, was reported delivered or
    answered in time (the caller commits); nothing for methods answered at once."""
    destination = find(notification.method)
    if destination is None:
        return
    if destination.after_sent is not None:
        await destination.after_sent(session, services, notification, sent_at)
    if not destination.reported_later or not services.settings.web.public_url:
        return
    await jobs.schedule_job(
        session,
        kind=JobKind.DELIVERY_WAIT,
        key=delivery_key(notification.id or 0),
        due_at=sent_at + services.settings.paging.delivery_wait,
        incident_id=notification.incident_id,
        payload={"notification": notification.id},
    )


async def check_delivery(services: Services, job: Job) -> None:
    """The job handler: a notification still only ``sent`` (no report) brings the person's
    next rule forward, said in the channel as not confirmed in time."""
    async with session_scope(services.engine) as session:
        notification = await session.get(Notification, jobs.payload_of(job)["notification"])
        if notification is None or notification.state != "sent":
            return
        # An alert's notification has no incident: its next rule fires alike.
        incident = (
            None
            if notification.incident_id is None
            else await session.get(Incident, notification.incident_id)
        )
    if incident is None and notification.alert_group_id is None:
        return
    wait = services.settings.paging.delivery_wait
    why = _not_reported(notification.method, notification.provider, wait)
    if await fire_next_rule(services, incident, notification, why, unconfirmed=True):
        services.metrics.notification(notification.method, "unconfirmed")
        log.info(
            "%s notification %s of %s not confirmed within %s",
            notification.method,
            notification.id,
            incident.reference if incident else f"alert {notification.alert_group_id}",
            wait,
        )


def _not_reported(method: str, provider: str | None, wait: timedelta) -> str:
    """Why, in words: who carried it (the provider that took it) and what it did not say
    (its destination's ``awaited_report``)."""
    minutes, seconds = divmod(int(wait.total_seconds()), 60)
    span = f"{minutes} min" if not seconds else f"{int(wait.total_seconds())} s"
    who = registry.title(provider or "")
    destination = find(method)
    awaited = destination.awaited_report if destination else Destination.awaited_report
    return f"{who} did not report {awaited} within {span}"
