"""warroom's public status page: ``GET /status`` (HTML) and ``GET /status/feed.atom`` (Atom).

No sign-in: it shows what was published and nothing else. Public, non-private, non-withdrawn
incidents with their published updates, the public title people gave them, when each
started and was resolved, and the last 90 days per component; never an incident's own
title, timeline, people or channel. Times are shown in the incident's zone and in the
viewer's, chosen with ``?tz=``; when none is given, the page's own small script shows
them in the browser's zone, named, and without JavaScript they stay in UTC. The company's
name, logo and site (``WARROOM_STATUS_*``) head the page, then each component's current
state, the incidents, the maintenance windows and the last 90 days. The page's own words
(its frame) are in the reader's language when warroom has them (``?lang=``, else
``Accept-Language``), else the language of the incident on top, else the team's
(``WARROOM_LANGUAGE``), from ``templates/web/status/<language>.j2``; each update's texts
are labelled with their language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import cast
from uuid import NAMESPACE_URL, uuid5

from aiohttp import web
from dateutil import tz

from bot.basics.languages import preferred_language
from bot.basics.render import without_forbidden_characters
from bot.basics.slack_text import SlackText
from bot.flows.alerting.maintenance import public_windows
from bot.flows.status_page.publishing import (
    named_publicly,
    public_name,
    public_text,
    update_texts,
)
from bot.record.postmortem.figures import Figures, figures_of
from bot.record.status_page.publications import (
    PublicView,
    clean,
    shown_publicly,
    status_anchor,
    titles_in_order,
)
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import SEVERITIES
from bot.web.context import web_context
from bot.web.pages_common import ZONE_REFUSED, render_page, viewer_zone, with_own_script

# Incidents the page and the feed show at most, most recently updated first.
SHOWN_MAX = 50
# The history under the incidents: this many days per component, from this many incidents.
HISTORY_DAYS = 90
HISTORY_MAX = 1000
# The frames the page can be read in: templates/web/status/<language>.j2.
FRAMES = "web/status/{}.j2"
RESOLVED = "resolved"
# How a day with an incident is marked: by the worst public impact that day (the component
# states Statuspage is sent, bot.flows.status_page.publishing.COMPONENT_STATUS).
IMPACT_BY_SEVERITY = {"SEV1": 3, "SEV2": 2}
OTHER_IMPACT = 1
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
    # Internal: only ever hashed into the feed's ids, never shown (``anchor`` is the page's).
    reference: str
    # Its id on the page (``#incident-12``): its first published update's number, never the
    # internal reference nor the record's own id (which counts the team's incidents).
    anchor: str
    # The name in the page's language when people gave one in it, else the one they gave in
    # the incident's language, else warroom's own (in the page's language when warroom has
    # it); ``name_language`` is the language it is in.
    name: str
    name_language: str
    # The public titles in the other languages, (language, title).
    other_names: list[tuple[str, str]]
    components: list[str]
    zone: str
    started_at: datetime
    # When it was resolved, once an update published it resolved.
    resolved_at: datetime | None
    # Whole minutes from its declaration to its resolution, or to now while it is not
    # resolved ("open for"); of its impact, once resolved, when the record knows both ends
    # ("impact lasted"): the incident's figures (bot/record/postmortem/figures.py).
    open_minutes: int
    impact_minutes: int | None
    updates: list[ShownUpdate]  # newest first
    # Its public impact, as the history marks its days (``IMPACT_BY_SEVERITY``).
    impact: int
    # Its severity's place in SEVERITIES (0: SEV1), to put the worst first among equal impacts.
    severity_rank: int

    @property
    def status(self) -> str:
        """The status it was last published with (never a status it was not published at)."""
        return self.updates[0].status


def _shown(
    services: Services, view: PublicView, figures: Figures, language: str, now: datetime
) -> ShownIncident:
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
    name_language, name = named_publicly(services, view.public, language)
    # Cleaned again: rows stored before the cleaning was as strict stay valid XML.
    name = clean(name)
    started, resolved = _started(view), _resolved(view)
    lasted = figures.impact_lasted if resolved is not None else None
    return ShownIncident(
        reference=view.incident.reference,
        anchor=status_anchor(view.updates),
        name=name,
        name_language=name_language,
        other_names=[
            (lang, clean(title))
            for lang, title in titles_in_order(view.public)
            if lang != name_language
        ],
        components=[c for c in map(clean, view.public.components) if c],
        zone=view.incident.timezone,
        started_at=started,
        resolved_at=resolved,
        open_minutes=int(figures.open_for(resolved or now).total_seconds() // 60),
        impact_minutes=None if lasted is None else int(lasted.total_seconds() // 60),
        updates=updates[::-1],
        impact=impact_of(view),
        severity_rank=_severity_rank(view.incident.severity),
    )


def _severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def in_page_order(incidents: list[ShownIncident]) -> list[ShownIncident]:
    """What a customer reads first: the incidents under way, worst first (impact, then
    severity, then the latest started), then the resolved ones, the last resolved first."""
    ongoing = [incident for incident in incidents if incident.resolved_at is None]
    ongoing.sort(key=lambda i: (-i.impact, i.severity_rank, -i.started_at.timestamp()))
    resolved = [incident for incident in incidents if incident.resolved_at is not None]
    resolved.sort(key=lambda i: i.resolved_at or i.started_at, reverse=True)
    return ongoing + resolved


def impact_of(view: PublicView) -> int:
    """How bad an incident is for customers: 3 major outage (SEV1), 2 partial outage (SEV2),
    1 degraded performance (any other), as the days of the history are marked."""
    return IMPACT_BY_SEVERITY.get(view.incident.severity, OTHER_IMPACT)


@dataclass(frozen=True)
class Overall:
    """What the page says first: the worst impact of the incidents not resolved yet (0: all
    systems operational) and the components those incidents touch, by name."""

    impact: int
    components: list[str]


def overall_state(incidents: list[ShownIncident]) -> Overall:
    current = [incident for incident in incidents if incident.resolved_at is None]
    worst = max((incident.impact for incident in current), default=0)
    touched = {c for i in current if i.impact == worst for c in i.components}
    return Overall(worst, sorted(touched, key=str.lower))


def _resolved(view: PublicView) -> datetime | None:
    """When it was resolved, once its last published update says so (not before: the page
    never shows a status it was not published at)."""
    if not view.updates or view.updates[-1].status != RESOLVED:
        return None
    return view.incident.resolved_at or view.updates[-1].published_at


def _started(view: PublicView) -> datetime:
    """When the incident started as far as customers are told: when its impact began if
    that was recorded (the figures' impact start is the incident's column), else when it
    was declared."""
    incident = view.incident
    return incident.started_at or incident.detected_at or incident.declared_at


@dataclass(frozen=True)
class Published:
    incidents: list[ShownIncident]
    # The language of the page's frame (``page_language``).
    language: str


async def _published(services: Services, request: web.Request) -> Published:
    async with session_scope(services.engine) as session:
        views = await shown_publicly(session, limit=SHOWN_MAX)
        figures = await figures_of(session, [view.incident for view in views])
    language = page_language(request, services, views[0].public.language if views else None)
    now = services.clock()
    shown = [
        _shown(services, view, figures[view.incident.id or 0], language, now) for view in views
    ]
    return Published(in_page_order(shown), language)


@dataclass(frozen=True)
class ShownMaintenance:
    """A public maintenance window as customers read it: what the team said, the status
    page's components it touches, and when.

    What the team said, one line (the subject of the subscribers' mail), is its card's
    title; its matchers are alert labels, never public."""

    description: str
    starts_at: datetime
    ends_at: datetime
    in_progress: bool
    components: list[str] = field(default_factory=list)


async def _maintenance(services: Services) -> list[ShownMaintenance]:
    """The public windows in progress, then those scheduled, the soonest first."""
    now = services.clock()
    shown = [
        ShownMaintenance(
            clean(window.public_description or ""),
            window.starts_at,
            window.ends_at,
            window.starts_at <= now,
            [name for name in map(clean, window.components or []) if name],
        )
        for window in await public_windows(services)
    ]
    return sorted(shown, key=lambda m: not m.in_progress)


@dataclass(frozen=True)
class HistoryDay:
    day: date
    impact: int  # 0: no incident; 1 degraded, 2 partial outage, 3 major outage
    names: list[str]  # the incidents' public names


@dataclass(frozen=True)
class ComponentHistory:
    component: str
    days: list[HistoryDay]  # oldest first

    @property
    def days_with_incidents(self) -> int:
        return sum(1 for day in self.days if day.impact)


async def _history(services: Services, language: str, zone: str) -> list[ComponentHistory]:
    """The last ``HISTORY_DAYS`` days in ``zone`` for each component named publicly then,
    each day marked by the worst impact of an incident published as affecting it."""
    now = services.clock()
    today = now.astimezone(tz.gettz(zone)).date()
    first = today - timedelta(days=HISTORY_DAYS - 1)
    async with session_scope(services.engine) as session:
        views = await shown_publicly(
            session, limit=HISTORY_MAX, since=now - timedelta(days=HISTORY_DAYS + 1)
        )
    marks: dict[str, dict[date, tuple[int, list[str]]]] = {}
    for view in views:
        impact = impact_of(view)
        name = clean(public_name(services, view.public, language))
        start = max(_local_day(_started(view), zone), first)
        end = _local_day(_resolved(view) or now, zone)
        for component in filter(None, map(clean, view.public.components)):
            days = marks.setdefault(component, {})
            for offset in range((end - start).days + 1):
                day = start + timedelta(days=offset)
                worst, names = days.get(day, (0, []))
                days[day] = (max(worst, impact), [*names, name])
    return [
        ComponentHistory(
            component,
            [
                HistoryDay(day, *days.get(day, (0, [])))
                for day in (first + timedelta(days=n) for n in range(HISTORY_DAYS))
            ],
        )
        for component, days in sorted(marks.items(), key=lambda item: item[0].lower())
    ]


@dataclass(frozen=True)
class ComponentNow:
    component: str
    impact: int  # 0 operational; else the worst impact of the incidents under way on it
    maintenance: bool = False  # a public maintenance window in progress names it


def components_now(
    history: list[ComponentHistory],
    incidents: list[ShownIncident],
    maintenance: Sequence[ShownMaintenance] = (),
) -> list[ComponentNow]:
    """Each component named publicly in the last 90 days, by an incident under way or by a
    maintenance window in progress, with its current state: the worst impact of the
    incidents under way that affect it, and whether it is under maintenance."""
    worst: dict[str, int] = {c.component.lower(): 0 for c in history}
    names = {c.component.lower(): c.component for c in history}
    for incident in incidents:
        if incident.resolved_at is None:
            for component in incident.components:
                key = component.lower()
                names.setdefault(key, component)
                worst[key] = max(worst.get(key, 0), incident.impact)
    under = set()
    for window in maintenance:
        if window.in_progress:
            for component in window.components:
                names.setdefault(component.lower(), component)
                under.add(component.lower())
    return [ComponentNow(names[key], worst.get(key, 0), key in under) for key in sorted(names)]


def _local_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(tz.gettz(zone)).date()


def page_language(request: web.Request, services: Services, incidents: str | None) -> str:
    """The language of the page's frame: ``?lang=`` when warroom has that frame, else the
    first of the reader's ``Accept-Language`` it has, else the language of the incident on
    top (``incidents``), else the team's, else English."""
    offered = services.renderer.languages_of("web/status")
    asked = request.query.get("lang", "").strip().lower()
    if asked in offered:
        return asked
    defaults = [incidents, services.settings.incidents.language, "en"]
    return preferred_language(request.headers.get("Accept-Language", ""), offered) or next(
        (language for language in defaults if language in offered), "en"
    )


def _as_plain(incident: ShownIncident) -> ShownIncident:
    """The incident with its updates' words as plain text, for the feed."""
    updates = [
        # Until here each text is Slack text (ShownUpdate.texts); the feed's are plain.
        replace(
            update,
            texts=[(lang, public_text(cast(SlackText, text))) for lang, text in update.texts],
        )
        for update in incident.updates
    ]
    return replace(incident, updates=updates)


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
    """GET /status[?tz=Europe/Paris][&lang=fr]: the overall state, the incidents under way
    (worst first), the resolved ones (last resolved first), and the last 90 days of each
    component."""
    web_ = web_context(request)
    zone, unknown = viewer_zone(request.query.get("tz"))
    published = await _published(web_.services, request)
    language = published.language
    maintenance = await _maintenance(web_.services)
    history = await _history(web_.services, language, zone)
    identity = web_.settings.status_page
    # With no zone asked for, the page's own script shows its times in the browser's zone.
    chosen = zone if request.query.get("tz") and not unknown else ""
    response = render_page(
        request,
        "web/status.html.j2",
        frame=FRAMES.format(language),
        language=language,
        languages=web_.services.renderer.languages_of("web/status"),
        incidents=published.incidents,
        overall=overall_state(published.incidents),
        maintenance=maintenance,
        # What the banner says when no incident is under way but a window is.
        under_maintenance=any(window.in_progress for window in maintenance),
        team_zone=web_.settings.incidents.timezone,
        history=history,
        components=components_now(history, published.incidents, maintenance),
        company=identity.company,
        company_link=identity.link,
        logo=identity.logo is not None,
        # People's words as customers may read them (bot.basics.slack_text.to_public_plain).
        public_words=True,
        viewer_zone=zone,
        unknown_zone=unknown,
        status=ZONE_REFUSED if unknown else 200,
        # Kept in the language links when the reader chose a zone.
        chosen_zone=chosen,
        browser_zone=not chosen and not unknown,
        subscriptions_on=web_.settings.subscriptions.enabled,
    )
    if not chosen and not unknown:
        with_own_script(response)
    response.headers["Cache-Control"] = CACHE
    # The frame follows the reader's Accept-Language: a cache keeps one copy per language.
    response.headers["Vary"] = "Accept-Language"
    return response


async def status_logo(request: web.Request) -> web.Response:
    """GET /status/logo: the company's logo (``WARROOM_STATUS_LOGO``), served from here so
    the page's images stay its own (``img-src 'self'``); 404 when none is set."""
    logo = web_context(request).settings.status_page.logo
    if logo is None:
        raise web.HTTPNotFound(text="no logo is set (WARROOM_STATUS_LOGO)")
    return web.Response(
        body=logo.data,
        content_type=logo.content_type,
        headers={
            "Cache-Control": "public, max-age=3600",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


async def status_feed(request: web.Request) -> web.Response:
    """GET /status/feed.atom: the same updates as an Atom feed (RFC 4287), an entry each."""
    web_ = web_context(request)
    published = await _published(web_.services, request)
    language = published.language
    incidents = [_as_plain(incident) for incident in published.incidents]
    entries = sorted(
        ((incident, update) for incident in incidents for update in incident.updates),
        key=lambda pair: pair[1].updated,
        reverse=True,
    )
    xml = web_.services.renderer.render(
        "web/status_feed.xml.j2",
        frame=FRAMES.format(language),
        language=language,
        addresses=FeedAddresses(web_.settings.web.public_url.rstrip("/")),
        entries=entries,
        updated=entries[0][1].updated if entries else web_.services.clock(),
    )
    return web.Response(
        text=without_forbidden_characters(xml),
        content_type=FEED_TYPE,
        charset="utf-8",
        headers={
            "Cache-Control": CACHE,
            # Its words (titles, statuses) follow the reader's Accept-Language, as the page's.
            "Vary": "Accept-Language",
            "X-Content-Type-Options": "nosniff",
        },
    )
