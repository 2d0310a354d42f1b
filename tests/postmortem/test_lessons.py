"""The day-after lessons DM, end to end through the Slack emulator: who is asked (people who
wrote in the channel; not apps, not guests), once; Answer opens a form whose two lines land in
the draft's lessons sections with their authors (the channel's canvas brought up to date);
Skip says no; neither is asked again, even after a reopening."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import select

from bot.basics.slack_ids import LessonsModal
from bot.flows.postmortem.posting import write_draft
from bot.store.db import session_scope
from bot.store.models import Incident, LessonsPrompt
from emulator import Channel, Message, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, running_warroom
from tests.helpers.incidents import command, open_incident, settle

DAVE = "U0DAVE"  # a guest of the workspace: a vendor's engineer
ERIN = "U0ERIN"  # joined the channel, never wrote
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def asked(slack: SlackEmulator, user: str) -> list[Message]:
    return [m for m in slack.direct_messages(user) if "One thing that went well" in m.text]


def dm_of(slack: SlackEmulator, message: Message) -> Channel:
    return next(c for c in slack.channels.values() if message in c.messages)


async def lessons_form(slack: SlackEmulator) -> tuple[str, dict[str, Any]]:
    found: tuple[str, dict[str, Any]] = await slack.wait_for(
        lambda: next(
            ((i, v) for i, v in slack.views.items() if v["callback_id"] == LessonsModal.CALLBACK),
            None,
        )
    )
    return found


def lines(went_well: str | None, went_wrong: str | None) -> dict[str, dict[str, Any]]:
    """The form's state as Slack sends it: each input's value (left empty: no value)."""
    return {
        block: {block: {"type": "plain_text_input", "value": value}}
        for block, value in (
            (LessonsModal.WENT_WELL, went_well),
            (LessonsModal.WENT_WRONG, went_wrong),
        )
    }


async def draft_of(warroom: Warroom) -> str:
    async with session_scope(warroom.engine) as session:
        incident = (await session.exec(select(Incident))).one()
    assert incident.id is not None
    return (await write_draft(warroom.services, incident.id, ask_slack=False)).markdown


async def fought_incident(warroom: Warroom) -> Channel:
    """An incident Alice, Bob, Carol and Dave wrote in, an app posted in, Erin only joined."""
    slack = warroom.slack
    channel = await open_incident(warroom)
    await command(warroom, channel, "escalate @bob")
    await command(warroom, channel, "escalate @carol")
    await command(warroom, channel, "escalate @dave")
    await command(warroom, channel, "escalate @erin")
    await slack.post_message(channel.id, "Checkout 500s since 08:50", user=ALICE)
    await slack.post_message(channel.id, "Looking at the gateway", user=BOB)
    first = await slack.post_message(channel.id, "Vendor side looks fine", user=DAVE)
    await slack.post_message(channel.id, "same here", user=CAROL, thread_ts=first.ts)
    await slack.post_as_app(channel.id, "Alert resolved: CheckoutErrors", name="Grafana")
    await settle(warroom)
    await command(warroom, channel, "resolve")
    return channel


async def test_the_day_after_each_participant_is_asked_once_and_answers_land_in_the_draft(
    slack: SlackEmulator, database_url: str
) -> None:
    slack.add_user(DAVE, "dave", "Dave Vendor").is_restricted = True
    slack.add_user(ERIN, "erin", "Erin Lindqvist")
    async with running_warroom(
        slack, database_url, Clock(NOW), incidents__postmortem_style="sre"
    ) as warroom:
        channel = await fought_incident(warroom)
        await warroom.advance(hours=23, minutes=59)
        assert not any(asked(slack, user) for user in (ALICE, BOB, CAROL))
        await warroom.advance(minutes=1)
        # Those who wrote, thread replies included; not the guest, nor who only joined.
        for user in (ALICE, BOB, CAROL):
            (question,) = asked(slack, user)
            assert "*INC-1* (Checkout down) was resolved Tue 2026-03-10 09:0" in question.text
        assert not asked(slack, DAVE) and not asked(slack, ERIN)

        (question,) = asked(slack, BOB)
        await slack.click_button(dm_of(slack, question).id, question.ts, "answer_lessons", user=BOB)
        view_id, view = await lessons_form(slack)
        assert view["title"]["text"] == "Lessons of INC-1"
        empty = await slack.submit_view(view_id, lines(None, None), user=BOB)
        assert empty.json()["errors"] == {
            "went_well": "Say one thing, or close the form and press Skip."
        }
        answer = await slack.submit_view(
            view_id,
            lines("The page reached Carol in a minute", "We chased the database & lost 12 min"),
            user=BOB,
        )
        assert answer.status == 200
        await settle(warroom)
        assert "Thank you: your lessons from *INC-1*" in slack.direct_messages(BOB)[-1].text
        assert slack.direct_messages(BOB)[-1].blocks in ([], None)  # the buttons are gone

        (carols,) = asked(slack, CAROL)
        await slack.click_button(dm_of(slack, carols).id, carols.ts, "skip_lessons", user=CAROL)
        await settle(warroom)
        assert (
            "Skipped: nothing of yours goes in the postmortem"
            in slack.direct_messages(CAROL)[-1].text
        )

        draft = await draft_of(warroom)
        well = draft.split("### What went well", 1)[1].split("###", 1)[0]
        wrong = draft.split("### What went wrong", 1)[1].split("###", 1)[0]
        assert "- The page reached Carol in a minute (Bob Okafor)" in well
        assert "- We chased the database &amp; lost 12 min (Bob Okafor)" in wrong  # Markdown's &
        assert "To be written" not in well and "Carol" not in wrong
        # The channel's canvas has it too, brought up to date quietly.
        (canvas,) = [c for c in slack.canvases.values() if c["channel_id"] == channel.id]
        assert "The page reached Carol in a minute (Bob Okafor)" in canvas["markdown"]

        # Reopened and resolved again: the day after, nobody is asked a second time.
        people = (ALICE, BOB, CAROL)
        dms = [len(slack.direct_messages(user)) for user in people]
        await command(warroom, channel, "status investigating")
        await command(warroom, channel, "resolve")
        await warroom.advance(days=1, minutes=1)
        assert [len(slack.direct_messages(user)) for user in people] == dms
        async with session_scope(warroom.engine) as session:
            rows = (await session.exec(select(LessonsPrompt))).all()
        assert sorted(row.user_id for row in rows) == sorted([ALICE, BOB, CAROL])


async def test_a_pressed_question_is_not_answered_twice_and_skipping_keeps_nothing(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    slack.add_user(DAVE, "dave", "Dave Vendor")
    slack.add_user(ERIN, "erin", "Erin Lindqvist")
    async with running_warroom(slack, sqlite_url, Clock(NOW)) as warroom:
        await fought_incident(warroom)
        await warroom.advance(days=1)
        (daves,) = asked(slack, DAVE)  # a member, not a guest, this time
        dm = dm_of(slack, daves)
        value = str(daves.blocks[1]["elements"][0]["value"])  # type: ignore[index]
        await slack.click_button(dm.id, daves.ts, "skip_lessons", user=DAVE)
        await settle(warroom)
        before = len(slack.ephemeral_for(DAVE))
        # A second client that still shows the buttons: Answer, pressed there.
        await slack.click_button(
            dm.id, daves.ts, "answer_lessons", user=DAVE, value=value, block_id="lessons"
        )
        await settle(warroom)
        assert "You skipped this question." in slack.ephemeral_for(DAVE)[before].text
        draft = await draft_of(warroom)
        assert "## Lessons learned" not in draft  # nobody answered: the default style adds none
        (alices,) = asked(slack, ALICE)
        await slack.click_button(dm_of(slack, alices).id, alices.ts, "answer_lessons", user=ALICE)
        view_id, _ = await lessons_form(slack)
        await slack.submit_view(view_id, lines(None, "Nobody owned comms"), user=ALICE)
        await settle(warroom)
        draft = await draft_of(warroom)
        lessons = draft.split("## Lessons learned", 1)[1]
        assert "### What went well\n\n_Nobody said._" in lessons
        assert "- Nobody owned comms (Alice Moreau)" in lessons
