"""Leave and holidays end to end: ``/oncall leave`` typed into the real server over HTTP, Slack
played by the emulator; ``/oncall``, the App Home and an escalation policy reading who is
away.

The clock stands on Wednesday 11 March 2026, 10:00 UTC. payments-primary hands over on
Mondays at 09:00 Paris time (08:00 UTC): Alice the week of 2 March, Bob the week of 9 March
(on call now), Carol the week of 16 March. Bob lives in Tokyo, so his leave's days are
Tokyo's; Alice and Carol read UTC. support is Bob and Carol a week each from Monday 9 March,
00:00 UTC, with the 11th a holiday for Bob.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from bot.basics.slack_text import decode_entities
from bot.config import Secret, Settings
from bot.record.escalation.policies import parse_policies
from bot.record.oncall.schedules import Schedules, parse_schedules
from bot.store.db import session_scope
from bot.store.models import AlertGroup, Escalation, OncallLeave, PersonPage
from emulator import SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, WarroomFactory
from tests.helpers.alerts import TOKEN, alert, alertmanager, post_alert, routes
from tests.helpers.incidents import command, open_incident, settle

T0 = datetime(2026, 3, 11, 10, tzinfo=UTC)
DAVE, OWEN = "U0DAVE", "U0OWEN"
PAYMENTS = "payments-primary"


def schedules() -> Schedules:
    weekly = {"name": "weekly", "start": "2026-03-02 09:00", "rotation": "weekly"}
    document: dict[str, Any] = {
        "schedules": {
            PAYMENTS: {
                "timezone": "Europe/Paris",
                "owners": [OWEN],
                "layers": [{**weekly, "members": [ALICE, BOB, CAROL]}],
            },
            "support": {
                "timezone": "UTC",
                "holidays": {"dates": ["2026-03-11"], "people": [BOB]},
                "layers": [{**weekly, "start": "2026-03-09 00:00", "members": [BOB, CAROL]}],
            },
        }
    }
    return parse_schedules(document, now=T0)


# Level 1 is whoever payments-primary names; level 2, ten minutes later, Dave.
POLICIES = parse_policies(
    {
        "policies": {
            "payments": {
                "levels": [
                    {"timeout": "10m", "targets": [{"schedule": PAYMENTS}]},
                    {"targets": [{"user": DAVE}]},
                ]
            }
        },
        "severities": {"SEV1": "payments"},
    }
)


@pytest.fixture
def warroom_settings(slack: SlackEmulator) -> dict[str, object]:
    slack.users[BOB].tz = "Asia/Tokyo"
    slack.add_user(DAVE, "dave", "Dave Kim")
    slack.add_user(OWEN, "owen", "Owen Price")
    return {
        "clock": Clock(T0),
        "oncall__schedules": schedules(),
        "escalation__policies": POLICIES,
    }


async def oncall(warroom: Warroom, text: str, user: str = ALICE) -> str:
    """Type ``/oncall <text>`` in #general as ``user``; what they saw privately."""
    slack = warroom.slack
    general = slack.channel_by_name("general")
    assert general is not None
    before = len(slack.ephemeral_for(user))
    response = await slack.send_command(text, user=user, channel=general.id, command="/oncall")
    assert response.status == 200
    await settle(warroom)
    return "\n".join(decode_entities(m.text) for m in slack.ephemeral_for(user)[before:])


async def stored_leave(warroom: Warroom) -> list[OncallLeave]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(OncallLeave).order_by(col(OncallLeave.id)))).all())


async def test_leave_passes_the_turn_to_the_next_person_until_it_is_removed(
    warroom_any_db: Warroom,
) -> None:
    warroom = warroom_any_db
    said = await oncall(warroom, "leave add 2026-03-11..2026-03-12", user=BOB)
    [row] = await stored_leave(warroom)
    assert f"Leave #{row.id} kept: 2026-03-11 to 2026-03-12 (Asia/Tokyo)" in said
    assert "the next person in each takes your turn" in said
    # Days in Bob's zone, kept as the instants they cover in UTC: Tokyo is UTC+9.
    start = datetime(2026, 3, 10, 15, tzinfo=UTC)
    assert (row.start_at, row.end_at) == (start, start + timedelta(days=2))

    said = await oncall(warroom, PAYMENTS)
    assert said.splitlines()[1:] == [
        f"• *{PAYMENTS}*: <@{CAROL}> until Thu 12 Mar 15:00 UTC, then <@{BOB}> until "
        "Mon 16 Mar 08:00 UTC",
        f"    :palm_tree: <@{BOB}> is on leave; <@{CAROL}> takes the turn.",
    ]

    listed = await oncall(warroom, "leave", user=BOB)
    assert f"• #{row.id} 2026-03-11 to 2026-03-12 (Asia/Tokyo)" in listed
    removed = await oncall(warroom, f"leave remove {row.id}", user=BOB)
    assert f"Leave #{row.id} (2026-03-11 to 2026-03-12 (Asia/Tokyo)) removed" in removed
    assert await stored_leave(warroom) == []
    said = await oncall(warroom, PAYMENTS)
    assert f"<@{BOB}> until Mon 16 Mar 08:00 UTC" in said and "palm_tree" not in said


async def test_someone_away_too_is_passed_over(warroom: Warroom) -> None:
    await oncall(warroom, "leave add 2026-03-11", user=BOB)
    await oncall(warroom, "leave add 2026-03-10..2026-03-11", user=CAROL)
    said = await oncall(warroom, PAYMENTS)
    # Carol, after Bob, is away too: Alice (the list wraps round) takes it until Bob is back.
    assert f"*{PAYMENTS}*: <@{ALICE}> until Wed 11 Mar 15:00 UTC, then <@{BOB}>" in said
    assert f":palm_tree: <@{BOB}> is on leave; <@{ALICE}> takes the turn." in said


async def test_an_override_still_puts_someone_on_leave_on_call(warroom: Warroom) -> None:
    await oncall(warroom, "leave add 2026-03-11..2026-03-12", user=BOB)
    said = await oncall(warroom, f"override {PAYMENTS} now for 2h", user=BOB)
    assert "is on call for" in said
    said = await oncall(warroom, PAYMENTS)
    assert f"*{PAYMENTS}*: <@{BOB}> until Wed 11 Mar 12:00 UTC, then <@{CAROL}>" in said
    assert "palm_tree" not in said  # nobody is passed over while the override holds


async def test_a_holiday_of_the_schedule_file_skips_the_people_who_observe_it(
    warroom: Warroom,
) -> None:
    said = await oncall(warroom, "support")
    assert "*support*: <@U0CAROL> until Thu 12 Mar 00:00 UTC, then <@U0BOB>" in said
    assert f":palm_tree: <@{BOB}> is off for a holiday; <@{CAROL}> takes the turn." in said


async def test_the_home_tab_says_who_is_away_and_who_took_the_turn(warroom: Warroom) -> None:
    await oncall(warroom, "leave add 2026-03-11..2026-03-12", user=BOB)
    published = len(warroom.slack.calls_to("views.publish"))
    answer = await warroom.slack.open_app_home(ALICE)
    assert answer is not None and answer.status == 200
    await settle(warroom)
    await warroom.slack.wait_for(lambda: len(warroom.slack.calls_to("views.publish")) > published)
    lines = warroom.slack.home_lines(ALICE)
    assert (
        f"*{PAYMENTS}*\n<@{CAROL}> until Thu 12 Mar 15:00 UTC\n"
        f":palm_tree: <@{BOB}> is on leave; <@{CAROL}> takes the turn."
    ) in lines
    # On support his leave covers his holiday too: leave is what is said.
    assert (
        f"*support*\n<@{CAROL}> until Thu 12 Mar 15:00 UTC\n"
        f":palm_tree: <@{BOB}> is on leave; <@{CAROL}> takes the turn."
    ) in lines
    assert "Your leave" not in lines  # Alice has none
    # Bob's own Home lists his leave, with how to remove it.
    published = len(warroom.slack.calls_to("views.publish"))
    await warroom.slack.open_app_home(BOB)
    await settle(warroom)
    await warroom.slack.wait_for(lambda: len(warroom.slack.calls_to("views.publish")) > published)
    lines = warroom.slack.home_lines(BOB)
    (leave,) = await stored_leave(warroom)
    assert "Your leave" in lines
    assert (
        f"• #{leave.id} 2026-03-11 to 2026-03-12 (Asia/Tokyo)\nRotations skip you then: the next"
        " person takes your turn. `/oncall leave` lists it; `/oncall leave remove <number>`"
        " removes one."
    ) in lines


async def test_a_leave_that_empties_the_rotation_is_said_and_pages_the_next_level_at_once(
    warroom_any_db: Warroom,
) -> None:
    warroom = warroom_any_db
    await oncall(warroom, "leave add 2026-03-11", user=ALICE)
    await oncall(warroom, "leave add 2026-03-11", user=CAROL)
    said = await oncall(warroom, "leave add 2026-03-11..2026-03-12", user=BOB)
    # The last of them is told the schedule is left with nobody, from when to when (Tokyo).
    assert (
        f":warning: *{PAYMENTS}* has nobody else to take the turn Wed 11 Mar 09:00 JST to "
        "Thu 12 Mar 09:00 JST: everyone in the rotation is away then."
    ) in said
    assert "pages go on to the escalation policy's next level at once" in said

    said = await oncall(warroom, PAYMENTS)
    assert f"*{PAYMENTS}*: nobody (a gap) until Thu 12 Mar 00:00 UTC, then <@{CAROL}>" in said
    assert f":warning: Nobody is on call for *{PAYMENTS}* right now." in said

    # SEV1 starts the policy: its first level reaches nobody, so Dave comes at once, with no
    # minute passing (its timeout is ten).
    channel = await open_incident(warroom)
    await command(warroom, channel, "sev 1")
    async with session_scope(warroom.engine) as session:
        rows = (await session.exec(select(Escalation).order_by(col(Escalation.id)))).all()
    assert [(row.level, row.users) for row in rows] == [(1, []), (2, [DAVE])]
    assert rows[1].why == {"because": "nobody", "level": 1}
    assert rows[1].escalated_at == T0
    assert DAVE in channel.members
    await command(warroom, channel, "timeline")
    shown = "\n".join(m.text for m in warroom.slack.ephemeral_for(ALICE))
    assert "level 1 reached nobody (a gap: everyone on call away or nobody scheduled)" in shown


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("leave add 2026-03-14..2026-03-12", "the last day (2026-03-12) is before the first"),
        ("leave add next week", "say the days of your leave like `2026-12-24..2026-12-27`"),
        ("leave add 2026-03-01..2026-03-02", "2026-03-01 to 2026-03-02 is over"),
        ("leave add 2026-03-12..2027-04-01", "is more than 366 days"),
        ("leave remove 99", "you have no leave #99"),
        ("leave holiday", "Use `/oncall leave` (your leave)"),
        ("leave feed ftp://example.com/x.ics", "give your leave calendar's address"),
        ("leave feed https://10.0.0.1/x.ics", "that address is refused"),
        ("leave feed off", "you have no leave calendar to remove"),
    ],
)
async def test_bad_leave_is_refused_in_words(warroom: Warroom, typed: str, answer: str) -> None:
    said = await oncall(warroom, typed, user=BOB)
    assert answer in said
    assert await stored_leave(warroom) == []


async def test_someone_elses_leave_cannot_be_removed(warroom: Warroom) -> None:
    await oncall(warroom, "leave add 2026-03-20", user=BOB)
    [row] = await stored_leave(warroom)
    said = await oncall(warroom, f"leave remove {row.id}", user=CAROL)
    assert f"you have no leave #{row.id}" in said
    assert len(await stored_leave(warroom)) == 1


async def test_a_guest_keeps_no_leave(warroom: Warroom) -> None:
    guest = warroom.slack.add_user("U0GUEST", "gus", "Gus Guest")
    guest.is_restricted = True
    for text in ("leave add 2026-03-20", "leave", "leave feed https://example.com/a.ics"):
        said = await oncall(warroom, text, user=guest.id)
        assert "guests of the workspace" in said, text
    assert await stored_leave(warroom) == []


async def test_an_alert_whose_first_level_reaches_nobody_pages_the_next_at_once(
    warroom_settings: dict[str, object],
    warroom_with: WarroomFactory,
    slack: SlackEmulator,
    tmp_path: Path,
    database_url: str,
) -> None:
    """The same for an alert of its own (a route with ``action: page``): its policy's first
    level names payments-primary, everyone of which is away, so Dave is paged at once."""
    ops = slack.create_channel("payments-ops", creator=ALICE, members=[slack.bot_user_id])
    route = {
        "name": "cards",
        "match": {"alertname": "CardErrors"},
        "action": "page",
        "policy": "payments",
        "channel": ops.id,
        "severity": "SEV3",
    }
    contacts = tmp_path / "contacts.yaml"
    contacts.write_text(f"people:\n  {DAVE}:\n    rules: [{{after: 0s, notify: [slack]}}]\n")
    assert warroom_settings["oncall__schedules"]  # Bob in Tokyo, Dave and Owen added
    warroom = await warroom_with(
        database_url=database_url,
        clock=Clock(T0),
        oncall__schedules=schedules(),
        escalation__policies=POLICIES,
        alerting__token=Secret(TOKEN),
        alerting__routes=routes({"routes": [route]}),
        paging=Settings.from_env({"WARROOM_CONTACTS": str(contacts)}).paging,
    )
    for user in (ALICE, CAROL):
        await oncall(warroom, "leave add 2026-03-11", user=user)
    await oncall(warroom, "leave add 2026-03-11..2026-03-12", user=BOB)
    body = alertmanager("CardErrors", [alert("CardErrors", "web-1", "2026-03-11T09:58:00Z")])
    status, answer = await post_alert(warroom.url, "alertmanager", body)
    assert status == 202, answer
    await warroom.run_jobs()
    async with session_scope(warroom.engine) as session:
        group = (await session.exec(select(AlertGroup))).one()
        paged = (await session.exec(select(PersonPage))).all()
    assert (group.level_round, group.level) == (1, 2)
    assert [page.user_id for page in paged] == [DAVE]
    assert "CardErrors" in slack.direct_messages(DAVE)[-1].text
    assert warroom.clock.now == T0
