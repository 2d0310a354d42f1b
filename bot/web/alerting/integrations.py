"""The integrations: ``/integrations``, every one, and each service's on its page
(``/services/<name>``): name, kind, service, the URL its sender is pointed to, how many alerts
it sent and the last one's time, revoked or working. Never a key (warroom keeps only their
hashes; a Sentry client secret is never shown either), but once: warroom's admins
(``bot.flows.rights.require_admin``) make one on ``/integrations`` (its key and URL shown
on the page the form redirects to, this once) and revoke one, each with a reason kept in the
admin record; as ``warroom integrations`` does on the command line.

For the workspace's members: a guest gets 403, as for the services.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.flows.administering import make_integration, revoke_integration
from bot.flows.rights import NotAdmin, NotTheirs, is_admin
from bot.record.alerting import integrations
from bot.record.alerting.sources.registry import SOURCES
from bot.record.audit import ReasonRefused
from bot.store.db import session_scope
from bot.web.auth import admin_refused, posted_form, viewer_and_csrf
from bot.web.context import WebContext, web_context
from bot.web.notices import drawn_once, redirect_with_notice, refused_back
from bot.web.pages_common import guests_refused, render_page, with_own_script
from bot.web.visibility import Viewer

FIELDS = ("kind", "service", "name", "topic", "reason")


@dataclass(frozen=True)
class IntegrationView:
    """One integration as the pages show it: what a member needs to repoint its sender."""

    name: str
    kind: str
    service: str
    url: str
    alerts: int
    last_alert_at: datetime | None
    revoked_at: datetime | None


async def integration_views(web_: WebContext, service: str | None = None) -> list[IntegrationView]:
    """Every integration (``service``'s only, when given), oldest first."""
    async with session_scope(web_.services.engine) as session:
        rows = await integrations.every_integration(session, service=service)
    public_url = web_.settings.web.public_url
    return [
        IntegrationView(
            name=row.name,
            kind=row.kind,
            service=row.service,
            url=integrations.url_for(public_url, row.kind),
            alerts=row.alerts,
            last_alert_at=row.last_alert_at,
            revoked_at=row.revoked_at,
        )
        for row in rows
    ]


async def integrations_page(request: web.Request) -> web.Response:
    """GET /integrations: every integration; for an admin, the forms."""
    viewer, csrf = viewer_and_csrf(request)
    if viewer.guest:
        return guests_refused(request, "services_guests", viewer=viewer, csrf=csrf)
    # Slack is asked once, afresh, whether a guest or an admin (``_render``).
    return await drawn_once(request, viewer, csrf, _render)


async def create_integration_form(request: web.Request) -> web.Response:
    """POST /integrations: an admin makes an integration; its key is shown once."""
    web_ = web_context(request)
    viewer, csrf, form = await posted_form(request)
    fields = {key: " ".join(str(form.get(key, "")).split()) for key in FIELDS}
    fields["reason"] = str(form.get("reason", ""))
    secret = str(form.get("secret", "")).strip() or None
    try:
        row, key = await make_integration(
            web_.services,
            by=viewer.author,
            kind=fields["kind"],
            service=fields["service"],
            name=fields["name"] or None,
            topic=fields["topic"] or None,
            secret=secret,
            reason=fields["reason"],
        )
    except (NotTheirs, NotAdmin) as refusal:
        return admin_refused(request, viewer, csrf, refusal)
    except (integrations.IntegrationRefused, ReasonRefused) as refusal:
        said = {"refused": str(refusal), "form": fields}
        raise await refused_back(request, viewer, "/integrations", said) from None
    settings = web_.settings
    url = integrations.url_for(
        settings.web.public_url, row.kind, key=key, name=row.name,
        mail_domain=settings.bounces.domain,
    )  # fmt: skip
    # A vendor's own secret (Sentry's) is theirs: not shown back, only where to send.
    shown = None if SOURCES.vendor_secret(row.kind) else key
    notice = {"made": row.name, "key": shown, "url": url if shown else None}
    raise await redirect_with_notice(request, viewer, "/integrations", notice, secret=shown)


async def revoke_integration_form(request: web.Request) -> web.Response:
    """POST /integrations/<name>/revoke: an admin stops an integration now, saying why."""
    web_ = web_context(request)
    viewer, csrf, form = await posted_form(request)
    name = request.match_info["name"]
    try:
        await revoke_integration(
            web_.services, by=viewer.author, name=name, reason=str(form.get("reason", ""))
        )
    except (NotTheirs, NotAdmin) as refusal:
        return admin_refused(request, viewer, csrf, refusal)
    except (integrations.IntegrationRefused, ReasonRefused) as refusal:
        said = {"refused": f"{name} was not revoked: {refusal}"}
        raise await refused_back(request, viewer, "/integrations", said) from None
    raise await redirect_with_notice(request, viewer, "/integrations", {"revoked": name})


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
    try:
        admin = await is_admin(web_.services, viewer.author)
    except NotTheirs:  # a guest Slack names now, the session being older
        return guests_refused(request, "services_guests", viewer=viewer, csrf=csrf)
    catalog = web_.settings.alerting.catalog
    page = render_page(
        request,
        "web/integrations.html.j2",
        status=status,
        viewer=viewer,
        csrf=csrf,
        integrations=await integration_views(web_),
        zone=web_.settings.incidents.timezone,
        admin=admin,
        notice=notice,
        refused=refused,
        form=form or {},
        kinds=SOURCES.kinds(),
        signed=SOURCES.vendor_secret_kinds(),
        services=sorted(catalog.by_name) if catalog.by_name else [],
    )
    # Its Copy buttons (templates/web/_copy.html.j2) run its own script.
    return with_own_script(page)
