"""Calls through the phone providers, as SMS (bot/flows/paging/destinations/sms.py): a page's
call says the incident (or the alert) and waits for a key, 1 acknowledges, 2 escalates (the
provider posts it to its keypress webhook, answered by bot/flows/escalation/answers.py); with
no key it says ``again``, then ``goodbye`` (``said``: what the call says when its provider
asks once more). Ringing, answered, busy, unanswered are reported to its status webhook. A
notice is said twice and the call hangs up, no key waited for (a code is read as heard)."""

from __future__ import annotations

from bot.clients.phone.provider import Call
from bot.flows.paging import phones
from bot.flows.paging.destinations import words
from bot.flows.paging.destinations.destination import Destination
from bot.flows.paging.destinations.messages import AlertPage, IncidentPage, Message, Page
from bot.record.paging.contacts import Method
from bot.services import Services

NAME = "voice"
PARTS = ("prompt", "again", "goodbye")


async def send(services: Services, message: Message, method: Method) -> str | None:
    """Call ``method.address`` and say the message: the id the provider that took it gave."""
    match message:
        case IncidentPage() | AlertPage():
            said = await message.words(services)
            prompt, again, goodbye = (
                words.plain(services, message, NAME, part, **said) for part in PARTS
            )
            attempts = phones.call_attempts(
                services, method.address, prompt=prompt, again=again, goodbye=goodbye
            )
            incident = message.incident if isinstance(message, IncidentPage) else None
            return await phones.through_providers(
                services, incident, message.notification, method, attempts
            )
        case _:
            _, text = await words.notice(services, message, NAME)
            provider = phones.provider_of(phones.carrier_of(message, method))
            call = Call(f"{text} {text}", keys=False)
            return await provider.place_call(
                phones.http_of(services), services.settings, to=method.address, call=call
            )


async def said(services: Services, message: Page, part: str) -> str:
    """What the page's call says as ``part`` (again: no key yet; goodbye: none came)."""
    return words.plain(services, message, NAME, part, **await message.words(services))


def goodbye(services: Services) -> str:
    """What a call says when its page has ended: goodbye, nothing more."""
    name = words.template(services.renderer, IncidentPage.kind, NAME)
    return services.renderer.render_plain(name, part="goodbye", method=NAME)


DESTINATION = Destination(
    name=NAME,
    send=send,
    reported_later=True,
    awaited_report="the call answered",
    drilled=phones.drilled,
)
