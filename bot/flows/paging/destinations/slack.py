"""The built-in ``slack`` method: a direct message naming the incident (or the alert) and who
or what paged, kept in the outbox once (a retried job finds it kept) and sent beside the
paging lane. Slack gives no id of its own for it here: the outbox keeps what Slack did.
Notices go to a person's own contacts, never here (a test page's DM is its own flow's,
bot/flows/paging/trying.py)."""

from __future__ import annotations

from bot.clients.vendor_http import VendorFailure
from bot.flows.channel import deliver_now
from bot.flows.paging.destinations import words
from bot.flows.paging.destinations.destination import Destination
from bot.flows.paging.destinations.messages import AlertPage, IncidentPage, Message, alert_words
from bot.record.paging.contacts import SLACK, Method
from bot.services import Services
from bot.store import outbox
from bot.store.db import session_scope


async def send(services: Services, message: Message, method: Method) -> str | None:
    """A page as a DM to ``method.address`` (the person's own id)."""
    match message:
        case IncidentPage(incident=incident, escalation=escalation, notification=notification):
            text = words.slack(
                services,
                message,
                SLACK,
                incident=incident,
                escalation=escalation,
                user=notification.user_id,
            )
            incident_id, task = incident.id, "page DM"
        case AlertPage(group=group, notification=notification):
            text = words.slack(services, message, SLACK, **alert_words(group))
            incident_id, task = None, "alert page DM"
        case _:
            raise VendorFailure(f"{SLACK} sends pages only, not a {message.kind}", retryable=False)
    async with session_scope(services.engine) as session:
        await outbox.post_once(
            session,
            channel=method.address,
            text=text,
            now=services.clock(),
            after=f"notification:{notification.id}",
            incident_id=incident_id,
        )
        await session.commit()
    # Sent beside the lane, not in it: the DM waits its turn at Slack's pace while the
    # person's push, SMS or call due at the same instant go out (the outbox keeps the DM).
    services.background.spawn(deliver_now(services, method.address), name=task)
    return None


DESTINATION = Destination(name=SLACK, send=send)
