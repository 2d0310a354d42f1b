"""ntfy (bot/clients/ntfy.py): a push to the person's topic on WARROOM_NTFY_URL; ntfy's answer
is the message it accepted (its id), all it ever says of it. An incident's page rings at
priority 5 (through Do Not Disturb) for SEV1 and SEV2, 4 otherwise, opens the incident and
has an Acknowledge button; an alert's rings at 5 when high-urgency, 3 (ntfy's default)
when low, with Acknowledge, Escalate and "Snooze or resolve" (its console); a notice at 3.
"""

from __future__ import annotations

import secrets

from bot.clients.ntfy import Push, publish
from bot.clients.vendor_http import VendorFailure
from bot.config import Settings
from bot.flows.paging.destinations import words
from bot.flows.paging.destinations.destination import Destination
from bot.flows.paging.destinations.links import ESCALATE_SUFFIX, acknowledge_url, incident_url
from bot.flows.paging.destinations.messages import IncidentPage, Message, Notice
from bot.flows.paging.phones import http_of
from bot.record.paging.contacts import Method
from bot.services import Services

NAME = "ntfy"
# A topic warroom makes: 24 random bytes, 192 bits (128 at least, so none can be guessed).
TOPIC_BYTES = 24


async def send(services: Services, message: Message, method: Method) -> str | None:
    """Publish the message to the topic ``method.address``: ntfy's id for it."""
    paging = services.settings.paging
    if not paging.ntfy_url:
        raise VendorFailure("WARROOM_NTFY_URL is not set", retryable=False)
    push = await _push(services, message, method.address)
    return await publish(http_of(services), paging.ntfy_url, paging.ntfy_token, push)


async def _push(services: Services, message: Message, topic: str) -> Push:
    if isinstance(message, Notice):
        subject, text = await words.notice(services, message, NAME)
        return Push(topic, subject, text, 3, None, None)
    said = await message.words(services)
    title = words.plain(services, message, NAME, "title", **said)
    text = words.plain(services, message, NAME, "message", **said)
    if isinstance(message, IncidentPage):
        return Push(
            topic=topic,
            title=title,
            message=text,
            priority=5 if message.incident.severity in ("SEV1", "SEV2") else 4,
            click=incident_url(services, message.incident),
            acknowledge_url=await acknowledge_url(services, message.notification),
        )
    # One link: tapping the push opens its console; its buttons POST what they say.
    console = message.console
    return Push(
        topic=topic,
        title=title,
        message=text,
        priority=3 if message.group.urgency == "low" else 5,
        click=console,
        acknowledge_url=console,
        escalate_url=f"{console}{ESCALATE_SUFFIX}" if console else None,
        console_url=console,
    )


def drilled(settings: Settings) -> dict[str, bool]:
    return {NAME: bool(settings.paging.ntfy_url)}


def new_topic() -> str:
    """A topic nobody can guess: 192 random bits in ntfy's topic letters (32 of them)."""
    return secrets.token_urlsafe(TOPIC_BYTES)


def topic_link(settings: Settings, topic: str) -> str:
    """Where the person subscribes to their topic (told once, to them alone)."""
    return f"{settings.paging.ntfy_url}/{topic}"


DESTINATION = Destination(
    name=NAME,
    send=send,
    console_first=True,
    # ntfy answers a publish with the message it accepted ("Publish as JSON"); that is all
    # it ever says of it.
    said_on_send="accepted",
    drilled=drilled,
    makes_address=new_topic,
    subscribe_link=topic_link,
)
