"""The tables of agents' tokens: who may read the record over the Model Context Protocol."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from bot.store.columns import utc_column


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
