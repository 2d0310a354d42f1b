"""The meaning of the model's suggested sentences, checked by the model against the words of
the entries they cite (WARROOM_AI_VERIFY, README "The postmortem draft"): the second,
separate request, made after the mechanical checks (bot/record/postmortem/checks.py) and
judged by bot/record/postmortem/verification.py, with controls made from the sentences
themselves shuffled among them (bot/record/postmortem/controls.py). A model that cannot
answer, or fails a control, and sentences none of which a control could be made from (the
model is then not asked), leave the sentences outside the draft's text marked "meaning not
checked", never as checked; each request's outcome is counted in /metrics
(``warroom_ai_verdict_requests_total``).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Mapping
from typing import Any

from bot.basics.render import Renderer
from bot.clients.ai import ModelFailure, ask_for_verdicts
from bot.flows.channel import choose_template
from bot.record.incident.milestones import Surface, metrics_on
from bot.record.postmortem.controls import Real, Say, controls_of
from bot.record.postmortem.evidence import Evidence
from bot.record.postmortem.parts import Line
from bot.record.postmortem.sources import Record
from bot.record.postmortem.suggestions import Checked
from bot.record.postmortem.verification import (
    Question,
    failed_controls,
    judged,
    numbered,
    question_lines,
    question_of,
)
from bot.record.postmortem.writing import decided_milestones
from bot.services import Services
from bot.store.models import Incident

log = logging.getLogger(__name__)
INSTRUCTIONS = "ai/verify_instructions.j2"
SENTENCES = "ai/verify_sentences.j2"
CONTROL = "ai/control.j2"
# Both requests run under one job's lease (bot/store/jobs.py, 5 minutes): the second gets
# WARROOM_AI_TIMEOUT, or what is left of this many seconds since the first was sent, if less.
BUDGET_SECONDS = 270.0
# Less than this left: not asked at all (the sentences' meaning is not checked).
LEAST_SECONDS = 1.0


async def verify_meaning(
    services: Services,
    incident: Incident,
    checked: Mapping[str, Checked],
    evidence: Mapping[str, Evidence],
    *,
    started: float,
) -> dict[str, Checked]:
    """Each section after the model's verdicts (or marked not checked, or "mechanical checks
    only" when WARROOM_AI_VERIFY is off). ``started``: ``time.monotonic()`` when the first
    request was sent."""
    ai = services.settings.ai
    # No model configured: an agent's proposal gets the mechanical checks alone.
    if not ai.verify or not ai.enabled:
        return judged(checked, evidence, None, off=True)
    say, language = _saying(services, incident)
    question = controlled_question(checked, evidence, say, random.SystemRandom(), language=language)
    if not question.asked:
        return judged(checked, evidence, [], question=question)
    if not question.controls:
        log.warning("%s: no control could be made, meaning not checked", incident.reference)
        services.metrics.verdicts_request("no_controls")
        return judged(checked, evidence, None, failure={"kind": "no_controls"}, question=question)
    left = min(ai.timeout, BUDGET_SECONDS - (time.monotonic() - started))
    if left < LEAST_SECONDS:
        failure: dict[str, Any] = {"kind": "no_time"}
        return judged(checked, evidence, None, failure=failure, question=question)
    render = services.renderer.render_plain
    context: dict[str, Any] = {"incident": incident}
    sentences = render(SENTENCES, sentences=question_lines(question, evidence), **context)
    assert services.http is not None, "asking the model needs the application's HTTP session"
    try:
        verdicts = await ask_for_verdicts(
            services.http,
            ai,
            instructions=render(INSTRUCTIONS, **context),
            sentences=sentences,
            timeout=left,
        )
    except ModelFailure as error:
        log.warning(
            "%s: the model gave no verdicts, meaning not checked: %s",
            incident.reference,
            error.detail,
        )
        services.metrics.verdicts_request("no_verdicts")
        return judged(checked, evidence, None, failure=dict(error.reason), question=question)
    failed = failed_controls(question, verdicts)
    if failed:
        log.warning(
            "%s: the model failed %s control(s), its verdicts are void: meaning not checked",
            incident.reference,
            sum(failed.values()),
        )
    services.metrics.verdicts_request("failed_control" if failed else "passed")
    return judged(checked, evidence, verdicts, question=question)


def controlled_question(
    checked: Mapping[str, Checked],
    evidence: Mapping[str, Evidence],
    say: Say,
    rng: random.Random,
    *,
    language: str = "en",
) -> Question:
    """The kept sentences and the controls made from them (controls.py), shuffled together:
    what a verdicts request asks, here and in ``warroom ai eval``."""
    real = [Real(each.sentence.text, each.sentence.cites) for each in numbered(checked)]
    controls = controls_of(real, evidence, say, rng, language=language)
    return question_of(checked, controls, rng.shuffle)


def _saying(services: Services, incident: Incident) -> tuple[Say, str]:
    """The cause control's words in the incident's draft language (templates/ai/control.j2),
    and that language."""
    language, _ = choose_template(services, incident)
    return saying(services.renderer, language), language


def saying(renderer: Renderer, language: str) -> Say:
    """A cause control's sentence in ``language`` (templates/ai/control.j2)."""

    def say(stem: str, words: str) -> str:
        said = renderer.render_plain(CONTROL, language=language, stem=stem, words=words)
        return " ".join(said.split())

    return say


def metric_minutes(record: Record) -> list[int]:
    """The draft's metrics (time to detect, …, impact duration) in whole minutes, as its
    milestones decide them: a duration a sentence states may be one."""
    lines = [Line(entry.occurred_at, entry.kind, "") for entry in record.entries]
    milestones, _ = decided_milestones(record, lines, lambda user_id: user_id)
    found = []
    for metric in metrics_on(Surface.DRAFT):
        began, ended = milestones[metric.start].at, milestones[metric.end].at
        if began is not None and ended is not None and ended >= began:
            seconds = (ended - began).total_seconds()
            found += [int(seconds // 60), round(seconds / 60)]
    return found
