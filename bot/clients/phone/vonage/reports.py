"""What Vonage reports of an SMS or a call after taking it, as a Report (bot/clients/
phone/reports.py) in the words paging knows (Twilio's), with why in words.

- An SMS's status webhook (Messages API, "Message status"; developer.vonage.com/en/messages/
  concepts/messages-status-callbacks): ``submitted``, ``delivered``, ``read``, ``rejected``
  (an ``error`` object says why: an RFC 7807 document whose ``type`` ends with the error's
  code, e.g. ``…/messages#1320``), ``undeliverable`` (Vonage could not reach the messaging
  provider: an outage), ``undelivered`` (older statuses).
- A call's event webhook (Voice API, "Webhooks reference", Event webhook): ``started``,
  ``ringing``, ``answered``, ``completed``, and the ends that did not reach the person,
  ``busy``, ``timeout`` (not answered within ``ringing_timer``), ``unanswered``,
  ``rejected``, ``failed``, ``cancelled``, which carry a ``detail`` saying why
  (``invalid_number``, ``restricted``, ``declined``, ``cannot_route``,
  ``number_out_of_service``, ``unavailable``, ``ringing_timeout``, ``internal_error``...;
  the Vonage SDKs' ``DetailedStatus``).

Numbers are never in what is said: Vonage's ``error.detail`` may quote one, so only the code
at the end of ``error.type`` is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.clients.phone.reports import Report

# Vonage's statuses in Twilio's words (record_status and the drill know those).
MESSAGE_STATUSES = {
    "delivered": "delivered",
    "read": "delivered",
    "rejected": "failed",
    "undeliverable": "undelivered",
    "undelivered": "undelivered",
    "failed": "failed",
}
CALL_STATUSES = {
    "answered": "in-progress",
    "completed": "completed",
    "busy": "busy",
    "timeout": "no-answer",
    "unanswered": "no-answer",
    "cancelled": "canceled",
    "rejected": "failed",
    "failed": "failed",
}
# A call event's ``detail``, in words; True: the number itself will not work.
CALL_DETAILS = {
    "invalid_number": ("Vonage says the number is not a valid phone number", True),
    "number_out_of_service": ("the number is out of service", True),
    "restricted": ("the carrier refused the call", False),
    "declined": ("the person declined the call", False),
    "cannot_route": ("Vonage could not route the call to the number's network", False),
    "unavailable": ("the phone was unavailable: off or out of coverage", False),
    "ringing_timeout": ("nobody answered before the ringing stopped", False),
    "internal_error": ("Vonage failed on its side", False),
}
# What a call's end says without a detail.
CALL_ENDS = {
    "busy": "the phone was busy",
    "timeout": "nobody answered before the ringing stopped",
    "unanswered": "nobody answered",
    "rejected": "the call was rejected",
    "failed": "the call failed",
}
# An SMS's status without an error code it names.
MESSAGE_ENDS = {
    "rejected": "Vonage or the carrier rejected the SMS",
    "undeliverable": "Vonage could not reach the carrier to deliver the SMS",
    "undelivered": "the carrier could not deliver the SMS",
    "failed": "the SMS failed",
}
# A word Vonage may add in the future, shown as it is when it is only a word.
_WORD = re.compile(r"^[a-z_]{1,40}$")
_CODE = re.compile(r"#(\d{1,6})$")


def message_report(document: Mapping[str, Any]) -> Report | None:
    """An SMS's status webhook as a Report; None for a status that says nothing yet
    (``submitted``) or none."""
    said = str(document.get("status", ""))
    known = MESSAGE_STATUSES.get(said)
    if known is None:
        return None
    if known == "delivered":
        return Report("Vonage", known, said)
    error = document.get("error")
    kind = str(error.get("type", "")) if isinstance(error, dict) else ""
    code = _CODE.search(kind)
    why = MESSAGE_ENDS.get(said, f"Vonage reported it {said}")
    if code:
        why = f"{why} (error {code.group(1)})"
    return Report("Vonage", known, said, why, False)


def call_report(document: Mapping[str, Any]) -> Report | None:
    """A call's event as a Report; None for one that says nothing has become of it yet
    (started, ringing) or none."""
    said = str(document.get("status", ""))
    known = CALL_STATUSES.get(said)
    if known is None:
        return None
    if known in ("in-progress", "completed"):
        return Report("Vonage", known, said)
    detail = str(document.get("detail", "") or "")
    why, bad = CALL_DETAILS.get(detail, (CALL_ENDS.get(said, f"the call ended {said}"), False))
    if detail and detail not in CALL_DETAILS and _WORD.match(detail):
        why = f"{why} ({detail.replace('_', ' ')})"
    return Report("Vonage", known, said, why, bad)
