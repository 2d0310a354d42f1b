"""Rendering a page: the template, its security headers, and the viewer's context; the zone a
page shows times in (``?tz=``, ``viewer_zone``), which every domain's pages share."""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from aiohttp import StreamReader, web
from aiohttp.typedefs import Handler
from multidict import MultiDictProxy

from bot.basics.errors import BotError
from bot.basics.render import without_forbidden_characters
from bot.flows.postmortem.suggestions import own_hosts
from bot.keys import settings_key
from bot.record.people import known_names
from bot.store.db import session_scope
from bot.store.models import Incident
from bot.web.context import web_context

# An unknown zone is named back in the page up to this many characters.
ZONE_SHOWN_MAX = 64
# A page asked for in a zone that does not exist: shown in its default zone, the zone's field
# saying why, as a form refusing what was typed (bad input is a 400 at its field).
ZONE_REFUSED = 400

_CHUNK = 64 * 1024

# Pages load nothing from elsewhere and run no script; styles are inline with a nonce.
_CSP = (
    "default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self' data:; "
    "form-action 'self' {authorize}; frame-ancestors 'none'; base-uri 'none'"
)


def security_headers(response: web.StreamResponse, nonce: str, authorize: str) -> None:
    response.headers["Content-Security-Policy"] = _CSP.format(nonce=nonce, authorize=authorize)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"


def render_page(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    """An HTML page from ``templates/web/``, with the security headers every page gets, and
    the workspace's own hosts (``own_hosts``), which no link another system gave may pass for
    on it, as in Slack."""
    web_ = web_context(request)
    nonce = secrets.token_urlsafe(16)
    html = web_.services.renderer.render(
        template,
        nonce=nonce,
        sign_in_off=web_.sign_in_off,
        own_hosts=own_hosts(web_.services),
        viewer=context.pop("viewer", None),
        csrf=context.pop("csrf", ""),
        live_only=request.query.get("part") == LIVE_PART,
        **context,
    )
    # Encoded once for HTML: a query string or a person's words may hold characters no HTML
    # document may carry (U+0000, ESC...), which the page drops rather than repeats.
    html = without_forbidden_characters(html)
    response = web.Response(text=html, status=status, content_type="text/html")
    authorize = web_.settings.web.oidc_authorize_url.split("?", 1)[0]
    security_headers(response, nonce, authorize)
    return response


def with_own_script(response: web.Response, *, fetches: bool = False) -> web.Response:
    """The page's own inline script (carrying the page's nonce) allowed to run, and no other:
    the draft's Print button; ``fetches``: it may fetch from this site only (the alerts'
    worklist fetching its list again)."""
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", policy)
    if nonce:
        policy = f"{policy}; script-src 'nonce-{nonce[1]}'"
        response.headers["Content-Security-Policy"] = policy + (
            "; connect-src 'self'" if fetches else ""
        )
    return response


# How often a live page's parts are fetched again while it is shown (templates/web/_live.html.j2):
# an incident declared in Slack is on an open list within this.
LIVE_SECONDS = 5
# ``?part=live``: a page's main part alone, without the document around it (whose styles,
# parsed again by the script, the content security policy would refuse).
LIVE_PART = "live"


def live_page(response: web.Response) -> web.Response:
    """A page with live parts (templates/web/_live.html.j2): its script may run and fetch
    the page again from this site."""
    return with_own_script(response, fetches=True)


def guests_refused(request: web.Request, problem: str, **context: Any) -> web.Response:
    """403: a page of the workspace's members (on call, maintenance windows) asked for by a
    guest of the workspace; ``problem`` names which (templates/web/error.html.j2)."""
    return render_page(request, "web/error.html.j2", status=403, problem=problem, **context)


class FormUnreadable(ValueError):
    """A posted form that is not text in its charset, or larger than the server takes
    (``too_large``): its page is sent to say so (bot/web/form_refused.py)."""

    def __init__(self, *, too_large: bool = False) -> None:
        super().__init__("the form is larger than the server takes" if too_large else "")
        self.too_large = too_large


async def read_form(request: web.Request) -> MultiDictProxy[Any]:
    """The posted form's fields. aiohttp decodes them with the charset the request names and
    raises on bytes that are not text in it, or a charset Python does not know."""
    try:
        return await request.post()
    except web.HTTPRequestEntityTooLarge as error:
        raise FormUnreadable(too_large=True) from error
    except (ValueError, LookupError) as error:
        raise FormUnreadable from error


def not_allowed(request: web.Request, incident: Incident) -> web.Response:
    """403: only the incident's own people write its postmortem (it goes to the channel's
    canvas under the bot's name), not everyone who may read it."""
    return render_page(
        request,
        "web/error.html.j2",
        status=403,
        problem="not_allowed",
        channel=incident.channel_name or "",
    )


class BodyTooLarge(Exception):
    pass


class BodyTooSlow(Exception):
    """The request's body did not arrive within ``WARROOM_BODY_READ_SECONDS`` of its headers:
    raised by whatever reads it (``read_body``, ``request.read()``…)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the request's body did not arrive within {seconds:g} s")


@web.middleware
async def body_deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A request whose body has not all arrived ``WARROOM_BODY_READ_SECONDS`` after its
    headers is cut off: its reads raise ``BodyTooSlow`` (408 unless the handler answers it in
    its own words), and its connection is closed once it is answered, not kept waiting for
    the rest. Every handler's reads, whatever reads them: a sender that sends half a body and
    stalls holds neither a handler nor a connection for longer."""
    content = request.content
    if content.is_eof():  # no body, or all of it came with the headers: nearly every request
        return await handler(request)
    seconds = request.app[settings_key].runtime.body_read_seconds
    late = BodyTooSlow(seconds)
    timer = asyncio.get_running_loop().call_later(seconds, _cut_off, content, late)
    try:
        response = await handler(request)
    except BodyTooSlow as slow:
        response = web.json_response({"error": str(slow)}, status=408)
    finally:
        timer.cancel()
    if content.exception() is late:
        await _answered_and_closed(request, response)
    return response


def _cut_off(content: StreamReader, late: BodyTooSlow) -> None:
    if not content.is_eof():
        content.set_exception(late)


async def _answered_and_closed(request: web.Request, response: web.StreamResponse) -> None:
    """``response`` sent now (if the sender still reads) and the connection closed: aiohttp
    would otherwise wait up to ten more seconds for the rest of the body before it closes."""
    with contextlib.suppress(ConnectionError):
        await response.prepare(request)
        await response.write_eof()
    request.protocol.force_close()


async def refused_page(
    request: web.Request, incident: Incident, problem: str, refused: BotError
) -> web.Response:
    """The page that says why an agent's note or a model's suggestion was not accepted: 404
    when there is no such one, 409 when someone else already decided it (named)."""
    by = refused.context.get("by")
    async with session_scope(web_context(request).services.engine) as session:
        names = await known_names(session, [by] if by else [])
    return render_page(
        request,
        "web/error.html.j2",
        status=404 if refused.context.get("reason") == "unknown" else 409,
        problem=problem,
        refused=refused.context,
        by_name=names.get(by or "", by or "someone"),
        incident=incident,
    )


async def read_body(request: web.Request, limit: int) -> bytes:
    """The body, refused early by its declared length and again while reading it."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge()
    chunks, size = [], 0
    while chunk := await request.content.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def viewer_zone(asked: str | None, default: str = "UTC") -> tuple[str, str | None]:
    """(the zone to show times in, the zone asked for when it is unknown): ``?tz=`` on the
    pages that show times in the viewer's zone, ``default`` when none is asked for.

    Only an IANA zone name from the zone database's own list: a name is never handed to a
    zone loader as it came, since loaders open files by it (``/etc/passwd``, ``../..``).
    """
    if not asked:
        return default, None
    if asked in _zone_names():
        return asked, None
    return default, asked[:ZONE_SHOWN_MAX]
