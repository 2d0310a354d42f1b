"""Sign in with Slack (OpenID Connect), the session cookie, CSRF tokens, and who is asking.

Pages need a signed-in person; the JSON API also takes ``Authorization: Bearer
<WARROOM_API_TOKEN>``. With ``WARROOM_WEB_AUTH=none`` nobody signs in and everything shows
(the pages and the API then answer only requests from this machine: ``pages.web_view_rules``).
"""

from __future__ import annotations

import hmac
import logging
import secrets
import urllib.parse
from dataclasses import replace
from datetime import timedelta
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.basics.numbers import parse_token
from bot.clients.slack.errors import SlackFailure
from bot.clients.slack.web_api import MemberFacts, OAuthApp
from bot.flows.people import is_guest
from bot.flows.rights import NotAdmin, NotTheirs
from bot.record.oncall.zones import known_zone
from bot.record.people import remember_names, remember_zone
from bot.store.db import session_scope
from bot.web.context import WebContext, web_context
from bot.web.pages_common import guests_refused, read_form, render_page
from bot.web.sessions import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    SIGN_IN_MINUTES,
    Session,
    session_expiry,
)
from bot.web.visibility import Viewer

log = logging.getLogger(__name__)
CALLBACK_PATH = "/auth/slack/callback"
_SESSION_PURPOSE = "session"
_SIGN_IN_PURPOSE = "sign-in"
_CSRF_PURPOSE = "csrf"
_NEW_SESSION = web.RequestKey("new_session", Session)
# How the API token's holder is named as a viewer.
API_TOKEN_HOLDER = "API token"


class SignInNeeded(Exception):
    """The request has no valid session."""


# -- who is asking -------------------------------------------------------------------------
def session_of(request: web.Request) -> Session | None:
    web_ = web_context(request)
    payload = web_.signer.check(
        _SESSION_PURPOSE, request.cookies.get(SESSION_COOKIE), web_.services.clock()
    )
    return Session.from_payload(payload) if payload else None


def page_viewer(request: web.Request) -> Viewer:
    """The person looking at a page; SignInNeeded when nobody is signed in."""
    web_ = web_context(request)
    session = session_of(request)
    if web_.sign_in_off:
        return Viewer(None, "local", None, True, session.session_id if session else "")
    if session is None or session.user_id is None:
        raise SignInNeeded
    return Viewer(
        session.user_id, session.name, session.team_id, False, session.session_id, session.guest
    )


def api_viewer(request: web.Request) -> Viewer | None:
    """Who calls the API: the token's holder, a signed-in browser, or None."""
    web_ = web_context(request)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    expected = str(web_.settings.web.api_token)
    if scheme.lower() == "bearer" and expected:
        # "replace": bytes aiohttp could not decode arrive as lone surrogates, which a strict
        # encode refuses (a 500 instead of a 401).
        if hmac.compare_digest(token.strip().encode("utf-8", "replace"), expected.encode()):
            return Viewer(None, API_TOKEN_HOLDER, None, True)
        return None
    try:
        return page_viewer(request)
    except SignInNeeded:
        return None


def csrf_token(request: web.Request, viewer: Viewer) -> str:
    return web_context(request).signer.token(_CSRF_PURPOSE, viewer.session_id)


def check_csrf(request: web.Request, viewer: Viewer, submitted: object) -> None:
    """403 unless the form carries this session's token."""
    token = parse_token(submitted)
    if not viewer.session_id or token is None:
        raise web.HTTPForbidden(text="This form has expired: reload the page and try again.")
    if not hmac.compare_digest(token, csrf_token(request, viewer)):
        raise web.HTTPForbidden(text="This form has expired: reload the page and try again.")


def with_session(request: web.Request, viewer: Viewer) -> Viewer:
    """With sign-in off, a first visit gets an anonymous session, so its forms carry a token;
    ``keep_new_session`` sets its cookie on the response."""
    if viewer.session_id:
        return viewer
    session = Session.new(None, None, "local")
    request[_NEW_SESSION] = session
    return replace(viewer, session_id=session.session_id)


def keep_new_session(request: web.Request, response: web.StreamResponse) -> None:
    session = request.get(_NEW_SESSION)
    if session is not None and not response.prepared:
        _set_session_cookie(request, response, session)


def _secure(request: web.Request, web_: WebContext) -> bool:
    return web_.settings.web.public_url.startswith("https://") or request.secure


def _set_session_cookie(
    request: web.Request, response: web.StreamResponse, session: Session
) -> None:
    web_ = web_context(request)
    expires = session_expiry(web_.services.clock(), web_.settings.web.session_hours)
    response.set_cookie(
        SESSION_COOKIE,
        web_.signer.sign(_SESSION_PURPOSE, session.payload(), expires),
        max_age=int(web_.settings.web.session_hours * 3600),
        httponly=True,
        secure=_secure(request, web_),
        samesite="Lax",
        path="/",
    )


# -- signing in ----------------------------------------------------------------------------
def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so
    ``/\t/evil.example`` would leave the site: anything but plain printable text is refused.
    """
    if not target or any(ch.isspace() or not ch.isprintable() or ch == "\\" for ch in target):
        return "/"
    parts = urllib.parse.urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def callback_url(request: web.Request) -> str:
    base = web_context(request).settings.web.public_url or f"{request.scheme}://{request.host}"
    return base + CALLBACK_PATH


async def sign_in_page(request: web.Request) -> web.Response:
    """GET /login: the "Sign in with Slack" button (or why sign-in is not available)."""
    web_ = web_context(request)
    if web_.sign_in_off:
        raise web.HTTPFound("/")
    return render_page(
        request,
        "web/login.html.j2",
        status=200 if web_.settings.web.sign_in_ready else 503,
        next=safe_next(request.query.get("next")),
        ready=web_.settings.web.sign_in_ready,
        failed=request.query.get("failed"),
    )


async def start_sign_in(request: web.Request) -> web.Response:
    """GET /auth/slack: off to Slack's authorize page, with a state only this browser has."""
    web_ = web_context(request)
    if web_.sign_in_off or not web_.settings.web.sign_in_ready:
        raise web.HTTPFound("/login")
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    expires = web_.services.clock() + timedelta(minutes=SIGN_IN_MINUTES)
    pending = {"state": state, "next": safe_next(request.query.get("next"))}
    query = {
        "response_type": "code",
        # Sign in with Slack's scopes, in this flow of their own: never the install's.
        "scope": "openid profile email",
        "client_id": web_.settings.web.slack_client_id,
        "redirect_uri": callback_url(request),
        "state": state,
        "nonce": nonce,
    }
    if team := await _workspace_if_known(web_):
        query["team"] = team  # Slack then offers this workspace only
    response = web.HTTPFound(
        f"{web_.settings.web.oidc_authorize_url}?{urllib.parse.urlencode(query)}"
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        web_.signer.sign(_SIGN_IN_PURPOSE, pending, expires),
        max_age=SIGN_IN_MINUTES * 60,
        httponly=True,
        secure=_secure(request, web_),
        samesite="Lax",
        path="/auth/",
    )
    raise response


async def finish_sign_in(request: web.Request) -> web.Response:
    """GET /auth/slack/callback: check the state, trade the code, learn who it is."""
    web_ = web_context(request)
    pending = web_.signer.check(
        _SIGN_IN_PURPOSE, request.cookies.get(SIGN_IN_COOKIE), web_.services.clock()
    )
    state = parse_token(request.query.get("state"))
    if pending is None or state is None:
        return _sign_in_failed("expired")
    if not hmac.compare_digest(str(pending.get("state")), state):
        return _sign_in_failed("expired")
    code = parse_token(request.query.get("code"))  # Slack's are digits, dots and hex
    if "error" in request.query or code is None:
        return _sign_in_failed("denied")
    try:
        person, facts = await _person_from_slack(request, web_, code)
    except SlackFailure as error:
        log.warning("sign-in with Slack failed: %s", error.code)
        return _sign_in_failed("slack")
    if person.team_id != await web_.services.slack.team_id():
        return _sign_in_failed("workspace")
    async with session_scope(web_.services.engine) as db:
        now = web_.services.clock()
        await remember_names(db, {person.user_id or "": person.name}, now)
        if facts.timezone and known_zone(facts.timezone):
            await db.flush()
            await remember_zone(db, person.user_id or "", facts.timezone, now)
        await db.commit()
    response = web.HTTPSeeOther(safe_next(str(pending.get("next"))))
    _set_session_cookie(request, response, person)
    response.del_cookie(SIGN_IN_COOKIE, path="/auth/")
    raise response


async def _person_from_slack(
    request: web.Request, web_: WebContext, code: str
) -> tuple[Session, MemberFacts]:
    app = OAuthApp(web_.settings.web.slack_client_id, str(web_.settings.web.slack_client_secret))
    person = await web_.services.slack.sign_in(app, code, callback_url(request))
    facts = await _member_facts(web_, person.user_id)
    return Session.new(person.user_id, person.team_id, person.name, guest=facts.guest), facts


async def _member_facts(web_: WebContext, user_id: str) -> MemberFacts:
    """Whether the person is a guest, and their zone. When Slack will not say, they are taken
    for a guest: they see less, never more."""
    try:
        return await web_.services.slack.member_facts(user_id)
    except SlackFailure as error:
        log.warning("users.info for %s failed at sign-in: %s", user_id, error.code)
        return MemberFacts(guest=True, timezone=None)


async def _workspace_if_known(web_: WebContext) -> str | None:
    """The workspace to offer at Slack's sign-in page; None when Slack cannot say now (the
    person then picks it, and the callback still admits this workspace's people only)."""
    try:
        return await web_.services.slack.team_id()
    except SlackFailure as error:
        log.warning("signing in without naming the workspace: %s", error.code)
        return None


def _sign_in_failed(reason: str) -> web.Response:
    raise web.HTTPSeeOther(f"/login?failed={reason}")


async def sign_out(request: web.Request) -> web.Response:
    """POST /logout (with the form's CSRF token)."""
    viewer = page_viewer(request)
    check_csrf(request, viewer, (await read_form(request)).get("csrf"))
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


def viewer_and_csrf(request: web.Request) -> tuple[Viewer, str]:
    """The person looking at a page, and the token its forms carry."""
    viewer = with_session(request, page_viewer(request))
    return viewer, csrf_token(request, viewer)


async def posted_form(request: web.Request) -> tuple[Viewer, str, MultiDictProxy[Any]]:
    """Who posted a form (its token checked: 403 otherwise), a token for the page shown
    again, and the form's fields."""
    viewer = page_viewer(request)
    form = await read_form(request)
    check_csrf(request, viewer, form.get("csrf"))
    _, csrf = viewer_and_csrf(request)
    return viewer, csrf, form


def admin_refused(
    request: web.Request, viewer: Viewer, csrf: str, refusal: NotTheirs | NotAdmin
) -> web.Response:
    """403: a form only warroom's admins may send (tokens, integrations); a guest is told as
    guests are everywhere, a member that only admins may."""
    if isinstance(refusal, NotTheirs):
        return guests_refused(request, "admin_guests", viewer=viewer, csrf=csrf)
    return render_page(
        request, "web/error.html.j2", status=403, problem="not_admin", viewer=viewer, csrf=csrf
    )


async def guest_viewer(request: web.Request, viewer: Viewer) -> bool:
    """Whether the viewer is a guest of the workspace: their session says so, or Slack does
    now (``users.info``, asked afresh: a member made a guest since signing in sees nothing)."""
    if viewer.guest:
        return True
    services = web_context(request).services
    return viewer.user_id is not None and await is_guest(services, viewer.user_id)
