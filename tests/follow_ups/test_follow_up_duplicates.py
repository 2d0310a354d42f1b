"""Paraphrased duplicate follow-ups, a labelled set: six realistic pairs that are one task in
other words, and four pairs about the same system that are different work. Each pair is noted
by ``/incident action`` in an incident of its own, through the Slack emulator, with the team's
model the fake over HTTP (bot/clients/follow_up_model.py's strict ``warroom_same_task``).

Measured (bench/RESULTS.md, "Paraphrased duplicate follow-ups"): the word match alone flags 2
of the 6 duplicates; with a truthful model (the fake answering from the labels) 6 of 6; no
non-duplicate pair is flagged either way. The truthful model is an oracle: the figure says that
warroom carries a right answer to the channel, not how good any real model is.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from bot.basics.slack_text import decode_entities
from bot.record.follow_ups.follow_ups import mark_done, reads_like
from bot.store.db import session_scope
from bot.store.models import ActionItem
from emulator import Channel, SlackEmulator
from emulator.openai_chat import ChatRequest, FakeChatModel
from tests.conftest import Clock, Warroom, running_warroom
from tests.follow_ups.test_follow_up_merging import (
    KEY,
    MODEL,
    MORNING,
    SAME,
    ai,
    asked_same,
    with_merge,
)
from tests.helpers.incidents import command, open_incident

# (earlier, new): the same work, said another way, as people note it in a channel.
DUPLICATES = [
    ("add an alert on the checkout 5xx rate", "page on-call when checkout starts returning 500s"),
    ("raise the db connection pool to 50", "increase the database connection pool size"),
    ("write a runbook for rolling back payments", "write the payments rollback runbook"),
    ("add a canary stage to config pushes", "add a canary stage for config pushes"),
    (
        "renew the TLS certificate of api.example.com before it expires",
        "renew the api.example.com TLS certificate and alert before expiry",
    ),
    ("document how to fail Redis over to the replica", "Redis failover: write down the steps"),
]
# (earlier, new): the same system, different work.
DIFFERENT = [
    ("add an alert on the checkout 5xx rate", "add a dashboard for checkout latency"),
    ("raise the db connection pool to 50", "add a test for the db connection timeout"),
    (
        "write a runbook for rolling back payments",
        "add a rollback button to the payments pipeline",
    ),
    ("renew the TLS certificate of api.example.com", "rotate the api.example.com API keys"),
]
LABELS = {new: earlier for earlier, new in DUPLICATES}
TASK = re.compile(r"^\[(T\d+)\] (.*)$", re.MULTILINE)


@pytest.fixture
async def model() -> AsyncIterator[FakeChatModel]:
    """The fake with the key ``ai`` gives warroom."""
    async with FakeChatModel(models={MODEL}, key=KEY) as fake:
        yield fake


def truthful(request: ChatRequest) -> dict[str, Any]:
    """The model that knows the labels: the task sent that the new one duplicates, else none."""
    tasks = request.texts[1]
    new = tasks.partition("[NEW] ")[2].strip()
    earlier = LABELS.get(new)
    for number, text in TASK.findall(tasks):
        if text.strip() == earlier:
            return {"same_as": number, "reason": "Both ask for the same work in other words."}
    return {"same_as": "none", "reason": "They ask for different work."}


async def flagged(warroom: Warroom, earlier: str, new: str) -> bool:
    """Note ``earlier`` then ``new`` in an incident of their own: is the pair flagged?"""
    channel = await open_incident(warroom, f"Incident about {earlier[:30]}")
    await command(warroom, channel, f"action {earlier}")
    await command(warroom, channel, f"action {new}")
    return bool(with_merge(channel)) or said_alike(channel)


def said_alike(channel: Channel) -> bool:
    return any("Possibly the same" in decode_entities(m.text) for m in channel.messages)


def test_the_word_match_alone_catches_2_of_the_6_paraphrases_and_no_different_task() -> None:
    caught = [pair for pair in DUPLICATES if reads_like(*pair)]
    assert len(caught) == 2, caught
    assert not [pair for pair in DIFFERENT if reads_like(*pair)]


async def test_the_team_s_model_catches_the_paraphrases_the_words_miss(
    slack: SlackEmulator, sqlite_url: str, model: FakeChatModel
) -> None:
    model.reply(truthful, times=len(DUPLICATES) + len(DIFFERENT), to=SAME)
    async with running_warroom(slack, sqlite_url, Clock(MORNING), ai=ai(model)) as warroom:
        caught = [pair for pair in DUPLICATES if await flagged(warroom, *pair)]
        wrongly = [pair for pair in DIFFERENT if await flagged(warroom, *pair)]
    assert len(caught) == 6, caught
    assert wrongly == []
    # Asked only where the words did not say, with the open tasks numbered as the schema
    # names them; each answered in the strict format the fake holds it to.
    asked = asked_same(model)
    assert len(asked) == 4 + len(DIFFERENT)
    assert all(r.body["response_format"]["json_schema"]["strict"] for r in asked)
    schema = asked[0].body["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["same_as"]["enum"] == ["T1", "none"]
    assert schema["required"] == ["same_as", "reason"]


async def test_without_a_model_the_words_alone_flag_in_the_channel(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with running_warroom(slack, sqlite_url, Clock(MORNING)) as warroom:
        caught = [pair for pair in DUPLICATES if await flagged(warroom, *pair)]
    assert len(caught) == 2


async def test_a_done_task_is_not_sent_to_the_model_as_a_possible_duplicate(
    slack: SlackEmulator, sqlite_url: str, model: FakeChatModel
) -> None:
    model.reply(truthful, times=3, to=SAME)
    async with running_warroom(slack, sqlite_url, Clock(MORNING), ai=ai(model)) as warroom:
        channel = await open_incident(warroom, "Checkout 500s")
        earlier, new = DUPLICATES[0]
        await command(warroom, channel, f"action {earlier}")
        async with session_scope(warroom.engine) as session:
            (item,) = (await session.exec(select(ActionItem))).all()
            assert mark_done(item, by="U0ALICE", at=warroom.clock.now)
            session.add(item)
            await session.commit()
        await command(warroom, channel, f"action {new}")
    # Its one earlier task done: nothing open to duplicate, the model is not asked.
    assert asked_same(model) == [] and not said_alike(channel)
