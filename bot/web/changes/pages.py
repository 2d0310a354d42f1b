"""The change events, read only: ``/changes`` (every service's, or one's, over a window),
``GET /api/changes`` (``CHANGE_OPERATIONS``, with ``POST /api/changes`` where they arrive),
and the agents' ``list_changes``: one reader, ``change_list``, for all three.

For the workspace's members, as the services are (a guest gets 403 on the page and an empty
list from the API).
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from bot.record.changes.events import changes_on, window_of
from bot.store.db import session_scope
from bot.web.api.answers import api_caller, api_error, change_public, json_answer
from bot.web.api.models import ChangeAcceptedPublic, ChangeListPublic, ErrorPublic
from bot.web.auth import guest_viewer, viewer_and_csrf
from bot.web.changes.receivers import API_PATH, receive_change
from bot.web.context import WebContext, web_context
from bot.web.openapi import Answer, Operation
from bot.web.pages_common import guests_refused, render_page
from bot.web.visibility import Viewer

DEFAULT_WINDOW = "24h"
# What the OpenAPI document says a service and a window are (the reader takes 1h30m too).
SERVICE = "^[a-z0-9][a-z0-9_-]{0,79}$"
WINDOW = "^[1-9][0-9]{0,4}[mhd]$"
LIMIT = 200


class BadWindow(ValueError):
    """A window or a service the list cannot be asked for: the message says why."""


async def change_list(
    web_: WebContext,
    viewer: Viewer,
    services: Sequence[str] | None,
    window: str = DEFAULT_WINDOW,
) -> ChangeListPublic:
    """The changes on ``services`` (None: every one) in the ``window`` back from now, newest
    first (none for a guest; none for a service nobody names); BadWindow for a window that is
    none."""
    try:
        since = web_.services.clock() - window_of(window)
    except ValueError as wrong:
        raise BadWindow(f"since: {wrong}") from None
    asked = [name.strip().lower()[:80] for name in services or () if name.strip()] or None
    if viewer.guest:
        return ChangeListPublic(since=since, services=asked, changes=[])
    async with session_scope(web_.services.engine) as session:
        rows = await changes_on(session, asked, since=since, limit=LIMIT)
    return ChangeListPublic(since=since, services=asked, changes=[change_public(r) for r in rows])


async def changes_page(request: web.Request) -> web.Response:
    """GET /changes[?service=S&since=24h]"""
    web_ = web_context(request)
    viewer, csrf = viewer_and_csrf(request)
    if await guest_viewer(request, viewer):
        return guests_refused(request, "changes_guests", viewer=viewer, csrf=csrf)
    window = request.query.get("since", "").strip()[:20] or DEFAULT_WINDOW
    try:
        listed = await change_list(web_, viewer, request.query.getall("service", []), window)
    except BadWindow as wrong:
        return render_page(
            request,
            "web/error.html.j2",
            status=400,
            problem="changes_window",
            message=str(wrong),
            viewer=viewer,
            csrf=csrf,
        )
    return render_page(
        request,
        "web/changes.html.j2",
        viewer=viewer,
        csrf=csrf,
        listed=listed,
        window=window,
        services=list(web_.settings.alerting.catalog.by_name),
        zone=web_.settings.incidents.timezone,
    )


async def get_changes(request: web.Request) -> web.Response:
    """GET /api/changes"""
    web_ = web_context(request)
    viewer = api_caller(request)
    window = request.query.get("since", DEFAULT_WINDOW)
    try:
        listed = await change_list(web_, viewer, request.query.getall("service", []), window)
    except BadWindow as wrong:
        raise api_error(400, "bad_request", str(wrong)) from None
    return json_answer(listed)


_UNAUTHORIZED = Answer("Not signed in and no valid bearer token.", ErrorPublic)
CHANGE_OPERATIONS = (
    Operation(
        API_PATH,
        get_changes,
        "listChanges",
        "What changed on the services (deploys, flags, configuration...), newest first",
        parameters=(
            {
                "name": "service",
                "in": "query",
                "required": False,
                "description": "A service's name; repeat it for several (default: every one).",
                "schema": {"type": "array", "items": {"type": "string", "pattern": SERVICE}},
                "style": "form",
                "explode": True,
            },
            {
                "name": "since",
                "in": "query",
                "required": False,
                "description": "How far back: 90m, 24h (the default), 7d; longer than 90 days "
                "reads 90 days.",
                "schema": {"type": "string", "pattern": WINDOW},
            },
        ),
        answers={
            200: Answer("The changes, at most 200.", ChangeListPublic),
            400: Answer("A window or a service it cannot show.", ErrorPublic),
            401: _UNAUTHORIZED,
        },
    ),
    Operation(
        API_PATH,
        receive_change,
        "createChange",
        "Keep a change event: the bearer token is a `changes` integration's key (warroom "
        "integrations create --kind changes), not the API token; its service is the key's",
        method="POST",
        answers={
            202: Answer("Kept (or kept already, when sent again).", ChangeAcceptedPublic),
            400: Answer("A field is wrong: the message names it.", ErrorPublic),
            401: Answer("No key, or one no working `changes` integration has.", ErrorPublic),
            408: Answer("The body did not arrive within WARROOM_BODY_READ_SECONDS.", ErrorPublic),
            413: Answer("The body is over WARROOM_ALERT_MAX_BODY_BYTES.", ErrorPublic),
            429: Answer(
                "The key sent more than WARROOM_ALERT_RATE_PER_MINUTE change events this "
                "minute; Retry-After says in how many seconds to send again.",
                ErrorPublic,
            ),
        },
    ),
)

__all__ = ["CHANGE_OPERATIONS", "change_list"]
