"""The tables of the draft's edits, prompts, the model's suggestions, lessons."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from bot.store.columns import (
    KeepsSlackText,
    slack_text_column,
    utc_column,
)


class PostmortemEdit(SQLModel, table=True):
    """A person's text for a written section of the postmortem draft (the web view's editor).

    Every save is a new row, so the history stays; the latest row of a section is the one a
    regenerated draft shows in place of that section's gap.
    """

    __tablename__ = "postmortem_edit"
    __table_args__ = (Index("ix_postmortem_edit_section", "incident_id", "section", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id")
    section: str
    body: str = Field(sa_column=Column(Text, nullable=False))
    author: str  # a Slack user id, or "api" for a token holder
    edited_at: datetime = Field(sa_column=utc_column(nullable=False))
    # The model's suggestion this text accepts (as it was, or as the person edited it).
    suggestion_id: int | None = Field(default=None, foreign_key="section_suggestion.id")


class LineChange(KeepsSlackText, SQLModel, table=True):
    """A line a form of the draft's page added to the record (an impact, a cause, a
    follow-up) that a person edited or removed there, kept as a row of its own: which line
    (``line``: ``timeline_entry:12``, ``action_item:7``), what it is (``kind``: ``impact``,
    ``cause``, ``follow_up``; ``figures``: the wrap-up's impact in numbers and services, whose
    words are their facts as JSON), its words before (``previous``) and after (``text``; None:
    the line was removed), who changed it and when. The line shows its current words; a removed
    line is left out of the draft and of the lists of follow-ups, and stays in the record."""

    SLACK_TEXT: ClassVar[frozenset[str]] = frozenset({"previous", "text"})

    __tablename__ = "line_change"
    __table_args__ = (Index("ix_line_change_line", "incident_id", "line", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id")
    line: str
    kind: str
    previous: str = Field(sa_column=slack_text_column())
    text: str | None = Field(default=None, sa_column=slack_text_column(nullable=True))
    changed_by: str
    changed_at: datetime = Field(sa_column=utc_column(nullable=False))


class SuggestionRequest(SQLModel, table=True):
    """One time the team's model was asked for the draft's written sections (WARROOM_AI_*),
    and how it went: ``outcome`` is ``answered``, ``failed`` (``failure`` says why, as data a
    draft says in its language) or ``private`` (not sent: a private incident)."""

    __tablename__ = "suggestion_request"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    # The job's own key for the request: a job run again finds its request made.
    key: str = Field(unique=True)
    model: str
    asked_by: str | None = None
    asked_at: datetime = Field(sa_column=utc_column(nullable=False))
    outcome: str
    failure: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )


class SectionSuggestion(SQLModel, table=True):
    """What the model suggested for one written section, checked against the record: the
    sentences kept (``[{"text", "cites"}]``) and those left out (``[{"text", "cites",
    "why"}]``); a person's acceptance makes it the section's text (a ``PostmortemEdit``)."""

    __tablename__ = "section_suggestion"
    __table_args__ = (Index("ix_section_suggestion_section", "incident_id", "section", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="suggestion_request.id")
    incident_id: int = Field(foreign_key="incident.id")
    section: str
    sentences: list[dict[str, Any]] = Field(sa_column=Column(JSON(), nullable=False))
    unsupported: list[dict[str, Any]] = Field(sa_column=Column(JSON(), nullable=False))
    made_at: datetime = Field(sa_column=utc_column(nullable=False))
    accepted_by: str | None = None
    accepted_at: datetime | None = Field(default=None, sa_column=utc_column())


class LessonsPrompt(KeepsSlackText, SQLModel, table=True):
    """The day-after question to one participant of a resolved incident ("One thing that
    went well, one that did not?"), asked once, and their answer or their skip."""

    SLACK_TEXT: ClassVar[frozenset[str]] = frozenset({"went_well", "went_wrong"})

    __tablename__ = "lessons_prompt"
    __table_args__ = (UniqueConstraint("incident_id", "user_id", name="uq_lessons_prompt_person"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    user_id: str
    asked_at: datetime = Field(sa_column=utc_column(nullable=False))
    answered_at: datetime | None = Field(default=None, sa_column=utc_column())
    skipped_at: datetime | None = Field(default=None, sa_column=utc_column())
    # Their words, encoded once where they entered (a modal's inputs arrive plain).
    went_well: str | None = Field(default=None, sa_column=slack_text_column(nullable=True))
    went_wrong: str | None = Field(default=None, sa_column=slack_text_column(nullable=True))


class DraftStatement(KeepsSlackText, SQLModel, table=True):
    """What a person said for the draft where the record has nothing to say it from, by
    ``kind``: ``brought_in``, when warroom escalated to nobody: who else was brought in,
    when and why, in their ``words`` (with ``words_at``, the time they gave), or ``none``:
    nobody was; ``misleading``, when no message was marked misleading: ``none``, no path led
    the investigation astray; ``mitigation``, when no message was marked as the mitigation:
    how the impact was stopped, in their ``words`` (``words_at``: when, if they said). Who
    said it, when and where (``page``: the draft's). One per incident and kind: a later
    statement replaces it."""

    SLACK_TEXT: ClassVar[frozenset[str]] = frozenset({"words"})

    __tablename__ = "draft_statement"
    __table_args__ = (UniqueConstraint("incident_id", "kind", name="uq_draft_statement"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    kind: str
    none: bool = False
    words: str | None = Field(default=None, sa_column=slack_text_column(nullable=True))
    words_at: datetime | None = Field(default=None, sa_column=utc_column())
    said_by: str
    said_at: datetime = Field(sa_column=utc_column(nullable=False))
    said_where: str


class DraftPrompt(KeepsSlackText, SQLModel, table=True):
    """A question asked in a marked message's thread for the postmortem draft, and its
    answer: at a :x: (``kind`` ``ruled_out``: what ruled the idea out; the answer
    ``rules_out`` says the marked message is what ruled out an earlier one, ``idea_ts``; the
    answer ``ended`` says what ruled this idea out: a later message, ``ended_ts``, and/or a
    person's ``words`` with their time, ``words_at``, if they gave one), at a
    :white_check_mark: (``worked``: did it work, when did impact end). ``skipped``: the
    person chose not to answer. One per message and kind; a question answered on the draft's
    page before Slack showed it (``prompt_ts`` None) is kept the same way."""

    SLACK_TEXT: ClassVar[frozenset[str]] = frozenset({"words"})

    __tablename__ = "draft_prompt"
    __table_args__ = (UniqueConstraint("channel", "ts", "kind", name="uq_draft_prompt"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    kind: str
    channel: str
    ts: str
    # The question's own message, once Slack has it (its buttons say which question).
    prompt_ts: str | None = None
    asked_at: datetime = Field(sa_column=utc_column(nullable=False))
    answer: str | None = None
    idea_ts: str | None = None
    answered_by: str | None = None
    answered_at: datetime | None = Field(default=None, sa_column=utc_column())
    ended_ts: str | None = None
    words: str | None = Field(default=None, sa_column=slack_text_column(nullable=True))
    words_at: datetime | None = Field(default=None, sa_column=utc_column())
    # Where the answer was given when not in the question's thread: ``page`` (the draft's).
    answered_where: str | None = None
