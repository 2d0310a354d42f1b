"""Subscribing to the status page: ``/status/subscribe`` (the form), ``/status/confirm/<token>``
and ``/status/unsubscribe/<token>`` (a page with a button, and its POST: mail scanners that
open links confirm and unsubscribe nothing; a mail client's RFC 8058 one-click POST does).

No sign-in: the form's CSRF token is an anonymous session's, as the web view's forms carry.
No page says an address back, nor whether it was known: a sign-up answers the same for a
new, waiting, confirmed, unsubscribed or bouncing address.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from bot.flows.status_page import subscriptions as flow
from bot.record.status_page import subscriptions as subscribers
from bot.web.auth import check_csrf, csrf_token, keep_new_session, session_of, with_session
from bot.web.client_address import client_address
from bot.web.context import web_context
from bot.web.notices import forget, once_of, refused_back
from bot.web.pages_common import FormUnreadable, read_form, render_page
from bot.web.visibility import Viewer

log = logging.getLogger(__name__)
PAGE = "web/subscribe.html.j2"
# A field no person sees (hidden from view and from screen readers): only a robot fills it.
HONEYPOT = "website"
KINDS = (subscribers.EMAIL_KIND, subscribers.WEBHOOK_KIND)
# What the template reads on every page, when the page has nothing to say of it.
_DEFAULTS: dict[str, Any] = {
    "kind": subscribers.EMAIL_KIND,
    "problem": "",
    "typed": "",
    "secret": None,
    "token": "",
    "components": [],
    "chosen": [],
    "masked": "",
    "saved": False,
    "mail": False,
}


def _viewer(request: web.Request) -> Viewer:
    """Whoever is on the page: an anonymous session (made on the first visit) for CSRF."""
    session = session_of(request)
    viewer = Viewer(None, "public", None, False, session.session_id if session else "")
    return with_session(request, viewer)


def _answer(request: web.Request, status: int = 200, **context: Any) -> web.Response:
    response = render_page(request, PAGE, status=status, **{**_DEFAULTS, **context})
    keep_new_session(request, response)
    return response


def _subscriptions_on(request: web.Request) -> None:
    """404 when the operator turned subscriptions off (WARROOM_STATUS_SUBSCRIPTIONS); the
    unsubscribe links keep working."""
    if not web_context(request).settings.subscriptions.enabled:
        off = render_page(request, PAGE, status=404, **{**_DEFAULTS, "page": "off"})
        headers = {k: v for k, v in off.headers.items() if k.lower() != "content-length"}
        raise web.HTTPNotFound(body=off.body, headers=headers)


def _mail(request: web.Request) -> bool:
    """Whether the form offers e-mail: only when a confirmation can be sent (otherwise a
    customer would be told to check an inbox nothing reaches)."""
    return flow.mail_on(web_context(request).settings)


async def subscribe_page(request: web.Request) -> web.Response:
    """GET /status/subscribe: the form (e-mail, when warroom can send mail, or webhook; all or
    chosen components); after a refused sign-up, once, why, with what was typed."""
    _subscriptions_on(request)
    viewer = _viewer(request)
    services = web_context(request).services
    mail = _mail(request)
    once = await once_of(request, viewer)
    refused = once.refused or {}
    kind = once.words("kind") or (subscribers.EMAIL_KIND if mail else subscribers.WEBHOOK_KIND)
    components = await flow.known_components(services)
    chosen = refused.get("chosen")
    response = _answer(
        request,
        once.status,
        page=once.words("page") or "form",
        problem=once.words("problem") or "",
        csrf=csrf_token(request, viewer),
        components=components,
        chosen=[c for c in chosen if c in components] if isinstance(chosen, list) else [],
        typed=once.words("typed") or "",
        mail=mail,
        kind=kind if kind in KINDS else subscribers.EMAIL_KIND,
    )
    forget(request, response)
    return response


async def _refused(
    request: web.Request, viewer: Viewer, refusal: dict[str, Any], status: int
) -> web.HTTPSeeOther:
    """303 back to the form, which says ``refusal`` once (answered ``status``): a reload of
    the form's page shows it clean, never posts the sign-up again."""
    back = await refused_back(request, viewer, "/status/subscribe", refusal, status=status)
    keep_new_session(request, back)
    return back


async def subscribe_form(request: web.Request) -> web.Response:
    """POST /status/subscribe: a refused address is said at its field (400, the form kept);
    otherwise the same answer for every address."""
    _subscriptions_on(request)
    web_ = web_context(request)
    viewer = _viewer(request)
    try:
        form = await read_form(request)
    except FormUnreadable:
        raise await _refused(request, viewer, {"page": "unreadable"}, 400) from None
    check_csrf(request, viewer, form.get("csrf"))
    mail = _mail(request)
    kind = str(form.get("kind", subscribers.EMAIL_KIND))
    kind = kind if kind in KINDS else subscribers.EMAIL_KIND
    components = await flow.known_components(web_.services)
    chosen = [c for c in form.getall("component", []) if c in components]
    raw = str(form.get("address", ""))
    kept = {"chosen": chosen, "kind": kind}
    try:
        if kind == subscribers.EMAIL_KIND and not mail:
            raise subscribers.BadAddress("no_mail")
        if kind == subscribers.EMAIL_KIND:
            address = subscribers.email_address(raw)
        else:
            address = subscribers.webhook_url(
                raw, allowed=web_.settings.subscriptions.webhook_allowed_hosts
            )
            await flow.check_webhook(web_.services, address)
    except subscribers.BadAddress as bad:
        refusal = {"problem": bad.why, "typed": raw[:300], **kept}
        raise await _refused(request, viewer, refusal, 400) from None
    if str(form.get(HONEYPOT, "")).strip():
        log.debug("Status page: a sign-up with the hidden field filled was dropped")
        return _answer(request, page="sent", kind=kind)
    try:
        done = await flow.subscribe(
            web_.services,
            kind=kind,
            address=address,
            components=chosen,
            client=client_address(request, web_.settings.subscriptions.trusted_proxies),
        )
    except flow.TooManySignUps as refused:
        raise await _refused(request, viewer, {"problem": refused.why, **kept}, 429) from None
    return _answer(request, page="sent", kind=kind, secret=done.secret)


async def confirm_page(request: web.Request) -> web.Response:
    """GET /status/confirm/<token>: a button that confirms (a link opened confirms nothing)."""
    _subscriptions_on(request)
    return _answer(request, page="confirm", token=request.match_info["token"])


async def confirm_form(request: web.Request) -> web.Response:
    """POST /status/confirm/<token>: subscribed from now on, or the link no longer works."""
    _subscriptions_on(request)
    confirmed = await flow.confirm(web_context(request).services, request.match_info["token"])
    return _answer(request, 200 if confirmed else 404, page="confirmed" if confirmed else "expired")


async def manage_page(request: web.Request) -> web.Response:
    """GET /status/manage/<token> (every notice's link): the address masked, the components
    to change, Save and Unsubscribe. The random token is the authority: no account."""
    token = request.match_info["token"]
    found = await flow.managed(web_context(request).services, token)
    if found is None:
        return _answer(request, 404, page="expired")
    return await _manage(request, token, found, saved=False)


async def _manage(
    request: web.Request, token: str, found: flow.Managed, *, saved: bool
) -> web.Response:
    known = await flow.known_components(web_context(request).services)
    # A component chosen earlier that no public incident names now stays offered, ticked.
    offered = known + [c for c in found.components if c not in known]
    return _answer(
        request,
        page="manage" if found.subscribed else "unsubscribed",
        token=token,
        masked=found.masked,
        components=offered,
        chosen=found.components,
        saved=saved,
    )


async def manage_form(request: web.Request) -> web.Response:
    """POST /status/manage/<token>: the components ticked are the subscription's from now on
    (none: all of them)."""
    token = request.match_info["token"]
    services = web_context(request).services
    try:
        form = await read_form(request)
    except FormUnreadable:
        return _answer(request, 400, page="unreadable")
    found = await flow.managed(services, token)
    if found is None:
        return _answer(request, 404, page="expired")
    offered = set(await flow.known_components(services)) | set(found.components)
    chosen = [c for c in form.getall("component", []) if c in offered]
    if not await flow.change_components(services, token, chosen):
        return await _manage(request, token, found, saved=False)
    changed = await flow.managed(services, token)
    assert changed is not None
    return await _manage(request, token, changed, saved=True)


async def unsubscribe_page(request: web.Request) -> web.Response:
    """GET /status/unsubscribe/<token>: a button that unsubscribes."""
    return _answer(request, page="unsubscribe", token=request.match_info["token"])


async def unsubscribe_form(request: web.Request) -> web.Response:
    """POST /status/unsubscribe/<token>: the button, or a mail client's one-click POST
    (RFC 8058, body ``List-Unsubscribe=One-Click``): unsubscribed, kept unsubscribed."""
    done = await flow.unsubscribe(web_context(request).services, request.match_info["token"])
    return _answer(request, 200 if done else 404, page="unsubscribed" if done else "expired")
