"""A Pushover emergency push acknowledged on the phone (bot/clients/pushover.py): Pushover
calls warroom back with the receipt, unsigned, so the call is only a hint. The receipt is read
again from Pushover's Receipts API with the application's token, and only an acknowledgement
Pushover itself confirms acknowledges the page, as the paged person, ``via`` pushover (an
alert's page: the alert), as an SMS reply would (bot/flows/escalation/answers.py): the page's
other notifications still to come are cancelled with it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import StrEnum

from bot.clients import pushover
from bot.clients.vendor_http import VendorFailure
from bot.flows.escalation.answers import acknowledge_page
from bot.record.paging import pages
from bot.record.paging import reported as provider_words
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.models import Job, Notification

log = logging.getLogger(__name__)
# How soon a receipt Pushover did not answer for is read again.
UNREAD_AGAIN = timedelta(minutes=5)


class Heard(StrEnum):
    """What a callback came to: a receipt warroom never sent, one Pushover could not be asked
    about, one it does not say was acknowledged, or one acknowledged (the page with it)."""

    UNKNOWN = "unknown"
    UNREAD = "unread"
    UNCONFIRMED = "unconfirmed"
    ACKNOWLEDGED = "acknowledged"


async def hear_receipt(services: Services, receipt: str) -> Heard:
    """A callback naming ``receipt``: read it from Pushover and act on what Pushover says."""
    if not pushover.is_key(receipt):
        return Heard.UNKNOWN
    async with session_scope(services.engine) as session:
        notification = await pages.by_vendor_id(session, receipt)
    if notification is None or notification.method != "pushover":
        return Heard.UNKNOWN
    paging = services.settings.paging
    assert services.http is not None, "paging needs the application's HTTP session"
    try:
        said = await pushover.read_receipt(
            services.http, paging.pushover_api_url, paging.pushover_token, receipt
        )
    except VendorFailure as failure:
        log.warning("Pushover notification %s: its receipt could not be read: %s",
                    notification.id, failure.detail)  # fmt: skip
        return Heard.UNREAD
    if said.expired and not said.acknowledged:
        await _keep_word(services, notification, provider_words.PUSHOVER_EXPIRED)
    if not said.acknowledged:
        log.info("Pushover notification %s: a callback Pushover does not confirm (%s)",
                 notification.id, said.state)  # fmt: skip
        return Heard.UNCONFIRMED
    answer = await acknowledge_page(services, notification.page_id, via="pushover")
    await _keep_word(services, notification, provider_words.PUSHOVER_ACKNOWLEDGED)
    log.info("Pushover notification %s acknowledged on the phone: %s",
             notification.id, answer.outcome)  # fmt: skip
    return Heard.ACKNOWLEDGED


async def _keep_word(services: Services, notification: Notification, word: str) -> None:
    """What Pushover says of a push only sent so far: acknowledged (answered, as a call
    whose key was pressed), or expired (still only sent: nobody answered)."""
    async with session_scope(services.engine) as session:
        current = await session.get(Notification, notification.id)
        if current is None or current.state != pages.SENT:
            return
        now = services.clock()
        if word == provider_words.PUSHOVER_ACKNOWLEDGED:
            current.state = pages.ANSWERED
            current.delivered_at = current.delivered_at or now  # the paging SLO's moment
        current.reported, current.updated_at = word, now
        session.add(current)
        await session.commit()


async def check_receipt(services: Services, job: Job) -> datetime | None:
    """The job handler, once an emergency push's repeats expired: its receipt read, as a
    callback's would be (an acknowledgement whose callback was lost acknowledges now; else
    it is kept as expired). Pushover not answering: tried again in a few minutes."""
    async with session_scope(services.engine) as session:
        notification = await session.get(Notification, jobs.payload_of(job)["notification"])
    if notification is None or notification.state != pages.SENT or not notification.vendor_id:
        return None
    if await hear_receipt(services, notification.vendor_id) is Heard.UNREAD:
        return services.clock() + UNREAD_AGAIN
    return None
