"""The postmortem draft's page: the draft as it reads now, each written section's form where
the section stands, the forms that fill the record's gaps (impact, follow-ups), and its
review state. The page's forms come back here when they refuse: a redirect to the page,
which shows the refusal at its field and what was typed, once (``bot.web.notices``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlmodel import select

from bot.basics.markdown_text import markdown_to_html
from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.basics.slack_text import SlackText, to_plain
from bot.basics.task_words import task_text
from bot.flows.postmortem.prompts import CANDIDATES
from bot.flows.postmortem.statements import MARKABLE
from bot.record.follow_ups import follow_ups
from bot.record.incident import findings, messages
from bot.record.people import known_names
from bot.record.postmortem import grades
from bot.record.postmortem.draft import Draft
from bot.record.postmortem.lessons import participants
from bot.record.postmortem.parts import EscalationLine, MisleadingPath
from bot.record.postmortem.review import Review, may_publish, review_of
from bot.record.postmortem.statements import BROUGHT_IN, MISLEADING, MITIGATION
from bot.store.db import session_scope
from bot.store.models import (
    ActionItem,
    CauseGrade,
    ChannelMessage,
    Incident,
    IncidentRole,
    Person,
    TimelineEntry,
    TrackerIssue,
)
from bot.web.auth import page_viewer, viewer_and_csrf
from bot.web.context import WebContext, web_context
from bot.web.notices import forget, once_of, refused_back
from bot.web.pages_common import render_page, with_own_script
from bot.web.postmortem.draft_places import new_places_token, place_sections
from bot.web.reading import incident_draft, requested_incident
from bot.web.visibility import Viewer

# The people a follow-up's owner is chosen from, besides the incident's own: a select's worth.
OTHERS = 300
# How much of a message a form's list of messages shows.
QUOTED = 90


@dataclass(frozen=True)
class Refusal:
    """A form of the page that refused or asks to confirm: which (``form``), the words at
    each field, and what was typed (shown back in its fields)."""

    form: str
    problems: Mapping[str, str]
    typed: Mapping[str, str] = field(default_factory=dict)
    # Times typed without their date, read as the incident's and shown back before they are
    # kept: the words, and the moment the form sends back to confirm it (ISO 8601).
    read_back: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def focus(self) -> str:
        """The field the page focuses: the first refused, else the first time shown back."""
        return next(iter(self.problems), next(iter(self.read_back), ""))

    def kept(self) -> dict[str, Any]:
        """As the page's notice keeps it until the page shows it."""
        return {
            "form": self.form,
            "problems": dict(self.problems),
            "typed": dict(self.typed),
            "read_back": {name: list(pair) for name, pair in self.read_back.items()},
        }

    @classmethod
    def from_kept(cls, kept: Mapping[str, Any]) -> Refusal:
        """What ``kept`` kept (words only: anything else is dropped)."""

        def words(value: object) -> dict[str, str]:
            pairs = value.items() if isinstance(value, dict) else ()
            return {str(k): v for k, v in pairs if isinstance(v, str)}

        read_back = kept.get("read_back")
        return cls(
            str(kept.get("form", "")),
            words(kept.get("problems")),
            words(kept.get("typed")),
            {
                str(name): (str(pair[0]), str(pair[1]))
                for name, pair in (read_back.items() if isinstance(read_back, dict) else ())
                if isinstance(pair, list) and len(pair) == 2
            },
        )


@dataclass(frozen=True)
class OpenPath:
    """A misleading path whose end the record lacks, as its form offers it: its number on
    the page (1 for the draft's first path), the idea's message, and the messages said after
    it (``messages.said_after``, as Slack offers earlier ones), each as the form names it."""

    number: int
    ts: str
    idea: str
    at: datetime
    candidates: list[tuple[int, str]]  # message id, "10:42 AM, Bob Okafor: what they said"
    words: str = ""  # what a person said ruled it out, without its time (the gap left)


@dataclass(frozen=True)
class GapForms:
    """The forms for the record's gaps the draft's lines leave: each misleading path with no
    end, each escalation with no answer."""

    paths: list[OpenPath] = field(default_factory=list)
    escalations: list[EscalationLine] = field(default_factory=list)
    # Who else was brought in: asked while warroom escalated to nobody and nobody said.
    brought_in: bool = False
    # The channel's messages a person may mark (as the form names each), and which marks the
    # draft still asks for: a path that misled, the message that stopped the impact.
    markable: list[tuple[int, str]] = field(default_factory=list)
    misleading: bool = False
    mitigation: bool = False


@dataclass(frozen=True)
class Changed:
    """Who last changed a line on the draft's page (their name), and when."""

    by: str
    at: datetime


@dataclass(frozen=True)
class SaidLine:
    """An impact or cause line people said, as the page offers it to edit or remove: its
    entry's id, what it is (``impact``, ``cause``), its words (plain, people by name), who
    said it and when, and its last change."""

    id: int
    kind: str
    text: str
    by: str
    at: datetime
    changed: Changed | None


@dataclass(frozen=True)
class FigureLine:
    """The wrap-up's impact in numbers and affected services, as the page offers them to
    correct or remove: its entry's id, each number as kept (``{"customers": "1200"}``), the
    services, who gave them and when, and its last change."""

    id: int
    numbers: dict[str, str]
    services: list[str]
    by: str
    at: datetime
    changed: Changed | None


@dataclass(frozen=True)
class DraftFacts:
    """What the page's own forms need besides the draft: the people a follow-up may go to,
    the incident's follow-ups with their issues, who may publish."""

    people: dict[str, str]  # user id to name, the viewer first
    follow_ups: list[ActionItem]
    issues: dict[str, TrackerIssue]  # by the follow-up's ref
    publisher: bool
    review_by: str | None  # the name of who moved the review last
    # The impact and cause lines people said, to edit or remove; each follow-up's last change.
    said: list[SaidLine] = field(default_factory=list)
    changed: dict[int, Changed] = field(default_factory=dict)  # by follow-up (ActionItem) id
    words: dict[int, str] = field(default_factory=dict)  # each follow-up's, plain, to edit
    # The wrap-up's figures people gave, to correct or remove.
    figures: list[FigureLine] = field(default_factory=list)


async def postmortem_page(request: web.Request) -> web.Response:
    """GET /incidents/INC-7/postmortem: the draft as it reads now, and its written sections
    and the record's gaps to fill (for the incident's people); after a form of it refused,
    once, the refusal at its fields and what was typed."""
    viewer, _ = viewer_and_csrf(request)
    once = await once_of(request, viewer)
    refusal = Refusal.from_kept(once.refused) if once.refused is not None else None
    page = await draft_page(request, refusal, status=once.status)
    forget(request, page)
    return page


async def draft_again(request: web.Request, refusal: Refusal, *, status: int = 400) -> web.Response:
    """A form of the draft's page refused (or asking to confirm a time): 303 to the page,
    which shows ``refusal`` once."""
    location = f"/incidents/{request.match_info['reference']}/postmortem"
    raise await refused_back(request, page_viewer(request), location, refusal.kept(), status=status)


async def draft_page(
    request: web.Request, refusal: Refusal | None = None, *, status: int = 200
) -> web.Response:
    """The draft's page; with a ``refusal``, the form that refused shows why at its fields."""
    web_ = web_context(request)
    viewer, csrf = viewer_and_csrf(request)
    incident, incident_id = await requested_incident(request, web_, viewer)
    token = new_places_token()
    written = await incident_draft(web_, incident_id, places=token)
    may_review = not viewer.guest and await web_.visibility.can_edit(viewer, incident)
    # A published postmortem stays as published: its forms wait for it to be reopened.
    published = review_of(incident) == Review.PUBLISHED
    may_edit = may_review and not published
    page = render_page(
        request,
        "web/postmortem.html.j2",
        status=status,
        viewer=viewer,
        csrf=csrf,
        incident=incident,
        draft=written.draft,
        placed=place_sections(written.draft, markdown_to_html(written.markdown), token),
        saved=request.query.get("saved", ""),
        # The form sent again just now: its lines recorded once (bot/record/incident/findings.py).
        again=request.query.get("again", "") == "1",
        # A line just changed on the page: "edited" or "removed" (bot/web/postmortem/facts.py).
        line_change=request.query.get("line", ""),
        accepted=request.query.get("accepted", ""),
        editing=parse_bounded_int(request.query.get("edit", ""), 1, DATABASE_ID_MAX),
        may_edit=may_edit,
        may_review=may_review,
        review=review_of(incident).value,
        facts=await draft_facts(web_, viewer, incident),
        gaps=(
            await gap_forms(web_, incident, written.draft, (refusal or Refusal("", {})).form)
            if may_edit
            else GapForms()
        ),
        refusal=refusal or Refusal("", {}),
        tracker=web_.settings.trackers.default is not None,
        grades=await incident_grades(web_, incident_id),
        scale=grades.SCALE,
    )
    return with_own_script(page)


async def incident_grades(web_: WebContext, incident_id: int) -> list[CauseGrade]:
    """The grades of the causes proposed during the incident (none until it is published)."""
    async with session_scope(web_.services.engine) as session:
        return await grades.grades_of(session, incident_id)


async def gaps_left(web_: WebContext, incident_id: int) -> int:
    """How many gaps the draft leaves (sections to write, the record's), as its page says."""
    token = new_places_token()
    written = await incident_draft(web_, incident_id, places=token)
    return place_sections(written.draft, markdown_to_html(written.markdown), token).left


async def gap_forms(
    web_: WebContext, incident: Incident, draft: Draft, refused: str = ""
) -> GapForms:
    """The misleading paths and escalations whose gap the page's forms fill, and the one
    whose form ``refused`` (filled meanwhile, say: it shows why)."""
    open_paths = [
        (number, path)
        for number, path in enumerate(draft.misleading, start=1)
        if path.ts and (path.open or _untimed(path) or refused == f"path-{number}")
    ]
    paths = []
    async with session_scope(web_.services.engine) as session:
        for number, path in open_paths:
            idea = await messages.find_message(session, incident.channel_id or "", path.ts or "")
            if idea is None:
                continue
            offered = await messages.said_after(session, idea, CANDIDATES)
            names = await known_names(session, [m.user or "" for m in offered])
            candidates = [_offered(draft, m, names) for m in offered]
            words = path.stated.text if path.stated else ""
            paths.append(
                OpenPath(
                    number, idea.ts, _short(path.line.text), idea.occurred_at, candidates, words
                )
            )
    escalations = [
        line
        for line in draft.escalations
        if line.id and (line.answered_how is None or refused == f"escalation-{line.id}")
    ]
    misleading = refused == "misleading-mark" or not (draft.misleading or MISLEADING in draft.said)
    mitigation = refused in ("mitigation-mark", "mitigation-words") or not (
        draft.mitigations or MITIGATION in draft.said
    )
    markable: list[tuple[int, str]] = []
    if misleading or mitigation:
        async with session_scope(web_.services.engine) as session:
            offered = await messages.said_lately(session, incident.id or 0, MARKABLE)
            names = await known_names(session, [m.user or "" for m in offered])
        markable = [_offered(draft, m, names) for m in offered]
    return GapForms(
        paths,
        escalations,
        brought_in=refused == "brought-in" or not (draft.escalations or BROUGHT_IN in draft.said),
        markable=markable,
        misleading=misleading,
        mitigation=mitigation,
    )


def _offered(draft: Draft, message: ChannelMessage, names: Mapping[str, str]) -> tuple[int, str]:
    """A message as a form's list names it: "10:42 AM, Bob Okafor: what they said"."""
    who = names.get(message.user or "", "someone")
    return message.id or 0, f"{draft.time(message.occurred_at)}, {who}: " + _short(
        to_plain(message.text, names)
    )


def _untimed(path: MisleadingPath) -> bool:
    """A person said in words what ruled the idea out, with no time: its length is a gap."""
    return path.ruled_out is None and path.stated is not None and path.stated.at is None


def _short(text: str) -> str:
    """A message as one line of a list to pick from."""
    said = " ".join(text.split())
    return said if len(said) <= QUOTED else said[: QUOTED - 1] + "…"


async def draft_facts(web_: WebContext, viewer: Viewer, incident: Incident) -> DraftFacts:
    """The people, follow-ups and rights the page's forms show."""
    assert incident.id is not None
    async with session_scope(web_.services.engine) as session:
        roles = await session.exec(
            select(IncidentRole.user_id).where(IncidentRole.incident_id == incident.id)
        )
        people = [viewer.user_id, incident.commander, incident.declared_by, *roles.all()]
        people += await participants(session, incident.id)
        # The incident's people first, then the others warroom knows by name (a follow-up's
        # owner may be anyone of the workspace, as Slack's user picker offers).
        others = await session.exec(select(Person.user_id).order_by(Person.name).limit(OTHERS))
        wanted = list(dict.fromkeys(p for p in [*people, *others.all()] if p))
        names = await known_names(session, [*wanted, incident.postmortem_review_by or ""])
        rows = await follow_ups.follow_ups(session, incident.id)
        issues = await follow_ups.issues_of(session, incident.id)
        publisher = viewer.sees_everything or await may_publish(session, incident, viewer.user_id)
        said = await findings.said_lines(session, incident.id)
        figures = await findings.figure_lines(session, incident.id)
        changes = await findings.line_changes(session, incident.id)
        authors = [e.author or "" for e in [*said, *figures]]
        authors += [c[-1].changed_by for c in changes.values()]
        names |= await known_names(session, [a for a in authors if a not in names])
    items = [row for row in rows if isinstance(row, ActionItem)]
    by = incident.postmortem_review_by

    def changed(row: TimelineEntry | ActionItem) -> Changed | None:
        if not (kept := changes.get(findings.line_ref(row))):
            return None
        return Changed(names.get(kept[-1].changed_by, kept[-1].changed_by), kept[-1].changed_at)

    return DraftFacts(
        people={user: names.get(user, user) for user in wanted},
        follow_ups=items,
        issues=issues,
        publisher=publisher,
        review_by=names.get(by, by) if by else None,
        said=[
            SaidLine(
                entry.id or 0,
                findings.LINE_KINDS[entry.kind],
                to_plain(SlackText.of(entry.text), names),
                names.get(entry.author or "", entry.author or "someone"),
                entry.occurred_at,
                changed(entry),
            )
            for entry in said
        ],
        figures=[
            FigureLine(
                entry.id or 0,
                dict((entry.facts or {}).get("numbers") or {}),
                list((entry.facts or {}).get("services") or []),
                names.get(entry.author or "", entry.author or "someone"),
                entry.occurred_at,
                changed(entry),
            )
            for entry in figures
        ],
        changed={item.id or 0: found for item in items if (found := changed(item))},
        words={item.id or 0: to_plain(SlackText.of(task_text(item.text)), names) for item in items},
    )
