"""Pushover (bot/clients/pushover.py): a push to the person's user key, sent with the
application's token, and its receipts. An incident's page opens the incident, at emergency
priority for SEV1 and SEV2 (repeated until acknowledged, a critical alert on iOS), high
otherwise; an alert's opens its console, at emergency priority when high-urgency, normal when
low; a notice at normal priority, nothing repeating.

An emergency push's receipt is the notification's id: Pushover calls back on ``CALLBACK_PATH``
when it is acknowledged (bot/flows/escalation/receipts.py reads it again and acknowledges the
page); the receipt is read once its repeats expire (a lost callback: a ``pushover_receipt``
job written with the page's notification kept sent, ``after_sent``), and cancelled when its
page ends elsewhere (a ``pushover_cancel`` job, written with the page's end by
bot/record/paging/pages.py: ``cancel_receipt``), so the phone stops ringing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clients import pushover
from bot.clients.vendor_http import VendorFailure
from bot.config import Settings
from bot.flows.paging.destinations import words
from bot.flows.paging.destinations.destination import Destination
from bot.flows.paging.destinations.links import incident_url
from bot.flows.paging.destinations.messages import IncidentPage, Message, Notice
from bot.flows.paging.phones import http_of
from bot.record.paging.contacts import Method
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Job, Notification

log = logging.getLogger(__name__)
NAME = "pushover"
# Where Pushover POSTs an acknowledged receipt (bot/web/paging/pushover_receipts.py).
CALLBACK_PATH = "/pushover/receipt"
# Seconds after an emergency push's repeats expire that its receipt is read.
RECEIPT_MARGIN = 60


def callback_url(services: Services) -> str | None:
    """The callback's address; None without a public address (the receipt is then read only
    when its page ends)."""
    public_url = services.settings.web.public_url
    return f"{public_url}{CALLBACK_PATH}" if public_url else None


async def send(services: Services, message: Message, method: Method) -> str | None:
    """Push the message to the user key ``method.address``: its receipt when it is an
    emergency one (the notification's ``vendor_id``, by which its acknowledgement finds it)."""
    paging = services.settings.paging
    push = await _message(services, message, method.address)
    if not paging.pushover_token:
        raise VendorFailure("WARROOM_PUSHOVER_TOKEN is not set", retryable=False)
    sent = await pushover.send(
        http_of(services), paging.pushover_api_url, paging.pushover_token, push
    )
    return sent if push.priority == pushover.EMERGENCY else None


async def _message(services: Services, message: Message, user: str) -> pushover.Message:
    if isinstance(message, Notice):  # a test or a drill: normal priority, nothing repeats
        subject, text = await words.notice(services, message, NAME)
        return pushover.Message(user, subject, text, 0)
    said = await message.words(services)
    if isinstance(message, IncidentPage):  # SEV1 and SEV2 ring until acknowledged
        urgent, usual = message.incident.severity in ("SEV1", "SEV2"), 1
        url = incident_url(services, message.incident)
    else:  # a high-urgency alert rings until acknowledged, a low-urgency one is quiet
        urgent, usual, url = message.group.urgency != "low", 0, message.console
    return pushover.Message(
        user=user,
        title=words.plain(services, message, NAME, "title", **said),
        message=words.plain(services, message, NAME, "message", **said),
        priority=pushover.EMERGENCY if urgent else usual,
        url=url,
        url_title=words.plain(services, message, NAME, "link", **said),
        callback=callback_url(services),
    )


async def after_sent(
    session: AsyncSession, _services: Services, notification: Notification, sent_at: datetime
) -> None:
    """An emergency push (its receipt kept): its receipt read once its repeats expire, a
    callback being lost (the caller commits)."""
    if not notification.vendor_id:
        return
    await jobs.schedule_job(
        session,
        kind=JobKind.PUSHOVER_RECEIPT,
        key=f"pushover-receipt:{notification.id}",
        due_at=sent_at + timedelta(seconds=pushover.EXPIRE + RECEIPT_MARGIN),
        incident_id=notification.incident_id,
        payload={"notification": notification.id},
    )


async def cancel_receipt(services: Services, job: Job) -> None:
    """The job handler: stop the repeats of an emergency push whose page ended. A failure
    Pushover may get over is raised (the job is tried again); one it will not, logged."""
    async with session_scope(services.engine) as session:
        notification = await session.get(Notification, jobs.payload_of(job)["notification"])
    # Acknowledged on the phone meanwhile (its state Pushover's word): nothing rings.
    if notification is None or not notification.vendor_id or notification.state != "sent":
        return
    paging = services.settings.paging
    try:
        await pushover.cancel(
            http_of(services),
            paging.pushover_api_url,
            paging.pushover_token,
            notification.vendor_id,
        )
    except VendorFailure as failure:
        if failure.retryable:
            raise
        log.warning("Pushover notification %s: its repeats not cancelled: %s",
                    notification.id, failure.detail)  # fmt: skip
        return
    log.info("Pushover notification %s: its repeats cancelled", notification.id)


def drilled(settings: Settings) -> dict[str, bool]:
    """The paging drill pushes to a Pushover user key when the application's token is set
    (a drill's push is a notice: normal priority, nothing repeats, Pushover's acceptance
    settles it)."""
    return {NAME: bool(settings.paging.pushover_token)}


DESTINATION = Destination(
    name=NAME,
    send=send,
    console_first=True,
    drilled=drilled,
    after_sent=after_sent,
)
