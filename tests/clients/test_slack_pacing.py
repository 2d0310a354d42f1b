"""Pacing under Slack's limits: warroom keeps to them before Slack says so, so an incident and
a burst of war rooms get no 429. Signed commands into the real server, the emulator applying
Slack's posting limit (one a second per channel, bursts of three) and, where a test says so,
a method's tier; and the pacer's own order of who goes first."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.clients.slack.errors import SlackTurnLater
from bot.clients.slack.pacing import (
    ANSWER,
    BACKGROUND,
    NORMAL,
    URGENT,
    SlackPacer,
    _Bucket,
    _Window,
    paced_as,
)
from bot.clients.slack.ratelimit import waiting_at_most
from bot.clients.slack.web_client import build_web_client
from bot.config import Settings
from bot.flows.outbox import deliver
from bot.flows.people import zone_of
from bot.keys import outbox_sender_key
from bot.store import outbox
from bot.store.db import session_scope
from bot.store.models import OutboxMessage
from bot.store.outbox import PIN
from emulator import SlackEmulator
from tests.conftest import ALICE, running_warroom
from tests.helpers.incidents import open_incident, settle


def rate_limited(slack: SlackEmulator) -> list[str]:
    return [call.method for call in slack.calls if call.status == 429]


async def test_a_busy_incident_is_posted_at_slacks_pace_with_no_429(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """Twelve updates and notes typed at once into one channel: each reaches it, none is
    answered 429 (the emulator refuses a post over one a second after a burst of three)."""
    async with running_warroom(slack, sqlite_url) as warroom:
        channel = await open_incident(warroom)
        texts = [f"Update {n}: still rolling back" for n in range(12)]
        await asyncio.gather(
            *(
                slack.send_command(f"update {text}", user=ALICE, channel=channel.id)
                for text in texts
            )
        )
        for _ in range(20):
            await settle(warroom)
            if all(any(text in m.text for m in channel.messages) for text in texts):
                break
            await asyncio.sleep(0.5)
        assert all(any(text in m.text for m in channel.messages) for text in texts)
    assert rate_limited(slack) == []


async def test_war_rooms_opened_faster_than_the_tier_allows_wait_their_turn_with_no_429(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """conversations.create is Tier 2, 20 a minute; the emulator enforces it over a window of
    two seconds here, and so does the bot (its window follows the emulator's): 24 incidents
    declared at once all get their channels, the last four in the next window, none by a 429."""
    slack.rate_window = 2.0
    slack.rate_limits["conversations.create"] = 20
    async with running_warroom(slack, sqlite_url):
        general = slack.channel_by_name("general")
        assert general is not None
        began = time.monotonic()
        await asyncio.gather(
            *(
                slack.send_command(f"start Outage {n}", user=ALICE, channel=general.id)
                for n in range(24)
            )
        )

        def rooms() -> int:
            return sum(c.name.startswith("inc-") for c in slack.channels.values())

        await slack.wait_for(lambda: rooms() == 24, timeout=60)
        took = time.monotonic() - began
    assert rate_limited(slack) == []
    created = sorted(call.at for call in slack.calls_to("conversations.create"))
    assert len(created) == 24
    assert created[20] - created[0] >= 2.0 - 0.05, "the 21st waited for the window to pass"
    assert took < 20


async def test_what_opens_a_war_room_goes_before_what_can_wait() -> None:
    """In one lane, waiting callers go by priority, then in order."""
    pacer = SlackPacer(window=0.5)
    went: list[str] = []

    async def call(name: str, priority: int) -> None:
        with paced_as(priority):
            await pacer.take("pins.add", None)  # Tier 2: 20 a window
        went.append(name)

    # The window filled, its reserve for a person's answers too.
    await asyncio.gather(*(call(f"filler-{n}", ANSWER) for n in range(20)))
    waiting = [asyncio.create_task(call(f"summary-{n}", BACKGROUND)) for n in range(3)]
    await asyncio.sleep(0)
    waiting.append(asyncio.create_task(call("war-room", URGENT)))
    await asyncio.gather(*waiting)
    assert went[20] == "war-room"
    assert went[21:] == ["summary-0", "summary-1", "summary-2"]


async def test_background_work_leaves_a_reserve_a_persons_command_goes_through_at_once() -> None:
    """A start-up's handoffs ask users.info of more people than its window holds: they stop
    short of the last tenth, and wait for the next window. A person's command asked then (its
    calls ``ANSWER``) is let through at once, ahead of the handoffs waiting, never over the
    window's limit."""
    pacer = SlackPacer(window=10.0)  # 10.2 s with the margin
    limit = pacer.per_window("users.info")
    went: list[str] = []

    async def call(name: str, priority: int) -> None:
        with paced_as(priority):
            await pacer.take("users.info", None)
        went.append(name)

    handoffs = [asyncio.create_task(call(f"handoff-{n}", NORMAL)) for n in range(limit + 5)]
    await asyncio.sleep(0.05)
    assert len(went) == limit - limit // 10  # 90: ten kept
    answers = [asyncio.create_task(call(f"answer-{n}", ANSWER)) for n in range(limit // 10)]
    await asyncio.wait_for(asyncio.gather(*answers), timeout=5.0)  # the window is 10.2 s
    assert went[limit - limit // 10 :] == [f"answer-{n}" for n in range(limit // 10)]
    with paced_as(ANSWER):  # the window is full now, for answers too
        assert pacer.expected_wait("users.info", None) > 9.0
    for task in handoffs:
        task.cancel()
    await asyncio.gather(*handoffs, return_exceptions=True)


async def test_a_tier_2_window_keeps_no_reserve_so_a_storm_opens_war_rooms_at_its_rate() -> None:
    """conversations.create (Tier 2, 20 a window) is what a storm of alerts opens war rooms
    with: all twenty go in the window, none held back for a person's command."""
    pacer = SlackPacer(window=10.0)  # 10.2 s with the margin
    with paced_as(URGENT):
        for _ in range(pacer.per_window("conversations.create")):
            await asyncio.wait_for(pacer.take("conversations.create", None), timeout=5.0)
        assert pacer.expected_wait("conversations.create", None) > 9.0  # and then it is full


def test_replicas_share_each_tier_and_a_channels_burst() -> None:
    alone, three = SlackPacer(), SlackPacer(replicas=3)
    assert alone.per_window("conversations.create") == 20
    assert three.per_window("conversations.create") == 6
    assert three.per_window("apps.manifest.create") == 1  # never below one a window
    assert alone.per_window("users.info") == 100
    assert alone.per_window("some.new.method") == 20  # Tier 2 unless known


async def test_a_job_told_its_turn_is_far_gives_way_but_waits_out_a_channels_second(
    slack: SlackEmulator,
) -> None:
    """A job's patience (the job runner's): a turn a window away in a method's pace is said
    at once (``SlackTurnLater``, with when it comes) so the job gives its slot back until
    then, while a channel's next post, a second away, is waited for where it is."""
    settings = Settings().changed(
        slack__bot_token=slack.bot_token,
        slack__api_url=slack.base_url,
        slack__rate_window=10.0,
    )
    channel = slack.channel_by_name("general")
    assert channel is not None
    channel.members.add(slack.bot_user_id)
    async with aiohttp.ClientSession() as http:
        client = build_web_client(settings, http)
        with paced_as(ANSWER):  # the whole window, the reserve for answers too
            for number in range(20):  # conversations.setTopic is Tier 2: 20 in a window
                await client.api_call(
                    "conversations.setTopic", json={"channel": channel.id, "topic": f"{number}"}
                )
        with waiting_at_most(3.0, turns=0.5):
            with pytest.raises(SlackTurnLater) as told:
                await client.api_call(
                    "conversations.setTopic", json={"channel": channel.id, "topic": "late"}
                )
            started = time.monotonic()
            for number in range(3):  # the third waits for the channel's next second
                await client.chat_postMessage(channel=channel.id, text=f"post {number}")
            waited = time.monotonic() - started
    assert 9.0 < (told.value.retry_after or 0) <= 10.5
    assert channel.topic == "19"
    assert 0.5 < waited < 3.0
    assert rate_limited(slack) == []


def test_a_caller_waiting_in_line_is_told_when_its_turn_comes() -> None:
    """What a job is told before it gives up its place: a window's burst frees the next
    window's calls in a burst (told ``ahead`` times the spacing, the later ones of an alert
    storm's second window were put back late, and each window after lost as much again)."""
    burst = _Window(limit=3, window=10.0, granted=deque([0.0, 0.0, 0.0]))
    assert [burst.turn(1.0, ahead) for ahead in range(5)] == [10.0, 10.0, 10.0, 20.0, 20.0]
    spread = _Window(limit=3, window=10.0, granted=deque([0.0, 1.0, 2.0]))
    assert [spread.turn(2.5, ahead) for ahead in range(4)] == [10.0, 11.0, 12.0, 20.0]
    room = _Window(limit=3, window=10.0, granted=deque([0.0]))
    assert [room.turn(15.0, ahead) for ahead in range(4)] == [15.0, 15.0, 15.0, 25.0]
    posts = _Bucket(rate=1.0, burst=2.0, tokens=2.0, at=0.0)
    assert [posts.turn(0.0, ahead) for ahead in range(4)] == [0.0, 0.0, 1.0, 2.0]


def turn_one_by_one(window: _Window, now: float, ahead: int) -> float:
    """The turn as the callers would get it: each one ``limit`` places after a call,
    a window later, one caller after another."""
    granted = [at for at in window.granted if now - at < window.window]
    at = now
    for _ in range(ahead + 1):
        if len(granted) >= window.limit:
            at = max(at, granted[-window.limit] + window.window)
        granted.append(at)
    return at


@given(
    limit=st.integers(1, 6),
    ages=st.lists(st.integers(0, 120), max_size=8),
    ahead=st.integers(0, 40),
)
def test_a_turn_far_down_a_long_line_is_counted_as_one_by_one(
    limit: int, ages: list[int], ahead: int
) -> None:
    """A storm's thousands of queued calls are told their turns without walking the line,
    and each is told the turn one-by-one counting gives (tenths of a second, 10 s window)."""
    now = 100.0
    granted = deque(sorted(now - age / 10 for age in ages)[-limit:])
    lane = _Window(limit=limit, window=10.0, granted=granted)
    expected = turn_one_by_one(lane, now, ahead)
    assert lane.turn(now, ahead) == pytest.approx(expected)


async def test_the_header_is_edited_once_with_the_latest_state_not_once_per_change(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """Six changes at once: each is said in the channel (paced), and the pinned header and
    topic, queued behind those messages, are written with the last state, not six times."""
    async with running_warroom(slack, sqlite_url) as warroom:
        channel = await open_incident(warroom)
        await settle(warroom)
        header_ts = channel.pins[0]
        edits_before = len(
            [c for c in slack.calls_to("chat.update") if c.args.get("ts") == header_ts]
        )
        topics_before = len(slack.calls_to("conversations.setTopic"))
        changes = ["sev 2", "status identified", "sev 1", "status monitoring", "sev 3", "sev 2"]
        for change in changes:
            await slack.send_command(change, user=ALICE, channel=channel.id)
        await slack.wait_for(
            lambda: "monitoring" in channel.topic and "SEV2" in channel.topic, timeout=30
        )
        for _ in range(10):
            await settle(warroom)
        header = next(m for m in channel.messages if m.ts == header_ts)
        assert "SEV2" in header.text and "monitoring" in header.text.lower()
        edits = [c for c in slack.calls_to("chat.update") if c.args.get("ts") == header_ts]
        topics = slack.calls_to("conversations.setTopic")
    assert len(edits) - edits_before < len(changes)
    assert len(topics) - topics_before < len(changes)
    assert rate_limited(slack) == []


async def test_an_urgent_caller_is_told_its_turn_ahead_of_waiting_background_calls() -> None:
    """What opens a war room is told the turn it will get: before the alert summaries
    waiting in the same lane, which it passes, not behind them (it would give its slot back
    for a turn it does not have to wait for)."""
    pacer = SlackPacer(window=10.0)  # 10.2 s with the margin
    with paced_as(ANSWER):  # the whole window, the reserve for answers too
        for _ in range(pacer.per_window("pins.add")):
            await pacer.take("pins.add", None)
    with paced_as(BACKGROUND):
        waiting = [asyncio.create_task(pacer.take("pins.add", None)) for _ in range(25)]
    await asyncio.sleep(0)
    try:
        with paced_as(URGENT):
            urgent = pacer.expected_wait("pins.add", None)
        with paced_as(BACKGROUND):
            background = pacer.expected_wait("pins.add", None)
        assert 9.5 < urgent < 10.5  # the next window, first
        assert background > 19.5  # behind the 25: the window after
        # Callers who leave the line are no longer counted before the next one.
        for task in waiting[5:]:
            task.cancel()
        await asyncio.gather(*waiting[5:], return_exceptions=True)
        with paced_as(BACKGROUND):
            assert 9.5 < pacer.expected_wait("pins.add", None) < 10.5  # behind 5 only
    finally:
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)


# The pacing window of the test below, in seconds.
WINDOW = 3.0


async def test_a_jobs_write_whose_turn_is_later_waits_untried_and_quietly(
    slack: SlackEmulator, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A job's delivery meets a full window (an alert storm's pins): the write is not tried,
    not counted as an attempt, not logged as Slack's rate limit, and sent at its turn. The
    window is 3 s here (the harness's is 1 s), so that a loaded machine's pause between
    filling it and the delivery cannot let it pass first."""
    async with running_warroom(slack, sqlite_url, slack__rate_window=WINDOW) as warroom:
        channel = await open_incident(warroom)
        said = await slack.post_message(channel.id, "The gateway broke checkout", user=ALICE)
        # The write is the job's alone to deliver (the sender's loop would send it, waiting).
        await warroom.app[outbox_sender_key].stop()
        pacer = warroom.services.slack.client.pacer
        while pacer.expected_wait(PIN, None) < WINDOW - 0.5:  # the window full
            await pacer.take(PIN, None)
        async with session_scope(warroom.engine) as session:
            row = await outbox.enqueue(
                session,
                channel=channel.id,
                method=PIN,
                payload={"ts": said.ts},
                now=warroom.clock(),
            )
            await session.commit()
        with (
            caplog.at_level(logging.INFO, logger="bot.flows.outbox"),
            waiting_at_most(3.0, turns=0.5),
        ):
            await deliver(warroom.services, channel.id)
        async with session_scope(warroom.engine) as session:
            waited = await session.get(OutboxMessage, row.id)
        assert waited is not None and waited.sent_at is None
        assert (waited.attempts, waited.last_error) == (0, None)
        assert waited.due_at > warroom.clock()
        assert not [r for r in caplog.records if r.name == "bot.flows.outbox"]
        await asyncio.sleep(WINDOW + 0.2)  # the pacer's window passes
        await warroom.advance(seconds=WINDOW + 1)
        assert said.ts in channel.pins


async def test_a_jobs_question_whose_turn_is_later_makes_the_job_come_back_not_guess(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """A handoff notice asks Slack for the person's time zone when users.info's window is
    full: the job gives its slot back and asks again at its turn, where it once said the
    time in the schedule's zone as if Slack had no answer. A person's command waits."""
    slack.add_user("U0ZED", "zed", "Zed Ito", tz="Asia/Tokyo")
    async with running_warroom(slack, sqlite_url) as warroom:
        pacer = warroom.services.slack.client.pacer
        while pacer.expected_wait("users.info", None) < 0.8:  # the harness's window: 1 s
            await pacer.take("users.info", None)
        with waiting_at_most(3.0, turns=0.5), pytest.raises(SlackTurnLater):
            await zone_of(warroom.services, "U0ZED", otherwise="Europe/Paris")
        assert await zone_of(warroom.services, "U0ZED", otherwise="Europe/Paris") == "Asia/Tokyo"
