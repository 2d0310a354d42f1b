"""The day-after question to an incident's participants ("One thing that went well, one that
did not?"): who took part, who was asked (once each), and what each answered or that they
skipped. No Slack payloads in here.

A participant is a person who wrote in the incident's channel (a thread reply counts): not an
app (its posts carry a ``bot_id``) and not Slack's own notes about the channel (a join, a
topic). Whether they are a guest of the workspace is Slack's to say
(bot/flows/postmortem/lessons.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.slack_text import SlackText
from bot.store.db import insert_once
from bot.store.models import SYSTEM_SUBTYPES, ChannelMessage, LessonsPrompt

# Longest answer kept, as a Slack message's text would be.
ANSWER_MAX = 3000


async def participants(session: AsyncSession, incident_id: int) -> list[str]:
    """The people who wrote in the incident's channel, in the order they first did."""
    first = func.min(col(ChannelMessage.occurred_at))
    statement = (
        select(ChannelMessage.user, first)
        .where(
            col(ChannelMessage.incident_id) == incident_id,
            col(ChannelMessage.user).is_not(None),
            col(ChannelMessage.bot_id).is_(None),
            or_(
                col(ChannelMessage.subtype).is_(None),
                col(ChannelMessage.subtype).not_in([*SYSTEM_SUBTYPES, "bot_message"]),
            ),
        )
        .group_by(col(ChannelMessage.user))
        .order_by(first, col(ChannelMessage.user))
    )
    return [str(user) for user, _ in (await session.exec(statement)).all()]


async def ask(
    session: AsyncSession, incident_id: int, user_id: str, at: datetime
) -> LessonsPrompt | None:
    """Keep that ``user_id`` is asked now (the caller commits, with the DM); None when they
    were asked before: nobody is asked twice about one incident."""
    prompt = LessonsPrompt(incident_id=incident_id, user_id=user_id, asked_at=at)
    return prompt if await insert_once(session, prompt) else None


def answer(
    prompt: LessonsPrompt,
    *,
    went_well: SlackText | None,
    went_wrong: SlackText | None,
    at: datetime,
) -> bool:
    """Keep their answer (the caller adds and commits); False when they answered or skipped
    already."""
    if prompt.answered_at is not None or prompt.skipped_at is not None:
        return False
    prompt.went_well, prompt.went_wrong, prompt.answered_at = went_well, went_wrong, at
    return True


def skip(prompt: LessonsPrompt, at: datetime) -> bool:
    """They would rather not say (the caller adds and commits); False when they answered or
    skipped already."""
    if prompt.answered_at is not None or prompt.skipped_at is not None:
        return False
    prompt.skipped_at = at
    return True


async def answers_of(session: AsyncSession, incident_id: int) -> Sequence[LessonsPrompt]:
    """What the incident's participants answered, in the order they did."""
    statement = (
        select(LessonsPrompt)
        .where(
            col(LessonsPrompt.incident_id) == incident_id,
            col(LessonsPrompt.answered_at).is_not(None),
        )
        .order_by(col(LessonsPrompt.answered_at), col(LessonsPrompt.id))
    )
    return (await session.exec(statement)).all()
