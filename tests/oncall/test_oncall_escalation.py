"""On call in Slack, end to end through the emulator: escalations reach whoever a schedule
names (overrides included), its user group follows the schedule at each handoff (once, with
two replicas), people are told before their shifts, and gaps are posted once a day.

Settings are read from files the way an operator writes them; time moves with the test
clock (``Warroom.advance``), and due jobs run when a test says so.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import col, select

from bot.basics.slack_ids import CoverMessage
from bot.config import ConfigError, Settings
from bot.flows.postmortem.posting import write_draft
from bot.record.escalation.policies import PolicyError, parse_policies
from bot.record.oncall.overrides import add_override
from bot.store.db import session_scope
from bot.store.models import Escalation, TimelineEntry
from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, running_warroom
from tests.helpers.alerts import TOKEN, alert, alertmanager, incidents_of, post_alert
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.processes import run_warroom
from tests.helpers.records import sentence

T0 = datetime(2026, 3, 13, 16, 50, tzinfo=UTC)  # Friday 17:50 in Paris: Bob's week
HANDOFF = datetime(2026, 3, 16, 8, tzinfo=UTC)  # Monday 09:00 in Paris: Alice's week begins
ERIN = "U0ERIN"
GROUP = "S0PAYONCALL"
MINUTE = timedelta(minutes=1)
WEEKLY = {
    "name": "weekly",
    "start": "2026-03-02 09:00",
    "rotation": "weekly",
    "members": [ALICE, BOB],
}


def schedules(**keys: Any) -> dict[str, Any]:
    """payments-primary: Alice and Bob a week each, handing over on Mondays at 09:00 Paris."""
    body = {"timezone": "Europe/Paris", "layers": [WEEKLY], **keys}
    return {"schedules": {"payments-primary": body}}


def policies(*targets: dict[str, Any]) -> dict[str, Any]:
    """The payments policy: level 1 is ``targets`` (the schedule unless said), level 2 Carol."""
    first = list(targets) or [{"schedule": "payments-primary"}]
    levels = [{"timeout": "10m", "targets": first}, {"targets": [{"user": CAROL}]}]
    return {"policies": {"payments": {"levels": levels}}, "severities": {"SEV1": "payments"}}


ROUTES = {
    "routes": [
        {
            "name": "payments",
            "match": {"team": "payments"},
            "severity": "SEV1",
            "policy": "payments",
        }
    ]
}


def configure(
    tmp_path: Path, oncall: dict[str, Any], escalation: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Settings from files and the environment, as `warroom serve` reads them; the background
    runner stays out of the way (tests run due jobs themselves)."""
    files = {
        "schedules.yaml": oncall,
        "policies.yaml": escalation or policies(),
        "routes.yaml": ROUTES,
    }
    for name, document in files.items():
        (tmp_path / name).write_text(yaml.safe_dump(document))
    settings = Settings.from_env(
        {
            "WARROOM_ONCALL_SCHEDULES": str(tmp_path / "schedules.yaml"),
            "WARROOM_ESCALATION_POLICIES": str(tmp_path / "policies.yaml"),
            "WARROOM_ALERT_ROUTES": str(tmp_path / "routes.yaml"),
            "WARROOM_ALERT_TOKEN": TOKEN,
        }
    )
    return {
        "oncall__schedules": settings.oncall.schedules,
        "escalation__policies": settings.escalation.policies,
        "alerting__routes": settings.alerting.routes,
        "alerting__token": settings.alerting.token,
        "runtime__scheduler_interval": 3600.0,
    }


@pytest.fixture
async def people(slack: SlackEmulator) -> SlackEmulator:
    """Erin too, and Alice in New York: her notices are in her own zone."""
    slack.add_user(ERIN, "erin", "Erin Ito")
    slack.users[ALICE].tz = "America/New_York"
    return slack


Start = Callable[..., AbstractAsyncContextManager[Warroom]]


@pytest.fixture
def oncall_bot(people: SlackEmulator, sqlite_url: str, tmp_path: Path) -> Start:
    """Starts the bot with these schedules (and policies), at T0 unless given a clock."""

    def start(
        oncall: dict[str, Any],
        escalation: dict[str, Any] | None = None,
        *,
        database: str = sqlite_url,
        clock: Clock | None = None,
    ) -> AbstractAsyncContextManager[Warroom]:
        settings = configure(tmp_path, oncall, escalation)
        return running_warroom(people, database, clock or Clock(T0), **settings)

    return start


async def escalations(warroom: Warroom) -> list[Escalation]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(Escalation).order_by(col(Escalation.id)))).all())


def dms(slack: SlackEmulator, user: str) -> list[str]:
    """What the bot told ``user`` in their DM with it."""
    return [message.text for message in slack.direct_messages(user)]


def updates(slack: SlackEmulator) -> list[str]:
    """The members each usergroups.users.update set."""
    return [str(call.args["users"]) for call in slack.calls_to("usergroups.users.update")]


def messages_with(channel: Channel, words: str) -> list[str]:
    return [message.text for message in channel.messages if words in message.text]


async def store_override(
    warroom: Warroom,
    user: str,
    start: datetime,
    end: datetime,
    *,
    at: datetime,
    layer: str | None = None,
) -> None:
    """An override of payments-primary (of one layer, when given) kept in the record, made
    by Bob at ``at``."""
    schedule = warroom.services.settings.oncall.schedules.get("payments-primary")
    assert schedule is not None
    async with session_scope(warroom.engine) as session:
        await add_override(
            session,
            schedule=schedule,
            user=user,
            start=start,
            end=end,
            created_by=BOB,
            created_at=at,
            layer=layer,
        )
        await session.commit()


def weekdays_only(start: str, end: str, **keys: Any) -> dict[str, Any]:
    """Alice and Bob from ``start`` to ``end`` on weekdays only: nobody at other times."""
    week = [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": start, "to": end}]
    body = {"timezone": "Europe/Paris", "layers": [{**WEEKLY, "restrictions": week}], **keys}
    return {"schedules": {"payments-primary": body}}


# -- escalation reaches the schedule -----------------------------------------------------------
async def test_a_sev1_alert_reaches_whom_the_schedule_names_an_override_included(
    oncall_bot: Start,
) -> None:
    async with oncall_bot(schedules(), clock=Clock(T0 - 5 * MINUTE)) as warroom:
        slack = warroom.slack
        # Erin takes the evening over minutes before, as Bob asks in #general; Bob's week says
        # Bob.
        general = slack.channel_by_name("general")
        assert general is not None
        await slack.send_command(
            "override @erin payments-primary now for 3h",
            user=BOB,
            channel=general.id,
            command="/oncall",
        )
        await warroom.run_jobs()
        [made] = [m.text for m in slack.ephemeral_for(BOB) if "Override #1" in m.text]
        assert "<@U0ERIN> is on call for *payments-primary*" in made
        await warroom.advance(minutes=5)
        firing = alert("CheckoutErrors", "web-1", "2026-03-13T16:48:00Z")
        body = alertmanager(
            "CheckoutErrors", [firing], common={"team": "payments", "severity": "critical"}
        )
        status, answer = await post_alert(warroom.url, "alertmanager", body)
        assert status == 202, answer
        await warroom.run_jobs()

        (incident,) = await incidents_of(warroom)
        assert incident.severity == "SEV1" and incident.channel_id is not None
        channel = slack.channels[incident.channel_id]
        assert ERIN in channel.members and BOB not in channel.members
        (escalation,) = await escalations(warroom)
        assert (escalation.policy, escalation.level, escalation.users) == ("payments", 1, [ERIN])
        assert escalation.on_call == [
            {
                "schedule": "payments-primary",
                "user": ERIN,
                "override": {"id": 1, "made_by": BOB, "accepted_by": None},
            }
        ]
        (message,) = messages_with(channel, "escalated to")
        # The channel is told whose override put Erin there.
        assert (
            "On call for *payments-primary*: <@U0ERIN> (told by DM), through the override "
            "<@U0BOB> made for them (#1)"
        ) in message
        assert "Brought in: <@U0ERIN>" in message
        told, dm = dms(slack, ERIN)  # put on call by Bob, then the escalation
        assert told.startswith(":pager: <@U0BOB> put you on call for *payments-primary*")
        assert dm.startswith(
            ":rotating_light: You are on call for *payments-primary*: *INC-1* (SEV1)"
        )
        assert f"<#{channel.id}>" in dm and "by its escalation policy payments" in dm
        assert dms(slack, BOB) == []

        await command(warroom, channel, "timeline", user=ERIN)
        (shown,) = [m.text for m in slack.ephemeral_for(ERIN) if "INC-1 timeline" in m.text]
        assert "Escalated to payments level 1, payments-primary (on call: <@U0ERIN>)" in shown
        async with session_scope(warroom.engine) as session:
            entry = (
                await session.exec(select(TimelineEntry).where(TimelineEntry.kind == "escalation"))
            ).one()
        names = {ERIN: "Erin Ito"}
        assert sentence(entry, names=names).startswith(
            "Escalated to payments level 1, payments-primary (on call: @Erin Ito)"
        )
        assert "payments, niveau 1 ; payments-primary (d'astreinte : @Erin Ito)" in sentence(
            entry, language="fr", names=names
        )
        draft = (await write_draft(warroom.services, incident.id or 0)).markdown
        assert "| payments level 1, payments-primary \\(on call: @Erin Ito\\) |" in draft


async def test_escalating_to_a_schedule_by_name_reaches_whoever_is_on_call(
    oncall_bot: Start,
) -> None:
    async with oncall_bot(schedules()) as warroom:
        slack = warroom.slack
        channel = await open_incident(warroom)
        await command(warroom, channel, "escalate payments-primary card payments failing")

        assert BOB in channel.members
        (escalation,) = await escalations(warroom)
        assert (escalation.target_kind, escalation.target_ref, escalation.users) == (
            "schedule",
            "payments-primary",
            [BOB],
        )
        assert escalation.on_call == [{"schedule": "payments-primary", "user": BOB}]
        (message,) = messages_with(channel, "escalated to")
        assert message.startswith(
            ":rotating_light: *INC-1 escalated to* *payments-primary* (on call)"
        )
        assert "On call for *payments-primary*: <@U0BOB>" in message
        (dm,) = dms(slack, BOB)
        assert "was escalated to you by <@U0ALICE>" in dm
        await command(warroom, channel, "timeline")
        shown = "\n".join(m.text for m in slack.ephemeral_for(ALICE))
        assert "Escalated to payments-primary (on call: <@U0BOB>): card payments failing" in shown

        await command(warroom, channel, "ack", user=BOB)
        (escalation,) = await escalations(warroom)
        assert escalation.acknowledged_by == BOB


async def test_nobody_on_call_is_said_and_the_levels_other_targets_still_come(
    oncall_bot: Start,
) -> None:
    escalation = policies({"schedule": "payments-primary"}, {"user": CAROL})
    async with oncall_bot(weekdays_only("09:00", "17:00"), escalation) as warroom:
        slack = warroom.slack
        channel = await open_incident(warroom)  # Friday 17:50 in Paris: after hours
        await command(warroom, channel, "sev 1")

        (level_1,) = await escalations(warroom)
        assert level_1.on_call == [{"schedule": "payments-primary", "user": None}]
        assert level_1.users == [CAROL] and CAROL in channel.members
        (message,) = messages_with(channel, "escalated to")
        assert (
            ":warning: Nobody is on call for *payments-primary* right now (a gap in the "
            "schedule); the level's other targets were brought in."
        ) in message
        assert dms(slack, ALICE) == dms(slack, BOB) == []

        await command(warroom, channel, "escalate payments-primary")
        replies = [m.text for m in slack.ephemeral_for(ALICE)]
        assert any(
            "Cannot escalate to `payments-primary`: nobody is on call right now" in text
            for text in replies
        )
        assert len(await escalations(warroom)) == 1


async def test_a_guest_on_call_is_named_and_never_invited(oncall_bot: Start) -> None:
    escalation = policies({"schedule": "payments-primary"}, {"user": CAROL})
    async with oncall_bot(schedules(), escalation) as warroom:
        slack = warroom.slack
        slack.users[BOB].is_restricted = True  # on call by the schedule file, a guest now
        channel = await open_incident(warroom, "--private Card payments fail")
        assert channel.is_private
        await command(warroom, channel, "escalate payments-primary card payments failing")
        await command(warroom, channel, "sev 1")

        assert BOB not in channel.members and CAROL in channel.members
        by_name, level_1 = await escalations(warroom)
        assert by_name.users == [] and level_1.users == [CAROL]
        for escalated in (by_name, level_1):
            assert escalated.on_call == [
                {"schedule": "payments-primary", "user": BOB, "guest": True}
            ]
        messages = messages_with(channel, "escalated to")
        assert len(messages) == 2
        for message in messages:
            assert (
                ":warning: On call for *payments-primary*: <@U0BOB>, a guest of the workspace"
            ) in message
            assert "not invited" in message and "Brought in: <@U0BOB>" not in message
        assert dms(slack, BOB) == []
        assert not [c for c in slack.calls_to("conversations.invite") if BOB in c.args["users"]]
        # The timeline says so too, in either language.
        async with session_scope(warroom.engine) as session:
            entries = (
                await session.exec(select(TimelineEntry).where(TimelineEntry.kind == "escalation"))
            ).all()
        names = {BOB: "Bob Okafor"}
        assert sentence(entries[0], names=names).startswith(
            "Escalated to payments-primary (on call: @Bob Okafor, a guest, not invited)"
        )
        assert "payments-primary (d'astreinte : @Bob Okafor, invité de l'espace de travail, " in (
            sentence(entries[1], language="fr", names=names)
        )


async def test_an_owner_accepted_override_is_named_with_its_owner(oncall_bot: Start) -> None:
    async with oncall_bot(schedules(owners=[CAROL, ALICE])) as warroom:
        slack = warroom.slack
        general = slack.channel_by_name("general")
        assert general is not None
        await slack.send_command(
            "override payments-primary now for 3h", user=ERIN, channel=general.id, command="/oncall"
        )
        await warroom.run_jobs()
        # Each owner is asked; the first answer decides, a later one changes nothing.
        for owner in (CAROL, ALICE):
            (request,) = slack.direct_messages(owner)
            await slack.click_button(
                next(c.id for c in slack.channels.values() if request in c.messages),
                request.ts,
                CoverMessage.ACCEPT if owner == CAROL else CoverMessage.REJECT,
                user=owner,
            )
            await warroom.run_jobs()
        (too_late,) = [m.text for m in slack.ephemeral_for(ALICE)]
        assert "Request #1 was answered already (accepted by <@U0CAROL>" in too_late
        channel = await open_incident(warroom)
        await command(warroom, channel, "escalate payments-primary")

        assert ERIN in channel.members and BOB not in channel.members
        (message,) = messages_with(channel, "escalated to")
        assert (
            "On call for *payments-primary*: <@U0ERIN> (told by DM), through the override they "
            "made themselves, accepted by the schedule's owner <@U0CAROL> (#1)"
        ) in message


# -- the user group follows the schedule ---------------------------------------------------------
async def test_the_user_group_follows_the_schedule_once_per_handoff_with_two_replicas(
    people: SlackEmulator, database_url: str, oncall_bot: Start
) -> None:
    slack = people
    slack.add_usergroup(GROUP, "payments-oncall", [ALICE])  # stale: Bob's week
    oncall, clock = schedules(usergroup="payments-oncall"), Clock(T0)
    async with (
        oncall_bot(oncall, database=database_url, clock=clock) as one,
        oncall_bot(oncall, database=database_url, clock=clock) as two,
    ):

        async def both_run() -> None:
            await asyncio.gather(one.run_jobs(), two.run_jobs(), one.run_jobs(), two.run_jobs())

        await both_run()  # both started: one chain, set to who is on call now
        assert slack.usergroups[GROUP]["users"] == [BOB] and updates(slack) == [BOB]

        clock.now = HANDOFF - 16 * MINUTE
        await both_run()
        assert dms(slack, ALICE) == []
        clock.now = HANDOFF - 15 * MINUTE  # notify_before: 15m by default
        await both_run()
        (notice,) = dms(slack, ALICE)
        assert notice.startswith(
            ":pager: Your on-call shift for *payments-primary* starts at Mon 16 Mar 04:00 EDT "
            "and runs until Mon 23 Mar 04:00 EDT."
        )
        assert "You will be in @payments-oncall meanwhile." in notice
        assert updates(slack) == [BOB]

        looks = len(slack.calls_to("usergroups.users.list"))
        clock.now = HANDOFF
        await both_run()
        await both_run()
        assert slack.usergroups[GROUP]["users"] == [ALICE]
        assert updates(slack) == [BOB, ALICE]  # the handoff's update, once
        assert len(slack.calls_to("usergroups.users.list")) == looks + 1, "one handoff job ran"
        assert len(dms(slack, ALICE)) == 1

    # A replica restarted in Alice's week plans nothing anew and changes nothing.
    async with oncall_bot(oncall, database=database_url, clock=clock) as again:
        clock.now += timedelta(hours=1)
        await again.run_jobs()
    assert updates(slack) == [BOB, ALICE] and len(dms(slack, ALICE)) == 1


async def test_an_override_moves_the_group_and_the_notices_at_once(
    people: SlackEmulator, oncall_bot: Start
) -> None:
    slack = people
    slack.add_usergroup(GROUP, "payments-oncall", [BOB])
    async with oncall_bot(schedules(usergroup="payments-oncall", notify_before="1h")) as warroom:
        await warroom.run_jobs()
        assert updates(slack) == []  # the group was right already

        start = T0 + timedelta(hours=2)
        await store_override(warroom, ERIN, start, start + timedelta(hours=4), at=T0)
        await warroom.advance(minutes=59)
        assert dms(slack, ERIN) == []
        await warroom.advance(minutes=1)  # an hour before Erin's evening
        (notice,) = dms(slack, ERIN)
        assert "starts at Fri 13 Mar 18:50 UTC and runs until Fri 13 Mar 22:50 UTC" in notice
        await warroom.advance(hours=1)
        assert slack.usergroups[GROUP]["users"] == [ERIN]
        await warroom.advance(hours=3)  # an hour before Bob's week goes on: he is told
        (back,) = dms(slack, BOB)
        assert "starts at Fri 13 Mar 22:50 UTC and runs until Mon 16 Mar 08:00 UTC" in back
        await warroom.advance(hours=1)
        assert slack.usergroups[GROUP]["users"] == [BOB]
        assert updates(slack) == [ERIN, BOB]


async def test_a_guest_the_file_names_is_never_put_on_call_and_the_channel_is_told(
    people: SlackEmulator, oncall_bot: Start
) -> None:
    """The file gives Alice, a guest of the workspace, the week from HANDOFF: the day's gap
    post lists it; she is not added to the group and not told; the channel is told once, at
    her shift, that it has nobody on call."""
    slack = people
    slack.users[ALICE].is_restricted = True
    slack.add_usergroup(GROUP, "payments-oncall", [BOB])
    ops = slack.create_channel("payments-ops", creator=BOB, members=[slack.bot_user_id])
    async with oncall_bot(schedules(usergroup="payments-oncall", channel=ops.id)) as warroom:

        def said() -> list[str]:
            return messages_with(ops, "names <@U0ALICE> for this shift")

        await warroom.run_jobs()
        (daily,) = messages_with(ops, "in the next 14 days")
        assert (
            "• Mon 16 Mar 09:00 CET to Mon 23 Mar 09:00 CET (7 days): the file names <@U0ALICE>, "
            "a guest of the workspace, who cannot be on call"
        ) in daily, daily
        assert said() == []
        warroom.clock.now = HANDOFF - 15 * MINUTE  # her notice would be due
        await warroom.run_jobs()
        assert dms(slack, ALICE) == []
        (warning,) = said()
        assert warning.startswith(
            ":warning: *payments-primary* has nobody on call from Mon 16 Mar 09:00 CET to "
            "Mon 23 Mar 09:00 CET (7 days); escalations to it reach nobody then. The schedule "
            "file names <@U0ALICE> for this shift, and they are a guest of the workspace: a "
            "guest cannot be on call, so they are not added to @payments-oncall"
        ), warning
        assert "/oncall override @someone payments-primary <from> to <to>" in warning

        warroom.clock.now = HANDOFF
        await warroom.run_jobs()
        await warroom.advance(hours=1)
        assert slack.usergroups[GROUP]["users"] == [BOB] and updates(slack) == []
        assert dms(slack, ALICE) == [] and len(said()) == 1, "said once for the shift"

        # Bob's week comes back as usual.
        warroom.clock.now = HANDOFF + timedelta(days=7) - 15 * MINUTE
        await warroom.run_jobs()
        (notice,) = dms(slack, BOB)
        assert "starts at Mon 23 Mar 08:00 UTC" in notice
        assert len(said()) == 1


async def test_a_guest_on_call_at_start_up_is_logged_without_a_channel(
    people: SlackEmulator, oncall_bot: Start, caplog: pytest.LogCaptureFixture
) -> None:
    """Bob, on call when warroom starts, became a guest: the group stays as it was, and the
    log says once that his shift has nobody on call."""
    slack = people
    slack.users[BOB].is_ultra_restricted = True
    slack.add_usergroup(GROUP, "payments-oncall", [ALICE])
    with caplog.at_level(logging.WARNING, logger="bot.flows.oncall.handoffs"):
        async with oncall_bot(schedules(usergroup="payments-oncall")) as warroom:
            await warroom.run_jobs()
            await warroom.advance(hours=1)
            assert updates(slack) == [] and slack.usergroups[GROUP]["users"] == [ALICE]
    logged = [
        r.getMessage() for r in caplog.records if "a guest of the workspace" in r.getMessage()
    ]
    assert len(logged) == 1, logged
    assert logged[0].startswith(
        ":warning: *payments-primary* has nobody on call from now to Mon 16 Mar 09:00 CET"
    )
    assert "names <@U0BOB> for this shift" in logged[0]


async def test_a_free_workspace_is_told_once_and_the_rest_works(
    people: SlackEmulator, oncall_bot: Start
) -> None:
    slack = people
    slack.plan = "free"  # user groups are a paid feature
    ops = slack.create_channel("payments-ops", creator=ALICE, members=[slack.bot_user_id])
    async with oncall_bot(schedules(usergroup="payments-oncall", channel=ops.id)) as warroom:
        await warroom.run_jobs()
        (said,) = messages_with(ops, "payments-oncall")
        assert said.startswith(
            ":warning: warroom cannot keep @payments-oncall equal to who is on call for "
            "*payments-primary*: Slack said `plan_upgrade_required`: user groups are a paid "
            "Slack feature"
        )
        assert "escalations to *payments-primary* still reach whoever is on call" in said

        warroom.clock.now = HANDOFF - 15 * MINUTE
        await warroom.run_jobs()
        warroom.clock.now = HANDOFF
        await warroom.run_jobs()
        assert len(messages_with(ops, "payments-oncall")) == 1, "said once"
        assert len(dms(slack, ALICE)) == 1, "notices still go out"
        channel = await open_incident(warroom)
        await command(warroom, channel, "escalate payments-primary")
        assert ALICE in channel.members and len(dms(slack, ALICE)) == 2


async def test_a_disabled_group_is_said_to_be_disabled_not_missing(
    people: SlackEmulator, oncall_bot: Start
) -> None:
    """Its handle is still taken, so "create it" would fail: re-enabling it is the fix, and
    the group follows the schedule again once it is back."""
    slack = people
    slack.add_usergroup(GROUP, "payments-oncall", [BOB])
    slack.usergroups[GROUP]["date_delete"] = int(T0.timestamp())  # usergroups.disable
    ops = slack.create_channel("payments-ops", creator=ALICE, members=[slack.bot_user_id])
    async with oncall_bot(schedules(usergroup="payments-oncall", channel=ops.id)) as warroom:
        await warroom.run_jobs()
        (said,) = messages_with(ops, "payments-oncall")
        assert said.startswith(
            ":warning: warroom cannot keep @payments-oncall equal to who is on call for "
            "*payments-primary*: the user group @payments-oncall is disabled"
        ), said
        assert "re-enable it" in said and "usergroups.enable" in said
        assert "no user group with that handle" not in said and "create it" not in said
        assert updates(slack) == []
        slack.usergroups[GROUP]["date_delete"] = 0  # usergroups.enable
        warroom.clock.now = HANDOFF
        await warroom.run_jobs()
        assert slack.usergroups[GROUP]["users"] == [ALICE] and updates(slack) == [ALICE]


async def test_without_a_channel_the_refusal_is_logged_once(
    people: SlackEmulator, oncall_bot: Start, caplog: pytest.LogCaptureFixture
) -> None:
    people.plan = "free"
    with caplog.at_level(logging.WARNING, logger="bot.flows.oncall.handoffs"):
        async with oncall_bot(schedules(usergroup="payments-oncall")) as warroom:
            await warroom.run_jobs()
            await warroom.advance(days=3)  # past the handoff
    said = [r.getMessage() for r in caplog.records if "plan_upgrade_required" in r.getMessage()]
    assert len(said) == 1 and "cannot keep @payments-oncall" in said[0]


async def test_notify_before_off_sends_no_notice(people: SlackEmulator, oncall_bot: Start) -> None:
    async with oncall_bot(schedules(notify_before="off")) as warroom:
        await warroom.run_jobs()
        warroom.clock.now = HANDOFF - 15 * MINUTE
        await warroom.run_jobs()
        await warroom.advance(minutes=30)
    assert dms(people, ALICE) == []


# -- gaps ------------------------------------------------------------------------------------------
async def test_gaps_in_the_next_14_days_are_posted_once_a_day_until_filled(
    people: SlackEmulator, oncall_bot: Start
) -> None:
    ops = people.create_channel("payments-ops", creator=ALICE, members=[people.bot_user_id])
    async with oncall_bot(weekdays_only("00:00", "24:00", channel=ops.id)) as warroom:

        def posted() -> list[str]:
            return messages_with(ops, "has nobody on call")

        await warroom.run_jobs()  # Friday 17:50 in Paris: today's look, at once
        (first,) = posted()
        assert first.startswith(
            ":warning: *payments-primary* has nobody on call at these times in the next 14 days"
        )
        assert "• Sat 14 Mar 00:00 CET to Mon 16 Mar 00:00 CET (2 days)" in first
        assert "• Sat 21 Mar 00:00 CET to Mon 23 Mar 00:00 CET (2 days)" in first
        assert "/oncall override @someone payments-primary <from> to <to>" in first
        await warroom.advance(hours=4)
        assert len(posted()) == 1, "once a day"

        warroom.clock.now = datetime(2026, 3, 14, 7, 59, tzinfo=UTC)
        await warroom.run_jobs()
        assert len(posted()) == 1
        warroom.clock.now = datetime(2026, 3, 14, 8, tzinfo=UTC)  # Saturday 09:00 in Paris
        await warroom.run_jobs()
        assert (
            len(posted()) == 2 and "• now to Mon 16 Mar 00:00 CET (1 day 15 hours)" in posted()[1]
        )

        warroom.clock.now = datetime(2026, 3, 15, 8, tzinfo=UTC)  # Sunday: the clocks change
        await warroom.run_jobs()  # on the 29th, inside the 14 days now
        assert "• Sat 28 Mar 00:00 CET to Sun 29 Mar 10:00 CEST and beyond" in posted()[2]

        filled = datetime(2026, 3, 15, 8, tzinfo=UTC), datetime(2026, 4, 6, tzinfo=UTC)
        await store_override(warroom, ERIN, *filled, at=warroom.clock.now)
        warroom.clock.now = datetime(2026, 3, 16, 8, tzinfo=UTC)
        await warroom.run_jobs()
        await warroom.advance(days=1)
        assert len(posted()) == 3, "filled: nothing more to say"


# -- bad input -----------------------------------------------------------------------------------
def test_serve_names_a_policys_unknown_schedule(tmp_path: Path) -> None:
    (tmp_path / "schedules.yaml").write_text(yaml.safe_dump(schedules()))
    (tmp_path / "policies.yaml").write_text(
        yaml.safe_dump(policies({"schedule": "payments-secondary"}))
    )
    env = {
        "WARROOM_ONCALL_SCHEDULES": str(tmp_path / "schedules.yaml"),
        "WARROOM_ESCALATION_POLICIES": str(tmp_path / "policies.yaml"),
    }
    done = run_warroom("serve", env=env, clean=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert (
        "policy 'payments' level 1: schedule: no on-call schedule named 'payments-secondary' "
        "(schedules: payments-primary)"
    ) in done.stderr


def test_a_schedule_target_is_checked_with_the_schedules(tmp_path: Path) -> None:
    same_name = {"policies": {"payments-primary": {"levels": [{"targets": [{"user": BOB}]}]}}}
    with pytest.raises(ConfigError) as clash:
        configure(tmp_path, schedules(), same_name)
    assert "payments-primary names both a policy and a schedule" in str(clash.value)
    without = {"policies": {"payments": {"levels": [{"targets": [{"schedule": "primary"}]}]}}}
    with pytest.raises(ConfigError) as unset:
        Settings.from_env({"WARROOM_ESCALATION_POLICIES": str(write(tmp_path, without))})
    assert "no on-call schedule named 'primary' (schedules: none: no WARROOM_ONCALL_SCHEDULES)" in (
        str(unset.value)
    )
    for target, said in (
        ({"schedule": "Payments Primary!"}, "schedule must name an on-call schedule"),
        ({"schedule": ["payments-primary"]}, "schedule must name an on-call schedule"),
        ({"rota": "payments-primary"}, "unknown target kind 'rota' (user, usergroup, schedule"),
    ):
        with pytest.raises(PolicyError, match=re.escape(said)):
            parse_policies({"policies": {"payments": {"levels": [{"targets": [target]}]}}})


def write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "document.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


# -- overlap: all: everyone an active layer names is on call -------------------------------------
SHADOW = {"name": "shadow", "start": "2026-03-02 09:00", "rotation": "weekly", "members": [ERIN]}


def primary_and_shadow(**keys: Any) -> dict[str, Any]:
    """Opsgenie's primary and shadow rotations, cumulative there: Alice and Bob by weeks, and
    Erin beside them all along."""
    body = {"timezone": "Europe/Paris", "overlap": "all", "layers": [WEEKLY, SHADOW], **keys}
    return {"schedules": {"payments-primary": body}}


async def test_with_overlap_all_escalation_the_group_and_who_reach_primary_and_shadow(
    people: SlackEmulator, oncall_bot: Start
) -> None:
    slack = people
    slack.add_usergroup(GROUP, "payments-oncall", [ALICE])  # stale: Bob's week
    async with oncall_bot(primary_and_shadow(usergroup="payments-oncall")) as warroom:
        await warroom.run_jobs()
        assert sorted(slack.usergroups[GROUP]["users"]) == [BOB, ERIN]
        general = slack.channel_by_name("general")
        assert general is not None
        await slack.send_command("", user=CAROL, channel=general.id, command="/oncall")
        await settle(warroom)
        (who,) = [m.text for m in slack.ephemeral_for(CAROL) if "On call now" in m.text]
        assert "*payments-primary*: <@U0BOB> and <@U0ERIN> until Mon 16 Mar" in who
        assert "then <@U0ALICE> and <@U0ERIN> until Mon 23 Mar" in who

        channel = await open_incident(warroom)
        await command(warroom, channel, "sev 1")
        assert {BOB, ERIN} <= set(channel.members)
        (escalation,) = await escalations(warroom)
        assert escalation.users == [BOB, ERIN]
        assert escalation.on_call == [
            {"schedule": "payments-primary", "user": BOB},
            {"schedule": "payments-primary", "user": ERIN},
        ]
        (message,) = messages_with(channel, "escalated to")
        assert "On call for *payments-primary*: <@U0BOB> (told by DM)" in message
        assert "On call for *payments-primary*: <@U0ERIN> (told by DM)" in message
        assert any("You are on call for *payments-primary*" in dm for dm in dms(slack, ERIN))
        assert any("You are on call for *payments-primary*" in dm for dm in dms(slack, BOB))
        await command(warroom, channel, "timeline")
        shown = "\n".join(m.text for m in slack.ephemeral_for(ALICE))
        assert "payments-primary (on call: <@U0BOB>, <@U0ERIN>)" in shown

        # Alice's week: she is told before it; Erin, on call all along, is not told again.
        told_erin = len(dms(slack, ERIN))
        warroom.clock.now = HANDOFF - 15 * MINUTE
        await warroom.run_jobs()
        assert any("Your on-call shift for *payments-primary*" in dm for dm in dms(slack, ALICE))
        assert len(dms(slack, ERIN)) == told_erin
        warroom.clock.now = HANDOFF
        await warroom.run_jobs()
        assert sorted(slack.usergroups[GROUP]["users"]) == [ALICE, ERIN]


async def test_escalating_to_a_schedule_with_overlap_all_by_name_brings_in_everyone(
    oncall_bot: Start,
) -> None:
    async with oncall_bot(primary_and_shadow()) as warroom:
        channel = await open_incident(warroom)
        await command(warroom, channel, "escalate payments-primary card payments failing")
        (escalation,) = await escalations(warroom)
        assert escalation.users == [BOB, ERIN] and {BOB, ERIN} <= set(channel.members)
        await command(warroom, channel, "timeline")
        shown = "\n".join(m.text for m in warroom.slack.ephemeral_for(ALICE))
        assert "Escalated to payments-primary (on call: <@U0BOB>, <@U0ERIN>)" in shown


async def test_someone_standing_in_for_one_layer_is_reached_beside_the_others(
    oncall_bot: Start,
) -> None:
    """Carol covers the shadow layer for the evening: the escalation reaches Bob (primary) and
    Carol, says whose override put Carol there, and does not reach Erin."""
    async with oncall_bot(primary_and_shadow()) as warroom:
        await store_override(warroom, CAROL, T0, T0 + timedelta(hours=4), at=T0, layer="shadow")
        channel = await open_incident(warroom)
        await command(warroom, channel, "escalate payments-primary card payments failing")
        (escalation,) = await escalations(warroom)
        assert escalation.users == [BOB, CAROL] and ERIN not in channel.members
        (message,) = messages_with(channel, "escalated to")
        assert "On call for *payments-primary*: <@U0BOB> (told by DM)\n" in message
        assert (
            "On call for *payments-primary*: <@U0CAROL> (told by DM), through the override "
            "<@U0BOB> made for them (#1)"
        ) in message
