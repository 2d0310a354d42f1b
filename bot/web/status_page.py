"""warroom's public status page: ``GET /status`` (HTML) and ``GET /status/feed.atom`` (Atom).

No sign-in: it shows what was published and nothing else. Public, non-private, non-withdrawn
incidents with their published updates; never an incident's title, timeline, people or
channel. Times are shown in the incident's zone and in the viewer's, chosen with ``?tz=``
(the page runs no script, so it cannot ask the browser): UTC when none is given.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from uuid import NAMESPACE_URL, uuid5
from zoneinfo import available_timezones

from aiohttp import web

from bot.basics.render import without_forbidden_characters
from bot.basics.slack_text import SlackText
from bot.flows.status_page import public_name, public_names, public_text, update_texts
from bot.record.public import PublicView, clean, shown_publicly
from bot.services import Services
from bot.store.db import session_scope
from bot.web.context import web_context
from bot.web.pages_common import render_page

# Incidents the page and the feed show at most, most recently updated first.
SHOWN_MAX = 50
# An unknown zone is named back in the page up to this many characters.
ZONE_SHOWN_MAX = 64
FEED_TYPE = "application/atom+xml"
# Published updates are the same for everyone: caches may keep them a little while.
CACHE = "public, max-age=30"


@dataclass(frozen=True)
class ShownUpdate:
    id: int
    status: str
    at: datetime
    edited_at: datetime | None
    # Slack text: the page shows it as HTML (people by name, links as anchors), the feed as
    # plain text (``public_text``).
    texts: list[tuple[str, str]]

    @property
    def updated(self) -> datetime:
        return self.edited_at or self.at


@dataclass(frozen=True)
class ShownIncident:
    reference: str
    name: str
    components: list[str]
    zone: str
    updates: list[ShownUpdate]  # newest first

    @property
    def status(self) -> str:
        """The status it was last published with (never a status it was not published at)."""
        return self.updates[0].status


def _shown(services: Services, view: PublicView) -> ShownIncident:
    updates = [
        ShownUpdate(
            update.id or 0,
            update.status,
            update.published_at,
            update.edited_at,
            [
                (language, SlackText.of(clean(text)))
                for language, text in update_texts(
                    services, view.public, update, view.updates[:index]
                )
            ],
        )
        for index, update in enumerate(view.updates)
    ]
    return ShownIncident(
        reference=view.incident.reference,
        # Cleaned again: rows stored before the cleaning was as strict stay valid XML.
        name=clean(public_name(services, view.incident, view.public)),
        components=[c for c in map(clean, view.public.components) if c],
        zone=view.incident.timezone,
        updates=updates[::-1],
    )


@dataclass(frozen=True)
class Published:
    incidents: list[ShownIncident]
    # The people the published words mention, by name (``public_names``).
    names: dict[str, str]


async def _published(services: Services) -> Published:
    async with session_scope(services.engine) as session:
        views = await shown_publicly(session, limit=SHOWN_MAX)
        names = await public_names(session, (u for view in views for u in view.updates))
    return Published([_shown(services, view) for view in views], names)


def _as_plain(incident: ShownIncident, names: dict[str, str]) -> ShownIncident:
    """The incident with its updates' words as plain text, for the feed."""
    updates = [
        replace(update, texts=[(lang, public_text(text, names)) for lang, text in update.texts])
        for update in incident.updates
    ]
    return replace(incident, updates=updates)


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


@dataclass(frozen=True)
class FeedAddresses:
    """The feed's links and ids, never taken from the request: its Host header is the
    client's to choose, and the answer is cached for everyone.

    With ``WARROOM_PUBLIC_URL``, links are absolute and ids are the page's own address;
    without it, links are relative to the feed and ids are ``urn:uuid:`` names made from
    what was published (stable, and the same at any address)."""

    base: str  # WARROOM_PUBLIC_URL, or "" for links relative to the feed

    @property
    def feed_id(self) -> str:
        return f"{self.base}/status" if self.base else _urn("warroom:status")

    def entry_id(self, incident: ShownIncident, update: ShownUpdate) -> str:
        if self.base:
            return f"{self.base}/status#update-{update.id}"
        return _urn(f"warroom:status:{incident.reference}:{update.id}:{update.at.isoformat()}")


def _urn(name: str) -> str:
    return f"urn:uuid:{uuid5(NAMESPACE_URL, name)}"


async def status_page(request: web.Request) -> web.Response:
    """GET /status[?tz=Europe/Paris]: the published updates, newest incident first."""
    web_ = web_context(request)
    zone, unknown = viewer_zone(request.query.get("tz"))
    published = await _published(web_.services)
    response = render_page(
        request,
        "web/status.html.j2",
        incidents=published.incidents,
        names=published.names,
        viewer_zone=zone,
        unknown_zone=unknown,
    )
    response.headers["Cache-Control"] = CACHE
    return response


async def status_feed(request: web.Request) -> web.Response:
    """GET /status/feed.atom: the same updates as an Atom feed (RFC 4287), an entry each."""
    web_ = web_context(request)
    published = await _published(web_.services)
    incidents = [_as_plain(incident, published.names) for incident in published.incidents]
    entries = sorted(
        ((incident, update) for incident in incidents for update in incident.updates),
        key=lambda pair: pair[1].updated,
        reverse=True,
    )
    xml = web_.services.renderer.render(
        "web/status_feed.xml.j2",
        addresses=FeedAddresses(web_.settings.public_url.rstrip("/")),
        entries=entries,
        updated=entries[0][1].updated if entries else web_.services.clock(),
    )
    return web.Response(
        text=without_forbidden_characters(xml),
        content_type=FEED_TYPE,
        charset="utf-8",
        headers={"Cache-Control": CACHE, "X-Content-Type-Options": "nosniff"},
    )
