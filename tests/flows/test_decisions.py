"""Decisions and their consequences commit together.

A flow that decides work (a job to run, a write for Slack) keeps that work in the transaction
of the change that caused it: a crash between two commits would otherwise leave a resolved
incident whose draft is never written, or a severity raised with nobody told. The ledger
below reads every statement the bot's engine runs and groups them by transaction; a committed
transaction that adds jobs or channel writes and changes nothing of the record is the
consequence of a decision committed before it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.record.escalation.policies import parse_policies
from emulator import Channel, SlackEmulator
from tests.conftest import Warroom, running_warroom
from tests.helpers.incidents import command, open_incident, settle

WRITE = re.compile(r"^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+\"?(\w+)", re.IGNORECASE)
# What a decision causes; every other table written is part of the record.
CONSEQUENCES = {"job", "outbox_message"}
# Bookkeeping that is neither: which replica sends a channel's writes.
BOOKKEEPING = {"outbox_lease"}
# Raising the severity to SEV1 starts a policy: its level is a job too.
POLICIES = parse_policies(
    {
        "policies": {"dba": {"levels": [{"targets": [{"user": "U0BOB"}]}]}},
        "severities": {"SEV1": "dba"},
    }
)


@dataclass
class Transaction:
    statements: list[str]
    written: set[tuple[str, str]] = field(default_factory=set)

    @property
    def only_consequences(self) -> bool:
        added = {table for verb, table in self.written if verb == "INSERT INTO"}
        record = {table for _, table in self.written} - CONSEQUENCES - BOOKKEEPING
        return bool(added & CONSEQUENCES) and not record


@dataclass
class Ledger:
    """Committed transactions of flows (jobs, which run apart, are not read)."""

    committed: list[Transaction] = field(default_factory=list)
    _open: dict[int, Transaction] = field(default_factory=dict)

    def statement(self, connection: Any, statement: str) -> None:
        task = asyncio.current_task()
        if task is not None and task.get_name().startswith("job "):
            return
        if (match := WRITE.match(statement)) is not None:
            where = task.get_name() if task else "?"
            transaction = self._open.setdefault(id(connection), Transaction([f"in {where}"]))
            transaction.written.add((match.group(1).upper(), match.group(2).lower()))
            transaction.statements.append(statement.split("\n")[0][:120])

    def end(self, connection: Any, committed: bool) -> None:
        transaction = self._open.pop(id(connection), None)
        if transaction is not None and committed:
            self.committed.append(transaction)

    def consequences_alone(self) -> list[list[str]]:
        return [t.statements for t in self.committed if t.only_consequences]


@contextmanager
def ledger_of(engine: AsyncEngine) -> Iterator[Ledger]:
    ledger = Ledger()
    sync = engine.sync_engine

    def executed(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        ledger.statement(connection, statement)

    def committed(connection: Any) -> None:
        ledger.end(connection, committed=True)

    def rolled_back(connection: Any) -> None:
        ledger.end(connection, committed=False)

    listeners = [
        ("before_cursor_execute", executed),
        ("commit", committed),
        ("rollback", rolled_back),
    ]
    for name, listener in listeners:
        event.listen(sync, name, listener)
    try:
        yield ledger
    finally:
        for name, listener in listeners:
            event.remove(sync, name, listener)


async def test_every_flow_keeps_its_jobs_and_writes_with_its_change(
    slack: SlackEmulator, database_url: str
) -> None:
    announce = slack.create_channel(
        "announcements", creator="U0ALICE", members=[slack.bot_user_id]
    ).id
    async with running_warroom(
        slack,
        database_url,
        incidents__announce_channel=announce,
        escalation__policies=POLICIES,
    ) as warroom:
        with ledger_of(warroom.engine) as ledger:
            channel = await open_incident(warroom)
            for text in (
                "sev SEV1",
                "lead <@U0BOB|bob>",
                "role comms <@U0CAROL|carol>",
                "status monitoring",
                "update Payments flow again",
                "action @bob --due tomorrow add an alert on gateway 5xx",
                "public Checkout",
                "update --public Payments flow again",
                "resolve",
                "status investigating",
                "resolve",
            ):
                await command(warroom, channel, text)
            await _wrap_up(warroom, channel)
        await _settled(warroom)
    assert ledger.committed, "the ledger read nothing"
    alone = ledger.consequences_alone()
    assert not alone, "kept apart from their change:\n" + "\n\n".join(map("\n".join, alone))


async def _wrap_up(warroom: Warroom, channel: Channel) -> None:
    """The form offered on resolving, given an impact end, a trigger and a follow-up due
    tomorrow (its reminders are jobs)."""
    slack = warroom.slack
    offers = [
        m for m in channel.messages if any(b.get("block_id") == "wrap_up" for b in m.blocks or [])
    ]
    await slack.click_button(channel.id, offers[-1].ts, "open_wrap_up", user="U0ALICE")
    view_id = await slack.wait_for(
        lambda: next((i for i, v in slack.views.items() if v["callback_id"] == "wrap_up"), None)
    )
    tomorrow = (warroom.clock.now + timedelta(days=1)).date().isoformat()
    states = {
        "trigger": {"type": "plain_text_input", "value": "Release 4.2"},
        "follow_up.1.text": {"type": "plain_text_input", "value": "Test it"},
        "follow_up.1.owner": {"type": "users_select", "selected_user": "U0BOB"},
        "follow_up.1.due": {"type": "datepicker", "selected_date": tomorrow},
    }
    values = {block: {block: state} for block, state in states.items()}
    answer = await slack.submit_view(view_id, values, user="U0ALICE")
    assert answer.status == 200 and not answer.text.strip(), answer.text
    await settle(warroom)


async def _settled(warroom: Warroom) -> None:
    await warroom.run_jobs()
