"""The ``webhook`` method's document: what a team's receiver gets (README: "Paging
webhooks"). Version 1; fields are only ever added."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.basics.slack_links import channel_link
from bot.clients.teams import Card, page_card, post_card
from bot.clients.vendor_http import VendorFailure
from bot.clients.webhook import post_page
from bot.services import Services
from bot.store.models import AlertGroup, Escalation, Incident, Notification

VERSION = 1


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


@dataclass(frozen=True)
class AlertLinks:
    """Where an alert's page points: its console (GET shows it; POST acknowledges, and
    ``/escalate`` after it escalates), its web page, and its message in Slack."""

    console: str | None
    escalate: str | None
    alert: str | None
    slack: str | None


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


async def send_to(
    services: Services, name: str, document: dict[str, Any], *, at: datetime, delivery: str
) -> None:
    """POST ``document`` signed to the destination ``name``; VendorFailure says why not."""
    hooks = services.settings.hooks
    destination = hooks.destinations.get(name)
    if destination is None:
        raise VendorFailure(f"no webhook destination {name!r}", retryable=False)
    assert services.http is not None, "paging needs the application's HTTP session"
    await post_page(
        services.http,
        destination.url,
        hooks.secrets[name],
        document,
        timestamp=int(at.timestamp()),
        delivery=delivery,
    )


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
    assert services.http is not None, "paging needs the application's HTTP session"
    await post_card(services.http, services.settings.hooks.secrets[name], page_card(card))
