"""What sends one notification by each method: a Slack DM, an ntfy push, an SMS, a call, an
e-mail, a webhook or a Teams card, and the words they say (``words_of``). Each returns the
service's id for it (None when it has none), or raises a VendorFailure that says whether
trying again may help; ``bot/flows/paging/pages.py`` takes the notification and settles it.
Numbers and addresses are read from the contacts when sending, never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.basics.slack_text import mentioned_users, to_plain
from bot.clients.mail import Mail, send_mail
from bot.clients.ntfy import Push, publish
from bot.clients.vendor_http import VendorFailure
from bot.flows.channel import deliver_now
from bot.flows.paging import alert_pages, phones
from bot.flows.paging.hooks import page_document, send_card, send_to
from bot.record.paging.contacts import SLACK, Method
from bot.record.people import known_names
from bot.services import Services
from bot.store import outbox
from bot.store.db import session_scope
from bot.store.models import Escalation, Incident, Notification

log = logging.getLogger(__name__)

# What sends one method: the service's id for the notification (None when it has none), or
# a VendorFailure that says whether trying again may help.
Sender = Callable[[Services, Incident, Escalation, Notification, Method], Awaitable[str | None]]


async def _send_slack(
    services: Services,
    incident: Incident,
    escalation: Escalation,
    notification: Notification,
    method: Method,
) -> str | None:
    """The built-in method: a direct message naming the incident and who paged, kept in the
    outbox once (a retried job finds it kept)."""
    text = services.renderer.render(
        "messages/page_dm.j2",
        outside=True,
        incident=incident,
        escalation=escalation,
        user=notification.user_id,
    )
    async with session_scope(services.engine) as session:
        await outbox.post_once(
            session,
            channel=method.address,
            text=text,
            now=services.clock(),
            after=f"notification:{notification.id}",
            incident_id=incident.id,
        )
        await session.commit()
    # Sent beside the lane, not in it: the DM waits its turn at Slack's pace while the
    # person's push, SMS or call due at the same instant go out (the outbox keeps the DM).
    services.background.spawn(deliver_now(services, method.address), name="page DM")
    return None


async def _send_ntfy(
    services: Services,
    incident: Incident,
    escalation: Escalation,
    notification: Notification,
    method: Method,
) -> str | None:
    """A push through ntfy: priority 5 (rings through Do Not Disturb) for SEV1 and SEV2, 4
    otherwise; a click to the incident's page, and an Acknowledge button."""
    paging = services.settings.paging
    if not paging.ntfy_url:
        raise VendorFailure("WARROOM_NTFY_URL is not set", retryable=False)
    words = await words_of(services, incident, escalation)
    push = Push(
        topic=method.address,
        title=_render(services, "paging/push_title.j2", words),
        message=_render(services, "paging/push_message.j2", words),
        priority=5 if incident.severity in ("SEV1", "SEV2") else 4,
        click=_incident_url(services, incident),
        acknowledge_url=await alert_pages.acknowledge_url(services, notification),
    )
    assert services.http is not None, "paging needs the application's HTTP session"
    return await publish(services.http, paging.ntfy_url, paging.ntfy_token, push)


async def words_of(
    services: Services, incident: Incident, escalation: Escalation, *also: str | None
) -> dict[str, Any]:
    """What every notification's text is made from: the incident, its title in plain text,
    the name of whoever escalated, and ``names`` of the people in ``also``."""
    async with session_scope(services.engine) as session:
        wanted = [*mentioned_users(incident.title), escalation.requested_by, *also]
        names = await known_names(session, [user for user in wanted if user])
    return {
        "incident": incident,
        "escalation": escalation,
        "title": to_plain(incident.title, names),
        "requester": names.get(escalation.requested_by or ""),
        "names": names,
    }


def _render(services: Services, template: str, said: dict[str, Any]) -> str:
    return services.renderer.render_plain(template, **said)


def _incident_url(services: Services, incident: Incident) -> str | None:
    public_url = services.settings.web.public_url
    return f"{public_url}/incidents/{incident.reference}" if public_url else None


async def _send_sms(
    services: Services,
    incident: Incident,
    escalation: Escalation,
    notification: Notification,
    method: Method,
) -> str | None:
    """An SMS naming the incident and who paged, ending "Reply 1 to acknowledge, 2 to
    escalate", through the contact's provider (its fallback at once if that fails), which
    reports its delivery to its status webhook."""
    words = await words_of(services, incident, escalation)
    text = _render(services, "paging/sms.j2", words)
    ref = f"warroom-notification-{notification.id}"
    attempts = phones.sms_attempts(services, method.address, text, ref)
    return await phones.through_providers(services, incident, notification, method, attempts)


async def _send_call(
    services: Services,
    incident: Incident,
    escalation: Escalation,
    notification: Notification,
    method: Method,
) -> str | None:
    """A call that says the incident and waits for a key: 1 acknowledges, 2 escalates
    (the provider posts it to its keypress webhook); ringing, answered, busy, unanswered
    are reported to its status webhook."""
    words = await words_of(services, incident, escalation)
    attempts = phones.call_attempts(
        services,
        method.address,
        prompt=_render(services, "paging/call.j2", {**words, "part": "prompt"}),
        again=_render(services, "paging/call.j2", {**words, "part": "again"}),
        goodbye=_render(services, "paging/call.j2", {**words, "part": "goodbye"}),
    )
    return await phones.through_providers(services, incident, notification, method, attempts)


async def _send_email(
    services: Services,
    incident: Incident,
    escalation: Escalation,
    notification: Notification,
    method: Method,
) -> str | None:
    """A mail in plain text and HTML: the incident, who paged, and an Acknowledge link (to a
    page with a button: mail scanners that follow links acknowledge nothing)."""
    paging = services.settings.paging
    if not paging.smtp_on:
        raise VendorFailure("WARROOM_SMTP_URL is not set", retryable=False)
    said = await words_of(services, incident, escalation)
    said["acknowledge_url"] = await alert_pages.acknowledge_url(services, notification)
    said["incident_url"] = _incident_url(services, incident)
    mail = Mail(
        sender=paging.smtp_from,
        to=method.address,
        subject=_render(services, "paging/push_title.j2", said),
        text=_render(services, "paging/email.txt.j2", said),
        html=services.renderer.render("paging/email.html.j2", **said),
    )
    return await send_mail(paging.smtp_url, mail, plaintext=paging.smtp_plaintext)


async def _send_webhook(
    services: Services,
    incident: Incident,
    escalation: Escalation,
    notification: Notification,
    method: Method,
) -> str | None:
    """A signed JSON POST to the destination the contact names (README: "Paging webhooks"),
    with an acknowledgement link in it."""
    words = await words_of(services, incident, escalation, notification.user_id)
    now = services.clock()
    document = page_document(
        incident,
        escalation,
        notification,
        words=words,
        incident_url=_incident_url(services, incident),
        acknowledge_url=await alert_pages.acknowledge_url(services, notification),
        at=now,
    )
    await send_to(services, method.address, document, at=now, delivery=str(notification.id))
    return None


async def _send_teams(
    services: Services,
    incident: Incident,
    escalation: Escalation,
    notification: Notification,
    method: Method,
) -> str | None:
    """An Adaptive Card in a Teams channel through its Workflows webhook: the incident, its
    severity, who is paged, Acknowledge and Open in Slack."""
    words = await words_of(services, incident, escalation, notification.user_id)
    paged = words["names"].get(notification.user_id) or notification.user_id
    facts = (
        ("Severity", incident.severity),
        ("Status", str(incident.status)),
        ("Paged", f"{paged} (rule {notification.rule})"),
        ("Paged by", _render(services, "paging/teams_paged_by.j2", words)),
    )
    await send_card(
        services,
        method.address,
        incident,
        facts,
        words=words,
        incident_url=_incident_url(services, incident),
        acknowledge_url=await alert_pages.acknowledge_url(services, notification),
    )
    return None


SENDERS: dict[str, Sender] = {
    SLACK: _send_slack,
    "ntfy": _send_ntfy,
    "sms": _send_sms,
    "voice": _send_call,
    "email": _send_email,
    "webhook": _send_webhook,
    "teams": _send_teams,
}
