"""The admin record: each change made to who and what may reach warroom (agents' tokens,
integrations, a person's own contact methods), with who made it, when and why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text
from sqlmodel import Column, Field, SQLModel

from bot.store.columns import utc_column


class AdminChange(SQLModel, table=True):
    """One change an admin or a person made (``bot/record/audit.py``): its kind (``what``:
    ``agent_token_made``, ``contact_removed``...), what it changed (``subject``: a token's or an
    integration's name, a person's method), who made it (a Slack user id, ``local``,
    ``api``), when, and the reason they gave. Never a token, a key, a number or an address:
    ``detail`` says what was changed in words that carry none (a scope, a kind, a masked
    number). Never changed nor deleted."""

    __tablename__ = "admin_change"
    __table_args__ = (Index("ix_admin_change_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=utc_column(nullable=False))
    by: str
    what: str
    subject: str
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
