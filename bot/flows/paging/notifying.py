"""One notification of a page sent through its destination (bot/flows/paging/destinations/)
and what became of it kept: an alert's page sent and settled here (``send_alert_page``,
``settle``; a shadowed alert's kept as who would have been notified, nothing leaving), and
the notification's row as an outcome leaves it, an incident's and an alert's alike (``mark``:
sent, with its provider's word for it, then waiting for a report where one comes later).
An incident's page is sent and settled by bot/flows/paging/pages.py, which adds its record.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clients.vendor_http import VendorFailure
from bot.flows.paging.delivery import wait_for_report
from bot.flows.paging.destinations import registry
from bot.flows.paging.destinations.links import acknowledge_url
from bot.flows.paging.destinations.messages import AlertPage
from bot.flows.paging.fallback import fire_next_rule
from bot.record.paging import pages
from bot.record.paging.contacts import SLACK, Method
from bot.record.paging.slo import confirms_delivery
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import AlertGroup, Notification

log = logging.getLogger(__name__)


def method_in(methods: Mapping[str, Method], notification: Notification) -> Method | None:
    """Where the notification goes among a person's ``methods`` by name, as paging reaches
    them now."""
    if notification.method == SLACK:
        return Method(kind=SLACK, address=notification.user_id)
    found = methods.get(notification.contact)
    return found if found is not None and found.kind == notification.method else None


async def send_alert_page(
    services: Services,
    group: AlertGroup,
    notification: Notification,
    method: Method | None,
    *,
    again: bool,
    console: str | None = None,
) -> None:
    """Send one notification of ``group``'s page (taken already, the group read in that
    transaction: ``again`` when a sender stopped mid-send before) and keep what became of it;
    ``console``: its console link, issued already (else issued here, where its method carries
    one). A shadowed alert's is kept as who would have been notified, and nothing leaves:
    checked here, where every path to a sender passes."""
    if group.shadow:
        await keep_shadow(services, notification)
        return
    try:
        if method is None:
            raise VendorFailure(f"no contact {notification.contact!r} any more", retryable=False)
        destination = registry.named(notification.method)
        if console is None and destination.console_first:
            console = await acknowledge_url(services, notification)
        page = AlertPage(group, notification, console)
        vendor_id = await destination.send(services, page, method)
    except VendorFailure as failure:
        log.warning("alert notification %s (%s) failed: %s", notification.id,
                    notification.method, failure.detail)  # fmt: skip
        await settle(services, notification, pages.FAILED, detail=failure.detail)
        await fire_next_rule(services, None, notification, failure.detail)
        return
    if again:
        log.warning("alert notification %s was being sent when warroom stopped: sent again",
                    notification.id)  # fmt: skip
    await settle(services, notification, pages.SENT, vendor_id=vendor_id)


async def keep_shadow(services: Services, notification: Notification) -> None:
    """A shadowed alert's notification, due: kept as would have been sent when it was due
    by its method, nothing leaves (no sender, no delivery wait, no next rule brought
    forward)."""
    now = services.clock()
    async with session_scope(services.engine) as session:
        current = await session.get(Notification, notification.id)
        assert current is not None
        current.state, current.updated_at = pages.SHADOW, now
        current.sent_at = min(current.due_at, now)
        session.add(current)
        await session.commit()
    log.info("alert notification %s (%s) kept as a shadow: not sent",
             notification.id, notification.method)  # fmt: skip


async def settle(
    services: Services,
    notification: Notification,
    outcome: str,
    *,
    vendor_id: str | None = None,
    detail: str | None = None,
    reported: str | None = None,
) -> None:
    """Keep what became of an alert's notification: sent (an SMS or a call then waits for
    its provider's report, bot/flows/paging/delivery.py), or what its provider reported
    (``reported``, its word, counted on /metrics: delivered, answered, no-answer...)."""
    now = services.clock()
    async with session_scope(services.engine) as session:
        current, first_after = await mark(
            session,
            services,
            notification,
            outcome,
            vendor_id=vendor_id,
            detail=detail,
            now=now,
            reported=reported,
        )
        await session.commit()
    counted(services, notification, current, reported or outcome, first_after, page="alert")


def counted(
    services: Services,
    notification: Notification,
    current: Notification,
    said: str,
    first_after: float | None,
    *,
    page: str,
) -> None:
    """Count on /metrics what became of a notification (``said``: its provider's word, or
    warroom's), by who carried it, and its ``page``'s first sent (an incident's, an alert's)."""
    carrier = notification.provider or current.provider
    services.metrics.notification(notification.method, said, provider=carrier)
    if first_after is not None:
        services.metrics.first_notification_sent(notification.method, first_after, page=page)


async def mark(
    session: AsyncSession,
    services: Services,
    notification: Notification,
    outcome: str,
    *,
    vendor_id: str | None,
    detail: str | None,
    now: datetime,
    reported: str | None = None,
) -> tuple[Notification, float | None]:
    """The notification's row as ``outcome`` leaves it (a sent SMS or call then waits for
    its provider's report), with its provider's word for it (``reported``, or the word it
    has for a send it took), and the seconds since what started its page arrived when it is
    the page's first sent (``pages.first_sent_after``; the caller commits): an incident's
    page and an alert's alike."""
    current = await session.get(Notification, notification.id)
    assert current is not None
    current.state, current.updated_at, current.detail = outcome, now, detail
    if confirms_delivery(current.method, outcome) and current.delivered_at is None:
        current.delivered_at = now  # the paging SLO counts from it (bot/record/paging/slo.py)
    if outcome == pages.SENT:
        destination = registry.find(current.method)
        reported = reported or (destination.said_on_send if destination else None)
    current.reported = reported
    first_after = None
    if outcome == pages.SENT:
        if current.vendor_id and vendor_id and current.vendor_id != vendor_id:
            current.given_up_vendor_id = current.vendor_id  # the fallback carries it now
        current.sent_at, current.vendor_id = now, vendor_id
        # An SMS or a call: who carried it (bot/flows/paging/phones.py).
        current.provider = notification.provider or current.provider
        first_after = await pages.first_sent_after(session, current, now)
        await wait_for_report(session, services, current, now)
    session.add(current)
    return current, first_after
