"""Where a page's words point: an acknowledgement link (``/ack/<token>``: GET shows a button,
an alert's its phone console; POST acknowledges, ``/escalate`` after it escalates, served by
bot/web/paging/links.py), the incident's page, and an alert's links (its console, its web
page, its message in Slack), issued or read as a destination needs them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.flows.paging.alert_pages import message_url
from bot.record.incident.message_links import known_bases
from bot.record.paging import tokens
from bot.record.people import known_names
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import AlertGroup, Incident, Notification, PersonPage

# Where acknowledgement links point; an alert's push's Escalate POSTs the link and this suffix.
ACK_PATH = "/ack"
ESCALATE_SUFFIX = "/escalate"


async def acknowledge_url(services: Services, notification: Notification) -> str | None:
    """A new acknowledgement link for the notification's page (None without a public
    address: there is nowhere for it to point)."""
    public_url = services.settings.web.public_url
    if not public_url:
        return None
    async with session_scope(services.engine) as session:
        page = await session.get(PersonPage, notification.page_id)
        assert page is not None
        token = await tokens.issue(session, page, method=notification.method, at=services.clock())
        await session.commit()
    return f"{public_url}{ACK_PATH}/{token}"


def incident_url(services: Services, incident: Incident) -> str | None:
    """The incident's web page (None without a public address)."""
    public_url = services.settings.web.public_url
    return f"{public_url}/incidents/{incident.reference}" if public_url else None


@dataclass(frozen=True)
class AlertLinks:
    """Where an alert's page points: its console (GET shows it; POST acknowledges, and
    ``/escalate`` after it escalates), its web page, and its message in Slack."""

    console: str | None
    escalate: str | None
    alert: str | None
    slack: str | None


async def alert_links(
    services: Services, group: AlertGroup, notification: Notification, console: str | None
) -> tuple[AlertLinks, str | None, int | None]:
    """What a webhook's document or a Teams card of the alert's page says beside the alert:
    its links (``console``: the page's console link, issued with it), the paged person's
    name as the record keeps it, the policy's level."""
    async with session_scope(services.engine) as session:
        page = await session.get(PersonPage, notification.page_id)
        names = await known_names(session, [notification.user_id])
        bases = await known_bases(session, [group.message_channel or ""])
    step = str(page.alert_step or "") if page is not None else ""
    level = step.rsplit(":", 1)[-1]
    console = console or await acknowledge_url(services, notification)
    public_url = services.settings.web.public_url
    links = AlertLinks(
        console=console,
        escalate=f"{console}{ESCALATE_SUFFIX}" if console else None,
        alert=f"{public_url}/alerts/{group.id}" if public_url else None,
        slack=await message_url(services, group, bases),
    )
    return links, names.get(notification.user_id), int(level) if level.isdigit() else None
