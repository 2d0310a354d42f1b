"""Twilio as a ``PhoneProvider``: SMS and calls through its REST API (``api``), and its
webhooks: ``/twilio/sms`` (the number's "A message comes in"), ``/twilio/voice`` (the key
pressed in a page's ``<Gather>``) and ``/twilio/status`` (status callbacks of SMS and calls);
and live call routing's, ``/twilio/route/…`` (``routing``).

Every request must carry Twilio's ``X-Twilio-Signature`` over ``WARROOM_PUBLIC_URL`` plus the
path and query it was sent to and its form fields, with the auth token; anything else is
answered 403 and does nothing. Twilio's signature has no time in it (Twilio, "Webhook
security": the URL and the body, with the Auth Token), so paging claims a request by the id
Twilio gives it (an SMS reply by its ``MessageSid``, a keypress by its ``CallSid``).
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

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
    RouteStep,
    SmsReply,
)
from bot.clients.phone.twilio import api, routing
from bot.clients.vendor_http import VendorFailure
from bot.config import Settings

log = logging.getLogger(__name__)
TWIML = "text/xml"
SMS_PATH = "/twilio/sms"
VOICE_PATH = "/twilio/voice"
STATUS_PATH = "/twilio/status"


class Twilio:
    """Twilio: its settings are ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``,
    ``TWILIO_FROM`` and ``TWILIO_API_URL`` (declared with paging's, bot/config/paging.py)."""

    name = "twilio"
    title = "Twilio"
    needs = "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM"
    webhooks = (SMS_PATH, VOICE_PATH, STATUS_PATH, *routing.PATHS)

    def configured(self, settings: Settings) -> bool:
        return settings.paging.twilio_on

    def api_url(self, settings: Settings) -> str:
        return settings.paging.twilio_api_url

    def account(self, settings: Settings) -> api.TwilioAccount:
        paging = settings.paging
        if not paging.twilio_on:
            raise VendorFailure("Twilio is not set (TWILIO_*)", retryable=False)
        return api.TwilioAccount(
            api_url=paging.twilio_api_url,
            account_sid=paging.twilio_account_sid,
            auth_token=paging.twilio_auth_token,
            from_number=paging.twilio_from,
        )

    async def send_sms(
        self,
        http: aiohttp.ClientSession,
        settings: Settings,
        *,
        to: str,
        text: str,
        ref: str,  # noqa: ARG002 - the protocol's; Twilio's SID is the only reference
    ) -> str:
        return await api.send_sms(
            http,
            self.account(settings),
            to=to,
            body=text,
            status_callback=settings.web.public_url + STATUS_PATH,
        )

    async def place_call(
        self, http: aiohttp.ClientSession, settings: Settings, *, to: str, call: Call
    ) -> str:
        public = settings.web.public_url
        twiml = (
            api.gather(
                call.prompt,
                action=public + VOICE_PATH,
                retry_say=call.again,
                goodbye=call.goodbye,
            )
            if call.keys
            else api.say(call.prompt)
        )
        return await api.place_call(
            http, self.account(settings), to=to, twiml=twiml, status_callback=public + STATUS_PATH
        )

    async def read(self, settings: Settings, hook: Hook) -> Incoming:
        form = self._signed_form(settings, hook)
        if form is None:
            return Refused(403, "not signed by Twilio")
        if hook.path in routing.PATHS:
            return routing.read(hook.path, hook.query, form)
        if hook.path == SMS_PATH:
            if "From" not in form or "MessageSid" not in form:
                return Malformed("From and MessageSid are required")
            return SmsReply(form["From"], form.get("Body", ""), form["MessageSid"])
        if hook.path == VOICE_PATH:
            if "CallSid" not in form:
                return Malformed("CallSid is required")
            return Keypress(form["CallSid"], form.get("Digits", ""))
        sid = form.get("MessageSid") or form.get("CallSid") or ""
        report = api.report(form)
        if not sid or report is None:
            return Malformed("a SID and a status are required")
        return Reported(sid, report)

    def _signed_form(self, settings: Settings, hook: Hook) -> dict[str, str] | None:
        """The form Twilio sent, when its signature is Twilio's; None otherwise."""
        token = str(settings.paging.twilio_auth_token)
        public_url = settings.web.public_url
        if not token or not public_url:
            log.warning("a Twilio webhook came, but Twilio is not set: refused")
            return None
        try:
            fields = parse_qsl(hook.body.decode(), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            return None
        pairs = api.form_pairs(fields)
        given = hook.headers.get("X-Twilio-Signature", "")
        if not api.signed_by_twilio(token, public_url + hook.path_qs, pairs, given):
            log.warning("a request to %s without Twilio's signature was refused", hook.path)
            return None
        return dict(pairs)

    def reported(self) -> HttpAnswer:
        return HttpAnswer(text=api.message(None), content_type=TWIML)

    async def answer_sms(
        self,
        http: aiohttp.ClientSession,  # noqa: ARG002 - the protocol's: TwiML answers in place
        settings: Settings,  # noqa: ARG002
        reply: SmsReply,  # noqa: ARG002
        said: str | None,
    ) -> HttpAnswer:
        # None: this MessageSid again (acted on and answered the first time), answered with
        # no message, so a retry of Twilio's costs no second SMS.
        return HttpAnswer(text=api.message(said), content_type=TWIML)

    def answer_call(
        self,
        settings: Settings,  # noqa: ARG002 - the protocol's: <Gather> says again itself
        said: str,
        *,
        listen: bool,  # noqa: ARG002
    ) -> HttpAnswer:
        return HttpAnswer(text=api.say(said), content_type=TWIML)

    def answer_route(self, settings: Settings, step: RouteStep) -> HttpAnswer:
        return routing.answer(settings.web.public_url, step)
