"""A notification's delivery state as its provider names it (``Notification.reported``),
beside warroom's own (``state``: sent, delivered, answered, failed...), which paging decides
by. Shown on the alert's page, in the incident's record and in the API.

Where the words come from: a phone provider's status report (Twilio's delivered,
undelivered, failed; a call's in-progress, completed, busy, no-answer: bot/flows/paging/
pages.py ``record_status``), Pushover's receipt (acknowledged, expired: bot/flows/
escalation/receipts.py), and the answer to the send itself for a provider that has a word
for it (its destination's ``said_on_send``, bot/flows/paging/destinations/, kept by
bot/flows/paging/notifying.py).
"""

from __future__ import annotations

from bot.store.models import Notification

# The Receipts API's words for an emergency push (https://pushover.net/api/receipts).
PUSHOVER_ACKNOWLEDGED, PUSHOVER_EXPIRED = "acknowledged", "expired"


def shown(notification: Notification) -> str:
    """The state people read: the provider's word when it said one, else warroom's."""
    return notification.reported or notification.state
