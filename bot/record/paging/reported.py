"""A notification's delivery state as its provider names it (``Notification.reported``),
beside warroom's own (``state``: sent, delivered, answered, failed...), which paging decides
by. Shown on the alert's page, in the incident's record and in the API.

Where the words come from: a phone provider's status report (Twilio's delivered,
undelivered, failed; a call's in-progress, completed, busy, no-answer: bot/flows/paging/
pages.py ``record_status``), Pushover's receipt (acknowledged, expired: bot/flows/
escalation/receipts.py), and the answer to the send itself for a provider that has a word
for it (``SAID_ON_SEND``).
"""

from __future__ import annotations

from bot.store.models import Notification

# ntfy answers a publish with the message it accepted ("Publish as JSON"); that is all it
# ever says of it.
SAID_ON_SEND = {"ntfy": "accepted"}
# The Receipts API's words for an emergency push (https://pushover.net/api/receipts).
PUSHOVER_ACKNOWLEDGED, PUSHOVER_EXPIRED = "acknowledged", "expired"


def on_send(method: str) -> str | None:
    """What the provider calls a notification it just took, where it has a word for it."""
    return SAID_ON_SEND.get(method)


def shown(notification: Notification) -> str:
    """The state people read: the provider's word when it said one, else warroom's."""
    return notification.reported or notification.state
