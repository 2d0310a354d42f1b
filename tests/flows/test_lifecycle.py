"""The app's life in Slack: uninstalled, nothing is sent and no job spins; installed again
(a new token, a restarted bot), everything that waited goes out once. And its channels' lives:
renamed, archived, unarchived."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.store.db import session_scope
from bot.store.models import Incident, Job, OutboxMessage, SlackInstallation, TimelineEntry
from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, Clock, Warroom, running_warroom
from tests.helpers.incidents import declare_incident, open_incident, settle
from tests.store.test_outbox import EXPECTED_KINDS, INCIDENT, _play, _until_sent


async def health(warroom: Warroom, *, ready: bool = False) -> dict[str, Any]:
    """/readyz's Slack part; while the app is uninstalled it says why, without asking Slack (its
    watch does, once a minute). Slack's part is never what makes the replica not ready: the
    jobs held meanwhile are, once late (their own part)."""
    async with aiohttp.ClientSession() as client, client.get(f"{warroom.url}/readyz") as got:
        body = await got.json()
        part = dict(body["parts"]["slack"])
        assert part["ready"] and (ready or part["state"] == "refused"), body
        return part


async def rows(warroom: Warroom, model: type[Any]) -> list[Any]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(model))).all())


async def resumed(warroom: Warroom) -> None:
    """Until the restarted bot has found the app installed again (its watch asked Slack)."""

    async def back() -> bool:
        stopped = await rows(warroom, SlackInstallation)
        return not stopped and warroom.services.presence.stopped is None

    await warroom.slack.wait_for(back, timeout=10)


def calls_since(slack: SlackEmulator, mark: int) -> Counter[str]:
    return Counter(call.method for call in slack.calls[mark:])


async def test_an_uninstall_stops_the_outbox_and_the_jobs_at_once(
    warroom: Warroom, caplog: pytest.LogCaptureFixture
) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)
    await settle(warroom)
    with caplog.at_level(logging.WARNING, logger="bot.flows.installation"):
        answers = await slack.uninstall()
        assert [answer.status for answer in answers] == [200, 200]
        mark = len(slack.calls)
        await slack.post_message(channel.id, "is anyone there?", user=ALICE)
        for _ in range(3):  # the update reminder falls due meanwhile
            await warroom.advance(minutes=20)

    (gone,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert "The Slack app is gone" in gone
    assert (await health(warroom))["reason"].startswith("Slack refused the bot token")
    # Only "is the token good again?", once a minute at most: no write, no job.
    assert set(calls_since(slack, mark)) <= {"auth.test"}
    assert calls_since(slack, mark)["auth.test"] <= 4  # at once, then once a minute at most
    jobs = await rows(warroom, Job)
    assert [job.kind for job in jobs if job.done_at is None] == ["update_reminder"]
    assert all(job.failures == 0 for job in jobs)


async def test_uninstalled_and_installed_again_mid_incident_loses_nothing_and_sends_once(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    clock = Clock()
    half = 8
    async with running_warroom(slack, sqlite_url, clock) as first:
        channel = await open_incident(first)
        await _play(first, channel, INCIDENT[:half])
        # Slack fails the posts of the next steps: they wait in the outbox...
        slack.fail_with_error("chat.postMessage", "internal_error", times=1000)
        await _play(first, channel, INCIDENT[half:11])
        slack.recover("chat.postMessage")
        # ...when the app is uninstalled. Time passes: the writes and a reminder fall due.
        await slack.uninstall()
        mark = len(slack.calls)
        for _ in range(4):
            await first.advance(minutes=10)
        assert set(calls_since(slack, mark)) <= {"auth.test"}
        waiting = [r for r in await rows(first, OutboxMessage) if r.sent_at is None]
        assert waiting, "nothing was left to send: the test would prove nothing"

    # Installed again: a new token, and the bot restarted with it.
    token = slack.reinstall()
    async with running_warroom(slack, sqlite_url, clock, slack__bot_token=token) as second:
        await resumed(second)
        assert (await health(second, ready=True))["state"] == "ok"
        await _until_sent(second)
        await _play(second, channel, INCIDENT[11:])
        await _until_sent(second)
        await _nothing_lost_nor_sent_twice(second, channel)


async def _nothing_lost_nor_sent_twice(warroom: Warroom, channel: Channel) -> None:
    slack = warroom.slack
    written = await rows(warroom, OutboxMessage)
    assert all(row.sent_at is not None for row in written), "every write went out"
    # Each post the outbox made is in the channel once.
    posts = [r for r in written if r.method == "chat.postMessage" and r.channel == channel.id]
    shown = Counter(message.ts for message in channel.messages)
    assert all(shown[row.result_ts] == 1 for row in posts)
    texts = Counter(m.text for m in channel.messages if m.user == slack.bot_user_id and m.text)
    assert [text for text, n in texts.items() if n > 1] == []
    for step, _user, text, _reaction in INCIDENT:
        if step == "run" and text.startswith("update "):
            assert texts[next(t for t in texts if text.removeprefix("update ") in t)] == 1
    entries = await rows(warroom, TimelineEntry)
    assert {entry.kind for entry in entries} == EXPECTED_KINDS
    jobs = await rows(warroom, Job)
    assert all(job.failures == 0 for job in jobs), [(j.kind, j.last_error) for j in jobs]
    assert not [job for job in jobs if job.done_at is None and job.locked_by is not None]


async def the_incident(warroom: Warroom) -> Incident:
    (incident,) = await rows(warroom, Incident)
    return incident


async def test_a_renamed_incident_channel_is_renamed_in_the_record(warroom: Warroom) -> None:
    channel = await open_incident(warroom)
    answer = await warroom.slack.rename_channel(channel.id, "inc-checkout-payments", user=BOB)
    assert answer is not None and answer.status == 200
    assert (await the_incident(warroom)).channel_name == "inc-checkout-payments"


async def test_an_archived_incident_channel_is_recorded_and_its_commander_told_elsewhere(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    announce = slack.create_channel("incidents", creator=ALICE, members=[slack.bot_user_id])
    async with running_warroom(
        slack, sqlite_url, incidents__announce_channel=announce.id
    ) as warroom:
        channel = await open_incident(warroom)
        await settle(warroom)
        archived = await slack.archive_channel(channel.id, user=BOB)
        assert archived is not None and archived.status == 200
        await settle(warroom)
        incident = await the_incident(warroom)
        assert incident.is_open, "archiving the channel resolves nothing"
        (told,) = [m.text for m in announce.messages if "was archived" in m.text]
        assert f"<@{ALICE}>" in told and incident.reference in told

        unarchived = await slack.unarchive_channel(channel.id, user=BOB)
        assert unarchived is not None and unarchived.status == 200
        await slack.send_command("timeline", user=ALICE, channel=channel.id)
        await settle(warroom)
    shown = slack.ephemeral_for(ALICE)[-1].text
    assert f"Incident channel archived by <@{BOB}>" in shown
    assert f"Incident channel unarchived by <@{BOB}>" in shown
    changes = [e.facts for e in await rows(warroom, TimelineEntry) if e.kind == "channel"]
    assert changes == [
        {"change": "archived", "user": BOB},
        {"change": "unarchived", "user": BOB},
    ]


async def test_a_write_set_aside_waits_with_its_pin_and_goes_out_at_reinstall(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    clock = Clock()
    async with running_warroom(slack, sqlite_url, clock) as first:
        # The header is the first post of a new channel: a scope slip refuses it, once.
        slack.fail_with_error("chat.postMessage", "missing_scope", times=1)
        channel = await declare_incident(slack)
        await settle(first)
        set_aside = [r for r in await rows(first, OutboxMessage) if r.set_aside_at is not None]
        assert [r.method for r in set_aside] == ["chat.postMessage", "pins.add"]
        assert any("missing_scope" in m.text for m in channel.messages), "the channel is told"
        assert not channel.pins
        await slack.uninstall()

    token = slack.reinstall()  # the admin grants the scope: the app is installed again
    async with running_warroom(slack, sqlite_url, clock, slack__bot_token=token) as second:
        await resumed(second)
        await _until_sent(second)
        (pinned,) = channel.pins
        header = next(m for m in channel.messages if m.ts == pinned)
        assert "Checkout down" in header.text
        headers = [m for m in channel.messages if m.text == header.text]
        assert len(headers) == 1, "posted once"


async def test_a_bot_restarted_while_uninstalled_sends_nothing(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    clock = Clock()
    async with running_warroom(slack, sqlite_url, clock) as first:
        channel = await open_incident(first)
        await settle(first)
        await slack.uninstall()
        await slack.post_message(channel.id, "still here?", user=ALICE)
    clock.now += timedelta(hours=2)  # the update reminder and any retry are long due
    mark = len(slack.calls)
    async with running_warroom(slack, sqlite_url, clock) as second:  # the revoked token
        await second.run_jobs()
        assert second.services.presence.stopped is not None
        assert (await health(second))["reason"].startswith("Slack refused the bot token")
    assert set(calls_since(slack, mark)) <= {"auth.test"}
