"""Every cause proposed during an incident graded against its root cause once it is known
(docs/agents.md), on incident.io's scale: 100 bullseye, 65 one hop short, 35 right area,
0 wrong. The proposals are the team's model's possible causes (``PossibleCause``) and the
agents' findings through MCP for the underlying issue (a ``SectionSuggestion`` of an
``agent:`` request); the model proposes each one's grade with its reason, a person confirms
or changes it on the draft's page. An agent grades nothing: a grade is the model's proposal
or a person's, and a person never grades under an agent's name.

No Slack and no HTTP: the model's request and answer come and go through
bot/flows/postmortem/grading.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.postmortem.edits import current_edits
from bot.record.postmortem.suggestions import PROPOSED_KEY
from bot.store.models import (
    CauseGrade,
    PossibleCause,
    SectionSuggestion,
    SuggestionRequest,
    TimelineEntry,
    TimelineKind,
)

# incident.io's four points, and what each says.
SCALE: Mapping[int, str] = {
    100: "bullseye",
    65: "one hop short",
    35: "right area",
    0: "wrong",
}
# A grade at least this is a right cause.
RIGHT = 65
MODEL, AGENT = "model", "agent"
# The draft's section whose text is the root cause once accepted.
ROOT_SECTION = "underlying_issue"


class GradeRefused(ValueError):
    """A grade that cannot be kept: ``reason`` is ``scale`` (not one of the four points),
    ``unknown`` (not this incident's), or ``own`` (its proposer grading itself)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Proposal:
    """A cause proposed during the incident: its text, who proposed it (a model's name, an
    agent's token name) and what it is (``model`` or ``agent``), and its row."""

    text: str
    proposer: str
    kind: str
    cause_id: int | None = None
    suggestion_id: int | None = None


async def root_cause(session: AsyncSession, incident_id: int) -> str | None:
    """The root cause as the team established it: the draft's underlying issue as a person
    wrote or accepted it, else the latest message marked root cause."""
    edits = await current_edits(session, incident_id)
    edit = edits.get(ROOT_SECTION)
    if edit is not None and edit.body.strip():
        return edit.body.strip()
    rows = await session.exec(
        select(TimelineEntry.text)
        .where(
            TimelineEntry.incident_id == incident_id,
            col(TimelineEntry.kind).in_([TimelineKind.ROOT_CAUSE, TimelineKind.TRIGGER]),
        )
        .order_by(col(TimelineEntry.id).desc())
        .limit(1)
    )
    text = rows.first()
    return text.strip() if text and text.strip() else None


async def proposals_of(session: AsyncSession, incident_id: int) -> list[Proposal]:
    """Every cause proposed during the incident, each text once a proposer: the model's
    possible causes, then the agents' findings for the underlying issue."""
    found: list[Proposal] = []
    seen: set[tuple[str, str]] = set()
    causes = await session.exec(
        select(PossibleCause)
        .where(PossibleCause.incident_id == incident_id)
        .order_by(col(PossibleCause.id))
    )
    for cause in causes.all():
        if (cause.proposed_by, cause.text) not in seen:
            seen.add((cause.proposed_by, cause.text))
            found.append(Proposal(cause.text, cause.proposed_by, MODEL, cause_id=cause.id))
    findings = await session.exec(
        select(SectionSuggestion, SuggestionRequest.model)
        .join(SuggestionRequest, col(SuggestionRequest.id) == SectionSuggestion.request_id)
        .where(
            SectionSuggestion.incident_id == incident_id,
            SectionSuggestion.section == ROOT_SECTION,
            col(SuggestionRequest.key).startswith(PROPOSED_KEY),
        )
        .order_by(col(SectionSuggestion.id))
    )
    for suggestion, agent in findings.all():
        text = " ".join(str(each.get("text") or "") for each in suggestion.sentences).strip()
        if text and (agent, text) not in seen:
            seen.add((agent, text))
            found.append(Proposal(text, agent, AGENT, suggestion_id=suggestion.id))
    return found


async def keep_grades(
    session: AsyncSession,
    incident_id: int,
    proposals: Sequence[Proposal],
    graded: Mapping[int, tuple[int, str]],
    *,
    root: str,
    grader: str | None,
    at: datetime,
) -> list[CauseGrade]:
    """A grade row for each proposal not graded yet, with the model's proposed grade and
    reason where it gave one (``graded``: by the proposal's place in ``proposals``, from 1);
    the caller commits."""
    kept = await grades_of(session, incident_id)
    done = {(g.cause_id, g.suggestion_id) for g in kept}
    made = []
    for number, proposal in enumerate(proposals, start=1):
        if (proposal.cause_id, proposal.suggestion_id) in done:
            continue
        grade, reason = graded.get(number, (None, None))
        made.append(
            CauseGrade(
                incident_id=incident_id,
                cause_id=proposal.cause_id,
                suggestion_id=proposal.suggestion_id,
                proposer=proposal.proposer,
                proposer_kind=proposal.kind,
                text=proposal.text,
                root_cause=root,
                proposed=grade,
                reason=reason,
                grader=grader if grade is not None else None,
                graded_at=at,
            )
        )
    session.add_all(made)
    await session.flush()
    return made


async def grades_of(session: AsyncSession, incident_id: int) -> list[CauseGrade]:
    rows = await session.exec(
        select(CauseGrade).where(CauseGrade.incident_id == incident_id).order_by(col(CauseGrade.id))
    )
    return list(rows.all())


async def confirm(
    session: AsyncSession,
    incident_id: int,
    grade_id: int,
    *,
    grade: int,
    by: str,
    at: datetime,
) -> CauseGrade:
    """A person's grade of a proposal (the model's confirmed, or changed); GradeRefused when
    it is not on the scale, not the incident's, or ``by`` is its own proposer (the caller
    commits)."""
    if grade not in SCALE:
        raise GradeRefused("scale")
    row = await session.get(CauseGrade, grade_id)
    if row is None or row.incident_id != incident_id:
        raise GradeRefused("unknown")
    if by == row.proposer:
        raise GradeRefused("own")
    row.grade, row.confirmed_by, row.confirmed_at = grade, by, at
    session.add(row)
    await session.flush()
    return row
