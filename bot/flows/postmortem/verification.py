"""The meaning of the model's suggested sentences, checked by the model against the words of
the entries they cite (WARROOM_AI_VERIFY, README "The postmortem draft"): the second,
separate request, made after the mechanical checks (bot/record/postmortem/checks.py) and
judged by bot/record/postmortem/verification.py. A model that cannot answer leaves the
sentences shown but marked "meaning not checked", never as checked.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from bot.clients.ai import ModelFailure, ask_for_verdicts
from bot.record.milestones import METRICS
from bot.record.postmortem.evidence import Evidence
from bot.record.postmortem.parts import Line
from bot.record.postmortem.sources import Record
from bot.record.postmortem.suggestions import Checked
from bot.record.postmortem.verification import judged, numbered, question_lines
from bot.record.postmortem.writing import decided_milestones
from bot.services import Services
from bot.store.models import Incident

log = logging.getLogger(__name__)
INSTRUCTIONS = "ai/verify_instructions.j2"
SENTENCES = "ai/verify_sentences.j2"
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
    asked = numbered(checked)
    if not asked:
        return judged(checked, evidence, [])
    left = min(ai.timeout, BUDGET_SECONDS - (time.monotonic() - started))
    if left < LEAST_SECONDS:
        failure: dict[str, Any] = {"kind": "no_time"}
        return judged(checked, evidence, None, failure=failure)
    render = services.renderer.render_plain
    context: dict[str, Any] = {"incident": incident}
    sentences = render(SENTENCES, sentences=question_lines(asked, evidence), **context)
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
        return judged(checked, evidence, None, failure=dict(error.reason))
    return judged(checked, evidence, verdicts)


def metric_minutes(record: Record) -> list[int]:
    """The draft's metrics (time to detect, …, impact duration) in whole minutes, as its
    milestones decide them: a duration a sentence states may be one."""
    lines = [Line(entry.occurred_at, entry.kind, "") for entry in record.entries]
    milestones, _ = decided_milestones(record, lines, lambda user_id: user_id)
    found = []
    for _, start, end in METRICS:
        began, ended = milestones[start].at, milestones[end].at
        if began is not None and ended is not None and ended >= began:
            seconds = (ended - began).total_seconds()
            found += [int(seconds // 60), round(seconds / 60)]
    return found
