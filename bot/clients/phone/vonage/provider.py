"""Vonage as a ``PhoneProvider``: an SMS through the Messages API and a call through the
Voice API (``calls``), and its webhooks: ``/vonage/status`` (the Messages API's status
webhook), ``/vonage/inbound`` (its inbound webhook: an SMS reply, answered by SMS),
``/vonage/event`` (a call's events) and ``/vonage/input`` (the key pressed in a page's call:
the NCCO ``input`` action's DTMF event, answered with the call's next NCCO).

Every request must carry Vonage's signed JWT (``Authorization: Bearer``, HS256 with
``WARROOM_VONAGE_SIGNATURE_SECRET``, for ``WARROOM_VONAGE_API_KEY``'s account, with the
SHA-256 of this very body, issued within the last 5 minutes: ``tokens``); anything else is
answered 401 and changes nothing. Numbers stay out of the logs.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp

from bot.clients.phone.provider import (
    Call,
    Hook,
    HttpAnswer,
    Incoming,
    Keypress,
    Malformed,
    Refused,
    Reported,
    SmsReply,
)
from bot.clients.phone.vonage import calls, reports, tokens
from bot.clients.vendor_http import VendorFailure
from bot.config import Settings

log = logging.getLogger(__name__)
NCCO = "application/json"
STATUS_PATH = "/vonage/status"
INBOUND_PATH = "/vonage/inbound"
EVENT_PATH = "/vonage/event"
INPUT_PATH = "/vonage/input"


class Vonage:
    """Vonage: its settings are the ``WARROOM_VONAGE_*`` ones (bot/config/vonage.py)."""

    name = "vonage"
    title = "Vonage"
    needs = "WARROOM_VONAGE_APPLICATION_ID and the other WARROOM_VONAGE_* settings"
    webhooks = (STATUS_PATH, INBOUND_PATH, EVENT_PATH, INPUT_PATH)

    def configured(self, settings: Settings) -> bool:
        return settings.vonage.on

    def api_url(self, settings: Settings) -> str:
        return settings.vonage.api_url

    def account(self, settings: Settings) -> calls.VonageAccount:
        vonage = settings.vonage
        if not vonage.on or vonage.private_key is None:
            raise VendorFailure("Vonage is not set (WARROOM_VONAGE_*)", retryable=False)
        return calls.VonageAccount(
            api_url=vonage.api_url,
            application_id=vonage.application_id,
            private_key=vonage.private_key,
            from_number=vonage.from_number,
        )

    async def send_sms(
        self, http: aiohttp.ClientSession, settings: Settings, *, to: str, text: str, ref: str
    ) -> str:
        return await calls.send_sms(http, self.account(settings), to=to, text=text, client_ref=ref)

    async def place_call(
        self, http: aiohttp.ClientSession, settings: Settings, *, to: str, call: Call
    ) -> str:
        public = settings.web.public_url
        ncco = (
            calls.digits_ncco(call.prompt, event_url=public + INPUT_PATH)
            if call.keys
            else calls.talk_ncco(call.prompt)
        )
        return await calls.place_call(
            http, self.account(settings), to=to, ncco=ncco, event_url=public + EVENT_PATH
        )

    async def read(self, settings: Settings, hook: Hook) -> Incoming:
        document = self._signed_json(settings, hook)
        if document is None:
            return Refused(401, "not signed by Vonage")
        if hook.path == STATUS_PATH:  # what became of an SMS (submitted says nothing yet)
            uuid, status = str(document.get("message_uuid", "")), str(document.get("status", ""))
            if not uuid or not status:
                return Malformed("message_uuid and status are required")
            return Reported(uuid, reports.message_report(document))
        if hook.path == INBOUND_PATH:
            sender, uuid = str(document.get("from", "")), str(document.get("message_uuid", ""))
            if not sender or not uuid or document.get("channel", "sms") != "sms":
                return Malformed("an SMS's from and message_uuid are required")
            text = str(document.get("text", ""))
            return SmsReply("+" + sender.removeprefix("+"), text, uuid)
        uuid = str(document.get("uuid", ""))
        if not uuid:
            return Malformed("uuid is required")
        if hook.path == EVENT_PATH:  # ringing, answered, completed, busy, unanswered...
            status = str(document.get("status", ""))
            return Reported(uuid, reports.call_report(document) if status else None)
        dtmf = document.get("dtmf")
        digits = str(dtmf.get("digits") or "") if isinstance(dtmf, dict) else ""
        return Keypress(uuid, digits, asked=2 if hook.query.get("try") == "2" else 1)

    def _signed_json(self, settings: Settings, hook: Hook) -> dict[str, Any] | None:
        """The JSON object Vonage sent, when its token is Vonage's for this body; None
        otherwise."""
        vonage = settings.vonage
        if not vonage.on:
            log.warning("a Vonage webhook came, but Vonage is not set: refused")
            return None
        claims = tokens.signed_by_vonage(
            str(vonage.signature_secret),
            hook.headers.get("Authorization", ""),
            hook.body,
            api_key=vonage.api_key,
        )
        if claims is None:
            log.warning("a request to %s without Vonage's signature was refused", hook.path)
            return None
        try:
            document = json.loads(hook.body)
        except ValueError:
            return {}
        return document if isinstance(document, dict) else {}

    def reported(self) -> HttpAnswer:
        return HttpAnswer(status=204)

    async def answer_sms(
        self, http: aiohttp.ClientSession, settings: Settings, reply: SmsReply, said: str | None
    ) -> HttpAnswer:
        """The answer is an SMS warroom pays for, sent through the Messages API; None: this
        message again, acted on and answered the first time."""
        if said is not None:
            try:
                await self.send_sms(http, settings, to=reply.sender, text=said, ref="warroom")
            except VendorFailure as failure:  # acted on all the same; only the answer is lost
                log.warning("the answer to an SMS reply could not be sent: %s", failure.detail)
        return HttpAnswer(status=204)

    def answer_call(self, settings: Settings, said: str, *, listen: bool) -> HttpAnswer:
        if listen:  # the prompt once more (``?try=2``), then goodbye
            again = f"{settings.web.public_url}{INPUT_PATH}?try=2"
            return _ncco(calls.digits_ncco(said, event_url=again))
        return _ncco(calls.talk_ncco(said))


def _ncco(actions: list[dict[str, Any]]) -> HttpAnswer:
    return HttpAnswer(text=json.dumps(actions), content_type=NCCO)
