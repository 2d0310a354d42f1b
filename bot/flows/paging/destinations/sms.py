"""SMS through the phone providers (bot/clients/phone/registry.py; bot/flows/paging/phones.py):
a page through the contact's provider, its fallback at once if that fails, ending "Reply 1 to
acknowledge" (an SMS reply is answered by bot/flows/escalation/answers.py); its delivery is
reported later, to the provider's status webhook (``record_status``, bot/flows/paging/
pages.py). A notice goes through the provider drilled, else the contact's own, with no
fallback. The number is read from the contact when sending, never logged."""

from __future__ import annotations

from bot.flows.paging import phones
from bot.flows.paging.destinations import words
from bot.flows.paging.destinations.destination import Destination
from bot.flows.paging.destinations.messages import AlertPage, IncidentPage, Message
from bot.record.paging.contacts import Method
from bot.services import Services

NAME = "sms"


async def send(services: Services, message: Message, method: Method) -> str | None:
    """Text the message to ``method.address``: the id the provider that took it gave."""
    match message:
        case IncidentPage() | AlertPage():
            text = words.plain(services, message, NAME, **await message.words(services))
            notification = message.notification
            ref = f"warroom-notification-{notification.id}"
            attempts = phones.sms_attempts(services, method.address, text, ref)
            incident = message.incident if isinstance(message, IncidentPage) else None
            return await phones.through_providers(
                services, incident, notification, method, attempts
            )
        case _:
            _, text = await words.notice(services, message, NAME)
            provider = phones.provider_of(phones.carrier_of(message, method))
            http = phones.http_of(services)
            return await provider.send_sms(
                http, services.settings, to=method.address, text=text, ref="warroom"
            )


DESTINATION = Destination(name=NAME, send=send, reported_later=True, drilled=phones.drilled)
