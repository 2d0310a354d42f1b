"""Slack's three seconds while Slack and the model hold the bot back.

Slack shows a person a failure when a slash command or an event is not answered within 3 s
(https://docs.slack.dev/interactivity/implementing-slash-commands: "you must respond within
3000 milliseconds"). Here every chat.postMessage and chat.update is answered 429 with a 30 s
Retry-After (https://docs.slack.dev/apis/web-api/rate-limits), and the model takes its whole
time-out, while a resolve writes the draft and commands and messages keep arriving: each is
answered within 3 s, no task fails on the database pool's time-out, and every command is
applied once, in the order typed.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bot.store.db import session_scope
from bot.store.models import ReceivedCommand, TimelineEntry, TimelineKind
from emulator import SlackEmulator
from emulator.openai_chat import SECTIONS, FakeChatModel
from tests.conftest import ALICE
from tests.postmortem.test_suggestions import (
    ai,
    play,
)

COMMANDS = 12
SLACK_DEADLINE = 3.0


async def test_every_answer_within_three_seconds_while_slack_and_the_model_hold(
    people: SlackEmulator,
    database_url: str,
    model: FakeChatModel,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    async for played in play(people, database_url, model, ai=ai(model, timeout=4.0)):
        slack, channel = played.slack, played.channel
        model.stall_for(SECTIONS, 4.0)  # its whole time-out
        for method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            slack.fail(method, status=429, retry_after=30, times=1000)
        delivered = len(slack.deliveries)
        resolving = await slack.send_command("resolve Rolled back", user=ALICE, channel=channel.id)
        answers = [resolving]
        for number in range(COMMANDS):
            said = slack.post_message(channel.id, f"still looking {number}", user=ALICE)
            typed = slack.send_command(
                f"impact {number + 1} customers could not pay", user=ALICE, channel=channel.id
            )
            _, answer = await asyncio.gather(said, typed)
            answers.append(answer)
            await asyncio.sleep(0.1)

        await slack.wait_for(partial(_all_applied, played.warroom.engine), timeout=60)
        async with session_scope(played.warroom.engine) as session:
            impacts = (
                await session.exec(
                    select(TimelineEntry)
                    .where(
                        col(TimelineEntry.kind).in_([TimelineKind.RESOLVED, TimelineKind.IMPACT])
                    )
                    .order_by(col(TimelineEntry.id))
                )
            ).all()
        events = [response for _, response in slack.deliveries[delivered:]]
    assert [a.status for a in answers] == [200] * (COMMANDS + 1)
    assert max(a.elapsed for a in answers) < SLACK_DEADLINE, [a.elapsed for a in answers]
    assert events and {e.status for e in events} == {200}
    assert max(e.elapsed for e in events) < SLACK_DEADLINE, [e.elapsed for e in events]
    # Each applied once, in the order typed.
    assert [entry.text for entry in impacts] == ["Rolled back"] + [
        f"{number + 1} customers could not pay" for number in range(COMMANDS)
    ]
    assert "QueuePool limit" not in caplog.text


async def _all_applied(engine: AsyncEngine) -> bool:
    async with session_scope(engine) as session:
        return not (await session.exec(select(ReceivedCommand))).all()
