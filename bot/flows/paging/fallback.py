"""No single provider: when a method fails (the service refused it, answered 5xx or nothing,
or reported it failed, undelivered or unanswered) or is not reported delivered in time
(bot/flows/paging/delivery.py), the person's next notification rule fires
at once instead of at its offset, and the incident's channel says so. An alert's page (no
incident, bot/flows/paging/alert_pages.py) fires its next rule alike, said in no channel.

The next rule is the lowest rule of the same page after the failed one's; only its
notifications still waiting and not yet due are brought forward, so a failure said twice (a
retried send, a replayed status callback) brings nothing forward twice and is said once, and
a send that keeps failing (a provider's outage) does not bring the later rules forward one by
one: they keep their offsets.
"""

from __future__ import annotations

import logging

from sqlalchemy import update
from sqlmodel import col

from bot.flows.channel import deliver_now
from bot.record.alerting import alerts
from bot.record.incident import incidents
from bot.record.paging import pages
from bot.services import Services
from bot.store import outbox, wakeups
from bot.store.db import session_scope
from bot.store.models import Incident, Job, Notification, PersonPage

log = logging.getLogger(__name__)


def _key(page: PersonPage, notification_id: int) -> str:
    # The same as pages.notification_key and alert_pages.alert_notifications (not imported:
    # pages imports this module).
    if page.alert_group_id is not None:
        return f"notify:alert{page.alert_group_id}:{notification_id}"
    return f"notify:{page.escalation_id}:{notification_id}"


async def fire_next_rule(
    services: Services,
    incident: Incident | None,
    notification: Notification,
    why: str,
    *,
    unconfirmed: bool = False,
) -> bool:
    """Make the person's next rule due now (its jobs too) and keep a message for the
    incident's channel saying so; whether a rule was brought forward. ``unconfirmed``: the
    method was not reported delivered in time (bot/flows/paging/delivery.py), not refused.
    ``incident`` None: the notification is an alert's (its group locked instead)."""
    now = services.clock()
    async with session_scope(services.engine) as session:
        # The lock acknowledgements take first: a page acknowledged meanwhile stays quiet.
        if incident is not None:
            incident = await incidents.lock(session, incident)
        elif notification.alert_group_id is not None:
            await alerts.lock_alert(session, notification.alert_group_id)
        page = await session.get(PersonPage, notification.page_id)
        if page is None or page.state != "open":
            return False
        after = [n for n in await pages.notifications_of_page(session, page.id or 0)
                 if n.rule > notification.rule]  # fmt: skip
        if not after:
            return False
        # The rule right after the failed one; when it went already, nothing more: a send
        # retried and failing again does not bring the rules after it forward one by one.
        rule = min(n.rule for n in after)
        later = [n for n in after if n.rule == rule and n.state == "pending" and n.due_at > now]
        if not later:
            return False
        for found in later:
            found.due_at, found.updated_at = now, now
            session.add(found)
        keys = [_key(page, found.id or 0) for found in later]
        await session.exec(
            update(Job)
            .where(col(Job.key).in_(keys), col(Job.done_at).is_(None), col(Job.due_at) > now)
            .values(due_at=now)
        )
        said = False
        if incident is not None and incident.channel_id is not None:
            text = services.renderer.render(
                "messages/notification_fallback.j2",
                language=services.settings.incidents.language,
                notification=notification,
                detail=why,
                rule=rule,
                methods=sorted({n.method for n in later}),
                unconfirmed=unconfirmed,
            )
            written = await outbox.post_once(
                session,
                channel=incident.channel_id,
                text=text,
                now=now,
                after=f"notification_fallback:{notification.id}",
                incident_id=incident.id,
            )
            said = written is not None
        await wakeups.announce(session)
        await session.commit()
    log.info(
        "%s notification %s of %s %s: rule %d brought forward",
        notification.method,
        notification.id,
        incident.reference if incident is not None else f"alert {notification.alert_group_id}",
        "not confirmed in time" if unconfirmed else "failed",
        rule,
    )
    services.wake_jobs()
    if said and incident is not None and incident.channel_id is not None:
        await deliver_now(services, incident.channel_id)
    return True
