"""Twilio's webhooks: ``POST /twilio/sms`` (the number's "A message comes in"), ``POST
/twilio/voice`` (a page's call: the key pressed in its ``<Gather>``) and ``POST
/twilio/status`` (status callbacks of SMS and calls).

Every request must carry Twilio's ``X-Twilio-Signature`` over ``WARROOM_PUBLIC_URL`` plus
the path and query it was sent to and its form fields, with the auth token (bot/clients/
twilio.py); anything else is answered 403 and does nothing. Twilio's signature has no time in
it (Twilio, "Webhook security": the URL and the body, with the Auth Token), so a request is
claimed by the id Twilio gives it: an SMS reply by its ``MessageSid`` (acted on and answered
once), a keypress by its ``CallSid`` (a page's call acts once); a status callback again
records nothing new (a state already recorded is kept). Numbers stay out of the logs.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.clients import twilio
from bot.flows.alerting.alert_actions import answer_from_phone
from bot.flows.alerting.drills import record_drill_status
from bot.flows.escalation.answers import answer_keypress, answer_sms
from bot.flows.paging.pages import record_status
from bot.web.context import web_context

log = logging.getLogger(__name__)
TWIML = "text/xml"


async def _signed_form(request: web.Request) -> dict[str, str] | None:
    """The form Twilio sent, when its signature is Twilio's; None otherwise."""
    settings = web_context(request).settings
    token = str(settings.paging.twilio_auth_token)
    public_url = settings.web.public_url
    try:
        form = await request.post()
    except (ValueError, LookupError):
        return None
    pairs = twilio.form_pairs((str(k), str(v)) for k, v in form.items())
    given = request.headers.get("X-Twilio-Signature", "")
    if not token or not public_url:
        log.warning("a Twilio webhook came, but Twilio is not set: refused")
        return None
    if not twilio.signed_by_twilio(token, public_url + request.path_qs, pairs, given):
        log.warning("a request to %s without Twilio's signature was refused", request.path)
        return None
    return dict(pairs)


def _refused() -> web.Response:
    return web.Response(status=403, text="not signed by Twilio")


async def receive_sms(request: web.Request) -> web.Response:
    """POST /twilio/sms: a reply to a page (1 or ack acknowledges, 2 or esc escalates; an
    alert's also 3 snoozes, 6 resolves: bot/flows/escalation/answers.py),
    answered by SMS saying which incident it acted on."""
    form = await _signed_form(request)
    if form is None:
        return _refused()
    if "From" not in form or "MessageSid" not in form:
        return web.Response(status=400, text="From and MessageSid are required")
    said = await answer_sms(
        web_context(request).services,
        sender=form["From"],
        body=form.get("Body", ""),
        message_sid=form["MessageSid"],
        alert_acts=answer_from_phone,
    )
    # None: this MessageSid again (acted on and answered the first time), answered with no
    # message, so a retry of Twilio's costs no second SMS.
    return web.Response(text=twilio.message(said), content_type=TWIML)


async def receive_keypress(request: web.Request) -> web.Response:
    """POST /twilio/voice: the key pressed during a page's call; what the call says next."""
    form = await _signed_form(request)
    if form is None:
        return _refused()
    if "CallSid" not in form:
        return web.Response(status=400, text="CallSid is required")
    said = await answer_keypress(
        web_context(request).services,
        call_sid=form["CallSid"],
        digits=form.get("Digits", ""),
        alert_acts=answer_from_phone,
    )
    return web.Response(text=twilio.say(said), content_type=TWIML)


async def receive_status(request: web.Request) -> web.Response:
    """POST /twilio/status: an SMS delivered or not, a call answered, busy, unanswered; a
    failure's ``ErrorCode`` (or a call's ``SipResponseCode``) read as why."""
    form = await _signed_form(request)
    if form is None:
        return _refused()
    sid = form.get("MessageSid") or form.get("CallSid") or ""
    report = twilio.report(form)
    if not sid or report is None:
        return web.Response(status=400, text="a SID and a status are required")
    services = web_context(request).services
    if not await record_status(services, sid=sid, report=report):
        await record_drill_status(services, sid=sid, report=report)
    return web.Response(text=twilio.message(None), content_type=TWIML)
