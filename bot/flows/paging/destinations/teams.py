"""The ``teams`` method: an Adaptive Card in a Teams channel through its Workflows webhook (a
destination of WARROOM_PAGING_WEBHOOKS with ``teams_url_env``; bot/clients/teams/). An
incident's page: the incident, its severity, who is paged, Acknowledge and Open in Slack; an
alert's: the alert, its severity and urgency, Acknowledge (its console), Open in Slack, Open
alert; a notice: its subject and text, no buttons. Workflows answers 202 without an id."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.clients.teams import Card, page_card, post_card
from bot.clients.vendor_http import VendorFailure
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
from bot.store.models import AlertGroup, Incident

NAME = "teams"


async def send(services: Services, message: Message, method: Method) -> str | None:
    """Post the message's card to the Teams destination ``method.address``."""
    match message:
        case IncidentPage():
            await _send_incident_card(services, message, method.address)
        case AlertPage():
            await _send_alert_card(services, message, method.address)
        case _:
            subject, text = await words.notice(services, message, NAME)
            await send_test_card(services, method.address, subject, text)
    return None


async def _send_incident_card(services: Services, message: IncidentPage, name: str) -> None:
    """The incident's page: its severity, status, who is paged and by what."""
    incident, notification = message.incident, message.notification
    said = await message.words(services, notification.user_id)
    paged = said["names"].get(notification.user_id) or notification.user_id
    facts = (
        ("Severity", incident.severity),
        ("Status", str(incident.status)),
        ("Paged", f"{paged} (rule {notification.rule})"),
        ("Paged by", words.plain(services, message, NAME, "paged_by", **said)),
    )
    await send_card(
        services,
        name,
        incident,
        facts,
        words=said,
        incident_url=incident_url(services, incident),
        acknowledge_url=await acknowledge_url(services, notification),
    )


async def _send_alert_card(services: Services, message: AlertPage, name: str) -> None:
    """The alert's page: its severity and urgency, who is paged, which level paged them."""
    group, notification = message.group, message.notification
    links, paged, level = await alert_links(services, group, notification, message.console)
    if links.slack and not links.slack.startswith("https://") and group.message_channel:
        # Teams opens only web links: Slack's redirect to the channel instead.
        links = replace(
            links, slack=f"https://slack.com/app_redirect?channel={group.message_channel}"
        )
    said = await message.words(services)
    facts = (
        ("Severity", group.severity or "none"),
        ("Urgency", group.urgency),
        ("Paged", f"{paged or notification.user_id} (rule {notification.rule})"),
        ("Paged by", words.plain(services, message, NAME, "paged_by", **said, level=level)),
    )
    await send_alert_card(services, name, group, facts, links)


async def send_alert_card(
    services: Services,
    name: str,
    group: AlertGroup,
    facts: tuple[tuple[str, str], ...],
    links: AlertLinks,
) -> None:
    """Post an alert's page as an Adaptive Card to the Teams destination ``name``: its
    Acknowledge opens the alert's console (acknowledge, escalate, snooze, resolve)."""
    severity = f"{group.severity} " if group.severity else ""
    card = Card(
        title=f"{severity}Alert: {group.title}",
        facts=facts,
        slack_url=links.slack,
        acknowledge_url=links.console,
        incident_url=links.alert,
        urgent=group.urgency == "high" and group.severity in ("SEV1", "SEV2"),
        open_title="Open alert",
    )
    await _post_to_teams(services, name, card)


def slack_https_link(incident: Incident) -> str | None:
    """The incident's channel as an https link (Slack's app_redirect), for clients such as
    Teams that open only web links."""
    if not incident.channel_id:
        return None
    return f"https://slack.com/app_redirect?channel={incident.channel_id}&team={incident.team_id}"


async def send_card(
    services: Services,
    name: str,
    incident: Incident,
    facts: tuple[tuple[str, str], ...],
    *,
    words: dict[str, Any],
    incident_url: str | None,
    acknowledge_url: str | None,
) -> None:
    """Post the page's Adaptive Card to the Teams destination ``name``."""
    card = Card(
        title=f"{incident.reference} {incident.severity} {words['title']}",
        facts=facts,
        slack_url=slack_https_link(incident),
        acknowledge_url=acknowledge_url,
        incident_url=incident_url,
        urgent=incident.severity in ("SEV1", "SEV2"),
    )
    await _post_to_teams(services, name, card)


async def send_test_card(services: Services, name: str, title: str, text: str) -> None:
    """Post a test card (``title``, ``text`` saying it is a test, no buttons) to the Teams
    destination ``name``: ``/oncall contact test``."""
    card = Card(title=title, facts=(), slack_url=None, acknowledge_url=None,
                incident_url=None, urgent=False, text=text)  # fmt: skip
    await _post_to_teams(services, name, card)


async def _post_to_teams(services: Services, name: str, card: Card) -> None:
    found = services.settings.hooks.destinations.get(name)
    if found is None or not found.teams:
        raise VendorFailure(f"no Teams destination {name!r}", retryable=False)
    await post_card(http_of(services), services.settings.hooks.secrets[name], page_card(card))


DESTINATION = Destination(name=NAME, send=send)
