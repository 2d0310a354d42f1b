"""The web view: pages for people, a JSON API for automation, ``/metrics`` for scrapers,
served by the same process.

May import: everything below the incoming layer (``bot.flows``, ``bot.services``,
``bot.clients`` and lower) and ``bot.keys``.
"""

from __future__ import annotations

from aiohttp import web

from bot.web import api, auth, pages, status_page
from bot.web.context import web_context_ctx


def add_web_routes(app: web.Application) -> None:
    """The pages, sign-in, and the API (after the services exist: see create_app)."""
    app.cleanup_ctx.append(web_context_ctx)
    app.middlewares.append(pages.loopback_only)
    app.middlewares.append(pages.private_answers)
    app.middlewares.append(pages.page_errors)
    routes = app.router
    routes.add_get("/", pages.incident_list)
    routes.add_get("/incidents/{reference}", pages.incident_page)
    routes.add_get("/incidents/{reference}/history", pages.incident_history)
    routes.add_get("/incidents/{reference}/postmortem.md", pages.postmortem_markdown)
    routes.add_post("/incidents/{reference}/postmortem/sections/{section}", pages.save_section)
    routes.add_get("/insights", pages.insights_page)
    routes.add_get("/status", status_page.status_page)
    routes.add_get("/status/feed.atom", status_page.status_feed)
    routes.add_get("/login", auth.sign_in_page)
    routes.add_get("/auth/slack", auth.start_sign_in)
    routes.add_get(auth.CALLBACK_PATH, auth.finish_sign_in)
    routes.add_post("/logout", auth.sign_out)
    for operation in api.OPERATIONS:  # the same table the OpenAPI document describes
        routes.add_get(operation.path, operation.handler)
    routes.add_get("/api/openapi.json", api.openapi)


__all__ = ["add_web_routes"]
