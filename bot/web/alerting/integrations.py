"""The integrations, read only: ``/integrations``, every one, and each service's on its page
(``/services/<name>``): name, kind, service, the URL its sender is pointed to, how many alerts
it sent and the last one's time, revoked or working. Never a key (warroom keeps only their
hashes; a Sentry client secret is never shown either). Making and revoking them is the
command line's (``warroom integrations``).

For the workspace's members: a guest gets 403, as for the services.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from bot.record.alerting import integrations
from bot.store.db import session_scope
from bot.web.auth import guest_viewer, viewer_and_csrf
from bot.web.context import WebContext, web_context
from bot.web.pages_common import guests_refused, render_page


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
    """GET /integrations: every integration."""
    web_ = web_context(request)
    viewer, csrf = viewer_and_csrf(request)
    if await guest_viewer(request, viewer):
        return guests_refused(request, "services_guests", viewer=viewer, csrf=csrf)
    return render_page(
        request,
        "web/integrations.html.j2",
        viewer=viewer,
        csrf=csrf,
        integrations=await integration_views(web_),
        zone=web_.settings.incidents.timezone,
    )
