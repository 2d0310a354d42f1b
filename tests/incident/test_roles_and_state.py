"""Roles, severity, status and stakeholder updates, over the wire: topic, header, timeline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.store.db import session_scope
from bot.store.models import Incident, IncidentRole, Job, TimelineEntry
from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Warroom, running_warroom
from tests.helpers.incidents import open_incident
from tests.helpers.records import sentence


async def entries(warroom: Warroom, kind: str) -> list[TimelineEntry]:
    async with session_scope(warroom.engine) as session:
        query = select(TimelineEntry).where(TimelineEntry.kind == kind)
        return list((await session.exec(query.order_by(TimelineEntry.id))).all())


async def incident(warroom: Warroom) -> Incident:
    async with session_scope(warroom.engine) as session:
        return (await session.exec(select(Incident))).one()


def header(slack: SlackEmulator, channel: Channel) -> str:
    (pinned,) = channel.pins
    return slack.find_message(channel, pinned).text


async def command(warroom: Warroom, channel: Channel, text: str, user: str = ALICE) -> None:
    """Run a subcommand in the channel and wait for everything it set off."""
    await warroom.slack.send_command(text, user=user, channel=channel.id)
    await warroom.finish_background()
    await warroom.slack.drain()


def ephemeral_text(slack: SlackEmulator, user: str) -> str:
    return "\n".join(message.text for message in slack.ephemeral_for(user))


async def test_lead_and_roles_reach_topic_header_and_timeline(warroom: Warroom) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)
    assert "Lead: alice" in channel.topic and "*Commander:* <@U0ALICE>" in header(slack, channel)

    await command(warroom, channel, "lead @bob")
    await command(warroom, channel, "role comms @carol")

    assert "Lead: bob" in channel.topic
    assert "*Commander:* <@U0BOB>" in header(slack, channel)
    assert "*Comms:* <@U0CAROL>" in header(slack, channel)
    assert {BOB, CAROL} <= channel.members  # both brought into the channel
    assert len(slack.calls_to("chat.update")) >= 2  # the header is edited, never re-posted
    said = slack.transcript(channel.id)
    assert "<@U0BOB> is now the incident commander (taking over from <@U0ALICE>)" in said
    assert "<@U0CAROL> is now *comms*" in said
    (lead,) = await entries(warroom, "commander")
    assert (lead.facts, lead.text, lead.author) == (
        {"user": BOB, "previous_user": ALICE},
        "",
        ALICE,
    )
    assert sentence(lead, slack=True) == "Incident commander: <@U0BOB> (was <@U0ALICE>)"
    (role,) = await entries(warroom, "role")
    assert role.facts == {"role": "comms", "user": CAROL, "previous_user": None}
    assert sentence(role) == "comms: @Carol Tanaka"
    async with session_scope(warroom.engine) as session:
        held = (await session.exec(select(IncidentRole))).one()
    assert (held.role, held.user_id, held.assigned_by) == ("comms", CAROL, ALICE)


async def test_roles_and_leads_refuse_what_they_cannot_use(warroom: Warroom) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)

    await command(warroom, channel, "role chef @bob")
    await command(warroom, channel, "lead bob")
    await command(warroom, channel, "role comms")

    replies = ephemeral_text(slack, ALICE)
    assert "Roles here are: comms, scribe." in replies
    assert "Name the new commander with an @-mention" in replies
    assert "Name a role and a person." in replies
    assert await entries(warroom, "role") == [] and await entries(warroom, "commander") == []


async def test_operators_add_roles(slack: SlackEmulator, sqlite_url: str) -> None:
    async with running_warroom(
        slack, sqlite_url, incidents__roles=("comms", "scribe", "liaison")
    ) as room:
        channel = await open_incident(room)
        await command(room, channel, "role liaison @bob")
        assert "*Liaison:* <@U0BOB>" in header(slack, channel)


async def test_severity_and_status_move_both_ways_and_are_recorded(warroom: Warroom) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)

    await command(warroom, channel, "sev 1")
    assert channel.topic.startswith("INC-1 SEV1 · investigating")
    assert "*Severity:* SEV1" in header(slack, channel)
    await command(warroom, channel, "status identified")
    await command(warroom, channel, "status monitoring")
    await command(warroom, channel, "status investigating")  # the fix did not hold
    await command(warroom, channel, "sev 2")

    assert channel.topic.startswith("INC-1 SEV2 · investigating")
    assert "*Severity:* SEV2   *Status:* investigating" in header(slack, channel)
    assert [sentence(e) for e in await entries(warroom, "severity")] == [
        "Severity raised from SEV3 to SEV1",
        "Severity lowered from SEV1 to SEV2",
    ]
    assert [sentence(e) for e in await entries(warroom, "status")] == [
        "Status changed from investigating to identified",
        "Status changed from identified to monitoring",
        "Status changed from monitoring to investigating",
    ]
    recorded = await incident(warroom)
    assert recorded.mitigated_at == warroom.clock.now  # set when it first went to monitoring
    said = slack.transcript(channel.id)
    assert ":arrow_up: Severity raised from SEV3 to *SEV1* by <@U0ALICE>" in said
    assert ":arrow_down: Severity lowered from SEV1 to *SEV2*" in said
    assert len(channel.pins) == 1


async def test_resolving_by_status_and_reopening(warroom: Warroom) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)

    await command(warroom, channel, "status resolved")
    assert (await incident(warroom)).resolved_at is not None
    await slack.wait_for(lambda: "Postmortem draft" in slack.transcript(channel.id))
    await command(warroom, channel, "status investigating")

    reopened = await incident(warroom)
    assert (reopened.status, reopened.resolved_at) == ("investigating", None)
    (reopening,) = await entries(warroom, "status")
    assert reopening.facts == {"status": "investigating", "previous_status": "resolved"}
    assert sentence(reopening) == "Incident reopened (investigating)"
    assert sentence(reopening, language="fr") == "Incident rouvert (en investigation)"
    assert "*INC-1 reopened*" in slack.transcript(channel.id)


async def test_bad_severity_status_and_repeats_get_a_clear_answer(warroom: Warroom) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)

    await command(warroom, channel, "sev 9")
    await command(warroom, channel, "status fixed")
    await command(warroom, channel, "sev 3")

    replies = ephemeral_text(slack, ALICE)
    assert "Give a severity from 1 (worst) to 4." in replies
    assert "Usage: `/incident sev &lt;1-4&gt;`" in replies  # Slack shows &lt; as <
    assert "Say one of: investigating, identified, monitoring, resolved." in replies
    assert "INC-1 is already SEV3: nothing changed." in replies
    assert await entries(warroom, "severity") == []


async def test_state_commands_outside_an_incident_channel(warroom: Warroom) -> None:
    general = warroom.slack.channel_by_name("general")
    assert general is not None
    await command(warroom, general, "sev 1")
    assert "works only inside an incident channel" in ephemeral_text(warroom.slack, ALICE)


@pytest.fixture
async def announced(slack: SlackEmulator, sqlite_url: str) -> AsyncIterator[Warroom]:
    """warroom announcing in #incidents, with update reminders every 30 minutes."""
    incidents = slack.create_channel("incidents", creator=ALICE, members=[ALICE, slack.bot_user_id])
    async with running_warroom(
        slack, sqlite_url, incidents__announce_channel=incidents.id
    ) as running:
        yield running


async def test_updates_go_to_the_channel_the_announcements_and_the_timeline(
    announced: Warroom,
) -> None:
    slack = announced.slack
    channel = await open_incident(announced)
    await announced.finish_background()
    incidents = slack.channel_by_name("incidents")
    assert incidents is not None
    assert "*INC-1 declared* (SEV3): Checkout down" in slack.transcript(incidents.id)

    text = "Checkout fails for ~20% of users. Rolling back the 11:55 deploy. Next update 12:30."
    await command(announced, channel, f"update {text}")

    assert text in slack.transcript(channel.id)
    assert text in slack.transcript(incidents.id)
    assert f"<#{channel.id}>" in slack.transcript(incidents.id)  # links the war room
    (update,) = await entries(announced, "update")
    assert (update.text, update.author) == (text, ALICE)
    assert (await incident(announced)).last_update_at == announced.clock.now

    await command(announced, channel, "resolve")
    assert "*INC-1 resolved* (SEV3)" in slack.transcript(incidents.id)


async def test_an_announcement_channel_without_the_bot_is_reported(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    execs = slack.create_channel("exec-updates", creator=ALICE, members=[ALICE])
    async with running_warroom(slack, sqlite_url, incidents__announce_channel=execs.id) as room:
        channel = await open_incident(room)
        await command(room, channel, "update Still investigating")
        assert "Still investigating" in slack.transcript(channel.id)
        assert f"but not in `{execs.id}` (not_in_channel)" in ephemeral_text(slack, ALICE)
        assert len(await entries(room, "update")) == 1


async def reminder_job(warroom: Warroom) -> Job:
    async with session_scope(warroom.engine) as session:
        return (await session.exec(select(Job).where(Job.kind == "update_reminder"))).one()


def reminders(channel: Channel) -> list[str]:
    return [m.text for m in channel.messages if m.text.startswith(":hourglass:")]


async def test_the_commander_is_reminded_when_updates_go_stale(warroom: Warroom) -> None:
    channel = await open_incident(warroom)
    declared_at = warroom.clock.now

    await warroom.advance(minutes=29)
    assert reminders(channel) == []
    await warroom.advance(minutes=2)
    (first,) = reminders(channel)
    assert first.startswith(":hourglass: <@U0ALICE>, no stakeholder update has been posted yet")

    await warroom.advance(minutes=10)
    await command(warroom, channel, "update Rolled back; error rate falling.")
    await warroom.advance(minutes=21)  # 30 minutes after the last reminder, 21 after the update
    assert len(reminders(channel)) == 1
    assert (await reminder_job(warroom)).due_at == declared_at + timedelta(minutes=71)
    await warroom.advance(minutes=10)
    assert len(reminders(channel)) == 2
    assert "the last stakeholder update was at" in reminders(channel)[-1]

    await command(warroom, channel, "resolve")
    await warroom.advance(hours=2)
    assert len(reminders(channel)) == 2
    assert (await reminder_job(warroom)).done_at is not None


async def test_an_update_slack_will_not_post_is_kept_and_the_person_told(
    warroom: Warroom,
) -> None:
    channel = await open_incident(warroom)
    warroom.slack.fail_with_error("chat.postMessage", "fatal_error")

    await command(warroom, channel, "update Rolling back now")

    assert [e.text for e in await entries(warroom, "update")] == ["Rolling back now"]
    told = ephemeral_text(warroom.slack, ALICE)
    assert "Slack did not take it just now (fatal_error)" in told and "No need to send" in told
    assert not any("Rolling back now" in m.text for m in channel.messages)
    # Kept in the outbox, it goes out once Slack answers again: no one posts it twice.
    await warroom.advance(seconds=2)
    assert sum("Rolling back now" in m.text for m in channel.messages) == 1


async def test_an_update_slack_refuses_for_good_is_kept_and_the_person_told(
    warroom: Warroom,
) -> None:
    channel = await open_incident(warroom)
    warroom.slack.fail_with_error("chat.postMessage", "is_archived")

    await command(warroom, channel, "update Rolling back now")

    assert [e.text for e in await entries(warroom, "update")] == ["Rolling back now"]
    assert "recorded in the timeline, but Slack would not post it in the channel (is_archived)" in (
        ephemeral_text(warroom.slack, ALICE)
    )
