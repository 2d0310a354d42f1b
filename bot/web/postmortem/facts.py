"""The record's gaps filled from the draft's page, by the flows the Slack commands and the
wrap-up form use (nothing recorded here that Slack would record otherwise):

- ``POST …/postmortem/impact``: what was affected and what caused it (``/incident impact``,
  ``/incident cause``), when the impact started and when it was detected (``/incident time
  started``, ``/incident time detected``), and the wrap-up's questions: when it ended, the
  impact in numbers, the services, the trigger.
- ``POST …/postmortem/follow-ups``: a follow-up with its owner and due date, filed in the
  team's tracker if asked (``/incident action @owner --due <day> [--file] <task>``).
- ``POST …/postmortem/follow-ups/{item}/file``: the follow-up's *File as issue* button.
- ``POST …/postmortem/lines/{entry}`` and ``POST …/postmortem/follow-ups/{item}``: an impact
  or cause line people said, or a follow-up, given new words or removed (``act=remove``),
  as the person's change, kept as a row of its own (bot/record/incident/findings.py).
- ``POST …/postmortem/figures/{entry}``: the wrap-up's impact in numbers and affected
  services (an estimate, corrected when better counts arrive) given new figures, or removed,
  the same way.

Each refuses what it cannot read at its field (a redirect to the page, which shows the
refusal and what was typed once), and answers the incident's people only, never a guest of
the workspace.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from aiohttp import web

from bot.basics.errors import BotError
from bot.basics.slack_text import SlackText
from bot.flows.follow_ups.filing import file_from_button
from bot.flows.follow_ups.owners import SentTwice, change_follow_up, due_moment, record_action
from bot.flows.incident.findings import (
    change_figures_line,
    change_said_line,
    fix_milestone,
    record_finding,
)
from bot.flows.incident.wrap_up import WrapUp, wrap_up
from bot.flows.replies import refusal_words
from bot.record.incident.wrap_up import IMPACT_NUMBERS, WHOLE_NUMBERS, number_facts, read_number
from bot.record.moments import MomentRefused
from bot.record.postmortem.review import REASON_MAX, ReviewRefused, check_open
from bot.services import Services
from bot.store.models import Incident, Milestone
from bot.web.auth import guest_viewer, page_viewer
from bot.web.context import WebContext, web_context
from bot.web.pages_common import guests_refused, not_allowed
from bot.web.postmortem.page import Refusal, draft_again, draft_facts
from bot.web.postmortem.times import About, confirm_at, confirmed_fields, read_times, to_confirm
from bot.web.reading import id_in_address, posted_about_incident
from bot.web.visibility import Viewer

log = logging.getLogger(__name__)
# A person's words for one field: a few paragraphs, not a section.
TEXT_MAX = 4000
# The fields of the impact form that are text, kept as typed when it refuses.
IMPACT_FIELDS = (
    *("what", "cause", "started", "detected", "ended"),
    *(*IMPACT_NUMBERS, "services", "trigger"),
)
FOLLOW_UP_FIELDS = ("task", "owner", "due", "file")
# The impact form's times, read as the incident's (bot/web/postmortem/times.py).
IMPACT_TIMES = {name: About(name) for name in ("started", "detected", "ended")}

Form = Any  # aiohttp's MultiDictProxy of the posted fields


async def writer(
    request: web.Request, *, published_too: bool = False
) -> tuple[WebContext, str, Form, Incident] | web.Response:
    """The posted form, checked (CSRF), its incident, and the viewer's id as an author; a
    403 page for a guest of the workspace or someone not among the incident's people."""
    checked = await posted_by_writer(request, published_too=published_too)
    if isinstance(checked, web.Response):
        return checked
    web_, viewer, form, incident, _ = checked
    return web_, viewer.author, form, incident


async def posted_by_writer(
    request: web.Request, *, published_too: bool = False
) -> tuple[WebContext, Viewer, Form, Incident, int] | web.Response:
    """As ``writer``, with the viewer and the incident's id: what a form of the draft that
    writes the incident's record starts from. A published postmortem stays as published:
    its forms are refused (the page again, 409, said at the review form) until it is
    reopened, but for ``published_too`` (the review form itself; filing a follow-up)."""
    web_, viewer, form, incident, incident_id = await posted_about_incident(request)
    if await guest_viewer(request, viewer):
        return guests_refused(request, "guest_draft")
    if not await web_.visibility.can_edit(viewer, incident):
        return not_allowed(request, incident)
    if not published_too:
        try:
            check_open(incident)
        except ReviewRefused as refused:
            return await review_refused(request, refused)
    return web_, viewer, form, incident, incident_id


async def review_refused(request: web.Request, refused: ReviewRefused) -> web.Response:
    """The page again, 409, saying at the review form why the change waits for a reopening."""
    words = web_context(request).services.renderer.render(
        "web/_draft_words.j2", problem=refused.problem, most=REASON_MAX
    )
    return await draft_again(request, Refusal("review", {"to": words}), status=409)


def typed_field(form: Form, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def typed_fields(form: Form, names: tuple[str, ...]) -> dict[str, str]:
    return {name: typed_field(form, name) for name in names}


def saved_at(incident: Incident, what: str, *, again: bool = False) -> web.Response:
    """303 to the page, saying what was kept; ``again``: the form was sent twice and its
    lines were kept once (bot/record/incident/findings.py, REPEAT_WITHIN)."""
    twice = "&again=1" if again else ""
    raise web.HTTPSeeOther(
        f"/incidents/{incident.reference}/postmortem?saved={what}{twice}#{what}-form"
    )


async def refused_at(
    request: web.Request, form_name: str, problems: dict[str, str], typed: dict[str, str]
) -> web.Response:
    return await draft_again(request, Refusal(form_name, problems, typed))


async def save_impact(request: web.Request) -> web.Response:
    """POST /incidents/INC-7/postmortem/impact: the impact, the cause and the wrap-up's
    answers, each as the command or the form in Slack keeps it."""
    checked = await writer(request)
    if isinstance(checked, web.Response):
        return checked
    web_, by, form, incident = checked
    services, typed = web_.services, typed_fields(form, IMPACT_FIELDS)
    problems, moments, numbers = _impact_read(services, incident, typed)
    if problems:
        return await refused_at(request, "impact", problems, typed)
    sent = (typed, confirmed_fields(form, IMPACT_TIMES))
    if asked := to_confirm(services, incident, sent, moments, IMPACT_TIMES):
        return await confirm_at(request, "impact", asked, typed)
    repeated = False
    for field_name, step in _impact_steps(services, incident, by, typed, moments, numbers):
        try:
            # None: a line this person recorded with the same words a moment ago (sent twice).
            repeated |= await step() is None and field_name in ("what", "cause")
        except BotError as refusal:
            problems[field_name] = refusal_words(services, refusal)
            return await refused_at(request, "impact", problems, typed)
    log.info("%s: the impact recorded in the web view by %s", incident.reference, by)
    return saved_at(incident, "impact", again=repeated)


def _impact_read(
    services: Services, incident: Incident, typed: dict[str, str]
) -> tuple[dict[str, str], dict[str, datetime], dict[str, Decimal]]:
    """The impact form read: the refusal's words by field, the moments and the numbers."""
    problems: dict[str, str] = {}
    if not incident.channel_id:
        problems["what"] = services.renderer.render("web/_draft_words.j2", problem="no_channel")
    for name in ("what", "cause", "trigger", "services"):
        if len(typed[name]) > TEXT_MAX:
            problems[name] = services.renderer.render(
                "web/_draft_words.j2", problem="too_long", most=TEXT_MAX
            )
    moments, refused = read_times(services, incident, typed, IMPACT_TIMES)
    problems.update(refused)
    numbers: dict[str, Decimal] = {}
    for key in IMPACT_NUMBERS:
        if typed[key]:
            number = read_number(typed[key], whole=key in WHOLE_NUMBERS)
            if number is None:
                problem = "whole_number" if key in WHOLE_NUMBERS else "number"
                problems[key] = services.renderer.render("messages/form_error.j2", problem=problem)
            else:
                numbers[key] = number
    if not problems and not any(typed.values()):
        problems["what"] = services.renderer.render("web/_draft_words.j2", problem="empty")
    return problems, moments, numbers


def _impact_steps(
    services: Services,
    incident: Incident,
    by: str,
    typed: dict[str, str],
    moments: dict[str, datetime],
    numbers: dict[str, Decimal],
) -> list[tuple[str, Callable[[], Awaitable[object]]]]:
    """Each step as the command or the form in Slack takes it, by the field its refusal is
    said at; the impact's start first, so that its detection and end are checked against it."""
    channel = incident.channel_id or ""
    steps: list[tuple[str, Callable[[], Awaitable[object]]]] = []
    fix = partial(fix_milestone, services, channel_id=channel, by=by)
    for name, milestone in (("started", Milestone.STARTED), ("detected", Milestone.DETECTED)):
        if name in moments:
            steps.append((name, partial(fix, milestone=milestone, when=moments[name])))
    given = WrapUp(
        ended=moments.get("ended"),
        numbers=numbers,
        trigger=SlackText.from_plain(typed["trigger"]) if typed["trigger"] else None,
        services=_services(typed["services"]),
    )
    if given.ended or given.numbers or given.trigger or given.services:
        kept = partial(wrap_up, services, channel_id=channel, by=by, given=given, message_ts="")
        steps.append(("ended", kept))
    for what, kind in (("what", "impact"), ("cause", "cause")):
        if typed[what]:
            said = SlackText.from_plain(typed[what])
            finding = partial(record_finding, services, channel_id=channel, by=by, once=True)
            steps.append((what, partial(finding, what=kind, text=said)))
    return steps


async def change_figures(request: web.Request) -> web.Response:
    """POST /incidents/INC-7/postmortem/figures/{entry}: the wrap-up's impact in numbers and
    affected services given the figures typed (all of them: a field left empty has none), or
    removed (``act=remove``), as the viewer's change."""
    checked = await writer(request)
    if isinstance(checked, web.Response):
        return checked
    web_, by, form, incident = checked
    services = web_.services
    line = id_in_address(request, "entry", "This postmortem has no such line.")
    form_name = f"figures-{line}"
    typed = typed_fields(form, (*IMPACT_NUMBERS, "services"))
    facts: dict[str, object] | None = None
    if typed_field(form, "act") != "remove":
        numbers, problems = _numbers(web_, typed)
        if len(typed["services"]) > TEXT_MAX:
            problems["services"] = services.renderer.render(
                "web/_draft_words.j2", problem="too_long", most=TEXT_MAX
            )
        named = _services(typed["services"])
        if not problems and not numbers and not named:
            problems["customers"] = services.renderer.render(
                "web/_draft_words.j2", problem="figures_empty"
            )
        if problems:
            return await refused_at(request, form_name, problems, typed)
        facts = {}
        if numbers:
            facts["numbers"] = number_facts(numbers)
        if named:
            facts["services"] = named
    try:
        await change_figures_line(services, incident=incident, entry_id=line, facts=facts, by=by)
    except BotError as refusal:
        words = {"customers": refusal_words(services, refusal)}
        return await refused_at(request, form_name, words, typed)
    done = "removed" if facts is None else "edited"
    log.info("%s: the impact's figures %s in the web view by %s", incident.reference, done, by)
    raise web.HTTPSeeOther(
        f"/incidents/{incident.reference}/postmortem?saved=figures&line={done}#figures"
    )


def _numbers(web_: WebContext, typed: dict[str, str]) -> tuple[dict[str, Decimal], dict[str, str]]:
    """The impact's numbers typed, and the words for each that is no number of its kind."""
    numbers: dict[str, Decimal] = {}
    problems: dict[str, str] = {}
    for key in IMPACT_NUMBERS:
        if typed[key]:
            number = read_number(typed[key], whole=key in WHOLE_NUMBERS)
            if number is None:
                problem = "whole_number" if key in WHOLE_NUMBERS else "number"
                problems[key] = web_.services.renderer.render(
                    "messages/form_error.j2", problem=problem
                )
            else:
                numbers[key] = number
    return numbers, problems


def _services(typed: str) -> list[str]:
    """The services typed, comma-separated, each once whatever its case."""
    kept: dict[str, str] = {}
    for name in typed.split(","):
        if name.strip():
            kept.setdefault(name.strip().lower(), name.strip())
    return list(kept.values())


async def add_follow_up(request: web.Request) -> web.Response:
    """POST /incidents/INC-7/postmortem/follow-ups: a follow-up, as ``/incident action
    @owner --due <day> [--file] <task>`` notes it (its message, reminders, the issue)."""
    checked = await writer(request)
    if isinstance(checked, web.Response):
        return checked
    web_, by, form, incident = checked
    services, typed = web_.services, typed_fields(form, FOLLOW_UP_FIELDS)
    problems: dict[str, str] = {}
    render = services.renderer.render
    if not typed["task"]:
        problems["task"] = render("messages/form_error.j2", problem="task_missing")
    elif len(typed["task"]) > TEXT_MAX:
        problems["task"] = render("web/_draft_words.j2", problem="too_long", most=TEXT_MAX)
    facts = await draft_facts(web_, page_viewer(request), incident)
    if typed["owner"] and typed["owner"] not in facts.people:
        problems["owner"] = render("web/_draft_words.j2", problem="unknown_owner")
    if typed["due"]:
        try:
            due_moment(typed["due"], incident.timezone, services.clock())
        except MomentRefused as refusal:
            problems["due"] = refusal_words(services, refusal)
    if not incident.channel_id:
        problems["task"] = render("web/_draft_words.j2", problem="no_channel")
    if problems:
        return await refused_at(request, "follow-up", problems, typed)
    try:
        await record_action(
            services,
            channel_id=incident.channel_id or "",
            by=by,
            owner=typed["owner"] or None,
            text=SlackText.from_plain(typed["task"]),
            due=typed["due"] or None,
            file=bool(typed["file"]),
            once=True,
        )
    except SentTwice:
        return saved_at(incident, "follow-up", again=True)
    except BotError as refusal:
        where = "file" if typed["file"] else "task"
        return await refused_at(
            request, "follow-up", {where: refusal_words(services, refusal)}, typed
        )
    log.info("%s: a follow-up noted in the web view by %s", incident.reference, by)
    return saved_at(incident, "follow-up")


async def file_follow_up(request: web.Request) -> web.Response:
    """POST /incidents/INC-7/postmortem/follow-ups/{item}/file: file it in the team's
    tracker, as its *File as issue* button in Slack does (a published postmortem too: the
    follow-up's work goes on after it)."""
    checked = await writer(request, published_too=True)
    if isinstance(checked, web.Response):
        return checked
    web_, by, _, incident = checked
    item = id_in_address(request, "item", "This postmortem has no such follow-up.")
    try:
        await file_from_button(
            web_.services, channel_id=incident.channel_id or "", item_id=item, by=by
        )
    except BotError as refusal:
        problem = {f"file-{item}": refusal_words(web_.services, refusal)}
        return await refused_at(request, "follow-up", problem, {})
    return saved_at(incident, "follow-up")


async def change_said(request: web.Request) -> web.Response:
    """POST /incidents/INC-7/postmortem/lines/{entry}: an impact or cause line people said,
    given the words typed (``text``) or removed (``act=remove``), as the viewer's change."""
    return await _change_line(request, "entry", change_said_line, "line")


async def change_noted(request: web.Request) -> web.Response:
    """POST /incidents/INC-7/postmortem/follow-ups/{item}: a follow-up given the words typed
    or removed (its reminders ended), as the viewer's change."""
    return await _change_line(request, "item", change_follow_up, "follow-up-line")


async def _change_line(
    request: web.Request, key: str, change: Callable[..., Awaitable[object]], saved: str
) -> web.Response:
    checked = await writer(request)
    if isinstance(checked, web.Response):
        return checked
    web_, by, form, incident = checked
    services = web_.services
    line = id_in_address(request, key, "This postmortem has no such line.")
    form_name = f"{saved}-{line}"
    remove = typed_field(form, "act") == "remove"
    typed = typed_fields(form, ("text",))
    render = services.renderer.render
    if not remove and not typed["text"]:
        problem = render("web/_draft_words.j2", problem="line_empty")
        return await refused_at(request, form_name, {"text": problem}, typed)
    if len(typed["text"]) > TEXT_MAX:
        problem = render("web/_draft_words.j2", problem="too_long", most=TEXT_MAX)
        return await refused_at(request, form_name, {"text": problem}, typed)
    text = None if remove else SlackText.from_plain(typed["text"])
    ids = {"entry_id" if key == "entry" else "item_id": line}
    try:
        await change(services, incident=incident, text=text, by=by, **ids)
    except BotError as refusal:
        words = {"text": refusal_words(services, refusal)}
        return await refused_at(request, form_name, words, typed)
    done = "removed" if remove else "edited"
    log.info("%s: a line %s in the web view by %s", incident.reference, done, by)
    raise web.HTTPSeeOther(
        f"/incidents/{incident.reference}/postmortem?saved={saved}&line={done}#{saved}s"
    )
