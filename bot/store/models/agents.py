"""The tables of agents' tokens: who may read the record over the Model Context Protocol."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Text
from sqlmodel import Column, Field, SQLModel

from bot.store.columns import UTCDateTime, utc_column


class AgentToken(SQLModel, table=True):
    """A bearer token an operator made for an agent (``warroom tokens create``): its name (what
    the logs and the suggestions it proposes say), what it may do, and when it stops working.
    Only its SHA-256 is kept: the database never holds a working token. Revoking one sets
    ``revoked_at``; it is never deleted, so the log's names still say whose calls they were."""

    __tablename__ = "agent_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    scope: str  # read | propose
    # Whether it sees private incidents (``--private``).
    private: bool = False
    token_hash: str = Field(unique=True)  # hex SHA-256 of the token
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=utc_column())
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column())
    # The last call it made (the token list says it).
    used_at: datetime | None = Field(default=None, sa_column=utc_column())
    calls: int = 0
    # Who made it on the web (a Slack user id, ``local``); None: on the command line. A
    # member sees the tokens they made; an admin sees every one.
    created_by: str | None = None


class ProposedNote(SQLModel, table=True):
    """A timeline entry an agent proposed (``propose_timeline_note``), its text past the
    checks a proposal's sentences get: shown in the incident's channel and on its page until a
    person accepts it, when it becomes an entry at ``occurred_at`` (``entry_id``)."""

    __tablename__ = "proposed_note"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    occurred_at: datetime = Field(sa_column=utc_column(nullable=False))
    # The entries it rests on (E42), and what the checks said of its meaning.
    cites: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    meaning: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    proposed_by: str  # the token's name
    proposed_at: datetime = Field(sa_column=utc_column(nullable=False))
    accepted_by: str | None = None  # a Slack user id
    accepted_at: datetime | None = Field(default=None, sa_column=utc_column())
    entry_id: int | None = Field(default=None, foreign_key="timeline_entry.id")


class AgentTokenUse(SQLModel, table=True):
    """How many calls a token made to one tool in one hour: counted in memory and added here
    in batches (bot/web/agents/usage.py), never a write per call."""

    __tablename__ = "agent_token_use"

    token_name: str = Field(primary_key=True)
    hour: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True, nullable=False))
    tool: str = Field(primary_key=True)
    calls: int = 0


class AgentCall(SQLModel, table=True):
    """A tool call a token made on /mcp within the last minute: the rate limit counts these
    rows, so every replica counts the same calls (bot/record/agents/tokens.py ``take_call``).
    A token's rows older than a minute are deleted as its next call comes."""

    __tablename__ = "agent_call"
    __table_args__ = (Index("ix_agent_call_token", "token_name", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    token_name: str
    at: datetime = Field(sa_column=utc_column(nullable=False))
