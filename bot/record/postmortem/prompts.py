"""The questions warroom asks in a marked message's thread for the draft, and their answers
(``DraftPrompt``): at a :x:, what ruled the idea out, or whether the marked message is what
ruled out an earlier idea (and which); at a :white_check_mark:, whether it worked and when the
impact ended. Asked once per message and question, answered in one click, skippable.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.db import insert_once
from bot.store.models import ChannelMessage, DraftPrompt, Incident, TimelineKind

# The question asked at each kind of marked message.
RULED_OUT = "ruled_out"
WORKED = "worked"
ASKED_AT = {TimelineKind.MISLEADING: RULED_OUT, TimelineKind.MITIGATION: WORKED}
# The answers.
RULES_OUT = "rules_out"  # the marked message rules out an earlier idea (``idea_ts``)
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


def answer(
    session: AsyncSession,
    prompt: DraftPrompt,
    said: str,
    *,
    by: str,
    at: datetime,
    idea_ts: str | None = None,
) -> None:
    """Keep the answer (a later one replaces it; the caller commits)."""
    prompt.answer, prompt.idea_ts = said, idea_ts
    prompt.answered_by, prompt.answered_at = by, at
    session.add(prompt)


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
