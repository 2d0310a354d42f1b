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


class ShownOnce(SQLModel, table=True):
    """A value made on a form and shown once, on the page the form redirects to: an agent's
    token, an integration's key and URL, a form's answer holding a person's ntfy topic
    (``bot/record/shown_once.py``). The browser's cookie holds only a random handle; kept
    here: its SHA-256, the SHA-256 of the session it was made for and of the secret shown
    (None for an answer that names none), and for two minutes (``until``) the value sealed with
    a key only ``warroom serve`` holds (Fernet, from WARROOM_SESSION_SECRET): dropped at its
    first read or at ``until``, whichever comes first. The row itself is deleted a day on."""

    __tablename__ = "shown_once"

    id: int | None = Field(default=None, primary_key=True)
    handle_hash: str = Field(unique=True)
    session_hash: str
    value_hash: str | None = None
    sealed: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    made_at: datetime = Field(sa_column=utc_column(nullable=False))
    until: datetime = Field(sa_column=utc_column(nullable=False))
    shown_at: datetime | None = Field(default=None, sa_column=utc_column())
