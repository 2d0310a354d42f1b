"""The tables of public incidents and their updates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Text
from sqlmodel import Column, Field, SQLModel

from bot.store.columns import (
    utc_column,
)


class PublicIncident(SQLModel, table=True):
    """An incident shown on the status pages (``/incident public``), with what it affects.

    Only what is here and in its ``PublicUpdate`` rows is ever shown in public: never the
    incident's title, timeline, people or channel.
    """

    __tablename__ = "public_incident"

    incident_id: int = Field(foreign_key="incident.id", primary_key=True)
    # The affected components as people named them, in order (a JSON list of strings).
    components: list[str] = Field(
        default_factory=list, sa_column=Column(JSON(), nullable=False, default=list)
    )
    # The language its status announcements are written in first (the incident's, then).
    language: str = "en"
    made_public_by: str
    made_public_at: datetime = Field(sa_column=utc_column(nullable=False))
    # `/incident public off`: shown nowhere from then on (Statuspage keeps what it was sent).
    withdrawn_at: datetime | None = Field(default=None, sa_column=utc_column())
    # The incident's id on Atlassian Statuspage once it was created there.
    statuspage_id: str | None = None
    # The name customers read, by language ({"fr": "...", "en": "..."}, in the order given):
    # `/incident public --title`; none: a name warroom makes from the components.
    titles: dict[str, str] = Field(
        default_factory=dict,
        sa_column=Column(JSON(), nullable=False, default=dict, server_default="{}"),
    )
    # The name Statuspage was last sent (a changed title is sent once, by the sync job).
    statuspage_name: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class PublicUpdate(SQLModel, table=True):
    """One update published on the status pages: a person's text in one or more languages,
    or (``texts`` empty) an announcement of the new status that templates word in each
    language."""

    __tablename__ = "public_update"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="public_incident.incident_id", index=True)
    status: str  # investigating | identified | monitoring | resolved
    # {"fr": "...", "en": "..."}, in the order they were given; {} for a status announcement.
    texts: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON(), nullable=False, default=dict)
    )
    published_by: str | None = None  # None: warroom announced a status change
    published_at: datetime = Field(sa_column=utc_column(nullable=False))
    # Bumped by each change of its text (a translation, a person's words replacing an
    # announcement), so Statuspage is sent the change.
    revision: int = 1
    edited_at: datetime | None = Field(default=None, sa_column=utc_column())
    # Statuspage: the incident update's id, the revision it shows, and when it got it; or
    # why Statuspage refused it for good.
    statuspage_update_id: str | None = None
    statuspage_revision: int = 0
    statuspage_at: datetime | None = Field(default=None, sa_column=utc_column())
    statuspage_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
