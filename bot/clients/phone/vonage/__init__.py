"""Vonage's Messages API (an SMS) and Voice API (a call that runs an NCCO), and the signed
webhooks Vonage sends back (a message's status, a call's events, the key pressed).

Why Vonage rather than Plivo as the second provider (both publish REST APIs for SMS and
calls, on networks of their own): every callback Vonage sends is signed with a JWT (HS256
with the account's signature secret) that carries a SHA-256 of the body, which the standard
library checks; its errors are RFC 7807 documents whose ``type`` names the problem; and its
Voice API's NCCO gathers a key (``input`` with ``dtmf``) as TwiML's ``<Gather>`` does, so a
call through either acknowledges the same way.

- ``tokens``: the JWT warroom signs (RS256, the application's private key) and the one it
  checks on webhooks (HS256, the signature secret); no dependency: RSA in pure Python.
- ``calls``: the SMS and the call, what their answers mean, and the NCCO of a page's call.
- ``reports``: what Vonage's status and event webhooks say became of them, in words.
- ``provider``: Vonage as a ``PhoneProvider`` (the registry's): its webhooks' paths, their
  signature checked and their JSON read, its answers (NCCO, an SMS sent back).

May import: ``bot.basics``, ``bot.config``, ``bot/clients/*.py`` (vendor_http) and
``bot/clients/phone/*.py`` (the protocol, reports).
"""

from bot.clients.phone.vonage.calls import (
    VonageAccount,
    VonageFailure,
    digits_ncco,
    place_call,
    send_sms,
    talk_ncco,
    vonage_number,
)
from bot.clients.phone.vonage.reports import call_report, message_report
from bot.clients.phone.vonage.tokens import (
    WebhookClaims,
    application_token,
    signed_by_vonage,
)

__all__ = [
    "VonageAccount",
    "VonageFailure",
    "WebhookClaims",
    "application_token",
    "call_report",
    "digits_ncco",
    "message_report",
    "place_call",
    "send_sms",
    "signed_by_vonage",
    "talk_ncco",
    "vonage_number",
]
