"""The draft's gaps that its lines leave, filled from its page by the flows Slack's answers
use (bot/flows/postmortem/):

- ``POST …/postmortem/misleading``: what ruled out an idea marked :x: whose end the record
  lacks: a message said after it (as Slack offers them), and/or the person's words with
  the time they give, kept as the answer to the idea's own question in Slack.
- ``POST …/postmortem/escalations``: who answered an escalation the record has no answer
  for, and when, or that nobody did. An acknowledgement in the record wins.

Each refuses what it cannot read at its field (the page again, 400, what was typed kept),
and answers the incident's people only, never a guest of the workspace.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.basics.errors import BotError
from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.basics.slack_text import SlackText
from bot.flows.postmortem.answers import say_escalation_answer
from bot.flows.postmortem.prompts import PathEndRefused, rule_out_on_page
from bot.flows.replies import refusal_words
from bot.record.escalation.escalations import AlreadyAcknowledged
from bot.record.moments import MomentRefused
from bot.web.auth import page_viewer
from bot.web.postmortem.facts import (
    TEXT_MAX,
    refused_at,
    saved_at,
    typed_fields,
    writer,
)
from bot.web.postmortem.page import draft_facts

log = logging.getLogger(__name__)
PATH_FIELDS = ("idea", "number", "ruling", "words", "when")
ESCALATION_FIELDS = ("escalation", "answerer", "when")
NOBODY = "nobody"  # the answerer's choice that says nobody answered


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
    if problems:
        return await refused_at(request, form_name, problems, typed)
    try:
        await rule_out_on_page(
            services,
            channel_id=incident.channel_id or "",
            idea_ts=typed["idea"],
            by=by,
            ruling_id=ruling,
            words=SlackText.from_plain(typed["words"]) if typed["words"] else None,
            when=typed["when"] or None,
        )
    except MomentRefused as refusal:
        return await refused_at(
            request, form_name, {"when": refusal_words(services, refusal)}, typed
        )
    except PathEndRefused as refusal:
        where = refusal.context.get("field", "ruling")
        return await refused_at(
            request, form_name, {where: refusal_words(services, refusal)}, typed
        )
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
    if problems or escalation is None:
        return await refused_at(request, form_name, problems, typed)
    try:
        await say_escalation_answer(
            services,
            channel_id=incident.channel_id or "",
            escalation_id=escalation,
            by=by,
            answerer=None if answerer == NOBODY else answerer,
            when=typed["when"] or None,
            where="page",
        )
    except MomentRefused as refusal:
        problem = {"when": refusal_words(services, refusal)}
        return await refused_at(request, form_name, problem, typed)
    except AlreadyAcknowledged:
        problem = {
            "answerer": render("messages/escalation_answer_refused.j2", problem="acknowledged")
        }
        return await refused_at(request, form_name, problem, typed)
    except BotError as refusal:  # AnswerRefused: gone, no time, before the escalation
        where = refusal.context.get("field", "answerer")
        return await refused_at(
            request, form_name, {where: refusal_words(services, refusal)}, typed
        )
    log.info("%s: an escalation's answer said in the web view by %s", incident.reference, by)
    return saved_at(incident, "escalation")
