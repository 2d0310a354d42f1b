"""SMS and calls through the contact's phone provider (the registry's default, unless the
contact names another: bot/clients/phone/registry.py), and through its ``fallback`` at once
when the first fails: the first answered 5xx, 429 or nothing, or refused the request, and
the number itself is not the problem (an unsubscribed or invalid number is not tried
elsewhere: its owner is told instead). The incident's channel says which provider failed and
which one carried the page instead. An alert's page (no incident: bot/flows/paging/
alert_pages.py) goes through the same providers, its fallback said in the log only. The SMS
and voice destinations send through here (bot/flows/paging/destinations/sms.py, voice.py);
a notice (a code, a test, the drill) through one provider alone (``carrier_of``).

Numbers are read from the contacts when sending and never written to the record, the logs or
Slack.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import aiohttp

from bot.clients.phone import registry
from bot.clients.phone.provider import Call, PhoneProvider
from bot.clients.vendor_http import VendorFailure
from bot.config import Settings
from bot.flows.channel import deliver_now
from bot.flows.paging.destinations.messages import Drill, Message
from bot.record.incident import incidents
from bot.record.paging.contacts import Method
from bot.services import Services
from bot.store import outbox
from bot.store.db import session_scope
from bot.store.models import Incident, Notification

log = logging.getLogger(__name__)

# An SMS or a call, sent through the provider of that name (only when that one is tried).
Attempts = Callable[[str], Awaitable[str]]


def http_of(services: Services) -> aiohttp.ClientSession:
    assert services.http is not None, "paging needs the application's HTTP session"
    return services.http


def provider_of(name: str) -> PhoneProvider:
    """The provider called ``name`` (empty: the default); a failure for good when no provider
    of that name is registered (any more)."""
    try:
        return registry.named(name)
    except KeyError:
        raise VendorFailure(f"no phone provider is called {name!r}", retryable=False) from None


def carrier_of(message: Message, method: Method) -> str:
    """Who carries a notice: the provider a drill exercises, else the contact's own."""
    if isinstance(message, Drill) and message.through:
        return message.through
    return method.carrier


def drilled(settings: Settings) -> dict[str, bool]:
    """Every phone provider, exercised by a drill's SMS and call, and whether it is set up."""
    return {phone.name: phone.configured(settings) for phone in registry.providers()}


def sms_attempts(services: Services, to: str, text: str, ref: str) -> Attempts:
    """An SMS of ``text`` to ``to``, by provider (each called only when tried)."""

    async def send(name: str) -> str:
        return await provider_of(name).send_sms(
            http_of(services), services.settings, to=to, text=text, ref=ref
        )

    return send


def call_attempts(
    services: Services, to: str, *, prompt: str, again: str, goodbye: str
) -> Attempts:
    """A call that says ``prompt`` and waits for a key (1 acknowledges, 2 escalates), by
    provider: the key is posted to the provider's keypress webhook (bot/web/paging/
    phone_webhooks.py), ``again`` then ``goodbye`` said when no key comes."""
    call = Call(prompt, again=again, goodbye=goodbye)

    async def send(name: str) -> str:
        provider = provider_of(name)
        return await provider.place_call(http_of(services), services.settings, to=to, call=call)

    return send


async def through_providers(
    services: Services,
    incident: Incident | None,
    notification: Notification,
    method: Method,
    attempts: Attempts,
) -> str:
    """Send through the contact's provider, then at once through its fallback if that
    fails (said in the incident's channel; for an alert's, ``incident`` None, in the log);
    the id the provider that took it gave. Who carried it is kept on
    ``notification.provider`` for the record."""
    first = method.carrier
    notification.provider = first
    try:
        return await attempts(first)
    except VendorFailure as error:
        failure = error
    backup = method.fallback
    if not backup or backup == first or failure.bad_address:
        raise failure
    log.warning(
        "%s notification %s: %s failed (%s); trying %s at once",
        notification.method,
        notification.id,
        registry.title(first),
        failure.detail,
        registry.title(backup),
    )
    try:
        vendor_id = await attempts(backup)
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
            first=registry.title(first),
            backup=registry.title(backup),
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
