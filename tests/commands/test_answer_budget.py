"""Slack is answered within the answer budget even when the database cannot take the command yet.

Slack shows the person a failure when a slash command is not answered within 3 s
(https://docs.slack.dev/interactivity/implementing-slash-commands: "you must respond within
3000 milliseconds"). A command that acts on the channel's incident waits for its row in the
channel's line; here that write is held by another connection (SQLite's write lock, or a
PostgreSQL lock on the table), as a loaded database would hold it. The command is answered
while the lock is still held, and applied once, in the order typed, once it is released; a
write that then fails is told to the person through the command's response_url
(https://docs.slack.dev/interactivity/handling-user-interaction#message_responses), never
dropped in silence.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlmodel import col, select

from bot.basics.slack_ids import EscalationMessage
from bot.store.db import session_scope
from bot.store.models import (
    Escalation,
    Incident,
    ReceivedCommand,
    Status,
    TimelineEntry,
    TimelineKind,
)
from emulator import SlackEmulator
from tests.conftest import ALICE, CAROL, Warroom, running_warroom
from tests.helpers.databases import writes_held
from tests.helpers.incidents import open_incident

BUDGET = 0.2
# A retry window and a lock time-out short enough for a test (the defaults: 60 s and 10 s).
RETRY_WINDOW = 3.0
LOCK_TIMEOUT = 1.0
DBA_GROUP = "S0DBATEAM"
# Long enough that the old code (the answer waited for the write) is never answered while the
# lock is held; the answers here come after about BUDGET.
HELD_FOR_AT_LEAST = 5.0
IMPACTS = ["a fifth of users", "checkout failing", "payments retried"]
# Statements run inside the lock's transaction, before it is released: the insert that was
# waiting then fails (a trigger refusing it, as a full disk or a bad row would).
REFUSE_KEEP = {
    "sqlite": [
        "CREATE TRIGGER refuse_keep BEFORE INSERT ON received_command "
        "BEGIN SELECT RAISE(ABORT, 'keep refused'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_keep() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'keep refused'; END $$",
        "CREATE TRIGGER refuse_keep BEFORE INSERT ON received_command "
        "FOR EACH ROW EXECUTE FUNCTION refuse_keep()",
    ],
}


@asynccontextmanager
async def budgeted(slack: SlackEmulator, database_url: str) -> AsyncIterator[tuple[Warroom, str]]:
    """Warroom answering within ``BUDGET``, and an incident's channel."""
    async with running_warroom(
        slack, database_url, runtime__command_answer_budget=BUDGET
    ) as warroom:
        yield warroom, (await open_incident(warroom)).id


async def impacts(warroom: Warroom) -> list[str]:
    async with session_scope(warroom.engine) as session:
        entries = await session.exec(
            select(TimelineEntry)
            .where(TimelineEntry.kind == TimelineKind.IMPACT)
            .order_by(col(TimelineEntry.id))
        )
        return [entry.text for entry in entries.all()]


async def waiting(warroom: Warroom) -> Sequence[ReceivedCommand]:
    async with session_scope(warroom.engine) as session:
        return (await session.exec(select(ReceivedCommand))).all()


def dialect(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


async def answered_while_held(slack: SlackEmulator, channel: str, text: str) -> Any:
    """The command's answer, which must come while the lock is held."""
    response = await asyncio.wait_for(
        slack.send_command(text, user=ALICE, channel=channel), timeout=HELD_FOR_AT_LEAST
    )
    assert response.status == 200
    assert "went wrong" not in response.text
    return response


async def test_a_command_whose_write_is_held_is_answered_then_applied_once_in_order(
    slack: SlackEmulator, database_url: str
) -> None:
    async with budgeted(slack, database_url) as (warroom, channel):
        async with writes_held(warroom.engine, database_url):
            for impact in IMPACTS[:2]:
                await answered_while_held(slack, channel, f"impact {impact}")
        # Typed once the lock is gone: after the two held ones all the same.
        await slack.send_command(f"impact {IMPACTS[2]}", user=ALICE, channel=channel)

        async def all_applied() -> bool:
            return len(await impacts(warroom)) >= len(IMPACTS) and not await waiting(warroom)

        await slack.wait_for(all_applied, timeout=60)
        await asyncio.sleep(0.5)  # time for anything applied twice to show
        assert await impacts(warroom) == IMPACTS


async def test_a_press_whose_write_is_held_is_answered_then_applied(
    slack: SlackEmulator, database_url: str
) -> None:
    """The escalation's Acknowledge button waits in the same line, and Slack holds
    block_actions to the same 3 s
    (https://docs.slack.dev/interactivity/handling-user-interaction#acknowledgment_response)."""
    slack.add_usergroup(DBA_GROUP, "dba-team", [CAROL])
    async with running_warroom(
        slack, database_url, runtime__command_answer_budget=BUDGET
    ) as warroom:
        channel = await open_incident(warroom)
        await slack.send_command(
            "escalate @dba-team replication lag", user=ALICE, channel=channel.id
        )
        message = await slack.wait_for(
            lambda: next((m for m in channel.messages if "escalated to" in m.text), None)
        )
        async with writes_held(warroom.engine, database_url):
            await answered_while_held(slack, channel.id, f"impact {IMPACTS[0]}")
            pressed = await asyncio.wait_for(
                slack.click_button(
                    channel.id, message.ts, EscalationMessage.ACKNOWLEDGE, user=CAROL
                ),
                timeout=HELD_FOR_AT_LEAST,
            )
            assert pressed.status == 200

        async def acknowledged() -> bool:
            async with session_scope(warroom.engine) as session:
                escalation = (await session.exec(select(Escalation))).one()
            return escalation.acknowledged_by == CAROL and not await waiting(warroom)

        await slack.wait_for(acknowledged, timeout=60)
        assert await impacts(warroom) == IMPACTS[:1]


async def test_a_command_whose_write_fails_after_its_answer_is_told_to_its_sender(
    slack: SlackEmulator, database_url: str
) -> None:
    async with budgeted(slack, database_url) as (warroom, channel):
        async with writes_held(warroom.engine, database_url) as lock:
            await answered_while_held(slack, channel, f"impact {IMPACTS[0]}")
            lock.before_release += REFUSE_KEEP[dialect(database_url)]
        told = await slack.wait_for(
            lambda: next(
                (m for m in slack.ephemeral_for(ALICE) if "could not save it" in m.text), None
            ),
            timeout=30,
        )
        assert "`/incident` command" in told.text and "nothing of it was done" in told.text
        assert await impacts(warroom) == []


async def incident_status(warroom: Warroom) -> Status:
    async with session_scope(warroom.engine) as session:
        return (await session.exec(select(Incident))).one().status


def told_not_done(slack: SlackEmulator) -> Any:
    """The private message that says an answered command was not saved, if it came."""
    return next((m for m in slack.ephemeral_for(ALICE) if "could not save it" in m.text), None)


async def test_a_command_stalled_past_its_retry_window_is_told_to_its_sender(
    slack: SlackEmulator, database_url: str
) -> None:
    """Another session holds the table (a stall, not a refusal: on PostgreSQL the insert would
    wait without end): the lock time-out turns each wait into an error, the write is tried
    again for the retry window, then the sender is told, and nothing of it is done later."""
    async with running_warroom(
        slack,
        database_url,
        runtime__command_answer_budget=BUDGET,
        runtime__command_retry_window=RETRY_WINDOW,
        runtime__database_lock_timeout=LOCK_TIMEOUT,
    ) as warroom:
        channel = (await open_incident(warroom)).id
        async with writes_held(warroom.engine, database_url):
            await answered_while_held(slack, channel, "status identified")
            told = await slack.wait_for(
                lambda: told_not_done(slack), timeout=RETRY_WINDOW + 4 * LOCK_TIMEOUT + 10
            )
        assert "`/incident` command" in told.text and "nothing of it was done" in told.text
        await asyncio.sleep(1.0)  # the lock gone: nothing of it is applied late
        assert await incident_status(warroom) == Status.INVESTIGATING
        assert not await waiting(warroom)
