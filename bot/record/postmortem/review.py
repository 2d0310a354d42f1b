"""The postmortem's review state: draft → in review → published, and back.

Anyone who may write the postmortem moves it between draft and in review; only the
commander or the postmortem's owner (whoever holds the ``postmortem`` role, when the team
lists it in WARROOM_ROLES) publishes it, or reopens a published one, and reopening says
why. Each move is kept on the incident (the state, who, when: the incident list reads it)
and as a ``review`` entry of its timeline (the reason as its text).

A published postmortem stays as it was published: its written sections are not edited
(``check_open``) until it is reopened, with a reason, as a draft.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.slack_text import SlackText
from bot.record.incident.timeline import add_entry
from bot.store.models import Incident, IncidentRole, TimelineEntry, TimelineKind

# The role whose holder owns the postmortem, beside the commander.
OWNER_ROLE = "postmortem"
# A reason is a sentence or two, not a section.
REASON_MAX = 500


class Review(StrEnum):
    """Where the postmortem stands."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"


# The moves there are, and whether each needs the commander or the owner.
MOVES: dict[tuple[Review, Review], bool] = {
    (Review.DRAFT, Review.IN_REVIEW): False,
    (Review.IN_REVIEW, Review.DRAFT): False,
    (Review.IN_REVIEW, Review.PUBLISHED): True,
    (Review.PUBLISHED, Review.DRAFT): True,
}


class ReviewRefused(ValueError):
    """The move cannot be made; ``problem`` names why (templates/web/_review.html.j2)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def review_of(incident: Incident) -> Review:
    """The incident's review state (an unknown value reads as a draft)."""
    try:
        return Review(incident.postmortem_review)
    except ValueError:
        return Review.DRAFT


def check_open(incident: Incident) -> None:
    """ReviewRefused ("published") when the postmortem is published: what was published
    changes only once it is reopened, with the reason in the timeline."""
    if review_of(incident) == Review.PUBLISHED:
        raise ReviewRefused("published")


async def may_publish(session: AsyncSession, incident: Incident, user_id: str | None) -> bool:
    """Whether ``user_id`` leads the incident or holds its postmortem role."""
    if not user_id:
        return False
    if incident.commander == user_id:
        return True
    owner = await session.exec(
        select(IncidentRole.user_id).where(
            IncidentRole.incident_id == incident.id, IncidentRole.role == OWNER_ROLE
        )
    )
    return owner.first() == user_id


def move_review(
    session: AsyncSession,
    incident: Incident,
    to: str,
    *,
    by: str,
    at: datetime,
    reason: str,
    publisher: bool,
) -> TimelineEntry:
    """Move the postmortem to ``to`` as ``by`` asks (the caller commits); ReviewRefused for
    a state that is not one, a move there is not, one that needs the commander or owner
    (``publisher``: ``by`` is one), and a reopening without a reason."""
    try:
        target = Review(to)
    except ValueError:
        raise ReviewRefused("unknown_state") from None
    now = review_of(incident)
    needs_publisher = MOVES.get((now, target))
    if needs_publisher is None:
        raise ReviewRefused("same_state" if now == target else "no_such_move")
    if needs_publisher and not publisher:
        raise ReviewRefused("not_publisher")
    said = reason.replace("\r\n", "\n").strip()
    if len(said) > REASON_MAX:
        raise ReviewRefused("reason_too_long")
    if now == Review.PUBLISHED and not said:
        raise ReviewRefused("reason_needed")
    incident.postmortem_review = target.value
    incident.postmortem_review_by = by
    incident.postmortem_review_at = at
    session.add(incident)
    return add_entry(
        session,
        incident,
        kind=TimelineKind.REVIEW,
        text=SlackText.from_plain(said) if said else "",
        facts={"from": now.value, "to": target.value},
        author=by,
        occurred_at=at,
    )
