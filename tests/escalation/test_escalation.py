"""Escalation over the wire: people, user groups and policies; acknowledgement; paging.

Slack is the emulator and PagerDuty a fake Events API server, both on 127.0.0.1; time moves
with the test clock, and due jobs run when a test says so (``Warroom.advance``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import select

from bot.config import Settings
from bot.flows.postmortem.posting import write_draft
from bot.store.db import session_scope
from bot.store.models import Escalation, Job, Page, TimelineEntry
from emulator import Channel, FakePagerDuty, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, running_warroom
from tests.helpers.incidents import command, open_incident, settle, the_incident
from tests.helpers.web_view import API_TOKEN, browser, sign_in, web_warroom

ROUTING_KEY = "0123456789abcdef0123456789abcdef"
DBA_GROUP = "S0DBATEAM"
POLICIES = {
    "policies": {
        "payments": {
            "levels": [
                {
                    "timeout": "10m",
                    "targets": [
                        {"user": BOB},
                        {"pagerduty": {"service": "Payments primary", "routing_key_env": "PD_KEY"}},
                    ],
                },
                {
                    "timeout": "15m",
                    "targets": [
                        {"usergroup": "dba-team"},
                        {"pagerduty": {"service": "Payments primary", "routing_key_env": "PD_KEY"}},
                    ],
                },
            ]
        }
    },
    "severities": {"SEV1": "payments"},
}


def policy_settings(
    tmp_path: Path, pagerduty: FakePagerDuty, policies: dict[str, Any]
) -> dict[str, Any]:
    """Settings read from the environment the way an operator writes them."""
    policy_file = tmp_path / "policies.yaml"
    policy_file.write_text(yaml.safe_dump(policies))
    settings = Settings.from_env(
        {
            "WARROOM_ESCALATION_POLICIES": str(policy_file),
            "PD_KEY": ROUTING_KEY,
            "PAGERDUTY_EVENTS_URL": pagerduty.events_url,
        }
    )
    return {
        "escalation__policies": settings.escalation.policies,
        "escalation__pager_keys": settings.escalation.pager_keys,
        "escalation__pagerduty_events_url": settings.escalation.pagerduty_events_url,
        # The background runner stays out of the way; tests run due jobs themselves.
        "runtime__scheduler_interval": 3600.0,
    }


@pytest.fixture
async def paging(
    slack: SlackEmulator, sqlite_url: str, paging_settings: dict[str, Any]
) -> AsyncIterator[Warroom]:
    slack.add_usergroup(DBA_GROUP, "dba-team", [CAROL])
    async with running_warroom(slack, sqlite_url, **paging_settings) as running:
        yield running


async def escalations(warroom: Warroom) -> list[Escalation]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(Escalation).order_by(Escalation.id))).all())


def escalation_messages(channel: Channel) -> list[Any]:
    return [m for m in channel.messages if "escalated to" in m.text]


def has_button(message: Any) -> bool:
    return any(block.get("type") == "actions" for block in message.blocks or [])


async def declare_sev1(warroom: Warroom) -> Channel:
    channel = await open_incident(warroom, "Payments failing")
    await command(warroom, channel, "sev 1")
    return channel


async def test_escalating_to_a_person_and_their_ack_by_command(paging: Warroom) -> None:
    slack = paging.slack
    channel = await open_incident(paging)

    await command(paging, channel, "escalate @bob primary DB is refusing connections")

    assert BOB in channel.members
    (message,) = escalation_messages(channel)
    assert message.text.startswith(":rotating_light: *INC-1 escalated to* <@U0BOB> by <@U0ALICE>")
    assert ">primary DB is refusing connections" in message.text and has_button(message)
    (row,) = await escalations(paging)
    assert (row.target_kind, row.target_ref, row.requested_by) == ("user", BOB, ALICE)
    assert (row.reason, row.users, row.level) == ("primary DB is refusing connections", [BOB], None)
    assert row.escalated_at == paging.clock.now and row.acknowledged_at is None

    paging.clock.now += timedelta(minutes=3)
    await command(paging, channel, "ack", user=BOB)

    (row,) = await escalations(paging)
    assert (row.acknowledged_by, row.acknowledged_at) == (BOB, paging.clock.now)
    assert (await the_incident(paging)).acknowledged_at == paging.clock.now
    (message,) = escalation_messages(channel)
    assert not has_button(message)  # the message was edited in place
    assert "*Acknowledged* by <@U0BOB>" in message.text and "(3 minutes after" in message.text
    assert "<@U0BOB> acknowledged the escalation to <@U0BOB>" in slack.transcript(channel.id)
    async with session_scope(paging.engine) as session:
        kinds = [e.kind for e in (await session.exec(select(TimelineEntry))).all()]
    assert kinds.count("escalation") == 1 and kinds.count("acknowledged") == 1
    assert "*Acknowledged* at" in slack.find_message(channel, channel.pins[0]).text


async def test_an_ack_before_slack_took_the_escalation_message_edits_it_once_posted(
    paging: Warroom,
) -> None:
    channel = await open_incident(paging)
    # Slack is down for posts longer than the client's own retries: the message waits.
    paging.slack.fail("chat.postMessage", status=500, times=4)
    await command(paging, channel, "escalate @bob primary DB is refusing connections")
    assert not escalation_messages(channel)
    paging.clock.now += timedelta(minutes=2)
    await command(paging, channel, "ack", user=BOB)  # the outbox sends what is due meanwhile

    paging.clock.now += timedelta(minutes=5)
    await paging.run_jobs()
    (message,) = escalation_messages(channel)  # posted once, then edited in place
    assert not has_button(message)
    assert "*Acknowledged* by <@U0BOB>" in message.text
    (row,) = await escalations(paging)
    assert row.message_ts == message.ts


async def test_escalating_to_a_user_group_and_the_ack_button(paging: Warroom) -> None:
    slack = paging.slack
    channel = await open_incident(paging)

    await command(paging, channel, "escalate @dba-team replication lag")

    assert CAROL in channel.members
    assert slack.calls_to("usergroups.users.list")[-1].args["usergroup"] == DBA_GROUP
    (row,) = await escalations(paging)
    assert (row.target_kind, row.target_ref, row.users) == ("usergroup", DBA_GROUP, [CAROL])
    assert row.target == "@dba-team"  # as typed, for the timeline and the postmortem
    (message,) = escalation_messages(channel)
    assert "<!subteam^S0DBATEAM>" in message.text and "Brought in: <@U0CAROL>" in message.text

    await slack.click_button(channel.id, message.ts, "acknowledge_escalation", user=CAROL)
    await settle(paging)

    (row,) = await escalations(paging)
    assert row.acknowledged_by == CAROL
    assert not has_button(escalation_messages(channel)[0])
    # A second press (someone else, later) changes nothing and says so, privately.
    await slack.click_button(  # a stale view of the message, still showing the button
        channel.id,
        message.ts,
        "acknowledge_escalation",
        user=BOB,
        value=str(row.id),
        block_id="escalation",
    )
    await settle(paging)
    assert (await escalations(paging))[0].acknowledged_by == CAROL
    replies = [m.text for m in slack.ephemeral_for(BOB)]
    assert any("already acknowledged by <@U0CAROL>" in text for text in replies)


async def test_a_user_group_by_plain_handle_and_unknown_targets(paging: Warroom) -> None:
    slack = paging.slack
    channel = await open_incident(paging)

    slack.add_usergroup("S0OLDTEAM1", "old-team", [CAROL])
    slack.usergroups["S0OLDTEAM1"]["date_delete"] = 1_700_000_000  # usergroups.disable

    await command(paging, channel, "escalate @dba-team")
    await command(paging, channel, "escalate @nobody-team")
    await command(paging, channel, "escalate @old-team")
    await command(paging, channel, "escalate no-such-policy")
    await command(paging, channel, "escalate")

    assert [row.target for row in await escalations(paging)] == ["@dba-team"]
    replies = "\n".join(m.text for m in slack.ephemeral_for(ALICE))
    assert "Cannot escalate to `@nobody-team`: no such user group." in replies
    assert (
        "Cannot escalate to `@old-team`: the user group is disabled; re-enable it (in Slack's "
        "user group settings or with usergroups.enable)"
    ) in replies
    assert (
        "Cannot escalate to `no-such-policy`: no such person, group, escalation policy or "
        "on-call schedule"
    ) in replies
    assert "Say whom to escalate to." in replies


async def test_ack_with_nothing_waiting_acknowledges_the_incident_once(paging: Warroom) -> None:
    """Nobody escalated to: the first /incident ack says someone is on it (the incident's
    time to acknowledge ends there); the next has nothing left to acknowledge."""
    channel = await open_incident(paging)
    await command(paging, channel, "ack", user=BOB)
    said = [m.text for m in channel.messages]
    assert any("acknowledged INC-1: someone is on it" in text for text in said), said
    await command(paging, channel, "ack", user=BOB)
    replies = [m.text for m in paging.slack.ephemeral_for(BOB)]
    assert "Nothing in INC-1 is waiting for an acknowledgement." in replies


def trigger_events(pagerduty: FakePagerDuty) -> list[dict[str, Any]]:
    return [e for e in pagerduty.events if e["event_action"] == "trigger"]


async def test_a_policy_escalates_level_by_level_until_acknowledged(
    paging: Warroom, pagerduty: FakePagerDuty
) -> None:
    slack = paging.slack
    channel = await declare_sev1(paging)

    # SEV1 starts the payments policy: level 1 at once, a person and a page.
    (level_1,) = await escalations(paging)
    assert (level_1.policy, level_1.level, level_1.requested_by) == ("payments", 1, None)
    assert BOB in channel.members and CAROL not in channel.members
    (trigger,) = trigger_events(pagerduty)
    assert trigger["routing_key"] == ROUTING_KEY
    assert trigger["dedup_key"] == "warroom:T0WARROOM:INC-1:payments:L1"
    assert trigger["payload"]["severity"] == "critical"
    assert trigger["payload"]["summary"] == "[INC-1 SEV1] Payments failing"
    assert trigger["payload"]["source"].startswith("warroom #inc-1-payments-failing")
    assert f"/archives/{channel.id}/p" in trigger["links"][0]["href"]  # chat.getPermalink's
    assert ":pager: Paged *Payments primary* through PagerDuty." in slack.transcript(channel.id)
    assert "*Escalation policy:* payments" in slack.find_message(channel, channel.pins[0]).text

    await paging.advance(minutes=9, seconds=59)
    assert len(await escalations(paging)) == 1
    await paging.advance(seconds=1)

    level_2 = (await escalations(paging))[1]
    assert (level_2.level, level_2.users) == (2, [CAROL])
    assert level_2.reason == ""  # no sentence of warroom's: why is data
    assert level_2.why == {"because": "timeout", "level": 1, "after_seconds": 600}
    assert CAROL in channel.members
    assert [e["dedup_key"] for e in trigger_events(pagerduty)] == [
        "warroom:T0WARROOM:INC-1:payments:L1",
        "warroom:T0WARROOM:INC-1:payments:L2",
    ]

    await command(paging, channel, "ack", user=CAROL)
    acknowledged = {e["dedup_key"] for e in pagerduty.events if e["event_action"] == "acknowledge"}
    assert acknowledged == {  # every page still ringing, not just the acknowledged level's
        "warroom:T0WARROOM:INC-1:payments:L1",
        "warroom:T0WARROOM:INC-1:payments:L2",
    }
    assert set(pagerduty.incidents().values()) == {"acknowledged"}

    await command(paging, channel, "resolve")
    resolved = [e["dedup_key"] for e in pagerduty.events if e["event_action"] == "resolve"]
    assert sorted(resolved) == [
        "warroom:T0WARROOM:INC-1:payments:L1",
        "warroom:T0WARROOM:INC-1:payments:L2",
    ]
    assert set(pagerduty.incidents().values()) == {"resolved"}


async def test_an_acknowledged_policy_stops_escalating(
    paging: Warroom, pagerduty: FakePagerDuty
) -> None:
    slack = paging.slack
    channel = await declare_sev1(paging)
    (message,) = escalation_messages(channel)

    await slack.click_button(channel.id, message.ts, "acknowledge_escalation", user=BOB)
    await settle(paging)
    await paging.advance(hours=1)

    assert [row.level for row in await escalations(paging)] == [1]
    assert CAROL not in channel.members
    assert [e["event_action"] for e in pagerduty.events] == ["trigger", "acknowledge"]
    async with session_scope(paging.engine) as session:
        timer = (await session.exec(select(Job).where(Job.key.endswith(":payments:2")))).one()
    assert (timer.last_error, timer.done_at is not None) == ("cancelled", True)


async def test_escalating_to_a_policy_by_name_moves_to_its_next_level(
    paging: Warroom, pagerduty: FakePagerDuty
) -> None:
    channel = await open_incident(paging)  # SEV3: no policy starts by itself

    await command(paging, channel, "escalate payments card payments failing")
    await command(paging, channel, "escalate payments still failing, need the DBAs")
    await command(paging, channel, "escalate payments")

    rows = await escalations(paging)
    assert [(r.level, r.requested_by, r.reason) for r in rows] == [
        (1, ALICE, "card payments failing"),
        (2, ALICE, "still failing, need the DBAs"),
    ]
    assert len(trigger_events(pagerduty)) == 2
    replies = "\n".join(m.text for m in paging.slack.ephemeral_for(ALICE))
    assert "every level of payments was escalated to" in replies
    # The level-2 timer set by level 1 finds level 2 taken and does nothing.
    await paging.advance(minutes=30)
    assert len(await escalations(paging)) == 2 and len(trigger_events(pagerduty)) == 2


async def test_the_timer_survives_a_restart(
    slack: SlackEmulator,
    sqlite_url: str,
    paging_settings: dict[str, Any],
    pagerduty: FakePagerDuty,
) -> None:
    slack.add_usergroup(DBA_GROUP, "dba-team", [CAROL])
    clock = Clock()
    async with running_warroom(slack, sqlite_url, clock=clock, **paging_settings) as first:
        channel = await declare_sev1(first)
    clock.now += timedelta(minutes=11)  # while no bot is running

    async with running_warroom(slack, sqlite_url, clock=clock, **paging_settings) as second:
        await second.run_jobs()
        assert [row.level for row in await escalations(second)] == [1, 2]
    assert CAROL in channel.members
    assert len(trigger_events(pagerduty)) == 2


async def test_two_replicas_page_once_per_level(
    slack: SlackEmulator,
    database_url: str,
    paging_settings: dict[str, Any],
    pagerduty: FakePagerDuty,
) -> None:
    slack.add_usergroup(DBA_GROUP, "dba-team", [CAROL])
    clock = Clock()
    async with (
        running_warroom(slack, database_url, clock=clock, **paging_settings) as one,
        running_warroom(slack, database_url, clock=clock, **paging_settings) as two,
    ):
        channel = await declare_sev1(two)  # Slack delivers to the second replica
        for _round in range(3):
            clock.now += timedelta(minutes=11)
            await asyncio.gather(one.run_jobs(), two.run_jobs(), one.run_jobs(), two.run_jobs())
        await slack.drain()

        assert [row.level for row in await escalations(one)] == [1, 2]
    dedup_keys = [e["dedup_key"] for e in trigger_events(pagerduty)]
    assert sorted(dedup_keys) == [
        "warroom:T0WARROOM:INC-1:payments:L1",
        "warroom:T0WARROOM:INC-1:payments:L2",
    ]
    assert len(escalation_messages(channel)) == 2


async def test_a_failing_pager_is_retried_and_reported(
    paging: Warroom, pagerduty: FakePagerDuty
) -> None:
    pagerduty.fail(503, times=2)
    channel = await declare_sev1(paging)

    said = paging.slack.transcript(channel.id)
    assert ":warning: Paging *Payments primary* failed (HTTP 503). Retrying 4 more times" in said
    assert trigger_events(pagerduty) == []
    await paging.advance(seconds=15)  # second attempt: 503 again, said once only
    assert paging.slack.transcript(channel.id).count("failed (HTTP 503)") == 1
    await paging.advance(seconds=30)

    assert len(trigger_events(pagerduty)) == 1
    assert ":pager: Paged *Payments primary* through PagerDuty (after 3 attempts)." in (
        paging.slack.transcript(channel.id)
    )
    async with session_scope(paging.engine) as session:
        page = (await session.exec(select(Page))).one()
    assert page.state == "triggered"


async def test_a_pager_that_never_answers_is_given_up_on_loudly(
    paging: Warroom, pagerduty: FakePagerDuty
) -> None:
    pagerduty.fail(429, times=10, retry_after=20)
    channel = await declare_sev1(paging)
    for _attempt in range(4):
        await paging.advance(minutes=2)

    said = paging.slack.transcript(channel.id)
    assert "failed after 5 attempts (HTTP 429). Nobody was paged there" in said
    assert trigger_events(pagerduty) == [] and len(pagerduty.requests) == 5
    async with session_scope(paging.engine) as session:
        page = (await session.exec(select(Page))).one()
    assert page.state == "failed"


async def test_the_postmortem_draft_lists_escalations_and_updates(paging: Warroom) -> None:
    channel = await open_incident(paging)
    draft = (await write_draft(paging.services, (await the_incident(paging)).id or 0)).markdown
    assert "Nobody was escalated to through warroom. _To be written:" in draft
    assert "No stakeholder updates were posted with `/incident update`." in draft

    await command(paging, channel, "escalate @bob DB | replication\nlag")
    paging.clock.now += timedelta(minutes=4)
    await command(paging, channel, "ack", user=BOB)
    await command(paging, channel, "update Rolled back, watching error rates.", user=CAROL)
    draft = (await write_draft(paging.services, (await the_incident(paging)).id or 0)).markdown

    def clock_time(moment: datetime) -> str:
        return moment.strftime("%I:%M %p").lstrip("0")

    at, acked = clock_time(paging.clock.now - timedelta(minutes=4)), clock_time(paging.clock.now)
    row = (
        f"| Bob Okafor | {at} | Alice Moreau | DB \\| replication lag "
        f"| {acked} by Bob Okafor, 4 minutes later, acknowledged |"
    )
    assert row in draft  # people by name; a pipe in the reason does not break the table
    assert "| Time to acknowledge | 4 minutes | from declared (" in draft
    assert f"- **{acked}** (Carol Tanaka): Rolled back, watching error rates." in draft


async def test_an_ack_before_the_page_goes_out_means_it_never_does(
    paging: Warroom, pagerduty: FakePagerDuty
) -> None:
    pagerduty.fail(503)
    channel = await declare_sev1(paging)  # the trigger failed once and waits for its retry
    (message,) = escalation_messages(channel)

    await paging.slack.click_button(channel.id, message.ts, "acknowledge_escalation", user=BOB)
    await settle(paging)
    await paging.advance(seconds=15)
    await paging.advance(seconds=15)

    assert pagerduty.events == []  # no trigger, and nothing to acknowledge
    async with session_scope(paging.engine) as session:
        page = (await session.exec(select(Page))).one()
    assert page.state == "cancelled"


async def test_an_escalation_slack_would_not_show_is_shown_later(paging: Warroom) -> None:
    channel = await open_incident(paging)
    paging.slack.fail_with_error("chat.postMessage", "fatal_error")

    await command(paging, channel, "escalate @bob need the DB owner")
    (row,) = await escalations(paging)
    assert row.message_ts is None and escalation_messages(channel) == []

    await paging.advance(seconds=10)  # the bring-in job's retry
    (message,) = escalation_messages(channel)
    assert (await escalations(paging))[0].message_ts == message.ts and BOB in channel.members


async def test_any_acknowledgement_stops_the_policy(
    paging: Warroom, pagerduty: FakePagerDuty
) -> None:
    channel = await declare_sev1(paging)
    await command(paging, channel, "escalate @carol you know this service")
    await command(paging, channel, "ack", user=CAROL)  # Carol answers, not Bob

    await paging.advance(minutes=30)

    assert [(row.target, row.acknowledged_by) for row in await escalations(paging)] == [
        ("payments", None),  # the level is its own column
        ("U0CAROL", CAROL),
    ]
    assert [e["event_action"] for e in pagerduty.events] == ["trigger", "acknowledge"]
    # Escalating to the policy by hand afterwards starts its timer again.
    await command(paging, channel, "escalate payments Bob has not answered")
    await paging.advance(minutes=16)
    assert [row.level for row in await escalations(paging)] == [1, None, 2]


async def test_a_severity_raise_pages_even_when_slack_fails_the_cosmetics(
    paging: Warroom, pagerduty: FakePagerDuty
) -> None:
    channel = await open_incident(paging, "Payments failing")
    paging.slack.fail_with_error("conversations.setTopic", "fatal_error")

    await command(paging, channel, "sev 1")

    assert [row.level for row in await escalations(paging)] == [1]
    assert len(trigger_events(pagerduty)) == 1
    assert (await the_incident(paging)).severity == "SEV1"


async def test_a_reopened_incident_gets_reminders_again(paging: Warroom) -> None:
    channel = await open_incident(paging)
    await command(paging, channel, "resolve")
    await paging.advance(hours=1)
    await command(paging, channel, "status investigating")

    await paging.advance(minutes=29)
    assert not [m for m in channel.messages if m.text.startswith(":hourglass:")]
    await paging.advance(minutes=2)
    assert len([m for m in channel.messages if m.text.startswith(":hourglass:")]) == 1


async def test_a_pager_that_does_not_answer_in_time_is_retried(
    slack: SlackEmulator,
    sqlite_url: str,
    paging_settings: dict[str, Any],
    pagerduty: FakePagerDuty,
) -> None:
    pagerduty.stall(5.0)
    settings = {**paging_settings, "escalation__pagerduty_timeout": 0.2}
    async with running_warroom(slack, sqlite_url, **settings) as room:
        channel = await declare_sev1(room)
        assert "failed (no answer within 0.2 seconds). Retrying" in slack.transcript(channel.id)
        await room.advance(seconds=15)
    assert len(trigger_events(pagerduty)) == 1


# -- why a policy escalated: data in the record, sentences in the incident's language ---------
async def test_a_policy_stores_why_it_escalated_as_data(
    paging: Warroom, pagerduty: FakePagerDuty
) -> None:
    channel = await declare_sev1(paging)
    await paging.advance(minutes=10)

    level_1, level_2 = await escalations(paging)
    assert level_1.why == {"because": "severity", "severity": "SEV1", "policy": "payments"}
    assert level_2.why == {"because": "timeout", "level": 1, "after_seconds": 600}
    for row in (level_1, level_2):
        assert (row.reason, row.target, row.policy) == ("", "payments", "payments")
    async with session_scope(paging.engine) as session:
        entries = (
            await session.exec(select(TimelineEntry).where(TimelineEntry.kind == "escalation"))
        ).all()
    assert [(entry.text, entry.facts["why"]) for entry in entries] == [
        ("", level_1.why),
        ("", level_2.why),
    ]
    # Slack reads as before the record kept data.
    first, second = escalation_messages(channel)
    assert "*INC-1 escalated to* *payments level 1* by its escalation policy" in first.text
    assert ">SEV1 incidents escalate to payments" in first.text
    assert "*payments level 2*" in second.text
    assert ">level 1 not acknowledged within 10m" in second.text
    # PagerDuty reads as before too.
    details = [event["payload"]["custom_details"] for event in trigger_events(pagerduty)]
    assert [(d["escalated_to"], d["reason"]) for d in details] == [
        ("payments level 1", "SEV1 incidents escalate to payments"),
        ("payments level 2", "level 1 not acknowledged within 10m"),
    ]


async def test_the_drafts_say_why_in_the_incident_language(paging: Warroom) -> None:
    await declare_sev1(paging)
    await paging.advance(minutes=10)
    incident_id = (await the_incident(paging)).id or 0

    english = (await write_draft(paging.services, incident_id)).markdown
    assert "Escalated to payments level 1: SEV1 incidents escalate to payments" in english
    assert "Escalated to payments level 2: level 1 not acknowledged within 10m" in english
    assert (
        "| payments level 1 |" in english and "| SEV1 incidents escalate to payments |" in english
    )

    french = (await write_draft(paging.services, incident_id, language="fr")).markdown
    assert (
        "Escalade vers payments, niveau 1 : les incidents SEV1 sont escaladés vers payments"
        in french
    )
    assert "Escalade vers payments, niveau 2 : niveau 1 non pris en compte en 10m" in french
    assert "| payments, niveau 1 |" in french
    assert "| les incidents SEV1 sont escaladés vers payments |" in french
    assert "escalate to" not in french and "not acknowledged" not in french


async def test_a_person_s_reason_stays_their_words(paging: Warroom) -> None:
    channel = await open_incident(paging)
    await command(paging, channel, "escalate payments card payments failing")

    (row,) = await escalations(paging)
    assert (row.reason, row.why, row.target) == ("card payments failing", None, "payments")
    french = (await write_draft(paging.services, row.incident_id, language="fr")).markdown
    assert "Escalade vers payments, niveau 1 : card payments failing" in french
    (message,) = escalation_messages(channel)
    assert ">card payments failing" in message.text


async def test_an_escalation_from_before_why_shows_its_text(paging: Warroom) -> None:
    channel = await open_incident(paging)
    incident = await the_incident(paging)
    async with session_scope(paging.engine) as session:
        session.add(  # as 0009 and earlier wrote a policy's escalation
            Escalation(
                incident_id=incident.id or 0,
                target_kind="policy",
                target_ref="payments",
                target="payments level 1",
                policy="payments",
                level=1,
                reason="SEV1 incidents escalate to payments",
                escalated_at=paging.clock(),
            )
        )
        await session.commit()

    for language in ("en", "fr"):
        draft = await write_draft(paging.services, incident.id or 0, language=language)
        assert "| SEV1 incidents escalate to payments |" in draft.markdown
    assert channel is not None


async def test_the_api_and_the_web_page_say_why_in_the_incident_language(
    slack: SlackEmulator, sqlite_url: str, paging_settings: dict[str, Any]
) -> None:
    slack.add_usergroup(DBA_GROUP, "dba-team", [CAROL])
    async with web_warroom(slack, sqlite_url, **paging_settings) as warroom, browser() as session:
        channel = await declare_sev1(warroom)
        await command(warroom, channel, "postmortem --lang fr")
        headers = {"Authorization": f"Bearer {API_TOKEN}"}
        url = f"{warroom.url}/api/incidents/INC-1"
        async with session.get(url, headers=headers) as answer:
            (escalation,) = (await answer.json())["escalations"]
        assert escalation["target"] == "payments, niveau 1"
        assert escalation["reason"] == "les incidents SEV1 sont escaladés vers payments"
        await sign_in(session, warroom, ALICE)
        async with session.get(f"{warroom.url}/incidents/INC-1") as answer:
            page = await answer.text()
        # Each cell carries its column's name, which a phone shows beside it (data-label); the
        # policy's name leads to its page.
        to = '<td data-label="To"><a href="/oncall/policies/payments">payments, niveau 1</a></td>'
        assert to in page
        assert '<td data-label="Why">les incidents SEV1 sont escaladés vers payments</td>' in page


LOOPING = {
    "policies": {
        "looping": {
            "levels": [
                {
                    "timeout": "5m",
                    "targets": [
                        {"user": BOB},
                        {"pagerduty": {"service": "Payments primary", "routing_key_env": "PD_KEY"}},
                    ],
                }
            ],
            "repeat": 2,
        }
    },
    "severities": {"SEV1": "looping"},
}


@pytest.fixture
async def looping(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path, pagerduty: FakePagerDuty
) -> AsyncIterator[tuple[Warroom, Channel]]:
    """A policy that says ``repeat: 2``, and an announcement channel."""
    settings = policy_settings(tmp_path, pagerduty, LOOPING)
    announce = slack.create_channel("incidents", creator=ALICE, members=[slack.bot_user_id])
    async with running_warroom(
        slack, sqlite_url, incidents__announce_channel=announce.id, **settings
    ) as running:
        yield running, announce


def exhausted(channel: Channel) -> list[str]:
    return [m.text for m in channel.messages if "exhausted" in m.text]


async def test_a_repeating_policy_pages_again_then_says_it_is_exhausted(
    looping: tuple[Warroom, Channel], pagerduty: FakePagerDuty
) -> None:
    warroom, announce = looping
    channel = await declare_sev1(warroom)
    assert [e["dedup_key"] for e in trigger_events(pagerduty)] == [
        "warroom:T0WARROOM:INC-1:looping:L1"
    ]

    await warroom.advance(minutes=5)
    await warroom.advance(minutes=5)
    rows = await escalations(warroom)
    assert [(r.policy_round, r.level) for r in rows] == [(1, 1), (2, 1), (3, 1)]
    assert rows[2].why == {"because": "repeat", "round": 3, "after_seconds": 300}
    # Each round is a new PagerDuty alert, not a repeat of the first one's key.
    assert [e["dedup_key"] for e in trigger_events(pagerduty)] == [
        "warroom:T0WARROOM:INC-1:looping:L1",
        "warroom:T0WARROOM:INC-1:looping:R2L1",
        "warroom:T0WARROOM:INC-1:looping:R3L1",
    ]
    transcript = warroom.slack.transcript(channel.id)
    assert "*looping level 1* (round 3)" in transcript
    assert "policy repeated (round 3)" in transcript
    assert exhausted(channel) == []

    await warroom.advance(minutes=4, seconds=59)
    assert exhausted(channel) == []
    await warroom.advance(seconds=1)
    (said,) = exhausted(channel)
    assert "policy `looping` exhausted: nobody acknowledged after 3 rounds" in said
    (announced,) = exhausted(announce)
    assert "INC-1" in announced and "Payments failing" in announced
    assert "policy `looping` exhausted: nobody acknowledged after 3 rounds" in announced

    # Nothing more pages, nor is said, however long nobody answers.
    await warroom.advance(hours=2)
    assert len(trigger_events(pagerduty)) == 3 and len(exhausted(channel)) == 1


async def test_an_acknowledgement_stops_a_repeating_policy_before_it_is_exhausted(
    looping: tuple[Warroom, Channel], pagerduty: FakePagerDuty
) -> None:
    warroom, announce = looping
    channel = await declare_sev1(warroom)
    await warroom.advance(minutes=5)
    await command(warroom, channel, "ack", user=BOB)
    await warroom.advance(hours=1)

    assert [(r.policy_round, r.level) for r in await escalations(warroom)] == [(1, 1), (2, 1)]
    assert len(trigger_events(pagerduty)) == 2
    assert exhausted(channel) == [] and exhausted(announce) == []


async def test_a_policy_escalated_by_hand_goes_round_again_when_it_repeats(
    looping: tuple[Warroom, Channel],
) -> None:
    warroom, _ = looping
    channel = await open_incident(warroom)  # SEV3: the policy starts by hand
    for _ in range(4):
        await command(warroom, channel, "escalate looping")
    rows = await escalations(warroom)
    assert [(r.policy_round, r.level) for r in rows] == [(1, 1), (2, 1), (3, 1)]
    replies = "\n".join(m.text for m in warroom.slack.ephemeral_for(ALICE))
    assert "every level of looping was escalated to" in replies


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"levels": [{"targets": [{"user": BOB}]}], "repeat": 1}, "repeat needs a timeout"),
        ({"levels": [{"timeout": "5m", "targets": [{"user": BOB}]}], "repeat": -1}, "0 to 20"),
        ({"levels": [{"timeout": "5m", "targets": [{"user": BOB}]}], "repeat": "2"}, "0 to 20"),
        ({"levels": [{"timeout": "5m", "targets": [{"user": BOB}]}], "repeats": 2}, "repeats"),
    ],
)
def test_a_policy_s_repeat_is_checked_at_start_up(
    tmp_path: Path, body: dict[str, Any], said: str
) -> None:
    policy_file = tmp_path / "bad.yaml"
    policy_file.write_text(yaml.safe_dump({"policies": {"looping": body}}))
    with pytest.raises(ValueError, match=said) as refused:
        Settings.from_env({"WARROOM_ESCALATION_POLICIES": str(policy_file)})
    assert "policy 'looping'" in str(refused.value)
