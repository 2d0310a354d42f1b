"""Fresh signatures for commands and interactions: a slash command, a
button press or a form's submission captured and sent again within Slack's five minutes
(its signature still good) acts once, on SQLite and PostgreSQL.

Slack puts a ``trigger_id`` in each ("a slash command, button press, or interaction with a
select menu", https://docs.slack.dev/tools/bolt-python/concepts/opening-modals; "A temporary
ID generated for the interaction", https://api.slack.com/reference/interaction-payloads/shortcuts),
valid 3 s and usable once (the ``views.open`` reference: ``exchanged_trigger_id``), so one
per gesture: warroom claims it in the database. The emulator sends
each request twice, the same bytes signed at the same second (``SentTwice``), one after
the other or both at once; the copy gets a 200 and does nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.basics.slack_ids import DeclareModal
from bot.flows.in_order import CommandSweep
from bot.keys import command_line_key
from bot.store.columns import utcnow
from bot.store.db import session_scope
from bot.store.models import Incident, ProcessedEvent, TimelineEntry, TimelineKind
from emulator import SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Warroom, running_warroom
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.slack_requests import SentTwice

DBA_GROUP = "S0DBATEAM"


async def entries(warroom: Warroom, kind: TimelineKind) -> list[TimelineEntry]:
    async with session_scope(warroom.engine) as session:
        query = select(TimelineEntry).where(TimelineEntry.kind == kind)
        return list((await session.exec(query)).all())


async def incidents(warroom: Warroom) -> list[Incident]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(Incident))).all())


def general(slack: SlackEmulator) -> str:
    channel = slack.channel_by_name("general")
    assert channel is not None
    return channel.id


def incident_channels(slack: SlackEmulator) -> list[str]:
    return [c.name for c in slack.channels.values() if c.name.startswith("inc-")]


@pytest.mark.parametrize("at_once", [False, True], ids=["again", "at once"])
async def test_a_command_in_the_channel_s_line_sent_twice_is_applied_once(
    warroom_any_db: Warroom, at_once: bool
) -> None:
    """``/incident status identified`` and ``/incident update``, kept in the channel's line:
    one status change, one update; the copy is answered 200 with an empty body."""
    warroom, slack = warroom_any_db, warroom_any_db.slack
    channel = await open_incident(warroom)
    with SentTwice(slack, at_once=at_once) as twice:
        await slack.send_command("status identified", user=ALICE, channel=channel.id)
        await slack.send_command("update Rolled back the deploy", user=ALICE, channel=channel.id)
    await settle(warroom)
    assert [answer.status for answer in twice.answers] == [200] * 4
    assert sorted(answer.text for answer in twice.answers)[:2] == ["", ""]
    assert len(await entries(warroom, TimelineKind.STATUS)) == 1
    assert len(await entries(warroom, TimelineKind.UPDATE)) == 1
    updates = [m for m in channel.messages if "Rolled back the deploy" in m.text]
    assert len(updates) == 1
    # The person's next command, a new request, is applied.
    await command(warroom, channel, "status monitoring")
    assert len(await entries(warroom, TimelineKind.STATUS)) == 2


@pytest.mark.parametrize("at_once", [False, True], ids=["again", "at once"])
async def test_start_sent_twice_opens_one_incident(warroom_any_db: Warroom, at_once: bool) -> None:
    """``/incident start``, run at once (no line): claimed before it runs."""
    warroom, slack = warroom_any_db, warroom_any_db.slack
    with SentTwice(slack, at_once=at_once) as twice:
        await slack.send_command("start Checkout down", user=ALICE, channel=general(slack))
    await settle(warroom)
    assert len(await incidents(warroom)) == 1
    assert incident_channels(slack) == ["inc-1-checkout-down"]
    assert [answer.status for answer in twice.answers] == [200, 200]
    assert "" in [answer.text for answer in twice.answers]


async def test_a_form_submitted_twice_declares_one_incident(warroom_any_db: Warroom) -> None:
    """The declare form's ``view_submission`` sent twice: one incident."""
    warroom, slack = warroom_any_db, warroom_any_db.slack
    await slack.send_command("", user=BOB, channel=general(slack))
    view_id = await slack.wait_for(lambda: next(iter(slack.views), None))
    title = {DeclareModal.TITLE: {DeclareModal.TITLE: {"type": "plain_text_input", "value": "DNS"}}}
    with SentTwice(slack) as twice:
        await slack.submit_view(view_id, title, user=BOB)
    await settle(warroom)
    assert [answer.status for answer in twice.answers] == [200, 200]
    assert len(await incidents(warroom)) == 1
    assert incident_channels(slack) == ["inc-1-dns"]


async def test_a_button_press_sent_twice_acts_once(slack: SlackEmulator, database_url: str) -> None:
    """The Acknowledge button of an escalation (``block_actions``, applied in the channel's
    line) pressed once and sent twice: one acknowledgement, said in the channel, and nothing
    more (without the claim the copy is applied too, and its presser told privately that the
    escalation "was already acknowledged")."""
    slack.add_usergroup(DBA_GROUP, "dba-team", [CAROL])
    async with running_warroom(slack, database_url) as warroom:
        channel = await open_incident(warroom)
        await command(warroom, channel, "escalate @dba-team replication lag")
        (message,) = [m for m in channel.messages if "escalated to" in m.text]
        before = len(slack.ephemeral_for(CAROL))
        with SentTwice(slack) as twice:
            await slack.click_button(channel.id, message.ts, "acknowledge_escalation", user=CAROL)
        await settle(warroom)
        assert [answer.status for answer in twice.answers] == [200, 200]
        assert len(await entries(warroom, TimelineKind.ACKNOWLEDGED)) == 1
        told = [m.text for m in slack.ephemeral_for(CAROL)[before:]]
        assert told == [], told  # the press says so in the channel; the copy adds nothing


async def test_slack_s_claims_are_forgotten_after_a_day_and_the_others_kept(
    warroom_any_db: Warroom,
) -> None:
    """Every replica's command sweep forgets Slack's claims (trigger and event ids) older
    than a day: a copy that old is refused by its signature first. A Twilio reply's claim,
    whose signature carries no time, is kept."""
    warroom = warroom_any_db
    long_ago = utcnow() - timedelta(days=1, minutes=1)
    async with session_scope(warroom.engine) as session:
        for key, at in {
            "slack-trigger:1.2.old": long_ago,
            "Ev0OLD": long_ago,
            "twilio-sms:SM0OLD": long_ago,
            "slack-trigger:1.2.new": utcnow(),
        }.items():
            session.add(ProcessedEvent(event_id=key, received_at=at))
        await session.commit()
    await CommandSweep(warroom.services, warroom.app[command_line_key]).round()
    async with session_scope(warroom.engine) as session:
        kept = set((await session.exec(select(ProcessedEvent.event_id))).all())
    assert {"twilio-sms:SM0OLD", "slack-trigger:1.2.new"} <= kept
    assert not kept & {"slack-trigger:1.2.old", "Ev0OLD"}
