"""SMS and calls through the contact's provider (Twilio, unless the contact says ``provider:
vonage``), and through its ``fallback`` at once when the first fails: the first answered
5xx, 429 or nothing, or refused the request, and the number itself is not the problem (an
unsubscribed or invalid number is not tried elsewhere: its owner is told instead). The
incident's channel says which provider failed and which one carried the page instead. An
alert's page (no incident: bot/flows/paging/alert_pages.py) goes through the same providers,
its fallback said in the log only.

Numbers are read from the contacts when sending and never written to the record, the logs or
Slack.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import aiohttp

from bot.clients.phone import twilio, vonage
from bot.clients.vendor_http import VendorFailure
from bot.flows.channel import deliver_now
from bot.record import incidents
from bot.record.paging.contacts import Method
from bot.record.paging.own import PHONE_NAMES
from bot.services import Services
from bot.store import outbox
from bot.store.db import session_scope
from bot.store.models import Incident, Notification

log = logging.getLogger(__name__)
NAMES = PHONE_NAMES
# Twilio's webhooks: status callbacks, the call's keypress, the number's incoming SMS.
TWILIO_STATUS_PATH = "/twilio/status"
TWILIO_VOICE_PATH = "/twilio/voice"
TWILIO_SMS_PATH = "/twilio/sms"
# Vonage's: a message's status and an SMS reply (the application's Status and Inbound URLs),
# a call's events, its keypress.
VONAGE_STATUS_PATH = "/vonage/status"
VONAGE_EVENT_PATH = "/vonage/event"
VONAGE_INPUT_PATH = "/vonage/input"

Attempt = Callable[[], Awaitable[str]]


def twilio_account(services: Services) -> twilio.TwilioAccount:
    paging = services.settings.paging
    if not paging.twilio_on:
        raise VendorFailure("Twilio is not set (TWILIO_*)", retryable=False)
    return twilio.TwilioAccount(
        api_url=paging.twilio_api_url,
        account_sid=paging.twilio_account_sid,
        auth_token=paging.twilio_auth_token,
        from_number=paging.twilio_from,
    )


def vonage_account(services: Services) -> vonage.VonageAccount:
    settings = services.settings.vonage
    if not settings.on or settings.private_key is None:
        raise VendorFailure("Vonage is not set (WARROOM_VONAGE_*)", retryable=False)
    return vonage.VonageAccount(
        api_url=settings.api_url,
        application_id=settings.application_id,
        private_key=settings.private_key,
        from_number=settings.from_number,
    )


def _http(services: Services) -> aiohttp.ClientSession:
    assert services.http is not None, "paging needs the application's HTTP session"
    return services.http


def _public(services: Services, path: str) -> str:
    return f"{services.settings.web.public_url}{path}"


def sms_attempts(services: Services, to: str, text: str, ref: str) -> dict[str, Attempt]:
    """An SMS of ``text`` to ``to``, by provider (each called only when tried)."""

    async def by_twilio() -> str:
        return await twilio.send_sms(
            _http(services),
            twilio_account(services),
            to=to,
            body=text,
            status_callback=_public(services, TWILIO_STATUS_PATH),
        )

    async def by_vonage() -> str:
        account = vonage_account(services)
        return await vonage.send_sms(_http(services), account, to=to, text=text, client_ref=ref)

    return {"twilio": by_twilio, "vonage": by_vonage}


def call_attempts(
    services: Services, to: str, *, prompt: str, again: str, goodbye: str
) -> dict[str, Attempt]:
    """A call that says ``prompt`` and waits for a key (1 acknowledges, 2 escalates), by
    provider: Twilio's ``<Gather>`` posts it to /twilio/voice, Vonage's ``input`` to
    /vonage/input (which says ``again`` then ``goodbye`` when no key comes)."""

    async def by_twilio() -> str:
        twiml = twilio.gather(
            prompt, action=_public(services, TWILIO_VOICE_PATH), retry_say=again, goodbye=goodbye
        )
        return await twilio.place_call(
            _http(services),
            twilio_account(services),
            to=to,
            twiml=twiml,
            status_callback=_public(services, TWILIO_STATUS_PATH),
        )

    async def by_vonage() -> str:
        ncco = vonage.digits_ncco(prompt, event_url=_public(services, VONAGE_INPUT_PATH))
        return await vonage.place_call(
            _http(services),
            vonage_account(services),
            to=to,
            ncco=ncco,
            event_url=_public(services, VONAGE_EVENT_PATH),
        )

    return {"twilio": by_twilio, "vonage": by_vonage}


async def through_providers(
    services: Services,
    incident: Incident | None,
    notification: Notification,
    method: Method,
    attempts: dict[str, Attempt],
) -> str:
    """Send through the contact's provider, then at once through its fallback if that
    fails (said in the incident's channel; for an alert's, ``incident`` None, in the log);
    the id the provider that took it gave. Who carried it is kept on
    ``notification.provider`` for the record."""
    first = method.carrier
    notification.provider = first
    try:
        return await attempts[first]()
    except VendorFailure as error:
        failure = error
    backup = method.fallback
    if not backup or backup == first or failure.bad_address:
        raise failure
    log.warning(
        "%s notification %s: %s failed (%s); trying %s at once",
        notification.method,
        notification.id,
        NAMES[first],
        failure.detail,
        NAMES[backup],
    )
    try:
        vendor_id = await attempts[backup]()
    except VendorFailure as second:
        raise VendorFailure(
            f"{failure.detail}; then {second.detail}",
            retryable=failure.retryable or second.retryable,
            retry_after=failure.retry_after,
            timed_out=failure.timed_out and second.timed_out,
        ) from None
    notification.provider = backup
    await say_fallback(services, incident, notification, failure.detail, first, backup)
    return vendor_id


async def say_fallback(
    services: Services,
    incident: Incident | None,
    notification: Notification,
    why: str,
    first: str,
    backup: str,
) -> None:
    """Keep, for the incident's channel, that ``first`` failed and ``backup`` carried the
    notification instead (once per notification), and send it."""
    if incident is None or incident.channel_id is None:
        return
    async with session_scope(services.engine) as session:
        incident = await incidents.lock(session, incident)
        text = services.renderer.render(
            "messages/provider_fallback.j2",
            language=services.settings.incidents.language,
            notification=notification,
            detail=why,
            first=NAMES[first],
            backup=NAMES[backup],
        )
        written = await outbox.post_once(
            session,
            channel=incident.channel_id or "",
            text=text,
            now=services.clock(),
            after=f"provider_fallback:{notification.id}",
            incident_id=incident.id,
        )
        await session.commit()
    if written is not None and incident.channel_id is not None:
        await deliver_now(services, incident.channel_id)
