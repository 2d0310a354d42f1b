"""One draft, one announcement: ``/incident resolve`` then ``/incident postmortem`` a moment
later, replayed through Slack as it is (events delivered three times, a Web API failing a
share of its calls with 429 or 500 before acting), posts the draft once: one canvas, one
":memo: Postmortem draft" message. A job retried after a later step failed never repeats a
post it made.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Job, OutboxMessage, ReceivedCommand
from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Warroom, running_warroom
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.slack_requests import event_headers
from tests.helpers.waiting import RealClock, eventually

ANNOUNCEMENT = ":memo: *Postmortem draft: INC-"
SAID = 12  # Bob's messages, each pinned as a key moment


async def _deliver_thrice(
    http: aiohttp.ClientSession, slack: SlackEmulator, url: str, event: dict[str, Any]
) -> None:
    """An event as Slack sends it when its first tries time out: three times, one id."""
    body = json.dumps(slack.event_envelope(event, "Ev" + event["event_ts"].replace(".", "")))
    for attempt in range(3):
        headers = event_headers(slack.signing_secret, body, retry=attempt)
        async with http.post(f"{url}/slack/events", data=body.encode(), headers=headers) as r:
            assert r.status == 200


async def _mark_moments(warroom: Warroom, channel: Channel, *, thrice: bool) -> None:
    """Bob says what he sees, Alice pins each line; every event three times if ``thrice``."""
    slack = warroom.slack
    base = int(time.time()) - 600
    async with aiohttp.ClientSession() as http:
        for n in range(SAID):
            ts = f"{base + n}.000100"
            await slack.post_message(channel.id, f"step {n}", user=BOB, ts=ts)
            reaction = {
                "type": "reaction_added",
                "user": ALICE,
                "reaction": "pushpin",
                "item": {"type": "message", "channel": channel.id, "ts": ts},
                "item_user": BOB,
                "event_ts": f"{base + n}.000200",
            }
            if thrice:
                said = {
                    "type": "message",
                    "channel": channel.id,
                    "user": BOB,
                    "text": f"step {n}",
                    "ts": ts,
                    "event_ts": ts,
                    "channel_type": "channel",
                }
                await _deliver_thrice(http, slack, warroom.url, said)
                await slack.add_reaction(channel.id, ts, "pushpin", user=ALICE)
                await _deliver_thrice(http, slack, warroom.url, reaction)
            else:
                await slack.add_reaction(channel.id, ts, "pushpin", user=ALICE)
    await slack.drain()


async def _idle(warroom: Warroom) -> bool:
    """Every command applied, a draft asked for and none left to write, nothing left to send
    (on a busy machine the resolve may not have been applied yet when this is first asked)."""
    async with session_scope(warroom.engine) as session:
        if (await session.exec(select(ReceivedCommand.id))).first() is not None:
            return False
        drafts = select(Job.id).where(col(Job.kind) == JobKind.POSTMORTEM_PUBLISH)
        if (await session.exec(drafts)).first() is None:
            return False
        job = (await session.exec(drafts.where(col(Job.done_at).is_(None)))).first()
        waiting = (
            await session.exec(
                select(OutboxMessage.id).where(
                    col(OutboxMessage.sent_at).is_(None), col(OutboxMessage.gave_up_at).is_(None)
                )
            )
        ).first()
    return job is None and waiting is None


async def _replay(warroom: Warroom, channel: Channel, *, faults: bool) -> None:
    """Resolve, then ask for the draft a moment later (and twice more while it is written)."""
    slack = warroom.slack
    await _mark_moments(warroom, channel, thrice=faults)
    if faults:
        # Three calls in ten refused before Slack acts: half 429 (Retry-After 1), half 500.
        slack.flaky(0.3, seed=3, retry_after=1)
    # The resolve's draft is still being written when the request comes (its canvas takes
    # Slack a while): whatever the timing, it must not make a second draft.
    slack.delay("conversations.canvases.create", 1.0, times=3)
    await slack.send_command("resolve Fixed", user=ALICE, channel=channel.id)
    await asyncio.sleep(0.2)
    for _ in range(3 if faults else 1):
        await slack.send_command("postmortem", user=CAROL, channel=channel.id)
    await eventually(lambda: _idle(warroom), 120, "the draft to be posted")
    slack.steady()
    await slack.drain()


def _announcements(channel: Channel) -> list[str]:
    return [m.text for m in channel.messages if m.text.startswith(ANNOUNCEMENT)]


@pytest.mark.parametrize("faults", [False, True], ids=["clean", "faults"])
async def test_resolve_then_postmortem_posts_one_draft_once(
    slack: SlackEmulator, database_url: str, faults: bool
) -> None:
    settings = {"runtime__scheduler_interval": 0.1}
    async with running_warroom(slack, database_url, RealClock(), **settings) as warroom:
        channel = await open_incident(warroom)
        await _replay(warroom, channel, faults=faults)

    assert len(_announcements(channel)) == 1, _announcements(channel)
    canvases = [c for c in slack.canvases.values() if c["channel_id"] == channel.id]
    assert len(canvases) == 1
    assert "step 11" in str(canvases[0]["markdown"])


async def _posted_draft(warroom: Warroom, channel: Channel) -> None:
    await command(warroom, channel, "note the cache was cold")
    await command(warroom, channel, "postmortem")
    assert len(_announcements(channel)) == 1


async def _run_again(warroom: Warroom) -> None:
    """The draft's job as a replica leaves it that dies after the post, before the job is
    marked done: its lease runs out, and another replica runs it again."""
    async with session_scope(warroom.engine) as session:
        await session.exec(
            update(Job)
            .where(col(Job.kind) == JobKind.POSTMORTEM_PUBLISH)
            .values(done_at=None, locked_by=None, locked_until=None)
        )
        await session.commit()
    await settle(warroom)


async def test_a_draft_job_run_again_after_its_post_posts_nothing_twice(
    slack: SlackEmulator, database_url: str
) -> None:
    async with running_warroom(slack, database_url) as warroom:
        channel = await open_incident(warroom)
        await _posted_draft(warroom, channel)
        await _run_again(warroom)
    assert len(_announcements(channel)) == 1
    assert len([c for c in slack.canvases.values() if c["channel_id"] == channel.id]) == 1


async def test_a_draft_posted_as_a_file_run_again_is_not_uploaded_twice(
    slack: SlackEmulator, database_url: str
) -> None:
    async with running_warroom(slack, database_url) as warroom:
        channel = await open_incident(warroom)
        # This workspace refuses the bot a canvas: the draft goes out as a Markdown file.
        slack.fail_with_error("conversations.canvases.create", "restricted_action", times=2)
        await _posted_draft(warroom, channel)
        await _run_again(warroom)
    shared = [m for m in channel.messages if m.files]
    assert len(shared) == 1 and len(_announcements(channel)) == 1
