"""Twilio, a phone provider.

- ``api``: its Programmable Messaging and Voice REST API, TwiML, the signature on its
  webhooks.
- ``provider``: Twilio as a ``PhoneProvider`` (the registry's): its webhooks' paths, their
  signature checked and their forms read, its answers (TwiML).
- ``routing``: live call routing's webhooks (a service's number called, a leg dialled, a
  voicemail recorded and transcribed) read, and the TwiML that answers them.

May import: ``bot.basics``, ``bot.config``, ``bot/clients/*.py`` (vendor_http) and
``bot/clients/phone/*.py`` (the protocol, reports).
"""

from bot.clients.phone.twilio.api import (
    TwilioAccount,
    TwilioFailure,
    form_pairs,
    gather,
    message,
    place_call,
    report,
    reported_error,
    say,
    send_sms,
    signature,
    signed_by_twilio,
)

__all__ = [
    "TwilioAccount",
    "TwilioFailure",
    "form_pairs",
    "gather",
    "message",
    "place_call",
    "report",
    "reported_error",
    "say",
    "send_sms",
    "signature",
    "signed_by_twilio",
]
