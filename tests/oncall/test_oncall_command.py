"""``/oncall`` end to end: signed slash commands and button presses into the real server over
HTTP, Slack played by the emulator, the schedules from a schedule file's shape.

The clock stands on Wednesday 11 March 2026, 10:00 UTC (11:00 in Paris). payments-primary
hands over on Mondays at 09:00 Paris time: Alice the week of 2 March, Bob the week of 9 March
(on call now), Carol the week of 16 March, Alice again the week of 23 March (which holds the
clock change of 29 March: 167 hours), Bob the week of 30 March. tokyo-dba has Kenji on
weekdays from 09:00 to 18:00 in Tokyo, so now (19:00 there) is a gap.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.basics.slack_ids import CoverMessage, SwapMessage
from bot.basics.slack_text import decode_entities
from bot.record.oncall.engine import on_call_at
from bot.record.oncall.overrides import overrides_between
from bot.record.oncall.schedules import Schedule, Schedules, parse_schedules
from bot.store.db import session_scope
from bot.store.models import OncallCalendarToken, OncallOverride, OncallSwap
from commands.oncall.table import SUBCOMMANDS
from emulator import Channel, EphemeralMessage, Message, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, running_warroom
from tests.helpers.incidents import settle

T0 = datetime(2026, 3, 11, 10, tzinfo=UTC)
ERIN, KENJI, OWEN, DAVE = "U0ERIN", "U0KENJI", "U0OWEN", "U0DAVE"
GUEST = "U0GUEST"
PAYMENTS = "payments-primary"


def schedules() -> Schedules:
    document: dict[str, Any] = {
        "schedules": {
            PAYMENTS: {
                "timezone": "Europe/Paris",
                "owners": [OWEN],
                "layers": [
                    {
                        "name": "weekly",
                        "start": "2026-03-02 09:00",
                        "rotation": "weekly",
                        "members": [ALICE, BOB, CAROL],
                    }
                ],
            },
            "tokyo-dba": {
                "timezone": "Asia/Tokyo",
                "layers": [
                    {
                        "name": "days",
                        "start": "2026-03-02 09:00",
                        "rotation": "daily",
                        "members": [KENJI],
                        "restrictions": [
                            {
                                "days": ["mon", "tue", "wed", "thu", "fri"],
                                "from": "09:00",
                                "to": "18:00",
                            }
                        ],
                    }
                ],
            },
        }
    }
    return parse_schedules(document, now=T0)


def payments() -> Schedule:
    found = schedules().get(PAYMENTS)
    assert found is not None
    return found


def paris(day: int, hour: int, month: int = 3) -> datetime:
    """A wall time in Paris in 2026, as UTC (CET before 29 March, CEST after)."""
    return datetime(2026, month, day, hour, tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)


@pytest.fixture
def warroom_settings(slack: SlackEmulator) -> dict[str, object]:
    """The bot with the two schedules, its clock at T0 (``warroom`` on SQLite,
    ``warroom_any_db`` on SQLite and on PostgreSQL). Alice is in Los Angeles, Erin in New
    York, Kenji in Tokyo, Owen (payments-primary's owner) and Dave (in no schedule) in Paris;
    Bob and Carol in UTC."""
    slack.users[ALICE].tz = "America/Los_Angeles"
    slack.add_user(ERIN, "erin", "Erin Walsh", tz="America/New_York")
    slack.add_user(KENJI, "kenji", "Kenji Sato", tz="Asia/Tokyo")
    slack.add_user(OWEN, "owen", "Owen Price", tz="Europe/Paris")
    slack.add_user(DAVE, "dave", "Dave Kim", tz="Europe/Paris")
    return {"clock": Clock(T0), "oncall__schedules": schedules()}


def general(slack: SlackEmulator) -> str:
    channel = slack.channel_by_name("general")
    assert channel is not None
    return channel.id


async def oncall(warroom: Warroom, text: str, user: str = ALICE) -> str:
    """Type ``/oncall <text>`` in #general as ``user``; what they saw privately (the ack and
    the reply after it)."""
    slack = warroom.slack
    before = len(slack.ephemeral_for(user))
    response = await slack.send_command(text, user=user, channel=general(slack), command="/oncall")
    assert response.status == 200
    await settle(warroom)
    return seen(slack.ephemeral_for(user)[before:])


def seen(messages: Iterable[EphemeralMessage]) -> str:
    """The messages' text as Slack shows it (entities decoded; mentions left as ids)."""
    return "\n".join(decode_entities(message.text) for message in messages)


def dms(slack: SlackEmulator, user: str) -> list[Message]:
    """What the bot said to ``user`` in their DM with it."""
    return slack.direct_messages(user)


async def press(warroom: Warroom, user: str, request: Message, action: str) -> str:
    """``user`` presses a button of the swap or cover request ``request``; what they saw
    privately."""
    slack = warroom.slack
    before = len(slack.ephemeral_for(user))
    channel: Channel = next(c for c in slack.channels.values() if request in c.messages)
    response = await slack.click_button(channel.id, request.ts, action, user=user)
    assert response.status == 200
    await settle(warroom)
    return seen(slack.ephemeral_for(user)[before:])


async def stored_overrides(warroom: Warroom) -> list[OncallOverride]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(OncallOverride))).all())


async def stored_swaps(warroom: Warroom) -> list[OncallSwap]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(OncallSwap))).all())


async def final_user(warroom: Warroom, at: datetime) -> str | None:
    """Who the final schedule of payments-primary names at ``at``, overrides included."""
    async with session_scope(warroom.engine) as session:
        overrides = await overrides_between(
            session, start=at - timedelta(days=400), end=at + timedelta(days=400)
        )
    return on_call_at(payments(), overrides, at).user


# -- who --------------------------------------------------------------------------------------
async def test_who_is_on_call_now_and_next_in_the_askers_zone(warroom: Warroom) -> None:
    said = await oncall(warroom, "")
    # Alice reads Los Angeles time (PDT since 8 March): Monday 09:00 in Paris is 01:00 there.
    # Tokyo: 19:00 on Wednesday, nobody until 09:00 on Thursday (Wednesday 17:00 in LA).
    assert said.splitlines() == [
        "*On call now* (times in America/Los_Angeles)",
        f"• *{PAYMENTS}*: <@{BOB}> until Mon 16 Mar 01:00 PDT, then <@{CAROL}> until "
        "Mon 23 Mar 01:00 PDT",
        f"• *tokyo-dba*: nobody (a gap) until Wed 11 Mar 17:00 PDT, then <@{KENJI}> until "
        "Thu 12 Mar 02:00 PDT",
        ":warning: Nobody is on call for *tokyo-dba* right now.",
    ]

    # Erin, in New York, asks about one schedule by name: only that one, in her zone.
    said = await oncall(warroom, PAYMENTS, user=ERIN)
    assert f"<@{BOB}> until Mon 16 Mar 04:00 EDT" in said and "tokyo-dba" not in said
    assert said == await oncall(warroom, f"who {PAYMENTS}", user=ERIN)


async def test_an_unknown_schedule_is_named_with_the_ones_there_are(warroom: Warroom) -> None:
    said = await oncall(warroom, "payments")
    assert "there is no schedule `payments`, and no subcommand of that name" in said
    assert f"`{PAYMENTS}`, `tokyo-dba`" in said
    assert "Usage: `/oncall who [schedule]`" in said


# -- overrides ---------------------------------------------------------------------------------
async def test_an_override_says_whom_it_displaced_and_tells_the_person_put_on_call(
    warroom: Warroom,
) -> None:
    slack = warroom.slack
    said = await oncall(warroom, f"override @erin {PAYMENTS} Fri 18:00 to Mon 09:00")

    [row] = await stored_overrides(warroom)
    # Friday 13 March 18:00 to Monday 16 March 09:00, Paris time, read in the schedule's zone.
    assert (row.user_id, row.start_at, row.end_at) == (ERIN, paris(13, 18), paris(16, 9))
    assert (row.created_by, row.created_at, row.kind) == (ALICE, T0, "override")
    assert f"Override #{row.id}: <@{ERIN}> is on call for *{PAYMENTS}*" in said
    assert "from Fri 13 Mar 10:00 PDT to Mon 16 Mar 01:00 PDT" in said  # Alice's zone
    assert f"It displaced:\n• <@{BOB}>, Fri 13 Mar 10:00 PDT to Mon 16 Mar 01:00 PDT" in said
    assert f"`/oncall cancel {row.id}`" in said

    # Erin is told by DM, in her own zone.
    [dm] = await slack.wait_for(lambda: dms(slack, ERIN))
    assert f"<@{ALICE}> put you on call for *{PAYMENTS}*" in dm.text
    assert "Fri 13 Mar 13:00 EDT to Mon 16 Mar 04:00 EDT" in dm.text

    assert await final_user(warroom, paris(14, 12)) == ERIN
    assert await final_user(warroom, paris(16, 10)) == CAROL


async def test_a_member_may_put_themselves_on_call_at_once_and_is_not_told_what_they_did(
    warroom: Warroom,
) -> None:
    slack = warroom.slack
    said = await oncall(warroom, f"override {PAYMENTS} now for 2h", user=CAROL)
    [row] = await stored_overrides(warroom)
    assert (row.user_id, row.start_at, row.end_at, row.created_by, row.accepted_by) == (
        CAROL,
        T0,
        T0 + timedelta(hours=2),
        CAROL,
        None,
    )
    assert f"It displaced:\n• <@{BOB}>" in said
    assert dms(slack, CAROL) == [] and dms(slack, OWEN) == []


async def test_an_override_of_nobody_is_a_deliberate_gap_only_its_people_may_make(
    warroom: Warroom,
) -> None:
    said = await oncall(warroom, f"override nobody {PAYMENTS} now for 2h", user=CAROL)
    [row] = await stored_overrides(warroom)
    assert (row.user_id, row.layer, row.start_at, row.end_at) == (
        None,
        None,
        T0,
        T0 + timedelta(hours=2),
    )
    assert f"Override #{row.id}: nobody is on call for *{PAYMENTS}*" in said
    assert "a deliberate gap: escalations to it reach nobody then" in said
    assert f"It displaced:\n• <@{BOB}>" in said
    assert await final_user(warroom, T0 + timedelta(hours=1)) is None
    said = await oncall(warroom, f"cancel {row.id}", user=CAROL)
    assert "is cancelled: nobody is no longer on call for it" in said
    assert await final_user(warroom, T0 + timedelta(hours=1)) == BOB

    refused = await oncall(warroom, f"override nobody {PAYMENTS} now for 2h", user=DAVE)
    assert "only the schedule's members and owners may put nobody on call" in refused
    refused = await oncall(warroom, f"override nobody @erin {PAYMENTS} now for 2h", user=BOB)
    assert "say `nobody` or name a person, not both" in refused
    assert len(await stored_overrides(warroom)) == 1


async def test_an_override_of_one_layer_names_the_layer(warroom: Warroom) -> None:
    slack = warroom.slack
    said = await oncall(warroom, f"override @erin {PAYMENTS} --layer weekly now for 2h")
    [row] = await stored_overrides(warroom)
    assert (row.user_id, row.layer) == (ERIN, "weekly")
    assert f"<@{ERIN}> is on call for *{PAYMENTS}* (layer *weekly*)" in said
    [dm] = await slack.wait_for(lambda: dms(slack, ERIN))
    assert f"put you on call for *{PAYMENTS}* (layer *weekly*)" in dm.text
    assert await final_user(warroom, T0 + timedelta(hours=1)) == ERIN

    refused = await oncall(warroom, f"override @erin {PAYMENTS} --layer nights now for 2h")
    assert f"*{PAYMENTS}*, layer: it has no layer `nights`; its layers are `weekly`" in refused
    refused = await oncall(warroom, f"override @erin {PAYMENTS} now for 2h --layer")
    assert "name one layer after `--layer`" in refused
    assert len(await stored_overrides(warroom)) == 1


# -- someone outside the schedule: an owner's Accept ------------------------------------------
async def ask_to_cover(warroom: Warroom, text: str, asker: str = DAVE) -> tuple[str, Message]:
    """``/oncall override ...`` by someone outside the schedule: what they saw, and the
    request its owner (Owen) got by DM."""
    slack = warroom.slack
    before = len(dms(slack, OWEN))
    said = await oncall(warroom, text, user=asker)
    messages = await slack.wait_for(lambda: dms(slack, OWEN)[before:], timeout=5)
    return said, messages[-1]


async def test_someone_outside_the_schedule_is_on_call_only_once_an_owner_accepts(
    warroom_any_db: Warroom,
) -> None:
    warroom, slack = warroom_any_db, warroom_any_db.slack
    said, request = await ask_to_cover(warroom, f"override {PAYMENTS} now for 2h")
    assert f"You are in none of *{PAYMENTS}*'s layers" in said
    assert "waits for one of its owners (request #1" in said and f"<@{OWEN}>" in said
    assert f"<@{DAVE}> asks to be put on call for *{PAYMENTS}*, which you own" in request.text
    assert "Wed 11 Mar 11:00 CET to Wed 11 Mar 13:00 CET" in request.text  # Owen's zone
    actions = [b for b in request.blocks or [] if b["type"] == "actions"]
    assert [e["action_id"] for e in actions[0]["elements"]] == [
        CoverMessage.ACCEPT,
        CoverMessage.REJECT,
    ]
    # Asked is not on call: Bob still is, and no override exists yet.
    assert await stored_overrides(warroom) == []
    assert await final_user(warroom, T0 + timedelta(hours=1)) == BOB

    # A member who is no owner cannot answer for the owners.
    said = await press(warroom, BOB, request, CoverMessage.ACCEPT)
    assert "waits for an owner of *payments-primary*: only they can answer it" in said
    assert await stored_overrides(warroom) == []

    assert await press(warroom, OWEN, request, CoverMessage.ACCEPT) == ""
    [row] = await stored_overrides(warroom)
    assert (row.user_id, row.start_at, row.end_at, row.created_by, row.accepted_by) == (
        DAVE,
        T0,
        T0 + timedelta(hours=2),
        DAVE,
        OWEN,
    )
    assert await final_user(warroom, T0 + timedelta(hours=1)) == DAVE
    assert "You accepted" in request.text and f"override #{row.id} puts <@{DAVE}>" in request.text
    assert not [b for b in request.blocks or [] if b["type"] == "actions"]
    told = dms(slack, DAVE)[-1].text
    assert f"<@{OWEN}> accepted your request #1: you are on call for *{PAYMENTS}*" in told

    # On call now, Dave cannot hand the shift on to someone outside the schedule by a swap.
    said = await oncall(warroom, f"swap @erin {PAYMENTS} today", user=DAVE)
    assert f"neither you nor <@{ERIN}> is in its layers or among its owners" in said
    assert await stored_swaps(warroom) == [] and dms(slack, ERIN) == []


async def test_an_owners_reject_or_no_answer_puts_nobody_on_call(warroom: Warroom) -> None:
    slack = warroom.slack
    _, unanswered = await ask_to_cover(warroom, f"override {PAYMENTS} now for 2h")
    _, rejected = await ask_to_cover(warroom, f"override {PAYMENTS} Fri 18:00 to Mon 09:00")
    assert await press(warroom, OWEN, rejected, CoverMessage.REJECT) == ""
    assert "You rejected it" in rejected.text
    assert f"<@{OWEN}> rejected your request #2" in dms(slack, DAVE)[-1].text
    assert await stored_overrides(warroom) == []
    assert await final_user(warroom, T0 + timedelta(hours=1)) == BOB
    assert await final_user(warroom, paris(14, 12)) == BOB
    # Accepted once the time asked for is over: too late, nothing changes.
    warroom.clock.now = T0 + timedelta(hours=3)
    assert await press(warroom, OWEN, unanswered, CoverMessage.ACCEPT) == ""
    assert "Too late" in unanswered.text
    assert await stored_overrides(warroom) == []


async def test_a_request_that_could_not_be_kept_is_refused_before_the_owners_are_asked(
    warroom: Warroom,
) -> None:
    said = await oncall(warroom, f"override {PAYMENTS} now to 2027-06-01 09:00", user=DAVE)
    assert "override end: more than a year after its start" in said
    said = await oncall(warroom, f"override {PAYMENTS} yesterday 09:00 to today 09:00", user=DAVE)
    assert "which is past" in said
    assert dms(warroom.slack, OWEN) == [] and await stored_overrides(warroom) == []


async def test_without_owners_someone_outside_the_schedule_is_told_to_ask_a_member(
    warroom: Warroom,
) -> None:
    said = await oncall(warroom, "override tokyo-dba now for 2h", user=DAVE)
    assert "the schedule has no `owners:` in the schedule file" in said
    assert await stored_overrides(warroom) == []


# -- guests of the workspace -------------------------------------------------------------------
@pytest.mark.parametrize("guest", ["is_restricted", "is_ultra_restricted"])
async def test_a_guest_gets_none_of_oncall(warroom: Warroom, guest: str) -> None:
    slack = warroom.slack
    slack.add_user(GUEST, "gus", "Gus Vendor", tz="Europe/Paris")
    setattr(slack.users[GUEST], guest, True)
    for text in (
        "",
        PAYMENTS,
        f"calendar {PAYMENTS}",
        "calendar",
        f"override {PAYMENTS} now for 2h",
    ):
        said = await oncall(warroom, text, user=GUEST)
        assert "guests of the workspace cannot see who is on call" in said, text
        assert "<@" not in said and "token=" not in said, text
    assert await stored_overrides(warroom) == []
    assert dms(slack, OWEN) == []
    async with session_scope(warroom.engine) as session:
        assert (await session.exec(select(OncallCalendarToken))).all() == []


async def test_nobody_may_put_a_guest_on_call(warroom: Warroom) -> None:
    slack = warroom.slack
    slack.add_user(GUEST, "gus", "Gus Vendor")
    slack.users[GUEST].is_restricted = True
    said = await oncall(warroom, f"override @gus {PAYMENTS} now for 2h", user=OWEN)
    assert f"<@{GUEST}> cannot be on call: they are a guest of the workspace" in said
    said = await oncall(warroom, f"swap @gus {PAYMENTS} today", user=BOB)
    assert f"<@{GUEST}> cannot be on call: they are a guest of the workspace" in said
    assert await stored_overrides(warroom) == [] and await stored_swaps(warroom) == []
    assert dms(slack, GUEST) == []


async def test_a_guest_the_file_names_is_shown_as_a_gap_not_on_call(warroom: Warroom) -> None:
    warroom.slack.users[BOB].is_restricted = True  # on call now by the schedule file
    said = await oncall(warroom, PAYMENTS)
    assert said.splitlines() == [
        "*On call now* (times in America/Los_Angeles)",
        f"• *{PAYMENTS}*: nobody (<@{BOB}> is named, a guest: cannot be on call) until "
        f"Mon 16 Mar 01:00 PDT, then <@{CAROL}> until Mon 23 Mar 01:00 PDT",
        f":warning: Nobody is on call for *{PAYMENTS}* right now: the schedule file names "
        f"<@{BOB}>, a guest of the workspace, who cannot be on call.",
    ]


@pytest.mark.parametrize(
    ("user", "text", "said"),
    [
        # The clocks go back in Paris on 25 October 2026: 02:30 happens twice.
        (
            ALICE,
            f"override @erin {PAYMENTS} 2026-10-25 02:30 to 2026-10-25 09:00",
            f"*{PAYMENTS}*, start: `2026-10-25 02:30` happens twice in Europe/Paris",
        ),
        # ... and go forward on 29 March: 02:30 never happens.
        (
            ALICE,
            f"override @erin {PAYMENTS} Fri 18:00 to 2026-03-29 02:30",
            f"*{PAYMENTS}*, end: `2026-03-29 02:30` never happens in Europe/Paris",
        ),
        (
            ALICE,
            f"override @erin {PAYMENTS} 03/04/2026 10:00 to Mon 09:00",
            "could be 2026-03-04 or 2026-04-03",
        ),
        (
            ALICE,
            f"override @erin {PAYMENTS} Fri 2026-03-14 18:00 to Mon 09:00",
            "2026-03-14 is a Saturday, not a Friday",
        ),
        (
            ALICE,
            "override @erin payments Fri 18:00 to Mon 09:00",
            f"there is no schedule `payments`. The schedules are `{PAYMENTS}`, `tokyo-dba`",
        ),
        (
            ERIN,
            f"override @bob {PAYMENTS} Fri 18:00 to Mon 09:00",
            f"*{PAYMENTS}*, person: only the schedule's members and owners may put someone "
            "else on call",
        ),
        (ALICE, f"override @erin {PAYMENTS} Fri 18:00", f"*{PAYMENTS}*, when: say from when"),
        (
            ALICE,
            f"override @erin {PAYMENTS} yesterday 09:00 to today 09:00",
            f"*{PAYMENTS}*, end: it would end at Wed 11 Mar 09:00 CET, which is past",
        ),
        (ALICE, "override @erin", "Schedule: name the schedule"),
        (ALICE, f"override @warroom {PAYMENTS} now for 1h", "cannot be on call: Slack says"),
    ],
)
async def test_bad_input_is_refused_naming_the_schedule_and_the_field(
    warroom: Warroom, user: str, text: str, said: str
) -> None:
    answer = await oncall(warroom, text, user=user)
    assert said in answer
    assert (
        "Usage: `/oncall override [@person|nobody] <schedule> [--layer NAME] <start> to <end>`"
        in answer
    )
    assert await stored_overrides(warroom) == []
    assert dms(warroom.slack, ERIN) == [] and dms(warroom.slack, BOB) == []


async def test_an_override_never_rewrites_who_was_on_call(warroom: Warroom) -> None:
    said = await oncall(warroom, f"override {PAYMENTS} yesterday 09:00 to tomorrow 09:00", BOB)
    [row] = await stored_overrides(warroom)
    assert (row.start_at, row.end_at) == (T0, paris(12, 9))
    assert "It starts now, not at Tue 10 Mar 08:00 UTC" in said

    # Once it is over it stays what happened: it can no longer be cancelled.
    warroom.clock.now = paris(12, 10)
    said = await oncall(warroom, f"cancel {row.id}", user=BOB)
    assert f"override #{row.id} (<@{BOB}>) ended at Thu 12 Mar 08:00 UTC" in said
    assert [r.cancelled_at for r in await stored_overrides(warroom)] == [None]


async def test_the_end_is_read_forward_from_the_start(warroom: Warroom) -> None:
    # "Mon 09:00 to Fri 18:00 UTC": Monday 16 March, then the Friday after it.
    await oncall(warroom, f"override @erin {PAYMENTS} Mon 09:00 to Fri 18:00 UTC")
    [row] = await stored_overrides(warroom)
    assert (row.start_at, row.end_at) == (paris(16, 9), datetime(2026, 3, 20, 18, tzinfo=UTC))


# -- cancelling --------------------------------------------------------------------------------
async def test_only_the_author_the_person_on_call_or_an_owner_may_cancel(
    warroom: Warroom,
) -> None:
    slack = warroom.slack
    await oncall(warroom, f"override @erin {PAYMENTS} Fri 18:00 to Mon 09:00")
    await oncall(warroom, f"override @erin {PAYMENTS} Tue 09:00 to Wed 09:00")
    await oncall(warroom, f"override @erin {PAYMENTS} Thu 09:00 to Fri 09:00")
    first, second, third = await stored_overrides(warroom)

    said = await oncall(warroom, f"cancel {first.id}", user=DAVE)
    assert f"override #{first.id} (<@{ERIN}>, made by <@{ALICE}>) may be cancelled only" in said
    said = await oncall(warroom, f"cancel {first.id}", user=BOB)  # a member, but not its author
    assert "may be cancelled only by them or by the schedule's owners" in said
    assert [row.cancelled_at for row in await stored_overrides(warroom)] == [None] * 3

    said = await oncall(warroom, f"cancel {first.id}", user=ALICE)  # its author
    assert f"Override #{first.id} of *{PAYMENTS}* is cancelled" in said
    assert f"<@{ALICE}> cancelled override #{first.id}" in dms(slack, ERIN)[-1].text
    await oncall(warroom, f"cancel #{second.id}", user=ERIN)  # the person it put on call
    await oncall(warroom, f"cancel {third.id}", user=OWEN)  # the schedule's owner
    rows = await stored_overrides(warroom)
    assert [(row.cancelled_by, row.cancelled_at) for row in rows] == [
        (ALICE, T0),
        (ERIN, T0),
        (OWEN, T0),
    ]
    assert await final_user(warroom, paris(14, 12)) == BOB  # the rotation holds again

    said = await oncall(warroom, f"cancel {first.id}", user=ALICE)
    assert "was cancelled already, by U0ALICE" in said
    assert "there is no override #99" in await oncall(warroom, "cancel 99")
    assert "give the override's number" in await oncall(warroom, "cancel soon")


# -- swaps -------------------------------------------------------------------------------------
async def ask(warroom: Warroom, text: str, asker: str, asked: str) -> tuple[str, Message]:
    """``/oncall swap ...`` as ``asker``: what they saw, and the request ``asked`` got."""
    slack = warroom.slack
    before = len(dms(slack, asked))
    said = await oncall(warroom, text, user=asker)
    messages = await slack.wait_for(lambda: dms(slack, asked)[before:], timeout=5)
    return said, messages[-1]


async def test_an_accepted_swap_becomes_a_pair_of_overrides(warroom_any_db: Warroom) -> None:
    warroom, slack = warroom_any_db, warroom_any_db.slack
    said, request = await ask(warroom, f"swap @bob {PAYMENTS} 2026-03-23", ALICE, BOB)
    # Alice's week of 23 March (167 hours: the clocks go forward on the 29th) for Bob's next
    # one, the week of 30 March.
    assert "Swap #1 asked: <@U0BOB> is asked by DM" in said
    assert "Mon 23 Mar 01:00 PDT to Mon 30 Mar 00:00 PDT" in said  # Alice's zone
    assert f"<@{ALICE}> asks you to swap *{PAYMENTS}* shifts" in request.text
    assert "you take theirs: Mon 23 Mar 08:00 UTC to Mon 30 Mar 07:00 UTC" in request.text
    assert "they take yours: Mon 30 Mar 07:00 UTC to Mon 06 Apr 07:00 UTC" in request.text
    actions = [b for b in request.blocks or [] if b["type"] == "actions"]
    assert [e["action_id"] for e in actions[0]["elements"]] == [
        SwapMessage.ACCEPT,
        SwapMessage.DECLINE,
    ]
    assert await stored_overrides(warroom) == []

    assert await press(warroom, BOB, request, SwapMessage.ACCEPT) == ""
    bob_takes, alice_takes = await stored_overrides(warroom)
    [swap] = await stored_swaps(warroom)
    assert (swap.status, swap.answered_by, swap.answered_at) == ("accepted", BOB, T0)
    assert (bob_takes.user_id, bob_takes.start_at, bob_takes.end_at) == (
        BOB,
        paris(23, 9),
        paris(30, 9),
    )
    assert (alice_takes.user_id, alice_takes.start_at, alice_takes.end_at) == (
        ALICE,
        paris(30, 9),
        paris(6, 9, month=4),
    )
    assert {row.kind for row in (bob_takes, alice_takes)} == {"swap"}
    assert {(row.swap_id, row.created_by) for row in (bob_takes, alice_takes)} == {(1, ALICE)}
    assert await final_user(warroom, paris(25, 12)) == BOB
    assert await final_user(warroom, paris(1, 12, month=4)) == ALICE

    # The request now says it was accepted, without its buttons; Alice is told by DM.
    assert "You accepted" in request.text and f"overrides #{bob_takes.id} and" in request.text
    assert not [b for b in request.blocks or [] if b["type"] == "actions"]
    told = dms(slack, ALICE)[-1].text
    assert f"<@{BOB}> accepted swap #1 of *{PAYMENTS}*" in told
    assert f"<@{BOB}> is on call Mon 23 Mar 01:00 PDT to Mon 30 Mar 00:00 PDT" in told

    # Alice asks who is on call after the week has turned: the swap shows.
    warroom.clock.now = paris(24, 12)
    said = await oncall(warroom, PAYMENTS)
    assert f"<@{BOB}> until Mon 30 Mar 00:00 PDT, then <@{ALICE}> until Mon 06 Apr" in said


async def test_a_declined_swap_changes_nothing_and_the_asker_is_told(warroom: Warroom) -> None:
    slack = warroom.slack
    _, request = await ask(warroom, f"swap @carol {PAYMENTS} Mon 23 Mar", ALICE, CAROL)
    assert await press(warroom, CAROL, request, SwapMessage.DECLINE) == ""
    [swap] = await stored_swaps(warroom)
    assert (swap.status, swap.answered_by) == ("declined", CAROL)
    assert await stored_overrides(warroom) == []
    assert "You declined" in request.text
    assert f"<@{CAROL}> declined swap #1" in dms(slack, ALICE)[-1].text
    assert await final_user(warroom, paris(25, 12)) == ALICE


async def test_a_second_press_or_a_press_by_someone_else_changes_nothing(
    warroom_any_db: Warroom,
) -> None:
    warroom = warroom_any_db
    _, request = await ask(warroom, f"swap @bob {PAYMENTS} 2026-03-23", ALICE, BOB)
    said = await press(warroom, CAROL, request, SwapMessage.ACCEPT)
    assert f"Swap #1 asks <@{BOB}>, not you: only they can answer it. Nothing changed." in said
    assert await stored_overrides(warroom) == []

    await press(warroom, BOB, request, SwapMessage.ACCEPT)
    # Bob's client still showed the buttons: he presses Decline, then Accept again.
    for action in (SwapMessage.DECLINE, SwapMessage.ACCEPT):
        said = await warroom_press_stale(warroom, BOB, request, action)
        assert "Swap #1 was accepted already, at 2026-03-11 10:00 UTC. Nothing changed." in said
    assert len(await stored_overrides(warroom)) == 2
    [swap] = await stored_swaps(warroom)
    assert (swap.status, swap.answered_by) == ("accepted", BOB)


async def warroom_press_stale(
    warroom: Warroom, user: str, request: Message, action: SwapMessage
) -> str:
    """A press on the request as it was first shown (a client that has not seen the edit)."""
    slack = warroom.slack
    channel = next(c for c in slack.channels.values() if request in c.messages)
    before = len(slack.ephemeral_for(user))
    response = await slack.click_button(
        channel.id, request.ts, action, user=user, value="1", block_id=SwapMessage.BLOCK
    )
    assert response.status == 200
    await settle(warroom)
    return seen(slack.ephemeral_for(user)[before:])


async def test_two_presses_at_once_make_one_pair_of_overrides(warroom_any_db: Warroom) -> None:
    warroom, slack = warroom_any_db, warroom_any_db.slack
    _, request = await ask(warroom, f"swap @bob {PAYMENTS} 2026-03-23", ALICE, BOB)
    channel = next(c for c in slack.channels.values() if request in c.messages)
    before = len(slack.ephemeral_for(BOB))
    presses = [
        slack.click_button(channel.id, request.ts, action, user=BOB)
        for action in (SwapMessage.ACCEPT, SwapMessage.ACCEPT, SwapMessage.DECLINE)
    ]
    assert [r.status for r in await asyncio.gather(*presses)] == [200, 200, 200]
    await settle(warroom)
    assert len(await stored_overrides(warroom)) in (0, 2)  # accepted (2) or declined (0)
    [swap] = await stored_swaps(warroom)
    told = [m.text for m in slack.ephemeral_for(BOB)[before:]]
    assert len(told) == 2 and all("was " in text and "Nothing changed" in text for text in told)
    assert len(await stored_overrides(warroom)) == (2 if swap.status == "accepted" else 0)
    assert len(dms(slack, ALICE)) == 1  # Alice is told the answer once


async def test_someone_with_no_shift_of_their_own_is_asked_to_cover(warroom: Warroom) -> None:
    said, request = await ask(warroom, f"swap @erin {PAYMENTS} today", BOB, ERIN)
    assert "one-sided cover" in said and "one-sided cover" in request.text
    # Bob's week is under way: what is left of it, from now.
    assert "you take theirs: Wed 11 Mar 06:00 EDT to Mon 16 Mar 04:00 EDT" in request.text
    await press(warroom, ERIN, request, SwapMessage.ACCEPT)
    [row] = await stored_overrides(warroom)
    assert (row.user_id, row.start_at, row.end_at) == (ERIN, T0, paris(16, 9))


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (f"swap {PAYMENTS} 2026-03-23", "Person: name the person with an @-mention"),
        (f"swap @bob {PAYMENTS}", f"*{PAYMENTS}*, shift date: say the date of your shift"),
        (f"swap @alice {PAYMENTS} 2026-03-23", "swap with someone else"),
        (
            f"swap @bob {PAYMENTS} 2026-03-17",
            f"*{PAYMENTS}*, shift date: you are not on call on Tue 17 Mar 2026",
        ),
        (f"swap @bob {PAYMENTS} someday", f"*{PAYMENTS}*, shift date: I could not read"),
    ],
)
async def test_a_swap_that_cannot_be_asked_is_refused(
    warroom: Warroom, text: str, said: str
) -> None:
    answer = await oncall(warroom, text)
    assert said in answer and "Usage: `/oncall swap @person <schedule> <shift date>`" in answer
    assert await stored_swaps(warroom) == [] and dms(warroom.slack, BOB) == []


# -- help --------------------------------------------------------------------------------------
async def test_help_lists_the_table_that_routes(warroom: Warroom) -> None:
    said = await oncall(warroom, "help")
    assert said.startswith("*`/oncall` commands*")
    listed = [line for line in said.splitlines() if line.startswith("• `/oncall ")]
    assert listed == [f"• `/oncall {sub.usage}`: {sub.summary}" for sub in SUBCOMMANDS]
    assert "• `/oncall` with no text says who is on call now and next" in said


async def test_oncall_answers_at_once_after_a_start_ups_handoffs_spent_users_info(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """90 schedules, one person each: at start-up each handoff asks users.info whether its
    person is a guest, all background work may spend of the method's minute (Tier 4: 100,
    the emulator enforcing it over 20 s here). Alice types
    /oncall as they go: she is answered before that window passes (she once waited for it),
    every person on call named as on call (not taken for a guest for want of an answer), and
    Slack answered no call 429."""
    window = 20.0
    slack.rate_window = window
    slack.rate_limits["users.info"] = 100
    people = [f"U0P{number:03d}" for number in range(90)]
    for person in people:
        slack.add_user(person, person.lower(), f"Person {person[3:]}")
    document: dict[str, Any] = {
        "schedules": {
            f"team-{number}": {
                "timezone": "UTC",
                "layers": [
                    {
                        "name": "all",
                        "start": "2026-03-02 09:00",
                        "rotation": "weekly",
                        "members": [person],
                    }
                ],
            }
            for number, person in enumerate(people)
        }
    }
    async with running_warroom(
        slack, sqlite_url, oncall__schedules=parse_schedules(document, now=datetime.now(UTC))
    ) as warroom:
        # The handoffs have spent what background work may of the minute.
        await slack.wait_for(lambda: len(slack.calls_to("users.info")) >= 90, timeout=window)
        first_asked = slack.calls_to("users.info")[0].at
        before = len(slack.ephemeral_for(ALICE))
        await slack.send_command("", user=ALICE, channel=general(slack), command="/oncall")
        await slack.wait_for(lambda: len(slack.ephemeral_for(ALICE)) > before, timeout=2 * window)
        answered = time.monotonic()
        said = seen(slack.ephemeral_for(ALICE)[before:])
        await settle(warroom)
    assert answered < first_asked + window, "the answer waited for users.info's next window"
    assert all(f"*team-{number}*: <@{person}>" in said for number, person in enumerate(people))
    assert "guest" not in said
    assert [call.method for call in slack.calls if call.status == 429] == []
