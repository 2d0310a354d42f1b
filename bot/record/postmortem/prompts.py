"""The questions warroom asks in a marked message's thread for the draft, and their answers
(``DraftPrompt``): at a :x:, what ruled the idea out, or whether the marked message is what
ruled out an earlier idea (and which); at a :white_check_mark:, whether it worked and when the
impact ended. Asked once per message and question, answered in one click, skippable. The :x:'s
question may be answered on the draft's page too (``rule_out``): the same question, kept the
same way, whether or not Slack showed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.slack_text import SlackText
from bot.store.db import insert_once
from bot.store.models import ChannelMessage, DraftPrompt, Incident, TimelineKind

# The question asked at each kind of marked message.
RULED_OUT = "ruled_out"
WORKED = "worked"
ASKED_AT = {TimelineKind.MISLEADING: RULED_OUT, TimelineKind.MITIGATION: WORKED}
# The answers.
RULES_OUT = "rules_out"  # the marked message rules out an earlier idea (``idea_ts``)
ENDED = "ended"  # what ruled this idea out: a later message and/or a person's words
IT_WORKED = "worked"  # impact ended (the time is the milestone's)
SKIPPED = "skipped"


async def ask(
    session: AsyncSession, incident: Incident, message: ChannelMessage, kind: str, at: datetime
) -> DraftPrompt | None:
    """Keep the question about ``message`` (the caller commits); None when it was asked."""
    assert incident.id is not None
    prompt = DraftPrompt(
        incident_id=incident.id, kind=kind, channel=message.channel, ts=message.ts, asked_at=at
    )
    return prompt if await insert_once(session, prompt) else None


async def shown_at(session: AsyncSession, prompt_id: int, ts: str) -> None:
    """The question's message is in Slack at ``ts`` (the caller commits)."""
    prompt = await session.get(DraftPrompt, prompt_id)
    if prompt is not None and prompt.prompt_ts is None:
        prompt.prompt_ts = ts
        session.add(prompt)


async def prompt_shown(session: AsyncSession, channel: str, prompt_ts: str) -> DraftPrompt | None:
    """The question whose message is ``prompt_ts`` in ``channel``."""
    rows = await session.exec(
        select(DraftPrompt).where(
            DraftPrompt.channel == channel, DraftPrompt.prompt_ts == prompt_ts
        )
    )
    return rows.first()


@dataclass(frozen=True)
class PathEnd:
    """What ruled an idea out, as a person said it at its question: a later message of the
    channel (``ended_ts``), and/or their ``words`` with their time (``words_at``, None: they
    gave none); who said it, when, and where (``page``: the draft's; None: in Slack)."""

    ended_ts: str | None = None
    words: SlackText | None = None
    words_at: datetime | None = None
    by: str = ""
    at: datetime | None = None
    where: str | None = None


def answer(
    session: AsyncSession,
    prompt: DraftPrompt,
    said: str,
    *,
    by: str,
    at: datetime,
    idea_ts: str | None = None,
    end: PathEnd | None = None,
) -> None:
    """Keep the answer (a later one replaces it; the caller commits)."""
    prompt.answer, prompt.idea_ts = said, idea_ts
    prompt.answered_by, prompt.answered_at = by, at
    end = end or PathEnd()
    prompt.ended_ts, prompt.words, prompt.words_at = end.ended_ts, end.words, end.words_at
    prompt.answered_where = end.where
    session.add(prompt)


async def question_at(
    session: AsyncSession, incident: Incident, message: ChannelMessage, kind: str, at: datetime
) -> DraftPrompt:
    """The question about ``message``, kept now if it was never asked (the caller commits):
    a question answered on the draft's page where Slack asked none (prompts were off, or
    the message was marked before they were asked)."""
    asked = await ask(session, incident, message, kind, at)
    if asked is not None:
        return asked
    rows = await session.exec(
        select(DraftPrompt).where(
            DraftPrompt.channel == message.channel,
            DraftPrompt.ts == message.ts,
            DraftPrompt.kind == kind,
        )
    )
    return rows.one()


async def rule_out(
    session: AsyncSession,
    incident: Incident,
    idea: ChannelMessage,
    end: PathEnd,
) -> DraftPrompt:
    """Keep what ruled ``idea`` (a message marked :x:) out, as the answer to its question
    (the caller commits)."""
    assert end.at is not None
    prompt = await question_at(session, incident, idea, RULED_OUT, end.at)
    answer(session, prompt, ENDED, by=end.by, at=end.at, end=end)
    return prompt


async def path_ends(session: AsyncSession, incident_id: int) -> dict[str, PathEnd]:
    """By a :x:'d message's ts, what ruled the idea out as its question's answer says."""
    rows = await session.exec(
        select(DraftPrompt).where(
            DraftPrompt.incident_id == incident_id,
            DraftPrompt.kind == RULED_OUT,
            DraftPrompt.answer == ENDED,
        )
    )
    return {
        prompt.ts: PathEnd(
            prompt.ended_ts,
            SlackText.of(prompt.words) if prompt.words else None,
            prompt.words_at,
            prompt.answered_by or "",
            prompt.answered_at,
            prompt.answered_where,
        )
        for prompt in rows.all()
    }


async def ideas_ruled_out(session: AsyncSession, incident_id: int) -> dict[str, str]:
    """By a :x:'d message's ts, the earlier idea's ts that its prompt's answer says it rules
    out."""
    rows = await session.exec(
        select(DraftPrompt.ts, DraftPrompt.idea_ts).where(
            DraftPrompt.incident_id == incident_id,
            DraftPrompt.kind == RULED_OUT,
            DraftPrompt.answer == RULES_OUT,
            col(DraftPrompt.idea_ts).is_not(None),
        )
    )
    return {ts: idea for ts, idea in rows.all() if idea}
