"""When the team's model is asked for the draft's written sections, and with what: once the
team has said what it knows (the wrap-up form answered or skipped, or left unanswered for
WARROOM_WRAP_UP_WAIT), on ``/incident postmortem``, never before; once; with the wrap-up's
answers, the answers in the :x:'s threads, the alert's description and labels, the follow-ups.
Slack is the emulator, the model the fake OpenAI-compatible server (emulator/openai_chat.py).
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from bot.basics.slack_ids import WrapUpModal, follow_up_input
from emulator import SlackEmulator
from emulator.openai_chat import ChatRequest, FakeChatModel
from tests.conftest import ALICE, BOB, CAROL, Clock, running_warroom
from tests.helpers.alerts import TOKEN, alert, alertmanager, post_alert
from tests.helpers.incidents import settle
from tests.incident.test_wrap_up import chosen, form, typed
from tests.postmortem.test_suggestions import (
    DAVE,
    START,
    Played,
    ai,
    good,
    play,
    sections_asked,
)


def canvases(run: Played) -> list[Any]:
    return [c for c in run.slack.canvases.values() if c["channel_id"] == run.channel.id]


def citing_impact(request: ChatRequest) -> dict[str, Any]:
    """A good answer, and a sentence whose numbers only the wrap-up's impact entry holds."""
    answer = good(request)
    impact = request.ref_of("1200 customers")
    answer["summary"].append(
        {"text": "1200 customers and 340 orders were affected.", "cites": [impact]}
    )
    return answer


async def test_the_model_is_asked_once_the_wrap_up_is_answered_with_everything_said(
    played: Played,
) -> None:
    played.model.reply(citing_impact, times=2)
    # The :x:'s question answered in its thread (42 minutes in: "dead end").
    dead_end = next(m for m in played.channel.messages if "dead end" in m.text)
    await played.slack.post_message(
        played.channel.id,
        "CPU at 12% and no slow query in the log for 20 minutes.",
        user=DAVE,
        thread_ts=dead_end.ts,
    )
    await settle(played.warroom)
    await played.resolve("Rolled back the gateway release", wrap_up="none")
    await played.at(85)
    # Resolved, the form not answered yet: the model not asked, the draft waits for it.
    assert played.model.accepted == []
    assert (
        "The draft, with llama3.1:8b's suggestions, is written once you wrap up or skip, or in"
        " 10 minutes if nobody does." in played.wrap_up_offer().text
    )
    assert canvases(played) == []

    view_id, _ = await form(played.warroom, played.channel, ALICE)
    given = {
        **typed(WrapUpModal.CUSTOMERS, "1200"),
        **typed(WrapUpModal.ORDERS, "340"),
        **typed(WrapUpModal.TRIGGER, "Gateway release gw-2.14.1 dropped card validation"),
        **typed(WrapUpModal.SERVICES, "Payments API, card checkout"),
        **typed(follow_up_input(1, "text"), "Add a contract test per card type"),
        **chosen(follow_up_input(1, "owner"), {"type": "users_select", "selected_user": CAROL}),
    }
    answer = await played.slack.submit_view(view_id, given, user=ALICE)
    assert answer.status == 200
    await settle(played.warroom)

    (request,) = sections_asked(played.model)
    text = "\n".join(request.texts)
    assert "Gateway release gw-2.14.1 dropped card validation" in text
    assert "Payments API, card checkout" in text
    assert "1200 customers" in text and "340 orders" in text
    assert "CPU at 12% and no slow query in the log for 20 minutes." in text
    assert "Add a contract test per card type (owner: Carol Tanaka)" in text
    # Each entry once: the thread's answer is said with its :x:, not as a line of its own.
    assert text.count("CPU at 12%") == 1
    # The numbers of the wrap-up's entry are held by it: the sentence citing it is kept.
    (canvas,) = canvases(played)
    assert "1200 customers and 340 orders were affected." in canvas["markdown"]
    assert "Not supported by the record" not in canvas["markdown"]

    # Answered again, skipped, left for longer than the wait: never asked again.
    again_id, _ = await form(played.warroom, played.channel, BOB)
    await played.slack.submit_view(again_id, typed(WrapUpModal.REQUESTS, "45000"), user=BOB)
    await played.at(80 + 60)
    assert len(sections_asked(played.model)) == 1


async def test_skipping_the_wrap_up_asks_the_model(
    played: Played,
) -> None:
    played.model.reply(good)
    await played.run("public Card payments")
    await played.run("update --public Some card payments fail at checkout, 25% of them.")
    await played.resolve("Rolled back the gateway release", wrap_up="none")
    assert played.model.accepted == []
    await played.slack.click_button(
        played.channel.id, played.wrap_up_offer().ts, "skip_wrap_up", user=BOB
    )
    await settle(played.warroom)
    (request,) = sections_asked(played.model)
    # What the status page said, each update once: here, an entry of its own.
    said = "\n".join(request.texts)
    assert said.count("Some card payments fail at checkout, 25% of them.") == 1
    assert request.ref_of("Some card payments fail at checkout")
    assert "Suggested by" in str(canvases(played)[0]["markdown"])


async def test_left_unanswered_the_model_is_asked_after_warroom_wrap_up_wait(
    people: SlackEmulator,
    database_url: str,
    model: FakeChatModel,
) -> None:
    settings = ai(model, wrap_up_wait=timedelta(minutes=15))
    async for run in play(people, database_url, model, ai=settings):
        model.reply(good, times=2)
        await run.resolve("Rolled back the gateway release", wrap_up="none")
        await run.at(80 + 14)
        assert model.accepted == [] and canvases(run) == []
        await run.at(80 + 15)
        assert len(sections_asked(model)) == 1
        assert "Suggested by" in str(canvases(run)[0]["markdown"])
        posted = [m for m in run.channel.messages if "Postmortem draft:" in m.text]
        assert len(posted) == 1
        # The form answered afterwards brings the draft up to date, and asks nothing.
        await run.slack.click_button(
            run.channel.id, run.wrap_up_offer().ts, "skip_wrap_up", user=BOB
        )
        await run.at(80 + 40)
        assert len(sections_asked(model)) == 1


async def test_reopened_while_waiting_nothing_is_asked_until_resolved_again(
    played: Played,
) -> None:
    played.model.reply(good, times=2)
    await played.resolve("Rolled back the gateway release", wrap_up="none")
    await played.run("status investigating")
    await played.at(80 + 11)
    assert played.model.accepted == []
    await played.resolve("Rolled back for good")
    assert len(sections_asked(played.model)) == 1


async def test_incident_postmortem_asks_at_once_while_the_wrap_up_waits(
    played: Played,
) -> None:
    played.model.reply(good, times=2)
    await played.resolve("Rolled back the gateway release", wrap_up="none")
    await played.run("postmortem")
    assert len(sections_asked(played.model)) == 1
    # The job that waited was the one asked: the wait passing asks nothing more.
    await played.at(80 + 30)
    assert len(sections_asked(played.model)) == 1


async def test_the_alerts_description_and_labels_reach_the_model(
    people: SlackEmulator,
    sqlite_url: str,
    model: FakeChatModel,
) -> None:
    model.reply(good_for_alert)
    async with running_warroom(
        people, sqlite_url, Clock(START), alerting__token=TOKEN, ai=ai(model)
    ) as warroom:
        firing = alert("CheckoutErrors", "web-1", "2025-03-14T03:00:00Z", common={"team": "pay"})
        notification = alertmanager("CheckoutErrors", [firing], common={"team": "pay"})
        notification = copy.deepcopy(notification)
        notification["commonAnnotations"]["description"] = (
            "5xx ratio on /checkout above 2% for 5 minutes"
        )
        status, _ = await post_alert(warroom.url, "alertmanager", notification)
        assert status == 202
        await settle(warroom)
        channel = await people.wait_for(
            lambda: next((c for c in people.channels.values() if c.name.startswith("inc-")), None)
        )
        await settle(warroom)
        warroom.clock.now = START + timedelta(minutes=30)
        await people.send_command("resolve", user=ALICE, channel=channel.id)
        await settle(warroom)
        assert model.accepted == []
        warroom.clock.now = START + timedelta(minutes=41)
        await settle(warroom)
    (request,) = sections_asked(model)
    (detection,) = [line for line in request.lines if "(detection)" in line]
    assert "Description: 5xx ratio on /checkout above 2% for 5 minutes" in detection
    assert "team=pay" in detection


def good_for_alert(request: ChatRequest) -> dict[str, Any]:
    detection = request.ref_of("CheckoutErrors")
    return {"summary": [{"text": "The checkout 5xx ratio went above 2%.", "cites": [detection]}]}
