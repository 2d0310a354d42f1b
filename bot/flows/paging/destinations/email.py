"""E-mail through WARROOM_SMTP_URL (bot/clients/mail.py), in plain text and HTML; the server's
acceptance is its answer (the mail's Message-ID). An incident's page carries an Acknowledge
link, an alert's its console's link: each opens a page with a button, so a mail scanner that
follows links acknowledges nothing. A notice is its text, and that text as HTML."""

from __future__ import annotations

from html import escape

from bot.clients.mail import Mail, send_mail
from bot.clients.vendor_http import VendorFailure
from bot.config import Settings
from bot.flows.paging.destinations import words
from bot.flows.paging.destinations.destination import Destination
from bot.flows.paging.destinations.links import acknowledge_url, incident_url
from bot.flows.paging.destinations.messages import AlertPage, IncidentPage, Message
from bot.record.paging.contacts import Method
from bot.services import Services

NAME = "email"


async def send(services: Services, message: Message, method: Method) -> str | None:
    """Mail the message to ``method.address``: the mail's Message-ID."""
    paging = services.settings.paging
    if not paging.smtp_on:
        raise VendorFailure("WARROOM_SMTP_URL is not set", retryable=False)
    match message:
        case IncidentPage(incident=incident, notification=notification):
            said = await message.words(services)
            said["acknowledge_url"] = await acknowledge_url(services, notification)
            said["incident_url"] = incident_url(services, incident)
        case AlertPage(console=console):
            said = {**await message.words(services), "acknowledge_url": console}
        case _:
            subject, text = await words.notice(services, message, NAME)
            mail = Mail(paging.smtp_from, method.address, subject, text, f"<p>{escape(text)}</p>")
            return await send_mail(paging.smtp_url, mail, plaintext=paging.smtp_plaintext)
    mail = Mail(
        sender=paging.smtp_from,
        to=method.address,
        subject=words.plain(services, message, NAME, "subject", **said),
        text=words.plain(services, message, NAME, "text", **said),
        html=words.html(services, message, NAME, **said),
    )
    return await send_mail(paging.smtp_url, mail, plaintext=paging.smtp_plaintext)


def drilled(settings: Settings) -> dict[str, bool]:
    return {"smtp": settings.paging.smtp_on}


def drill_address(settings: Settings) -> str:
    """Nobody has an e-mail address: the drill mails warroom's own sender, so the mail
    server is checked all the same."""
    return settings.paging.smtp_from


DESTINATION = Destination(
    name=NAME, send=send, console_first=True, drilled=drilled, drill_address=drill_address
)
