"""Every cause proposed during an incident graded once the root cause is known
(docs/agents.md): when the postmortem is published, a job (``causes_grade``) sends the team's model
the root cause and the proposals (``[P1] …``: its possible causes and the agents' findings
for the underlying issue) and asks a grade for each on incident.io's scale, with why
(bot/clients/ai.py, ``warroom_grades``). Each is kept as the model's proposal for a person
to confirm or change on the draft's page (bot/web/postmortem/grades.py); a model that fails,
or none configured, leaves them to be graded by hand. A private incident's proposals are not
sent unless WARROOM_AI_PRIVATE is on.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clients.ai import ModelFailure, ask_for_grades
from bot.record.postmortem import grades
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Incident, Job

log = logging.getLogger(__name__)
INSTRUCTIONS = "ai/grade_instructions.j2"
PROPOSALS = "ai/grade_proposals.j2"


async def schedule_grading(session: AsyncSession, incident: Incident, *, at: datetime) -> None:
    """Grade the incident's proposals at ``at`` (once a publication; the caller commits)."""
    await jobs.schedule(
        session,
        kind=JobKind.CAUSES_GRADE,
        key=f"causes_grade:{incident.id}:{int(at.timestamp())}",
        due_at=at,
        incident_id=incident.id,
    )


async def grade_proposals(services: Services, job: Job) -> None:
    """Job: the model's grade of each proposal not graded yet, kept for a person to confirm."""
    assert job.incident_id is not None
    async with session_scope(services.engine) as session:
        incident = await session.get(Incident, job.incident_id)
        root = await grades.root_cause(session, job.incident_id)
        proposals = await grades.proposals_of(session, job.incident_id)
    if incident is None or root is None or not proposals:
        return
    ai = services.settings.ai
    graded: dict[int, tuple[int, str]] = {}
    if ai.enabled and (not incident.is_private or ai.private):
        render = services.renderer.render_plain
        assert services.http is not None, "asking the model needs the application's HTTP session"
        try:
            graded = await ask_for_grades(
                services.http,
                ai,
                instructions=render(INSTRUCTIONS, incident=incident),
                proposals=render(PROPOSALS, root=root, proposals=proposals),
            )
        except ModelFailure as error:
            log.warning("%s: the model gave no grades: %s", incident.reference, error.detail)
    async with session_scope(services.engine) as session:
        await grades.keep_grades(
            session,
            job.incident_id,
            proposals,
            {n: g for n, g in graded.items() if 1 <= n <= len(proposals)},
            root=root,
            grader=ai.model or None,
            at=services.clock(),
        )
        await session.commit()
    log.info("%s: %s proposal(s) graded", incident.reference, len(proposals))
