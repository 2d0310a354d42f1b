"""The draft's gaps that its lines leave, filled from its page by the flows Slack's answers
use (bot/flows/postmortem/):

- ``POST …/postmortem/misleading``: what ruled out an idea marked :x: whose end the record
  lacks: a message said after it (as Slack offers them), and/or the person's words with
  the time they give, kept as the answer to the idea's own question in Slack.
- ``POST …/postmortem/escalations``: who answered an escalation the record has no answer
  for, and when, or that nobody did. An acknowledgement in the record wins.
- ``POST …/postmortem/brought-in``: when warroom escalated to nobody, who else was brought
  in, when and why, in the person's words, or that nobody was.
- ``POST …/postmortem/mitigation``: how the impact was stopped, in the person's words,
  with the time they give, when no message is marked as the mitigation (a mark wins).
- ``POST …/postmortem/marks``: a message of the channel marked misleading, or as the one
  that stopped the impact, as the person's reaction would mark it; or that no path led the
  investigation astray.

Each refuses what it cannot read at its field (the page again, 400, what was typed kept),
and answers the incident's people only, never a guest of the workspace.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from bot.basics.errors import BotError
from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.basics.slack_text import SlackText, to_plain
from bot.flows.postmortem.answers import say_escalation_answer
from bot.flows.postmortem.prompts import PathEndRefused, rule_out_on_page
from bot.flows.postmortem.statements import MarkRefused, mark_on_page, say_statement
from bot.flows.replies import refusal_words
from bot.record.escalation.escalations import AlreadyAcknowledged
from bot.record.incident import messages
from bot.record.postmortem.statements import BROUGHT_IN, MISLEADING, MITIGATION
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import Escalation, Incident, TimelineKind
from bot.web.auth import page_viewer
from bot.web.context import web_context
from bot.web.postmortem.facts import (
    TEXT_MAX,
    Form,
    refused_at,
    saved_at,
    typed_fields,
    writer,
)
from bot.web.postmortem.page import draft_facts
from bot.web.postmortem.times import About, confirm_at, confirmed_fields, read_times, to_confirm

log = logging.getLogger(__name__)
PATH_FIELDS = ("idea", "number", "ruling", "words", "when")
ESCALATION_FIELDS = ("escalation", "answerer", "when")
NOBODY = "nobody"  # the answerer's choice that says nobody answered
BROUGHT_IN_FIELDS = ("choice", "words", "when")
MITIGATION_FIELDS = ("words", "when")
MARK_FIELDS = ("kind", "message")
NONE = "none"  # the misleading mark's choice that says no path led astray
# The marks the page gives, by the form's ``kind``: the form's name and the line's kind.
MARKS = {
    "misleading": ("misleading-mark", TimelineKind.MISLEADING),
    "mitigation": ("mitigation-mark", TimelineKind.MITIGATION),
}


async def save_path_end(request: web.Request) -> web.Response:
    """POST /incidents/INC-7/postmortem/misleading: what ruled out an idea, as its
    question's answer in Slack keeps it."""
    checked = await writer(request)
    if isinstance(checked, web.Response):
        return checked
    web_, by, form, incident = checked
    services, typed = web_.services, typed_fields(form, PATH_FIELDS)
    render = services.renderer.render
    form_name = f"path-{parse_bounded_int(typed['number'], 1, DATABASE_ID_MAX) or 0}"
    ruling = parse_bounded_int(typed["ruling"], 1, DATABASE_ID_MAX) if typed["ruling"] else None
    problems: dict[str, str] = {}
    if typed["ruling"] and ruling is None:
        problems["ruling"] = render("messages/path_end_refused.j2", problem="not_offered")
    if len(typed["words"]) > TEXT_MAX:
        problems["words"] = render("web/_draft_words.j2", problem="too_long", most=TEXT_MAX)
    if typed["when"] and not typed["words"]:
        problems["words"] = render("web/_draft_words.j2", problem="words_for_time")
    if not typed["ruling"] and not typed["words"] and not typed["when"]:
        problems["ruling"] = render("web/_draft_words.j2", problem="path_empty")
    if not incident.channel_id:
        problems["ruling"] = render("web/_draft_words.j2", problem="no_channel")
    about = {"when": About("ruled_out", "idea", await _idea_at(services, incident, typed["idea"]))}
    moments, refused = read_times(services, incident, typed, about)
    problems = {**refused, **problems}
    if problems:
        return await refused_at(request, form_name, problems, typed)
    sent = (typed, confirmed_fields(form, about))
    if asked := to_confirm(services, incident, sent, moments, about):
        return await confirm_at(request, form_name, asked, typed)
    try:
        await rule_out_on_page(
            services,
            channel_id=incident.channel_id or "",
            idea_ts=typed["idea"],
            by=by,
            ruling_id=ruling,
            words=SlackText.from_plain(typed["words"]) if typed["words"] else None,
            when=moments.get("when"),
        )
    except PathEndRefused as refusal:
        return await _refused(request, form_name, "ruling", refusal, typed)
    log.info("%s: a misleading path's end said in the web view by %s", incident.reference, by)
    return saved_at(incident, "misleading")


async def save_escalation_answer(request: web.Request) -> web.Response:
    """POST /incidents/INC-7/postmortem/escalations: who answered an escalation and when,
    or that nobody did, when the record says neither."""
    checked = await writer(request)
    if isinstance(checked, web.Response):
        return checked
    web_, by, form, incident = checked
    services, typed = web_.services, typed_fields(form, ESCALATION_FIELDS)
    render = services.renderer.render
    escalation = parse_bounded_int(typed["escalation"], 1, DATABASE_ID_MAX)
    form_name = f"escalation-{escalation or 0}"
    problems: dict[str, str] = {}
    answerer = typed["answerer"]
    facts = await draft_facts(web_, page_viewer(request), incident)
    if answerer != NOBODY and answerer not in facts.people:
        problems["answerer"] = render(
            "messages/escalation_answer_refused.j2", problem="unknown_answerer"
        )
    if escalation is None:
        problems["answerer"] = render("messages/escalation_answer_refused.j2", problem="gone")
    if not incident.channel_id:
        problems["answerer"] = render("web/_draft_words.j2", problem="no_channel")
    about = {"when": await _answered(services, escalation, answerer, facts.people)}
    moments, refused = read_times(services, incident, typed, about)
    problems = {**refused, **problems}
    if problems or escalation is None:
        return await refused_at(request, form_name, problems, typed)
    sent = (typed, confirmed_fields(form, about))
    if asked := to_confirm(services, incident, sent, moments, about):
        return await confirm_at(request, form_name, asked, typed)
    try:
        await say_escalation_answer(
            services,
            channel_id=incident.channel_id or "",
            escalation_id=escalation,
            by=by,
            answerer=None if answerer == NOBODY else answerer,
            when=moments.get("when"),
            where="page",
        )
    except AlreadyAcknowledged:
        problem = {
            "answerer": render("messages/escalation_answer_refused.j2", problem="acknowledged")
        }
        return await refused_at(request, form_name, problem, typed)
    except BotError as refusal:  # AnswerRefused: gone, no time, before the escalation
        return await _refused(request, form_name, "answerer", refusal, typed)
    log.info("%s: an escalation's answer said in the web view by %s", incident.reference, by)
    return saved_at(incident, "escalation")


async def save_brought_in(request: web.Request) -> web.Response:
    """POST /incidents/INC-7/postmortem/brought-in: who else was brought in, when and why,
    in the person's words, or that nobody was (warroom escalated to nobody)."""
    checked = await writer(request)
    if isinstance(checked, web.Response):
        return checked
    web_, by, form, incident = checked
    services, typed = web_.services, typed_fields(form, BROUGHT_IN_FIELDS)
    render = services.renderer.render
    problems: dict[str, str] = {}
    nobody = typed["choice"] == NOBODY
    if typed["choice"] not in (NOBODY, "someone"):
        problems["choice"] = render("web/_draft_words.j2", problem="brought_in_choice")
    elif nobody and (typed["words"] or typed["when"]):
        problems["words"] = render("web/_draft_words.j2", problem="nobody_with_words")
    elif not nobody and not typed["words"]:
        problems["words"] = render("web/_draft_words.j2", problem="brought_in_words")
    if len(typed["words"]) > TEXT_MAX:
        problems["words"] = render("web/_draft_words.j2", problem="too_long", most=TEXT_MAX)
    if not incident.channel_id:
        problems["choice"] = render("web/_draft_words.j2", problem="no_channel")
    words = None if nobody else SlackText.from_plain(typed["words"])
    said = Said("brought-in", BROUGHT_IN, by, words, About("brought_in"))
    return await _state(request, (services, incident, form), said, (problems, typed))


async def save_mitigation(request: web.Request) -> web.Response:
    """POST /incidents/INC-7/postmortem/mitigation: how the impact was stopped, and when if
    they say, in the person's words (a message marked as the mitigation wins)."""
    checked = await writer(request)
    if isinstance(checked, web.Response):
        return checked
    web_, by, form, incident = checked
    services, typed = web_.services, typed_fields(form, MITIGATION_FIELDS)
    render = services.renderer.render
    problems: dict[str, str] = {}
    if not typed["words"]:
        problems["words"] = render("web/_draft_words.j2", problem="mitigation_words")
    if len(typed["words"]) > TEXT_MAX:
        problems["words"] = render("web/_draft_words.j2", problem="too_long", most=TEXT_MAX)
    if not incident.channel_id:
        problems["words"] = render("web/_draft_words.j2", problem="no_channel")
    words = SlackText.from_plain(typed["words"])
    said = Said("mitigation-words", MITIGATION, by, words, About("stopped"))
    return await _state(request, (services, incident, form), said, (problems, typed))


@dataclass(frozen=True)
class Said:
    """A statement a form gives (``form``: its name): of ``kind``, by whom, their words and
    whose time its ``when`` field holds."""

    form: str
    kind: str
    by: str
    words: SlackText | None
    when: About


async def _state(
    request: web.Request,
    about: tuple[Services, Incident, Form],
    said: Said,
    refused: tuple[dict[str, str], dict[str, str]],
) -> web.Response:
    """Keep the statement ``said`` (its time read as the incident's, refused at its field or
    shown back first), unless the form was refused: ``refused``, its problems by field and
    what was typed. Its time is left out when the person says nobody (no words)."""
    services, incident, form = about
    problems, typed = refused
    fields = {"when": said.when} if said.words is not None else {}
    moments, not_read = read_times(services, incident, typed, fields)
    problems = {**not_read, **problems}
    if problems:
        return await refused_at(request, said.form, problems, typed)
    sent = (typed, confirmed_fields(form, fields))
    if asked := to_confirm(services, incident, sent, moments, fields):
        return await confirm_at(request, said.form, asked, typed)
    await say_statement(
        services,
        channel_id=incident.channel_id or "",
        kind=said.kind,
        by=said.by,
        words=said.words,
        when=moments.get("when"),
    )
    log.info(
        "%s: a %s statement said on the draft's page by %s", incident.reference, said.kind, said.by
    )
    return saved_at(incident, said.form)


async def save_mark(request: web.Request) -> web.Response:
    """POST /incidents/INC-7/postmortem/marks: a message marked misleading, or as the one
    that stopped the impact, as the person's reaction would; or that no path misled."""
    checked = await writer(request)
    if isinstance(checked, web.Response):
        return checked
    web_, by, form, incident = checked
    services, typed = web_.services, typed_fields(form, MARK_FIELDS)
    render = services.renderer.render
    form_name, kind = MARKS.get(typed["kind"], MARKS["misleading"])
    none = typed["message"] == NONE and kind == TimelineKind.MISLEADING
    message = parse_bounded_int(typed["message"], 1, DATABASE_ID_MAX)
    problems: dict[str, str] = {}
    if typed["kind"] not in MARKS or (message is None and not none):
        problems["message"] = render("messages/page_mark_refused.j2", problem="not_offered")
    if not incident.channel_id:
        problems["message"] = render("web/_draft_words.j2", problem="no_channel")
    if problems:
        return await refused_at(request, form_name, problems, typed)
    channel = incident.channel_id or ""
    try:
        if none:
            await say_statement(
                services, channel_id=channel, kind=MISLEADING, by=by, words=None, when=None
            )
        else:
            assert message is not None
            await mark_on_page(services, channel_id=channel, message_id=message, kind=kind, by=by)
    except MarkRefused as refusal:
        return await _refused(request, form_name, "message", refusal, typed)
    log.info("%s: a message marked in the web view by %s", incident.reference, by)
    return saved_at(incident, form_name)


async def _refused(
    request: web.Request, form_name: str, field: str, refusal: BotError, typed: dict[str, str]
) -> web.Response:
    """The page again (400) with the refusal's words at the field it names, else ``field``."""
    words = refusal_words(web_context(request).services, refusal)
    return await refused_at(request, form_name, {refusal.context.get("field", field): words}, typed)


async def _idea_at(services: Services, incident: Incident, idea_ts: str) -> datetime | None:
    """When the idea of ``idea_ts`` was said (a time ruling it out is shown from it)."""
    async with session_scope(services.engine) as session:
        idea = await messages.find_message(session, incident.channel_id or "", idea_ts)
    return idea.occurred_at if idea is not None else None


async def _answered(
    services: Services, escalation_id: int | None, answerer: str, people: Mapping[str, str]
) -> About:
    """Whose time the escalation form's ``when`` holds: ``answerer``'s (``people``: names by
    id), since the escalation, to whom it went named as the page names people."""
    async with session_scope(services.engine) as session:
        escalation = await session.get(Escalation, escalation_id) if escalation_id else None
    who = people.get(answerer, "They")
    if escalation is None:
        return About("answered", who=who)
    target = to_plain(escalation.target, people)
    if escalation.target_kind == "user":
        target = people.get(escalation.target_ref, target)
    return About("answered", "escalation", escalation.escalated_at, who, target)
