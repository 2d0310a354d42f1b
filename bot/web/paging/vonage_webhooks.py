"""Vonage's webhooks: ``POST /vonage/status`` (the Messages API's status webhook: an SMS
submitted, delivered, rejected, undeliverable), ``POST /vonage/inbound`` (its inbound webhook:
an SMS reply to the Vonage number, answered by SMS), ``POST /vonage/event`` (a call's events:
ringing, answered, completed, busy, timeout, unanswered, failed...) and ``POST
/vonage/input`` (the key pressed in a page's call: the NCCO ``input`` action's DTMF event,
answered with the call's next NCCO).

Every request must carry Vonage's signed JWT (``Authorization: Bearer``, HS256 with
``WARROOM_VONAGE_SIGNATURE_SECRET``, for ``WARROOM_VONAGE_API_KEY``'s account, with the
SHA-256 of this very body, issued within the last 5 minutes: bot/clients/vonage/tokens.py);
anything else is answered 401 and changes nothing. An SMS reply is acted on and answered once
by its ``message_uuid`` (the answer is an SMS warroom pays for), a keypress once by its call's
``uuid``; a status or call event again records nothing new. Numbers stay out of the logs.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from bot.clients import vonage
from bot.clients.phone_reports import Report
from bot.clients.vendor_http import VendorFailure
from bot.flows.alerting.alert_actions import answer_from_phone
from bot.flows.alerting.drills import record_drill_status
from bot.flows.escalation.answers import answer_keypress, answer_sms, call_words
from bot.flows.paging.pages import record_status
from bot.flows.paging.phones import VONAGE_INPUT_PATH, vonage_account
from bot.web.context import web_context

log = logging.getLogger(__name__)
NCCO = "application/json"


async def _signed_json(request: web.Request) -> dict[str, Any] | None:
    """The JSON object Vonage sent, when its token is Vonage's for this body; None
    otherwise."""
    settings = web_context(request).settings.vonage
    if not settings.on:
        log.warning("a Vonage webhook came, but Vonage is not set: refused")
        return None
    body = await request.read()
    claims = vonage.signed_by_vonage(
        str(settings.signature_secret),
        request.headers.get("Authorization", ""),
        body,
        api_key=settings.api_key,
    )
    if claims is None:
        log.warning("a request to %s without Vonage's signature was refused", request.path)
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _refused() -> web.Response:
    return web.Response(status=401, text="not signed by Vonage")


def _ncco(actions: list[dict[str, Any]]) -> web.Response:
    return web.Response(text=json.dumps(actions), content_type=NCCO)


async def receive_message_status(request: web.Request) -> web.Response:
    """POST /vonage/status: what became of an SMS (submitted says nothing yet)."""
    document = await _signed_json(request)
    if document is None:
        return _refused()
    uuid, status = str(document.get("message_uuid", "")), str(document.get("status", ""))
    if not uuid or not status:
        return web.Response(status=400, text="message_uuid and status are required")
    await _record(request, uuid, vonage.message_report(document))
    return web.Response(status=204)


async def receive_sms(request: web.Request) -> web.Response:
    """POST /vonage/inbound: a reply to a page (1 or ack acknowledges, 2 or esc escalates;
    an alert's also 3 snoozes, 6 resolves: bot/flows/escalation/answers.py),
    answered by an SMS through the Messages API saying which incident it acted on."""
    document = await _signed_json(request)
    if document is None:
        return _refused()
    sender, uuid = str(document.get("from", "")), str(document.get("message_uuid", ""))
    if not sender or not uuid or document.get("channel", "sms") != "sms":
        return web.Response(status=400, text="an SMS's from and message_uuid are required")
    services = web_context(request).services
    said = await answer_sms(
        services,
        sender="+" + sender.removeprefix("+"),
        body=str(document.get("text", "")),
        message_sid=uuid,
        alert_acts=answer_from_phone,
        source="vonage",
    )
    if said is None:  # this message again: acted on and answered the first time
        return web.Response(status=204)
    assert services.http is not None, "paging needs the application's HTTP session"
    try:
        await vonage.send_sms(
            services.http, vonage_account(services), to=sender, text=said, client_ref="warroom"
        )
    except VendorFailure as failure:  # acted on all the same; only the answer is lost
        log.warning("the answer to an SMS reply could not be sent: %s", failure.detail)
    return web.Response(status=204)


async def receive_call_event(request: web.Request) -> web.Response:
    """POST /vonage/event: a call ringing, answered, completed, busy, unanswered, failed."""
    document = await _signed_json(request)
    if document is None:
        return _refused()
    uuid, status = str(document.get("uuid", "")), str(document.get("status", ""))
    if not uuid:
        return web.Response(status=400, text="uuid is required")
    if status:
        await _record(request, uuid, vonage.call_report(document))
    return web.Response(status=204)


async def _record(request: web.Request, uuid: str, report: Report | None) -> None:
    if report is None:  # submitted, started, ringing: nothing has become of it yet
        return
    services = web_context(request).services
    if not await record_status(services, sid=uuid, report=report):
        await record_drill_status(services, sid=uuid, report=report)


async def receive_keypress(request: web.Request) -> web.Response:
    """POST /vonage/input: the key pressed during a page's call, answered with what the
    call says next; no key: the prompt once more (``?try=2``), then goodbye."""
    document = await _signed_json(request)
    if document is None:
        return _refused()
    uuid = str(document.get("uuid", ""))
    dtmf = document.get("dtmf") if isinstance(document.get("dtmf"), dict) else {}
    assert isinstance(dtmf, dict)
    if not uuid:
        return web.Response(status=400, text="uuid is required")
    services = web_context(request).services
    digits = str(dtmf.get("digits") or "")
    if digits:
        said = await answer_keypress(
            services,
            call_sid=uuid,
            digits=digits,
            alert_acts=answer_from_phone,
            source="vonage",
        )
        return _ncco(vonage.talk_ncco(said))
    if request.query.get("try") != "2":
        again = await call_words(services, call_id=uuid, part="again")
        once_more = f"{web_context(request).settings.web.public_url}{VONAGE_INPUT_PATH}?try=2"
        return _ncco(vonage.digits_ncco(again, event_url=once_more))
    return _ncco(vonage.talk_ncco(await call_words(services, call_id=uuid, part="goodbye")))
