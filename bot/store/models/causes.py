"""The tables of the possible causes the team's model proposes during an incident (each one
held by entries of the record), people's marks on them, and the grades every proposal gets
once the root cause is known."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from bot.store.columns import utc_column


class CauseRequest(SQLModel, table=True):
    """One time the team's model was asked for possible causes, and how it went: ``outcome``
    is ``answered``, ``failed`` (``failure`` says why, as data) or ``private`` (not sent).
    ``fingerprint`` is what the record held when it was asked (a later run asks again only
    when it differs); ``refused``: the causes the checks left out, each with why."""

    __tablename__ = "cause_request"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    key: str = Field(unique=True)
    model: str
    asked_at: datetime = Field(sa_column=utc_column(nullable=False))
    outcome: str
    failure: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    fingerprint: str
    refused: list[dict[str, Any]] = Field(sa_column=Column(JSON(), nullable=False))


class PossibleCause(SQLModel, table=True):
    """A cause the model proposed that passed the checks (facts and meaning): its sentence,
    the entries it cites, the entries warroom found beside it (``held_by``: ``[{"ref",
    "kind", "at", "author", "text", "link", "role"}]``: the independent entries that hold it,
    and those that say against it, ``role`` "contradicts" with ``why``) and the quote that
    proved its meaning. Accepted as the working theory by ``theory_by`` at ``theory_at`` (a
    timeline entry says so)."""

    __tablename__ = "possible_cause"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="cause_request.id", index=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    cites: list[str] = Field(sa_column=Column(JSON(), nullable=False))
    held_by: list[dict[str, Any]] = Field(sa_column=Column(JSON(), nullable=False))
    quote: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    proposed_by: str
    theory_by: str | None = None
    theory_at: datetime | None = Field(default=None, sa_column=utc_column())

    @property
    def support(self) -> list[dict[str, Any]]:
        """The independent entries that hold it (a row kept before entries were looked for
        against a cause has no ``role``: each of its entries holds it)."""
        return [each for each in self.held_by if each.get("role") != "contradicts"]

    @property
    def against(self) -> list[dict[str, Any]]:
        """The entries that say against it."""
        return [each for each in self.held_by if each.get("role") == "contradicts"]


class CauseVote(SQLModel, table=True):
    """A person's 👍 (1) or 👎 (-1) on a possible cause; their latest mark is the one kept."""

    __tablename__ = "cause_vote"
    __table_args__ = (UniqueConstraint("cause_id", "user_id", name="uq_cause_vote_person"),)

    id: int | None = Field(default=None, primary_key=True)
    cause_id: int = Field(foreign_key="possible_cause.id")
    user_id: str
    vote: int
    at: datetime = Field(sa_column=utc_column(nullable=False))


class CauseGrade(SQLModel, table=True):
    """A proposal graded against the root cause once it is known (incident.io's scale: 100
    bullseye, 65 one hop short, 35 right area, 0 wrong): a possible cause of the model's
    (``cause_id``) or an agent's finding (``suggestion_id``). ``proposed``/``reason``: the
    grade the team's model proposed (``grader``), ``grade``: the one a person confirmed or
    changed (``confirmed_by``). ``proposer_kind`` is ``model`` or ``agent``."""

    __tablename__ = "cause_grade"
    __table_args__ = (
        UniqueConstraint("cause_id", name="uq_cause_grade_cause"),
        UniqueConstraint("suggestion_id", name="uq_cause_grade_suggestion"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    cause_id: int | None = Field(default=None, foreign_key="possible_cause.id")
    suggestion_id: int | None = Field(default=None, foreign_key="section_suggestion.id")
    proposer: str
    proposer_kind: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    root_cause: str = Field(sa_column=Column(Text, nullable=False))
    proposed: int | None = None
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    grader: str | None = None
    graded_at: datetime = Field(sa_column=utc_column(nullable=False))
    grade: int | None = None
    confirmed_by: str | None = None
    confirmed_at: datetime | None = Field(default=None, sa_column=utc_column())
