"""The questions warroom asks for the draft in a marked message's thread, and the facts the
draft reads from their answers and from the record: at a :x:, what ruled the idea out; at a
:white_check_mark:, did it work and when did the impact end; a message marked recovered; each
answered in one click or one line, or skipped, through the Slack emulator.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from bot.basics.slack_ids import RuledOutPrompt, WorkedPrompt
from bot.config import Settings
from bot.store.db import session_scope
from bot.store.models import DraftPrompt, Incident
from tests.conftest import ALICE, BOB, CAROL, Warroom
from tests.helpers.records import section
from tests.helpers.replay import Replay
from tests.postmortem.test_postmortem_commands import last_private

DAVE = "U0DAVE"
DAY = datetime(2023, 11, 7, 10, 0, tzinfo=UTC)


async def draft_of(play: Replay, clock_time: str) -> str:
    await play.run(clock_time, ALICE, "postmortem")
    return play.canvas()


async def the_incident(warroom: Warroom) -> Incident:
    async with session_scope(warroom.engine) as session:
        (incident,) = (await session.exec(select(Incident))).all()
        return incident


async def test_a_dead_end_is_asked_what_ruled_it_out_and_skipping_keeps_it_the_idea(
    play: Replay,
) -> None:
    await play.say("10:05 AM", DAVE, "Maybe the CDN? Purging caches.", "x", by=DAVE)
    question = play.question("10:05 AM")
    assert "*What ruled it out?*" in question.text
    assert "reply in this thread" in question.text
    # Marked again by someone else: one question per message.
    await play.react("10:06 AM", "10:05 AM", "x", by=BOB)
    assert (
        len(
            [
                r
                for r in play.warroom.slack.find_message(
                    play.channel,
                    play.ts("10:05 AM"),  # type: ignore[arg-type]
                ).replies
                if r.bot_id
            ]
        )
        == 1
    )

    await play.press("10:07 AM", question, RuledOutPrompt.SKIP, by=DAVE)
    skipped = play.question("10:05 AM")
    assert "Skipped by <@U0DAVE>: the draft takes this message as the idea" in skipped.text
    assert len(skipped.blocks or []) == 1  # no buttons left
    await play.say("10:20 AM", BOB, "CDN is fine, caches were cold anyway.", "pushpin")

    paths = section(await draft_of(play, "10:30 AM"), "## Misleading investigation paths")
    assert "- Maybe the CDN? Purging caches. (" in paths
    assert "Dave Kowalski) — ruled out " in paths
    assert "Bob Okafor: “CDN is fine, caches were cold anyway.”. 15 minutes." in paths
    async with session_scope(play.warroom.engine) as session:
        (prompt,) = (await session.exec(select(DraftPrompt))).all()
    assert (prompt.kind, prompt.answer, prompt.answered_by) == ("ruled_out", "skipped", DAVE)


async def test_a_refutation_marked_as_a_dead_end_is_said_to_rule_out_an_earlier_idea(
    play: Replay,
) -> None:
    """The demo's way: the :x: put on what ruled the idea out, and its question answered."""
    await play.say("10:30 AM", DAVE, "Database connections look saturated, checking the pool.")
    await play.say("10:35 AM", CAROL, "Error rate is 20% on checkout.")
    await play.say("10:42 AM", DAVE, "Database is healthy, that was a dead end.", "x", by=DAVE)
    await play.press("10:43 AM", play.question("10:42 AM"), RuledOutPrompt.RULES_OUT, by=DAVE)
    offered = play.question("10:42 AM")
    assert "*Which idea does this message rule out?*" in offered.text
    quoted = [str(block.get("text", {}).get("text")) for block in offered.blocks or []]
    # Newest first, the marked message itself not among them.
    assert "Error rate is 20% on checkout." in quoted[1]
    assert "Database connections look saturated" in quoted[2]
    assert not any("dead end" in text for text in quoted[1:])
    idea = offered.blocks[2]  # type: ignore[index]
    await play.press(
        "10:43 AM",
        offered,
        RuledOutPrompt.IDEA,
        by=DAVE,
        value=idea["accessory"]["value"],
        block_id=idea["block_id"],
    )
    answered = play.question("10:42 AM")
    assert "this message rules out the idea of 10:30 UTC (<@U0DAVE>)" in answered.text
    assert "12 minutes from the idea to this message" in answered.text

    draft = await draft_of(play, "10:50 AM")
    paths = section(draft, "## Misleading investigation paths")
    assert paths.strip().startswith(
        "- Database connections look saturated, checking the pool. ([10:30 AM]("
    )
    assert "— ruled out [10:42 AM](" in paths
    assert "Dave Kowalski: “Database is healthy, that was a dead end.”. 12 minutes." in paths
    # One path: the refutation is not an idea of its own.
    assert len([line for line in paths.splitlines() if line.startswith("- ")]) == 1
    assert "_what ruled out an idea_: Database is healthy" in draft


async def test_a_fix_is_asked_whether_it_worked_and_a_time_typed_sets_impact_ended(
    play: Replay,
) -> None:
    await play.say("10:30 AM", DAVE, "Rolling back the gateway release.", "white_check_mark")
    question = play.question("10:30 AM")
    assert "*Did it work? When did the impact end?*" in question.text
    assert ":large_green_circle:" in question.text
    await play.press("10:45 AM", question, WorkedPrompt.AT, by=CAROL)
    slack = play.warroom.slack
    view_id, view = next(
        (i, v) for i, v in slack.views.items() if v["callback_id"] == WorkedPrompt.CALLBACK
    )
    assert "(UTC)" in view["blocks"][0]["label"]["text"]

    def typed(text: str) -> dict[str, dict[str, dict[str, str]]]:
        return {WorkedPrompt.WHEN: {WorkedPrompt.WHEN: {"type": "plain_text_input", "value": text}}}

    refused = await slack.submit_view(view_id, typed("soonish"), user=CAROL)
    assert WorkedPrompt.WHEN.value in refused.json()["errors"]
    refused = await slack.submit_view(view_id, typed("11:30"), user=CAROL)  # the future
    assert "future" in refused.json()["errors"][WorkedPrompt.WHEN.value]
    await slack.submit_view(view_id, typed("10:41"), user=CAROL)
    await play.settle()
    answered = play.question("10:30 AM")
    assert "Noted, <@U0CAROL>: it worked, and the impact ended at 2023-11-07 10:41 UTC" in (
        answered.text
    )
    assert (await the_incident(play.warroom)).ended_at == datetime(2023, 11, 7, 10, 41, tzinfo=UTC)

    draft = await draft_of(play, "10:50 AM")
    assert "| Impact ended | November 7, 2023, 10:41 AM UTC | set by Carol Tanaka |" in draft
    assert "It worked: confirmed at 10:41 AM UTC, impact ended, set by hand." in draft
    assert "| Time to mitigate | 41 minutes |" in draft  # impact started = declared, 10:00
    assert "- **10:41 AM** _impact ended_ (time set by Carol Tanaka)" in draft


async def test_a_fix_answered_now_and_a_fix_skipped(play: Replay) -> None:
    await play.say("10:20 AM", DAVE, "Purged the CDN.", "white_check_mark")
    await play.press("10:21 AM", play.question("10:20 AM"), WorkedPrompt.SKIP, by=DAVE)
    skipped = play.question("10:20 AM")
    assert "Skipped by <@U0DAVE>" in skipped.text and len(skipped.blocks or []) == 1
    assert (await the_incident(play.warroom)).ended_at is None

    await play.say("10:30 AM", DAVE, "Rolled back the gateway.", "white_check_mark")
    await play.press("10:34 AM", play.question("10:30 AM"), WorkedPrompt.NOW, by=DAVE)
    assert (await the_incident(play.warroom)).ended_at == datetime(2023, 11, 7, 10, 34, tzinfo=UTC)
    draft = await draft_of(play, "10:40 AM")
    assert "**Duration:** 10:00 AM to 10:34 AM UTC, November 7, 2023 (34 minutes)\n\n" in draft
    assert "- Mitigation started at [10:20 AM](" in draft  # the first fix
    assert "It worked: confirmed at 10:34 AM UTC, impact ended, set by hand." in draft


async def test_impact_ended_answered_after_the_resolution_is_refused(play: Replay) -> None:
    await play.say("10:30 AM", DAVE, "Rolled back the gateway.", "white_check_mark")
    await play.run("10:40 AM", ALICE, "resolve")
    await play.press("10:50 AM", play.question("10:30 AM"), WorkedPrompt.NOW, by=DAVE)
    assert "would be after *resolved*" in last_private(play.warroom.slack, DAVE)
    assert (await the_incident(play.warroom)).ended_at is None
    assert "*Did it work?" in play.question("10:30 AM").text  # still asked


async def test_a_message_marked_recovered_proposes_when_the_impact_ended(play: Replay) -> None:
    await play.say("10:30 AM", DAVE, "Rolled back the gateway.", "white_check_mark")
    await play.say("10:36 AM", CAROL, "Error rate back to baseline.", "large_green_circle")
    draft = await draft_of(play, "10:40 AM")
    assert "**Duration:** 10:00 AM to 10:36 AM UTC, November 7, 2023 (36 minutes)\n" in draft
    assert "The end is proposed from the last message marked recovered, to confirm:" in draft
    assert (
        "| Impact ended | November 7, 2023, 10:36 AM UTC | proposed from the last message"
        " marked recovered, to confirm" in draft
    )
    assert "It worked: confirmed at [10:36 AM](" in draft
    assert "a message was marked recovered." in draft
    assert (
        "_recovered_: Error rate back to baseline. (Carol Tanaka) — impact ended? Proposed"
        " from the last message marked recovered, to confirm" in draft
    )

    await play.run("10:41 AM", ALICE, "time ended 10:35")
    draft = await draft_of(play, "10:42 AM")
    assert "**Duration:** 10:00 AM to 10:35 AM UTC, November 7, 2023 (35 minutes)\n\n" in draft
    assert "proposed" not in section(draft, "## Key times and metrics")
    assert "- **10:35 AM** _impact ended_ (time set by Alice Moreau)" in draft

    # Set to the minute of the message that says so: one fact, one line.
    await play.run("10:43 AM", ALICE, "time ended 10:36")
    timeline = section(await draft_of(play, "10:44 AM"), "## Timeline")
    assert (
        "_recovered_: Error rate back to baseline. (Carol Tanaka) — impact ended (time set by"
        " Alice Moreau)" in timeline
    )
    assert "_impact ended_" not in timeline


async def test_a_mitigation_set_by_hand_confirms_the_fix(play: Replay) -> None:
    await play.say("10:30 AM", DAVE, "Rolled back the gateway.", "white_check_mark")
    await play.run("10:45 AM", ALICE, "time mitigated 10:38")
    draft = await draft_of(play, "10:46 AM")
    assert "| Time to mitigate | 38 minutes |" in draft
    assert "| Mitigated | November 7, 2023, 10:38 AM UTC | set by Alice Moreau; the fix" in draft
    assert "It worked: confirmed at 10:38 AM UTC, set with `/incident time mitigated` by" in draft
    # The confirmed mitigation is the impact end proposed when nothing else says.
    assert "The end is proposed from the confirmed mitigation, to confirm:" in draft


def test_recovered_is_a_reaction_kind_an_operator_can_map() -> None:
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s" * 32,
            "WARROOM_REACTIONS": "white_check_mark=mitigation,sunny=recovered",
        }
    )  # validated: a kind it did not know would be refused here
    assert settings.incidents.reactions["sunny"] == "recovered"
