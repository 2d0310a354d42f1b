"""Commands are applied in the order they were typed, channel by channel, on every replica.

Slack sends each slash command as a request of its own and does not wait for the bot's answer
to one before it sends the next (https://docs.slack.dev/interactivity/implementing-slash-commands:
each invocation is an HTTP POST to the Request URL): `/incident resolve` and then, a
millisecond later, `/incident time resolved <when>` arrive together. The second is applied
after the first, whichever replica each reached.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from bot.store.columns import utcnow
from bot.store.db import dialect_insert, session_scope
from bot.store.models import Incident, OutboxLease, ReceivedCommand
from emulator import SlackEmulator
from tests.conftest import ALICE, Clock, Warroom, running_warroom
from tests.helpers.incidents import open_incident, post_saying

STARTED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
# Resolved an hour in; the responder corrects it to when it really was, 40 minutes in.
RESOLVING = STARTED + timedelta(hours=1)
REALLY_RESOLVED = STARTED + timedelta(minutes=40)
CORRECTION = f"time resolved {REALLY_RESOLVED:%Y-%m-%d %H:%M} UTC"
# Incidents declared, and pairs of commands sent, at once: a hundred declarations at once
# would race for incident numbers past their retries.
AT_ONCE = 10


async def incidents(warroom: Warroom) -> Sequence[Incident]:
    async with session_scope(warroom.engine) as session:
        return (
            await session.exec(select(Incident).where(col(Incident.channel_id).is_not(None)))
        ).all()


async def open_incidents(warroom: Warroom, count: int) -> list[str]:
    """``count`` incidents declared from #general; their channels once each is in the record."""
    slack = warroom.slack
    slack.events_url = f"{warroom.url}/slack/events"
    general = slack.channel_by_name("general")
    assert general is not None
    for first in range(0, count, AT_ONCE):
        declared = min(first + AT_ONCE, count)
        await asyncio.gather(
            *(
                slack.send_command(f"start Checkout down {n}", user=ALICE, channel=general.id)
                for n in range(first, declared)
            )
        )

        async def all_declared(declared: int = declared) -> bool:
            return len(await incidents(warroom)) == declared

        await slack.wait_for(all_declared)
    return [str(incident.channel_id) for incident in await incidents(warroom)]


async def typed_together(
    slack: SlackEmulator, channel: str, first: Warroom, second: Warroom, *, answered: bool = False
) -> None:
    """`/incident resolve` sent to ``first``, and 1 ms later the correction to ``second``,
    each without waiting for the other's answer, as Slack sends them (``answered``: the
    correction once the resolve is answered, while it still waits to be applied)."""

    async def send(warroom: Warroom, text: str) -> None:
        # Read before the first await: the next send may point the emulator elsewhere.
        slack.events_url = f"{warroom.url}/slack/events"
        response = await slack.send_command(text, user=ALICE, channel=channel)
        assert response.status == 200

    resolve = asyncio.create_task(send(first, "resolve Rolled back"))
    if answered:
        await resolve
    await asyncio.sleep(0.001)
    await asyncio.gather(resolve, send(second, CORRECTION))


def refusals(slack: SlackEmulator) -> list[str]:
    return [m.text for m in slack.ephemeral_for(ALICE) if "not resolved yet" in m.text]


async def assert_applied_in_order(warroom: Warroom, count: int) -> None:
    """Each incident resolved, then its resolution time corrected; nobody told it was not
    resolved yet."""

    async def corrected() -> int:
        return sum(i.resolved_at == REALLY_RESOLVED for i in await incidents(warroom))

    async def answered() -> bool:
        return await corrected() + len(refusals(warroom.slack)) >= count

    await warroom.slack.wait_for(answered, timeout=60)
    assert refusals(warroom.slack) == []
    assert await corrected() == count
    assert {i.status for i in await incidents(warroom)} == {"resolved"}


async def test_a_correction_typed_right_after_resolve_applies_after_it(
    slack: SlackEmulator, database_url: str
) -> None:
    clock = Clock(STARTED)
    async with running_warroom(slack, database_url, clock) as warroom:
        channels = await open_incidents(warroom, 100)
        clock.now = RESOLVING
        for first in range(0, len(channels), AT_ONCE):
            group = channels[first : first + AT_ONCE]
            await asyncio.gather(*(typed_together(slack, c, warroom, warroom) for c in group))
        await assert_applied_in_order(warroom, 100)


async def test_commands_of_one_channel_at_two_replicas_apply_in_order(
    slack: SlackEmulator, database_url: str
) -> None:
    """The correction reaches the other replica while the resolve still waits (held: with two
    replicas a command waits ``command_hold`` before it is applied). Commands a millisecond
    apart at two replicas are ordered by when each reached its replica; not asserted here,
    where the emulator and both replicas share one event loop on a busy machine and which
    request a replica reads first is up to the loop."""
    clock = Clock(STARTED)
    # Keeping a command took up to 0.8 s here, where a replica of its own takes milliseconds.
    replicas = {"runtime__replicas": 2, "runtime__command_hold": 3.0}
    async with (
        running_warroom(slack, database_url, clock, **replicas) as one,
        running_warroom(slack, database_url, clock, **replicas) as two,
    ):
        channels = await open_incidents(one, 20)
        clock.now = RESOLVING
        for number, channel in enumerate(channels):
            # Alternately: resolved at one replica and corrected at the other, and back.
            first, second = (one, two) if number % 2 == 0 else (two, one)
            await typed_together(slack, channel, first, second, answered=True)
        await assert_applied_in_order(one, 20)
        # Both sent their replies: a refusal would have come from either.
        await one.finish_background()
        await two.finish_background()
        assert refusals(slack) == []


async def hold_as_a_dead_replica(warroom: Warroom, channel: str, until: datetime) -> None:
    """The channel's commands held by a replica killed while applying them: its lease, never
    given back, runs until ``until``."""
    ghost = {"channel": f"command:{channel}", "holder": "ghost:1:dead", "until": until}
    async with session_scope(warroom.engine) as session:
        insert = dialect_insert(session.get_bind().dialect.name)
        await session.exec(
            insert(OutboxLease)  # type: ignore[call-overload]
            .values(ghost)
            .on_conflict_do_update(index_elements=["channel"], set_=ghost)
        )
        await session.commit()


async def test_commands_a_dead_replica_held_are_applied_once_its_lease_runs_out(
    slack: SlackEmulator, database_url: str
) -> None:
    async with running_warroom(slack, database_url, runtime__scheduler_interval=0.05) as warroom:
        channel = await open_incident(warroom)
        await hold_as_a_dead_replica(warroom, channel.id, utcnow() + timedelta(seconds=1))
        for text in ("impact Checkout failing for a fifth of users", "resolve"):
            response = await slack.send_command(text, user=ALICE, channel=channel.id)
            assert response.status == 200  # kept: the sender is not kept waiting
        # Nobody applies them until the lease runs out; then the sweep does, in order.
        await post_saying(slack, channel, "resolved*")
        said = [m.text for m in channel.messages]
        noted = next(n for n, text in enumerate(said) if "a fifth of users" in text)
        resolved = next(n for n, text in enumerate(said) if "resolved*" in text)
        assert noted < resolved


async def test_a_command_cut_off_by_a_dead_replica_is_not_run_again_and_its_sender_is_told(
    slack: SlackEmulator, database_url: str
) -> None:
    async with running_warroom(slack, database_url, runtime__scheduler_interval=0.05) as warroom:
        channel = await open_incident(warroom)
        # Held until the row is marked started below (however slow the machine), then let run
        # out: the sweep must find the started row, not apply the resolve itself first.
        await hold_as_a_dead_replica(warroom, channel.id, utcnow() + timedelta(minutes=10))
        await slack.send_command("resolve", user=ALICE, channel=channel.id)
        # On a loaded machine Slack is answered before the command is kept: wait for its row.
        await kept_commands(warroom, 1)
        async with session_scope(warroom.engine) as session:
            # The replica died after the resolve's work began: its row says so.
            row = (await session.exec(select(ReceivedCommand))).one()
            row.started_at = utcnow()
            session.add(row)
            await session.commit()
        await hold_as_a_dead_replica(warroom, channel.id, utcnow())
        await slack.send_command(
            "impact Checkout failing for a fifth of users", user=ALICE, channel=channel.id
        )
        told = await slack.wait_for(
            lambda: next((m for m in slack.ephemeral_for(ALICE) if "stopped" in m.text), None)
        )
        assert "`/incident` command" in told.text and "may not have been done" in told.text
        # The line goes on after it: the note is applied, the resolve is not run again.
        await post_saying(slack, channel, "a fifth of users")
        assert [i.status for i in await incidents(warroom)] == ["investigating"]


# A failure at the database when a command leaves its line: its row cannot be deleted (a
# trigger refusing, as a lock held or a disk error would), until the trigger is dropped.
REFUSE_FORGET = {
    "sqlite": [
        "CREATE TRIGGER refuse_forget BEFORE DELETE ON received_command "
        "BEGIN SELECT RAISE(ABORT, 'forget refused'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_forget() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'forget refused'; END $$",
        "CREATE TRIGGER refuse_forget BEFORE DELETE ON received_command "
        "FOR EACH ROW EXECUTE FUNCTION refuse_forget()",
    ],
}
ALLOW_FORGET = {
    "sqlite": ["DROP TRIGGER refuse_forget"],
    "postgresql": [
        "DROP TRIGGER refuse_forget ON received_command",
        "DROP FUNCTION refuse_forget()",
    ],
}


async def run_ddl(warroom: Warroom, statements: dict[str, list[str]]) -> None:
    async with warroom.engine.begin() as connection:
        for statement in statements[connection.dialect.name]:
            await connection.exec_driver_sql(statement)


async def waiting_commands(warroom: Warroom) -> Sequence[ReceivedCommand]:
    async with session_scope(warroom.engine) as session:
        return (await session.exec(select(ReceivedCommand))).all()


async def kept_commands(warroom: Warroom, count: int, timeout: float = 30.0) -> None:
    """Wait until ``count`` commands are kept in their lines (a command answered within its
    budget may still be on its way to the database)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while len(await waiting_commands(warroom)) < count:
        assert asyncio.get_running_loop().time() < deadline, f"{count} commands never kept"
        await asyncio.sleep(0.05)


async def test_a_command_whose_forgetting_fails_in_a_live_replica_is_not_called_cut_off(
    slack: SlackEmulator, database_url: str
) -> None:
    """The database refuses, for a while, to take an answered command out of its line: the
    live replica tries again in place. Its sender is not told "warroom stopped", the command
    is answered once, and the next command is applied after it. Before, the failure left the
    row started, and the next apply took it for a stop."""
    async with running_warroom(slack, database_url, runtime__scheduler_interval=0.05) as warroom:
        channel = await open_incident(warroom)
        await slack.send_command("resolve", user=ALICE, channel=channel.id)
        await post_saying(slack, channel, "resolved*")
        await run_ddl(warroom, REFUSE_FORGET)
        # Answered without a decision (a refusal): the row leaves the line after the answer.
        await slack.send_command("resolve", user=ALICE, channel=channel.id)

        def already_resolved() -> list[str]:
            return [m.text for m in slack.ephemeral_for(ALICE) if "already resolved" in m.text]

        await slack.wait_for(already_resolved)
        await asyncio.sleep(1)  # sweeps at 0.05 s: time for many to look at the row
        assert len(await waiting_commands(warroom)) == 1  # not forgotten: the trigger holds
        await run_ddl(warroom, ALLOW_FORGET)

        async def forgotten() -> bool:
            return not await waiting_commands(warroom)

        await slack.wait_for(forgotten, timeout=30)
        await slack.send_command(
            "impact Checkout failing for a fifth of users", user=ALICE, channel=channel.id
        )
        await post_saying(slack, channel, "a fifth of users")
        await warroom.finish_background()
    assert [m.text for m in slack.ephemeral_for(ALICE) if "stopped" in m.text] == []
    assert len(already_resolved()) == 1
