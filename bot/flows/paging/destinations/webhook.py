"""The ``webhook`` method: a signed JSON POST to a destination of WARROOM_PAGING_WEBHOOKS the
contact names (bot/clients/webhook/), its document what a team's receiver gets (the manual's
"Paging webhooks"; version 1, fields only ever added): an incident's page (``type`` "page",
with an acknowledgement link), an alert's (``type`` "alert", its console's links to act), a
notice (``type`` "test", its text). The receiver gives no id of its own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.basics.slack_links import channel_link
from bot.clients.vendor_http import VendorFailure
from bot.clients.webhook import post_page
from bot.flows.paging.destinations import words
from bot.flows.paging.destinations.destination import Destination
from bot.flows.paging.destinations.links import (
    AlertLinks,
    acknowledge_url,
    alert_links,
    incident_url,
)
from bot.flows.paging.destinations.messages import AlertPage, IncidentPage, Message
from bot.flows.paging.phones import http_of
from bot.record.paging.contacts import Method
from bot.services import Services
from bot.store.models import AlertGroup, Escalation, Incident, Notification

NAME = "webhook"
VERSION = 1


async def send(services: Services, message: Message, method: Method) -> str | None:
    """POST the message's document to the destination ``method.address``, signed."""
    document, at, delivery = await _document(services, message)
    await send_to(services, method.address, document, at=at, delivery=delivery)
    return None


async def _document(services: Services, message: Message) -> tuple[dict[str, Any], datetime, str]:
    """The message's document, when it was made, and its delivery id."""
    match message:
        case IncidentPage(incident=incident, escalation=escalation, notification=notification):
            said = await message.words(services, notification.user_id)
            now = services.clock()
            document = page_document(
                incident,
                escalation,
                notification,
                words=said,
                incident_url=incident_url(services, incident),
                acknowledge_url=await acknowledge_url(services, notification),
                at=now,
            )
            return document, now, str(notification.id)
        case AlertPage(group=group, notification=notification, console=console):
            links, name, level = await alert_links(services, group, notification, console)
            now = services.clock()
            document = alert_document(
                group, notification, name=name, level=level, links=links, at=now
            )
            return document, now, str(notification.id)
        case _:
            _, text = await words.notice(services, message, NAME)
            now = services.clock()
            sent_at = now.isoformat()
            document = {"version": VERSION, "type": "test", "text": text, "sent_at": sent_at}
            return document, now, f"test-{int(now.timestamp())}"


def page_document(
    incident: Incident,
    escalation: Escalation,
    notification: Notification,
    *,
    words: dict[str, Any],
    incident_url: str | None,
    acknowledge_url: str | None,
    at: datetime,
) -> dict[str, Any]:
    """The page as JSON: the incident, who is paged and by what, links, the callback."""
    names: dict[str, str] = words["names"]
    slack_url = (
        channel_link(None, incident.team_id, incident.channel_id) if incident.channel_id else None
    )
    return {
        "version": VERSION,
        "type": "page",
        "delivery": str(notification.id),
        "sent_at": at.isoformat(),
        "incident": {
            "reference": incident.reference,
            "title": words["title"],
            "severity": incident.severity,
            "status": incident.status,
            "url": incident_url,
            "slack_url": slack_url,
        },
        "paged": {
            "user": notification.user_id,
            "name": names.get(notification.user_id),
            "rule": notification.rule,
        },
        "escalation": {
            "policy": escalation.policy,
            "level": escalation.level,
            "requested_by": words["requester"],
        },
        "acknowledge_url": acknowledge_url,
    }


def alert_document(
    group: AlertGroup,
    notification: Notification,
    *,
    name: str | None,
    level: int | None,
    links: AlertLinks,
    at: datetime,
) -> dict[str, Any]:
    """An alert's page as JSON (``type`` "alert": no incident): the alert, who is paged and
    by which level of its policy, the links to act on it."""
    return {
        "version": VERSION,
        "type": "alert",
        "delivery": str(notification.id),
        "sent_at": at.isoformat(),
        "alert": {
            "id": group.id,
            "title": group.title,
            "severity": group.severity,
            "urgency": group.urgency,
            "state": group.state,
            "route": group.route,
            "service": group.service,
            "url": links.alert,
            "slack_url": links.slack,
        },
        "paged": {"user": notification.user_id, "name": name, "rule": notification.rule},
        "escalation": {"policy": group.policy, "level": level, "requested_by": None},
        "acknowledge_url": links.console,
        "escalate_url": links.escalate,
        "console_url": links.console,
    }


async def send_to(
    services: Services, name: str, document: dict[str, Any], *, at: datetime, delivery: str
) -> None:
    """POST ``document`` signed to the destination ``name``; VendorFailure says why not."""
    hooks = services.settings.hooks
    destination = hooks.destinations.get(name)
    if destination is None:
        raise VendorFailure(f"no webhook destination {name!r}", retryable=False)
    await post_page(
        http_of(services),
        destination.url,
        hooks.secrets[name],
        document,
        timestamp=int(at.timestamp()),
        delivery=delivery,
    )


DESTINATION = Destination(name=NAME, send=send)
