"""The causes the team's model and agents proposed during the incidents shown, counted per
month and helper for the insights page (docs/agents.md): made; not shown, each for its
reason; accepted by people; graded by a person, and graded right."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.incident.queries import Summarised
from bot.record.insights.counts import incident_ids, zone_of
from bot.store.columns import among
from bot.store.models import (
    CauseGrade,
    CauseRequest,
    CauseVote,
    PossibleCause,
    SectionSuggestion,
    SuggestionRequest,
)


@dataclass(frozen=True)
class HelperMonth:
    """What one helper (the team's model, by its name, or an agent, by its token's name)
    proposed as causes in one month of the incidents shown: proposals made; those not shown,
    each for its reason: refused by the checks (a fact or its meaning not held by the
    record), beyond the three a request shows, or left unchecked (the model failed a control,
    or its meaning could not be checked); accepted by people (made the working theory, more
    👍 than 👎, or accepted into the draft), graded by a person, and graded right (65 % or
    100 %)."""

    proposer: str
    kind: str  # "model" or "agent"
    month: date
    made: int = 0
    refused: int = 0
    beyond: int = 0
    unchecked: int = 0
    accepted: int = 0
    graded: int = 0
    right: int = 0


def why_not_shown(left: Mapping[str, Any]) -> str:
    """Why a proposed cause a request kept aside was not shown: "beyond" the three a request
    shows, "unchecked" (its meaning not proved: a failed control, no verdict, the check
    off), else "refused" by the checks."""
    rules = {str(reason.get("rule")) for reason in left.get("why") or ()}
    if "too_many" in rules:
        return "beyond"
    return "unchecked" if "meaning_not_checked" in rules else "refused"


async def helper_figures(
    session: AsyncSession, incidents: Sequence[Summarised], *, zone: str
) -> list[HelperMonth]:
    """Each helper's figures per month (of the proposal, in ``zone``), over ``incidents``
    (those the viewer may see): the model's possible causes and the agents' findings for
    the underlying issue; newest month first, then by proposer."""
    tally = _Tally(zone_of(zone))
    ids = incident_ids(incidents)
    asked = await tally.requests(session, ids)
    await tally.causes(session, ids, asked)
    await tally.findings(session, ids)
    await tally.grades(session, ids)
    return tally.months()


class _Tally:
    """The counts per (proposer, kind, month), added up source by source."""

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self.rows: dict[tuple[str, str, date], dict[str, int]] = {}

    def add(self, proposer: str, kind: str, at: datetime, **counts: int) -> None:
        month = at.astimezone(self.zone).date().replace(day=1)
        row = self.rows.setdefault((proposer, kind, month), {})
        for name, count in counts.items():
            row[name] = row.get(name, 0) + count

    async def requests(self, session: AsyncSession, ids: list[int]) -> dict[int, datetime]:
        """The model's requests: what each kept aside, by why; when each was asked, by id."""
        rows = await session.exec(
            select(CauseRequest).where(among(col(CauseRequest.incident_id), ids))
        )
        asked = {}
        for request in rows.all():
            asked[request.id or 0] = request.asked_at
            why = [why_not_shown(left) for left in request.refused or []]
            reasons = {reason: why.count(reason) for reason in ("refused", "beyond", "unchecked")}
            self.add(request.model, "model", request.asked_at, made=len(why), **reasons)
        return asked

    async def causes(
        self, session: AsyncSession, ids: list[int], asked: Mapping[int, datetime]
    ) -> None:
        """The causes shown: each made, and accepted when liked or made the working theory."""
        rows = await session.exec(
            select(PossibleCause).where(among(col(PossibleCause.incident_id), ids))
        )
        shown = list(rows.all())
        votes = await session.exec(
            select(CauseVote.cause_id, func.sum(CauseVote.vote))
            .where(among(col(CauseVote.cause_id), [c.id or 0 for c in shown]))
            .group_by(col(CauseVote.cause_id))
        )
        liked = {cause_id: int(total or 0) for cause_id, total in votes.all()}
        for cause in shown:
            liked_it = cause.theory_by is not None or liked.get(cause.id or 0, 0) > 0
            at = asked[cause.request_id]
            self.add(cause.proposed_by, "model", at, made=1, accepted=int(liked_it))

    async def findings(self, session: AsyncSession, ids: list[int]) -> None:
        """The agents' findings for the underlying issue: made, refused, accepted."""
        rows = await session.exec(
            select(SectionSuggestion, SuggestionRequest.model)
            .join(SuggestionRequest, col(SuggestionRequest.id) == SectionSuggestion.request_id)
            .where(
                among(col(SectionSuggestion.incident_id), ids),
                SectionSuggestion.section == "underlying_issue",
                col(SuggestionRequest.key).startswith("agent:"),
            )
        )
        for suggestion, agent in rows.all():
            refused = len(suggestion.unsupported)
            made = len(suggestion.sentences) + refused
            taken = int(suggestion.accepted_at is not None)
            self.add(agent, "agent", suggestion.made_at, made=made, refused=refused, accepted=taken)

    async def grades(self, session: AsyncSession, ids: list[int]) -> None:
        """The grades people gave: graded, and right at 65 % or 100 %."""
        rows = await session.exec(
            select(CauseGrade).where(
                among(col(CauseGrade.incident_id), ids), col(CauseGrade.grade).is_not(None)
            )
        )
        for grade in rows.all():
            right = int((grade.grade or 0) >= 65)
            self.add(grade.proposer, grade.proposer_kind, grade.graded_at, graded=1, right=right)

    def months(self) -> list[HelperMonth]:
        found = [
            HelperMonth(proposer, kind, month, **counts)
            for (proposer, kind, month), counts in self.rows.items()
        ]
        found.sort(key=lambda each: (-each.month.toordinal(), each.proposer))
        return found
