"""The web view's pages: the incident list, one incident, its channel history, insights."""

from __future__ import annotations

import ipaddress
import logging
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.numbers import parse_bounded_int
from bot.basics.slack_links import channel_link
from bot.basics.slack_text import mentioned_users
from bot.record.agents import notes
from bot.record.changes.beside import (
    changes_beside,
    impact_started,
    incident_services,
    said_in,
)
from bot.record.incident.message_links import known_bases
from bot.record.incident.queries import (
    IncidentQuery,
    channel_history,
    latest_updates,
    parse_reference,
    words_looked_up,
)
from bot.record.incident.related import related_to_incident, traits_of
from bot.record.incident.search import found_in
from bot.record.people import known_names
from bot.record.postmortem import causes as possible_causes
from bot.record.postmortem.edits import EditRefused, save_edit
from bot.record.postmortem.figures import figures_of
from bot.record.postmortem.parts import EscalationLine
from bot.record.postmortem.publication import schedule_publication
from bot.record.postmortem.review import Review, ReviewRefused, review_of
from bot.record.status_page.publications import on_status_page, status_anchor, updates_of
from bot.store.db import database_reachable, session_scope
from bot.store.models import SEVERITIES, CauseRequest, Incident, PossibleCause, Status
from bot.web.auth import (
    SignInNeeded,
    keep_new_session,
    page_viewer,
    viewer_and_csrf,
)
from bot.web.context import WebContext, web_context
from bot.web.filters import (
    PAGE_MAX,
    REVIEWS,
    STATUSES,
    FilterError,
    filter_values,
    parse_filters,
)
from bot.web.form_refused import form_unreadable_answer
from bot.web.incident.timeline_kinds import GROUP_KEYS, chosen_kinds, counts_by_group
from bot.web.live_refresh import live_part_answer, live_until
from bot.web.pages_common import (
    LIVE_SECONDS,
    FormUnreadable,
    live_page,
    render_page,
)
from bot.web.postmortem.facts import posted_by_writer, review_refused
from bot.web.postmortem.page import Refusal, draft_again
from bot.web.postmortem.suggestions import accepted, suggestion_of_form
from bot.web.reading import (
    NotVisible,
    incident_draft,
    incident_timeline_page,
    incidents_for,
    own_zone,
    requested_incident,
    team_of,
)
from bot.web.routing import Handler, RouteKind, kind_of
from bot.web.visibility import Viewer

# Timeline entries an incident page shows at once; the rest are a page away.
TIMELINE_PAGE = 500
# Earlier related incidents the page lists (the related_incidents tool gives up to ten).
RELATED = 5

log = logging.getLogger(__name__)
# Six months of charts, and a few days for the months' edges in any time zone.
INSIGHTS_DAYS = 190


_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
# The routes of the web view proper: what the loopback rule and no-store are for.
_WEB_VIEW = frozenset({RouteKind.PAGE, RouteKind.API})


@web.middleware
async def web_view_rules(request: web.Request, handler: Handler) -> web.StreamResponse:
    """What the pages and the API answer under, in one middleware that a machine route (Slack,
    the webhooks, health) passes with one check: its requests are most of the traffic.

    With sign-in off, only this machine is answered: a request from a loopback address (so a
    server listening on every address, as in a container, shows nothing to the network)
    addressed to a loopback name (so a hostile page whose name was re-pointed at 127.0.0.1,
    DNS rebinding, gets nothing either). Pages answer their errors in HTML. Incident data is
    not for shared caches, and is never to be sniffed into HTML.
    """
    kind = kind_of(request)
    if kind not in _WEB_VIEW:
        return await handler(request)
    if web_context(request).sign_in_off and not (_from_loopback(request) and _to_loopback(request)):
        raise web.HTTPMisdirectedRequest(text="Sign-in is off: open this on 127.0.0.1.")
    response = await (
        _page_answer(request, handler) if kind is RouteKind.PAGE else handler(request)
    )
    if not response.prepared:
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def _from_loopback(request: web.Request) -> bool:
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:  # no peer address (a Unix socket), or not an IP: not this machine
        return False


def _to_loopback(request: web.Request) -> bool:
    try:
        host = (request.url.host or "").lower()
    except ValueError:
        # A Host header yarl cannot encode (undecodable bytes): no loopback name, and not a
        # 500 either.
        return False
    return host in _LOOPBACK_HOSTS


async def _page_answer(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A page's answer in HTML: sign-in for strangers, a readable 400 and 404 for the rest."""
    try:
        response = await live_part_answer(request, handler)
        keep_new_session(request, response)
        return response
    except SignInNeeded:
        # After signing in, a form's address cannot be opened again: back to the list then.
        back = request.path_qs if request.method == "GET" else "/"
        raise web.HTTPFound("/login?" + urllib.parse.urlencode({"next": back})) from None
    except NotVisible:
        return render_page(request, "web/error.html.j2", status=404, problem="not_found")
    except FilterError as error:
        return render_page(
            request, "web/error.html.j2", status=400, problem="bad_filter", detail=str(error)
        )
    except FormUnreadable as unreadable:
        return await form_unreadable_answer(request, unreadable)
    except (OSError, SQLAlchemyError, TimeoutError):
        # The database down is said as such (503, the page in words), not a bare 500; any
        # other failure stays the error it is.
        if await database_reachable(web_context(request).services.engine):
            raise
        log.warning("a page could not be shown: the database is unreachable")
        return render_page(request, "web/error.html.j2", status=503, problem="database_unreachable")


async def incident_list(request: web.Request) -> web.Response:
    """GET /: what is on fire now (the open incidents, worst severity first), then the
    resolved ones, newest first, a page at a time; both filtered by severity, type, fields,
    the postmortem's review state and date, and by status when statuses are chosen."""
    web_ = web_context(request)
    viewer, csrf = viewer_and_csrf(request)
    team_id = await team_of(request, web_, viewer)
    query = parse_filters(
        request.query,
        zone=web_.settings.incidents.timezone,
        team_id=team_id,
        types=web_.settings.incidents.types,
    )
    chosen_statuses = query.statuses or STATUSES
    open_statuses = tuple(s for s in chosen_statuses if s != Status.RESOLVED)
    searched = query
    if query.search:  # its words looked up once, for the four reads below
        async with session_scope(web_.services.engine) as session:
            searched = await words_looked_up(session, query)
    active = await _active_now(web_, viewer, replace(searched, statuses=open_statuses))
    page = (
        await incidents_for(web_, viewer, replace(searched, statuses=(Status.RESOLVED.value,)))
        if Status.RESOLVED in chosen_statuses
        else None
    )
    shown = [*active.incidents, *(page.incidents if page else [])]
    async with session_scope(web_.services.engine) as session:
        names = await known_names(session, {i.commander for i in shown if i.commander})
        updated = await latest_updates(session, [i.id for i in shown if i.id is not None])
        figures = await figures_of(session, shown)
        # A reference (INC-2) finds its incident, not words: nothing to say where.
        words = "" if parse_reference(query.search) is not None else query.search
        found = await found_in(session, [i.id for i in shown if i.id is not None], words)
    now = web_.services.clock()
    # The ages are the browser's to move; the clock turns an update overdue here.
    live_until(request, *(web_.settings.incidents.update_due_at(i) for i in active.incidents))
    response = render_page(
        request,
        "web/list.html.j2",
        found=found,
        viewer=viewer,
        csrf=csrf,
        active=active,
        updated=updated,
        update_every={
            i.id: web_.settings.incidents.update_interval(i.severity, i.status)
            for i in active.incidents
        },
        update_overdue={
            i.id for i in active.incidents if web_.settings.incidents.update_overdue(i, now)
        },
        slack_links=await slack_links_of(web_, active.incidents),
        page=page,
        names=names,
        figures=figures,
        now=now,
        # The signed-in person's own zone; else each incident's (None).
        zone=await own_zone(web_, viewer),
        team_zone=web_.settings.incidents.timezone,  # the "as of" time's, with no own zone
        statuses=STATUSES,
        severities=SEVERITIES,
        reviews=REVIEWS,
        chosen=filter_values(query, request.query),
        incident_types=web_.settings.incidents.types,
        page_url=lambda number: _page_url(request, number),
        live_seconds=LIVE_SECONDS,
    )
    return live_page(response)


async def _active_now(web_: WebContext, viewer: Viewer, query: IncidentQuery) -> ActiveNow:
    """The open incidents the filters match, worst severity first (each severity's newest
    first), a page of them at most (``per_page``, 25 unless asked): a flood of SEV3s never
    hides a SEV1. One read, not one per severity: a search's words are looked up once."""
    if not query.statuses:
        return ActiveNow([], 0)
    found = await incidents_for(web_, viewer, replace(query, worst_first=True, page=1))
    return ActiveNow(list(found.incidents), found.total)


@dataclass
class ActiveNow:
    """What "Active now" shows, and how many open incidents the filters match in all."""

    incidents: list[Incident]
    total: int


@dataclass(frozen=True)
class KeptCauses:
    """The possible causes as the record keeps them (bot/record/postmortem/causes.py): the
    latest time the team's model was asked, how it went, and each cause that passed the
    checks with the entries that hold it and people's 👍/👎 (``marks``, by cause id)."""

    request: CauseRequest
    causes: list[PossibleCause]
    marks: dict[int, tuple[int, int]]

    @staticmethod
    def at(entry: dict[str, Any]) -> datetime:
        """When an entry holding a cause was written (kept as ISO text, in UTC)."""
        return datetime.fromisoformat(str(entry["at"]))


async def _kept_causes(session: AsyncSession, incident_id: int) -> KeptCauses | None:
    """None when no model was ever asked (no model set up, or not yet)."""
    request = await possible_causes.latest_request(session, incident_id)
    if request is None or request.id is None:
        return None
    kept = await possible_causes.causes_of(session, request.id)
    marks = await possible_causes.tallies(session, [c.id for c in kept if c.id is not None])
    return KeptCauses(request, kept, marks)


def _page_url(request: web.Request, number: int) -> str:
    """This list with the same filters, on another page."""
    query = [(key, value) for key, value in request.query.items() if key != "page"]
    return "?" + urllib.parse.urlencode([*query, ("page", str(number))])


async def incident_page(request: web.Request) -> web.Response:
    """GET /incidents/INC-7[?timeline=2]: summary, metrics, a page of the timeline,
    escalations, tasks, and where the postmortem draft is (a page of its own: a long
    incident's draft is megabytes, which this page never writes)."""
    web_ = web_context(request)
    viewer, csrf = viewer_and_csrf(request)
    incident, incident_id = await requested_incident(request, web_, viewer)
    page_number = parse_bounded_int(request.query.get("timeline", "1"), 1, PAGE_MAX)
    if page_number is None:
        raise FilterError(f"timeline must be a whole number from 1 to {PAGE_MAX}.")
    start = (page_number - 1) * TIMELINE_PAGE
    kinds = chosen_kinds(request.query)
    page = await incident_timeline_page(
        web_, incident_id, start=start, size=TIMELINE_PAGE, hidden=kinds.hidden_kinds
    )
    async with session_scope(web_.services.engine) as session:
        # Public ones only: a private incident's existence is not the viewer's to learn here.
        # Its traits read once, for the related incidents and its services.
        traits = await traits_of(session, incident_id)
        related = await related_to_incident(
            session, incident, public_only=True, most=RELATED, traits=traits
        )
        alerting = web_.settings.alerting
        own = await incident_services(
            session, incident, alerting.catalog, alerting.routes, traits=traits
        )
        changed = await changes_beside(
            session,
            own,
            alerting.catalog,
            moment=incident.declared_at,
            hours=alerting.change_hours,
            impact=impact_started(incident),
            said=lambda: said_in(session, incident),
            unfiltered=True,
        )
        proposed = await notes.waiting(session, incident_id)
        status_link = await _status_link(session, incident)
        kept_causes = await _kept_causes(session, incident_id)
    now = web_.services.clock()
    # The browser words an age in English only: a draft in another language is read again
    # at each minute's turn for its "open for".
    minute = None if page.draft.language.code == "en" else now + timedelta(minutes=1)
    live_until(request, web_.settings.incidents.update_due_at(incident), minute)
    response = render_page(
        request,
        "web/incident.html.j2",
        live_seconds=LIVE_SECONDS,
        related=related,
        changed=changed,
        proposed_notes=proposed,
        causes=kept_causes,
        viewer=viewer,
        csrf=csrf,
        incident=incident,
        slack_link=await slack_link_of(web_, incident),
        now=now,
        acknowledged=first_acknowledged(page.draft.escalations),
        status_link=status_link,
        update_overdue=web_.settings.incidents.update_overdue(incident, now),
        update_every=web_.settings.incidents.update_interval(incident.severity, incident.status),
        draft=page.draft,
        timeline=page.lines,
        timeline_page=page_number,
        timeline_first=start + 1,
        timeline_total=page.total,
        timeline_pages=max(1, -(-page.total // TIMELINE_PAGE)),
        kinds=kinds,
        kind_groups=GROUP_KEYS,
        kind_counts=counts_by_group(page.kinds),
    )
    return live_page(response)


def first_acknowledged(escalations: Sequence[EscalationLine]) -> EscalationLine | None:
    """The escalation acknowledged first (who answered the page, and when), if any was."""
    answered = [line for line in escalations if line.acknowledged_at is not None]
    return min(answered, key=lambda line: line.acknowledged_at or line.at, default=None)


async def _status_link(session: AsyncSession, incident: Incident) -> str | None:
    """The incident's section of the status page while customers see it there; "" when it
    is public but shown from its first public update only (as the status page does); None
    when it is not public."""
    if not await on_status_page(session, incident):
        return None
    updates = await updates_of(session, incident.id or 0)
    return f"/status#{status_anchor(updates)}" if updates else ""


async def slack_link_of(web_: WebContext, incident: Incident) -> str | None:
    """Where "Open in Slack" goes for the incident's channel (None without one)."""
    return (await slack_links_of(web_, [incident])).get(incident.reference)


async def slack_links_of(web_: WebContext, incidents: Sequence[Incident]) -> dict[str, str]:
    """Where "Open in Slack" goes for each incident with a channel, by reference: the
    channel's page in the workspace, whose address auth.test gave at start-up (kept, never
    asked per view) or a permalink of that channel did; else Slack's deep link. Slack is
    never asked here: the pages answer while it is down."""
    channels = {i.reference: i.channel_id for i in incidents if i.channel_id}
    base = web_.services.slack.known_workspace_url
    bases: dict[str, str] = {}
    if base is None and channels:
        async with session_scope(web_.services.engine) as session:
            bases = await known_bases(session, channels.values())
    return {
        i.reference: channel_link(base or bases.get(i.channel_id), i.team_id, i.channel_id)
        for i in incidents
        if i.channel_id
    }


async def incident_history(request: web.Request) -> web.Response:
    """GET /incidents/INC-7/history: every message said in the channel, as recorded."""
    web_ = web_context(request)
    viewer, csrf = viewer_and_csrf(request)
    incident, incident_id = await requested_incident(request, web_, viewer)
    page_number = parse_bounded_int(request.query.get("page", "1"), 1, PAGE_MAX)
    if page_number is None:
        raise FilterError(f"page must be a whole number from 1 to {PAGE_MAX}.")
    async with session_scope(web_.services.engine) as session:
        messages, more = await channel_history(session, incident_id, page=page_number)
        # The authors, and the people their words mention (shown by name, as Slack does).
        people = {m.user for m in messages if m.user}
        people |= {user for m in messages for user in mentioned_users(m.text)}
        names = await known_names(session, people)
    return render_page(
        request,
        "web/history.html.j2",
        bot_user=web_.services.slack.known_bot_user,
        bot_name=web_.services.slack.known_bot_name,
        viewer=viewer,
        csrf=csrf,
        incident=incident,
        messages=messages,
        names=names,
        page=page_number,
        more=more,
    )


async def postmortem_markdown(request: web.Request) -> web.Response:
    """GET /incidents/INC-7/postmortem.md: the postmortem as a Markdown download, its first
    lines saying its state (published by whom and when, or a draft)."""
    web_ = web_context(request)
    viewer = page_viewer(request)
    incident, incident_id = await requested_incident(request, web_, viewer)
    written = await incident_draft(web_, incident_id)
    # Named after its state: a published postmortem is not a draft.
    published = review_of(incident) == Review.PUBLISHED
    filename = f"{incident.reference}-postmortem{'' if published else '-draft'}.md"
    return web.Response(
        text=written.markdown,
        content_type="text/markdown",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def save_section(request: web.Request) -> web.Response:
    """POST /incidents/INC-7/postmortem/sections/{section}: keep a person's text for it."""
    checked = await posted_by_writer(request)
    if isinstance(checked, web.Response):
        return checked
    web_, viewer, form, incident, incident_id = checked
    section = request.match_info["section"]
    written = await incident_draft(web_, incident_id)
    if all(slot.key != section for slot in written.draft.slots):
        raise web.HTTPNotFound(text="This postmortem has no such section.")
    body = form.get("body")
    edited = suggestion_of_form(form.get("suggestion"))
    if edited is not None:  # a suggestion's text, as the person edited it: accepted
        text = body if isinstance(body, str) else ""
        return await accepted(request, web_, viewer, incident, edited, text=text, section=section)
    try:
        async with session_scope(web_.services.engine) as session:
            await save_edit(
                session,
                incident,
                section=section,
                body=body if isinstance(body, str) else "",
                author=viewer.author,
                at=web_.services.clock(),
            )
            if incident.channel_id:
                await schedule_publication(
                    session, incident, by=viewer.author, now=web_.services.clock(), quiet=True
                )
            await session.commit()
    except ReviewRefused as refused:  # published meanwhile
        return await review_refused(request, refused)
    except EditRefused as error:
        typed = {"body": body if isinstance(body, str) else ""}
        refusal = Refusal(f"section-{section}", {"body": str(error)}, typed)
        return await draft_again(request, refusal)
    log.info("%s: postmortem section %s edited by %s", incident.reference, section, viewer.author)
    web_.services.wake_jobs()
    raise web.HTTPSeeOther(
        f"/incidents/{incident.reference}/postmortem?saved={section}#place-{section}"
    )
