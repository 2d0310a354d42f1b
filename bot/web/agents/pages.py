"""``/agents``: the tokens agents call /mcp with and how they are used. Warroom's admins
(the workspace's admins and owners, ``WARROOM_ADMINS``: ``bot.flows.rights.require_admin``,
Slack asked afresh on each page and form) see every token, make one (its value shown once,
on the page the form redirects to) and revoke one, each with a reason kept in the admin
record; a member sees only the tokens they made; a guest gets 403. Each row: name, scope,
whether it sees private incidents, who made it and when, expiry, last use, calls (in all and
in the last 24 hours by tool), and whether it works. Never a token's hash; its value only
once, to whoever made it."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.basics.numbers import parse_bounded_int
from bot.flows.administering import make_token, revoke_token, tokens_seen_by
from bot.flows.rights import NotAdmin, NotTheirs
from bot.record.agents import tokens
from bot.record.audit import ReasonRefused
from bot.record.people import known_names
from bot.store.db import session_scope
from bot.web.agents.endpoint import mcp_key
from bot.web.agents.usage import use_since
from bot.web.auth import admin_refused, posted_form, viewer_and_csrf
from bot.web.context import web_context
from bot.web.notices import drawn_once, redirect_with_notice, refused_back
from bot.web.pages_common import guests_refused, render_page, with_own_script
from bot.web.visibility import Viewer

log = logging.getLogger(__name__)
# The longest expiry the form takes, in days (ten years).
LONGEST_DAYS = 3650
FIELDS = ("name", "scope", "expires", "reason")


async def agents_page(request: web.Request) -> web.Response:
    """GET /agents: the tokens the viewer may see, newest last, with their use."""
    viewer, csrf = viewer_and_csrf(request)
    if viewer.guest:
        return guests_refused(request, "agents_guests", viewer=viewer, csrf=csrf)
    # Slack is asked once, afresh, whether a guest or an admin (``_render``).
    return await drawn_once(request, viewer, csrf, _render)


async def create_token_form(request: web.Request) -> web.Response:
    """POST /agents: an admin makes a token; its value is shown once on /agents."""
    web_ = web_context(request)
    viewer, csrf, form = await posted_form(request)
    fields = {key: " ".join(str(form.get(key, "")).split()) for key in FIELDS}
    fields["reason"] = str(form.get("reason", ""))
    expires = None
    try:
        if fields["expires"]:
            expires = parse_bounded_int(fields["expires"], 1, LONGEST_DAYS)
            if expires is None:
                raise tokens.TokenRefused(f"expires: a number of days, 1 to {LONGEST_DAYS}")
        row, value = await make_token(
            web_.services,
            by=viewer.author,
            name=fields["name"],
            scope=fields["scope"],
            private=form.get("private") == "yes",
            expires_days=expires,
            reason=fields["reason"],
        )
    except (NotTheirs, NotAdmin) as refusal:
        return admin_refused(request, viewer, csrf, refusal)
    except (tokens.TokenRefused, ReasonRefused) as refusal:
        said = {"refused": str(refusal), "form": fields}
        raise await refused_back(request, viewer, "/agents", said) from None
    notice = {"made": row.name, "value": value}
    raise await redirect_with_notice(request, viewer, "/agents", notice, secret=value)


async def revoke_token_form(request: web.Request) -> web.Response:
    """POST /agents/<name>/revoke: an admin stops a token now, saying why."""
    web_ = web_context(request)
    viewer, csrf, form = await posted_form(request)
    name = request.match_info["name"]
    try:
        await revoke_token(
            web_.services, by=viewer.author, name=name, reason=str(form.get("reason", ""))
        )
    except (NotTheirs, NotAdmin) as refusal:
        return admin_refused(request, viewer, csrf, refusal)
    except (tokens.TokenRefused, ReasonRefused) as refusal:
        said = {"refused": f"{name} was not revoked: {refusal}"}
        raise await refused_back(request, viewer, "/agents", said) from None
    raise await redirect_with_notice(request, viewer, "/agents", {"revoked": name})


async def _render(
    request: web.Request,
    viewer: Viewer,
    csrf: str,
    *,
    notice: Mapping[str, Any] | None = None,
    refused: str | None = None,
    form: Mapping[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    web_ = web_context(request)
    # What this process counted since its last flush, first: the page is up to date.
    await request.app[mcp_key].usage.flush(web_.services.engine)
    try:
        admin, rows = await tokens_seen_by(web_.services, viewer.author)
    except NotTheirs:  # a guest Slack names now, the session being older
        return guests_refused(request, "agents_guests", viewer=viewer, csrf=csrf)
    now = web_.services.clock()
    async with session_scope(web_.services.engine) as session:
        used = await use_since(session, now - timedelta(hours=24))
        names = await known_names(session, [row.created_by for row in rows if row.created_by])
    page = render_page(
        request,
        "web/agents.html.j2",
        status=status,
        viewer=viewer,
        csrf=csrf,
        now=now,
        zone=web_.settings.incidents.timezone,
        tokens=rows,
        used={row.name: used.get(row.name, Counter()) for row in rows},
        works={row.name: tokens.works(row, now) for row in rows},
        admin=admin,
        names=names,
        notice=notice,
        refused=refused,
        form=form or {},
        scopes=tokens.SCOPES,
        longest_days=LONGEST_DAYS,
    )
    # Its Copy buttons (templates/web/_copy.html.j2) run its own script.
    return with_own_script(page)
