"""Every phone provider's webhooks (bot/clients/phone/registry.py), through one handler: the
provider checks the request's signature and says what it is in vendor-neutral words (a
status report, an SMS reply, a keypress, a call to a service's number and its legs), paging
(or live call routing, bot/flows/alerting/call_routing.py) acts on it, and the provider
answers in its own format (TwiML, NCCO, an SMS sent back).

What a reply means ("1" or ack acknowledges, "2" or esc escalates) is paging's (bot/flows/
escalation/answers.py); the provider parses its format only. A request that is not the
provider's is answered as the provider says (403, 401) and does nothing. An SMS reply is
acted on and answered once by the id its provider gives it, a keypress once by its call's id;
a status report again records nothing new, and one on an id warroom never had (after a few
seconds' wait for a send's answer to be kept) is answered 404 and kept nowhere. Numbers stay
out of the logs.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.clients.phone import registry
from bot.clients.phone.provider import (
    CallArrived,
    DialEnded,
    Hook,
    HttpAnswer,
    Keypress,
    Malformed,
    PhoneProvider,
    Recorded,
    Refused,
    Reported,
    RoutesCalls,
    Routing,
    SmsReply,
    Transcribed,
)
from bot.clients.phone.reports import Report
from bot.flows.alerting import call_routing
from bot.flows.alerting.alert_actions import answer_from_phone
from bot.flows.escalation.answers import answer_keypress, answer_sms, call_words
from bot.flows.paging.drills import record_drill_status
from bot.flows.paging.pages import record_status
from bot.flows.paging.phones import http_of
from bot.services import Services
from bot.web.context import web_context
from bot.web.routing import Handler, Route, RouteKind

UNKNOWN_ID_GRACE_SECONDS = 3.0
UNKNOWN_ID_POLL_SECONDS = 0.1


def phone_routes() -> tuple[Route, ...]:
    """A route for each webhook of each registered provider (POST, each checks its own
    signature)."""
    return tuple(
        Route("POST", path, _receiver(provider), RouteKind.MACHINE)
        for provider in registry.providers()
        for path in provider.webhooks
    )


def _receiver(provider: PhoneProvider) -> Handler:
    async def receive(request: web.Request) -> web.StreamResponse:
        return _response(await _receive(provider, request))

    receive.__name__ = f"receive_{provider.name}"
    return receive


async def _receive(provider: PhoneProvider, request: web.Request) -> HttpAnswer:
    context = web_context(request)
    services, settings = context.services, context.settings
    hook = Hook(
        path=request.path,
        path_qs=request.path_qs,
        query=dict(request.query),
        headers=dict(request.headers),
        body=await request.read(),
    )
    incoming = await provider.read(settings, hook)
    match incoming:
        case Refused(status, text):
            return HttpAnswer(status=status, text=text)
        case Malformed(text):
            return HttpAnswer(status=400, text=text)
        case Reported(vendor_id, report):
            if report is not None and not await _record_report(services, vendor_id, report):
                return HttpAnswer(status=404, text="no notification has this id")
            return provider.reported()
        case SmsReply():
            said = await answer_sms(
                services,
                sender=incoming.sender,
                body=incoming.body,
                message_sid=incoming.message_id,
                alert_acts=answer_from_phone,
                source=provider.name,
            )
            return await provider.answer_sms(http_of(services), settings, incoming, said)
        case Keypress():
            return await _keypress(services, provider, incoming)
        case CallArrived() | DialEnded() | Recorded() | Transcribed():
            return await _route_call(services, provider, incoming)


async def _route_call(services: Services, provider: PhoneProvider, request: Routing) -> HttpAnswer:
    """Live call routing (bot/flows/alerting/call_routing.py): what the call does next, in the
    provider's words; a callback (the recording kept, its transcription) answered empty."""
    if not isinstance(provider, RoutesCalls):
        return HttpAnswer(status=404, text="this provider routes no calls")
    settings = services.settings
    match request:
        case CallArrived():
            step = await call_routing.call_arrived(services, provider.name, request)
        case DialEnded():
            step = await call_routing.dial_ended(services, request)
        case Recorded():
            step = await call_routing.recorded(services, request)
            if request.final:
                return provider.reported()
        case Transcribed():
            if not await call_routing.transcribed(services, request):
                return HttpAnswer(status=404, text="no routed call has this id")
            return provider.reported()
    return provider.answer_route(settings, step)


async def _keypress(services: Services, provider: PhoneProvider, key: Keypress) -> HttpAnswer:
    """The key pressed in a page's call, answered with what the call says next; no key, for a
    provider that asks warroom: the prompt once more, then goodbye."""
    settings = services.settings
    if key.digits or key.asked == 0:
        said = await answer_keypress(
            services,
            call_sid=key.call_id,
            digits=key.digits,
            alert_acts=answer_from_phone,
            source=provider.name,
        )
        return provider.answer_call(settings, said, listen=False)
    part = "again" if key.asked < 2 else "goodbye"
    said = await call_words(services, call_id=key.call_id, part=part)
    return provider.answer_call(settings, said, listen=part == "again")


async def _record_report(services: Services, vendor_id: str, report: Report) -> bool:
    """A status report kept on its page or drill check; False when none has the id. A provider
    can report on a message before its send's answer has been kept (an SMS's "sent" within a
    second of it), so an unknown id is looked for again for a while before it is let go."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + UNKNOWN_ID_GRACE_SECONDS
    while True:
        if await record_status(services, sid=vendor_id, report=report):
            return True
        if await record_drill_status(services, sid=vendor_id, report=report):
            return True
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(UNKNOWN_ID_POLL_SECONDS)


def _response(answer: HttpAnswer) -> web.Response:
    if answer.status == 204:
        return web.Response(status=204, headers=answer.headers)
    return web.Response(
        status=answer.status,
        text=answer.text,
        content_type=answer.content_type,
        headers=answer.headers,
    )
