"""A person's own contact methods on their page (``/oncall/people/<user id>``): they add one
(a code is sent to it), verify it with that code, test it and remove it, through the flows
``/oncall contact`` uses (``bot.flows.paging.own_contacts``, ``trying``): the same checks,
the same limits on codes and tests, the same refusals, said in the page's words. Each form
answers with a redirect to the page, which says the answer once (``bot.web.notices``); each
change is kept in the admin record. Only the person themselves: anyone else's form is 403,
a guest's too (the flow asks Slack afresh), and with sign-in off nobody's (the operator has
the contacts file)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from aiohttp import web
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.basics.errors import UsageError
from bot.clients.phone import registry
from bot.config import Settings
from bot.flows.paging.destinations.registry import find
from bot.flows.paging.own_contacts import add_contact, remove_contact, verify_contact
from bot.flows.paging.trying import test_page
from bot.flows.rights import NotTheirs
from bot.record.paging import own
from bot.record.paging.contacts import DEFAULT_PHONE_PROVIDER, masked
from bot.store.db import session_scope
from bot.web.auth import check_csrf, page_viewer, viewer_and_csrf
from bot.web.context import web_context
from bot.web.notices import redirect_with_notice
from bot.web.pages_common import guests_refused, read_form, render_page
from bot.web.routing import Handler

log = logging.getLogger(__name__)
WORDS = "web/contact_answer.html.j2"
# What a form's field may hold at most (a number, an address, a code, a reason).
LONGEST_FIELD = 500


@dataclass(frozen=True)
class OwnMethod:
    """One of the person's own methods as their page shows it: never the whole address."""

    name: str
    kind: str
    where: str
    verified: bool
    tested_at: datetime | None


def offered_kinds(settings: Settings) -> list[str]:
    """The kinds the add form offers: those warroom can send a code through now."""
    paging = settings.paging
    # A number added here goes through the default provider, as ``/oncall contact add`` does
    # without ``via``.
    phone = registry.named(DEFAULT_PHONE_PROVIDER).configured(settings)
    return [
        kind
        for kind, on in (
            ("sms", phone),
            ("voice", phone),
            ("email", paging.smtp_on),
            ("ntfy", bool(paging.ntfy_url)),
            ("pushover", bool(paging.pushover_token)),
        )
        if on
    ]


async def own_methods(engine: AsyncEngine, user: str) -> list[OwnMethod]:
    """The methods ``user`` added themselves, by name, masked."""
    async with session_scope(engine) as session:
        rows = await own.methods_of(session, user)
    return [
        OwnMethod(
            row.name,
            row.kind,
            masked(row.kind, row.address),
            row.verified_at is not None,
            row.tested_at,
        )
        for row in rows
    ]


def answer_notice(said: str, typed: Mapping[str, str], section: str = "contacts") -> dict[str, Any]:
    """The flow's answer in the page's words: whether it refused, and its HTML (for the
    page's ``section``); refused, what was ``typed`` too, given back in the form."""
    verdict, _, words = said.partition("\n")
    refused = verdict.strip() != "ok"
    key = "contact" if section == "contacts" else section
    return {key: words.strip(), "refused": refused, "typed": dict(typed) if refused else {}}


def answer_markup(notice: dict[str, Any] | None, section: str = "contacts") -> Markup | None:
    """The answer's HTML for the page's ``section``, rendered from warroom's own template
    and carried in a cookie warroom signed (never a person's words unescaped)."""
    key = "contact" if section == "contacts" else section
    if not notice or not isinstance(notice.get(key), str):
        return None
    return Markup(notice[key])


Said = Callable[[web.Request, str, dict[str, str]], Awaitable[str]]


def own_form(*names: str, section: str = "contacts") -> Callable[[Said], Handler]:
    """A form of the person's own: its token checked (403 otherwise), then theirs alone
    (another's page, a guest, sign-in off: 403 in words), then the flow's answer said once on
    their page, at its ``section``, after a redirect. ``names``: the fields read, trimmed."""

    def wrap(said: Said) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            viewer = page_viewer(request)
            form = await read_form(request)
            check_csrf(request, viewer, form.get("csrf"))
            user = request.match_info["user"]
            _, csrf = viewer_and_csrf(request)
            if viewer.guest:
                return guests_refused(request, "oncall_guests", viewer=viewer, csrf=csrf)
            if viewer.user_id != user:
                return render_page(
                    request, "web/error.html.j2", status=403, problem=f"{section}_not_yours",
                    name=user[:40], viewer=viewer, csrf=csrf,
                )  # fmt: skip
            fields = {name: str(form.get(name, "")).strip()[:LONGEST_FIELD] for name in names}
            try:
                answer = await said(request, user, fields)
            except NotTheirs:  # a guest Slack names now, the session being older
                return guests_refused(request, "oncall_guests", viewer=viewer, csrf=csrf)
            location = f"/oncall/people/{user}#{section}"
            notice = answer_notice(answer, fields, section)
            raise await redirect_with_notice(request, viewer, location, notice)

        handler.__doc__ = said.__doc__
        return handler

    return wrap


@own_form("kind", "address", "reason")
async def add_contact_form(request: web.Request, user: str, fields: dict[str, str]) -> str:
    """POST /oncall/people/<user>/contacts: add a method; a code is sent to it."""
    web_ = web_context(request)
    kind = fields["kind"].lower()
    if kind not in offered_kinds(web_.settings):
        return "refused\nNot added: choose one of the methods the form offers."
    try:
        return await add_contact(
            web_.services,
            user=user,
            kind=kind,
            # A method whose address warroom makes (ntfy's topic) takes none from the form.
            address=None if _makes_address(kind) else fields["address"] or None,
            reason=fields["reason"],
            words=WORDS,
        )
    except UsageError as problem:
        return f"refused\nNot added: {escape(_plain(problem))}"


def _makes_address(kind: str) -> bool:
    destination = find(kind)
    return destination is not None and destination.makes_address is not None


@own_form("code")
async def verify_contact_form(request: web.Request, user: str, fields: dict[str, str]) -> str:
    """POST /oncall/people/<user>/contacts/<name>/verify: the code the method received."""
    return await verify_contact(
        web_context(request).services,
        user=user,
        name=request.match_info["name"],
        code=fields["code"],
        words=WORDS,
    )


@own_form()
async def test_contact_form(request: web.Request, user: str, _fields: dict[str, str]) -> str:
    """POST /oncall/people/<user>/contacts/<name>/test: a test page through that method."""
    return await test_page(
        web_context(request).services, user=user, name=request.match_info["name"], words=WORDS
    )


@own_form("reason")
async def remove_contact_form(request: web.Request, user: str, fields: dict[str, str]) -> str:
    """POST /oncall/people/<user>/contacts/<name>/remove: nothing pages them there any more."""
    return await remove_contact(
        web_context(request).services,
        user=user,
        name=request.match_info["name"],
        reason=fields["reason"],
        words=WORDS,
    )


def _plain(problem: UsageError) -> str:
    """A usage error's words without Slack's code marks."""
    return str(problem.context.get("message") or problem).replace("`", "")
