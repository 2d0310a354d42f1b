"""The draft's written sections suggested by the team's own model (WARROOM_AI_*), end to end:
Slack is the emulator, the model a fake OpenAI-compatible server on 127.0.0.1 that refuses
any request OpenAI's published description does not allow (emulator/openai_chat.py). The
draft is read where people read it: the channel's canvas, the web view.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.basics.slack_ids import SuggestionMessage, SuggestionModal
from bot.config import Secret
from bot.config.ai import AISettings
from emulator import Channel, SlackEmulator
from emulator.fake_http import FakeHttpServer
from emulator.openai_chat import BASE_PATH, ChatRequest, FakeChatModel
from tests.conftest import ALICE, BOB, CAROL, KEY, MODEL, Clock, Warroom, running_warroom
from tests.helpers import verifiers
from tests.helpers.incidents import settle
from tests.helpers.web_view import browser, csrf_of, sign_in, web_settings

DAVE = "U0DAVE"
START = datetime(2025, 3, 14, 3, 0, tzinfo=UTC)
# What is said in the channel, minutes after the start, and the reaction that marks it.
SAID = [
    (30, DAVE, "Slow queries on the orders database? Checking the DB logs.", "mag"),
    (42, DAVE, "Database is healthy, that was a dead end.", "x"),
    (
        50,
        CAROL,
        "Gateway release gw-2.14.1 at 03:20 broke card validation: 25% of payments fail.",
        "bulb",
    ),
    (70, BOB, "Rolling back gw-2.14.1 now.", "white_check_mark"),
]


@dataclass
class Played:
    warroom: Warroom
    model: FakeChatModel
    channel: Channel

    @property
    def slack(self) -> SlackEmulator:
        return self.warroom.slack

    async def at(self, minutes: int) -> None:
        self.warroom.clock.now = START + timedelta(minutes=minutes)
        await settle(self.warroom)

    async def run(self, text: str, user: str = ALICE) -> None:
        await self.slack.send_command(text, user=user, channel=self.channel.id)
        await settle(self.warroom)

    async def resolve(self, summary: str, *, wrap_up: str = "skip") -> None:
        """Resolve, then answer the wrap-up's offer as the team does: ``skip`` (Bob presses
        Skip), or ``none`` (left unanswered). The model is asked once it is answered."""
        await self.run(f"resolve {summary}")
        if wrap_up == "skip":
            await self.slack.click_button(
                self.channel.id, self.wrap_up_offer().ts, "skip_wrap_up", user=BOB
            )
            await settle(self.warroom)

    def wrap_up_offer(self) -> Any:
        """The latest message with the wrap-up's buttons."""
        return [
            m
            for m in self.channel.messages
            if any(b.get("block_id") == "wrap_up" for b in m.blocks or [])
        ][-1]

    def canvas(self) -> str:
        """The channel's canvas as a reader's Markdown reads its escapes."""
        (canvas,) = [c for c in self.slack.canvases.values() if c["channel_id"] == self.channel.id]
        return html.unescape(str(canvas["markdown"]))

    def link(self, minutes: int) -> str:
        """The Slack link of the message said that many minutes after the start."""
        moment = START + timedelta(minutes=minutes)
        ts = f"{int(moment.timestamp())}000100"
        return f"https://{self.slack.team_domain}.slack.com/archives/{self.channel.id}/p{ts}"

    async def press(self, message: Any, action: str, suggestion_id: int, user: str) -> None:
        """Press a section's button (Accept or Edit) in the suggestions message."""
        await self.slack.click_button(
            self.channel.id,
            message.ts,
            action,
            user=user,
            value=str(suggestion_id),
            block_id=f"suggestion.{suggestion_id}",
        )

    def suggestions_message(self) -> Any:
        return next(m for m in self.channel.messages if "suggests the written sections" in m.text)


# A verifier that supports each of ``good``'s sentences with its first entry's words, and
# reads the controls right: the suggestions' meaning checked, in the draft's text.
TRUTHFUL = verifiers.truthful(lambda _: True, whole=True)


def good(request: ChatRequest) -> dict[str, Any]:
    """What a model that keeps to the record answers."""
    mag, x = request.ref_of("Slow queries"), request.ref_of("dead end")
    bulb, fix = request.ref_of("gw-2.14.1 at 03:20"), request.ref_of("Rolling back")
    return {
        "summary": [
            {
                "text": "Card payments failed after gateway release gw-2.14.1 broke card "
                "validation.",
                "cites": [bulb],
            },
            {
                "text": "Dave suspected the orders database at 3:30 and ruled it out at 3:42, "
                "12 minutes later.",
                "cites": [mag, x],
            },
        ],
        "underlying_issue": [
            {
                "text": "The 03:20 release broke card validation for 25% of payments.",
                "cites": [bulb],
            }
        ],
        "resolution": [{"text": "Bob rolled back gw-2.14.1 at 04:10.", "cites": [fix]}],
        "lessons": [{"text": "Test card validation before a gateway release.", "cites": [bulb]}],
    }


def some_unsupported(request: ChatRequest) -> dict[str, Any]:
    """A good answer, with a sentence of each kind the checks leave out."""
    answer = good(request)
    bulb, fix = request.ref_of("gw-2.14.1 at 03:20"), request.ref_of("Rolling back")
    answer["summary"] += [
        {"text": "The outage began in the payments service.", "cites": ["E999999"]},
        {"text": "The rollback finished at 4:25.", "cites": [fix]},
        {"text": "About 40% of payments failed.", "cites": [bulb]},
        {"text": "Three hundred and 12 card payments failed.", "cites": [bulb]},
        {"text": "Customers called support.", "cites": [bulb]},
        {"text": "Alice approved the rollback.", "cites": [fix]},
        {"text": "Everyone worked well together.", "cites": []},
    ]
    return answer


def ai(model: FakeChatModel, **changes: Any) -> AISettings:
    # The draft's requests alone: the possible causes (tests/postmortem/test_causes.py) off.
    settings = AISettings(
        url=model.base_url, model=MODEL, key=Secret(KEY), timeout=5.0, causes=False
    )
    return AISettings(**{**settings.__dict__, **changes})


async def play(
    people: SlackEmulator,
    url: str,
    model: FakeChatModel,
    *,
    private: bool = False,
    **settings: Any,
) -> AsyncIterator[Played]:
    """An incident declared at START, its moments marked, not resolved yet."""
    settings.setdefault("ai", ai(model))
    async with running_warroom(people, url, Clock(START), **settings) as warroom:
        general = people.channel_by_name("general")
        assert general is not None
        flag = "--private " if private else ""
        await people.send_command(f"start {flag}Card payments fail", user=ALICE, channel=general.id)
        channel: Channel = await people.wait_for(
            lambda: next((c for c in people.channels.values() if c.name.startswith("inc-")), None)
        )
        await people.wait_for(lambda: channel.pins)
        played = Played(warroom, model, channel)
        for minutes, user, text, reaction in SAID:
            await played.at(minutes)
            moment = START + timedelta(minutes=minutes)
            # Only its members speak in a private channel: there, the declarer says it all.
            said = await people.post_message(
                channel.id,
                text,
                user=ALICE if private else user,
                ts=f"{int(moment.timestamp())}.000100",
            )
            await people.add_reaction(channel.id, said.ts, reaction, user=ALICE)
        await played.at(80)
        yield played


@pytest.fixture
async def played_any_db(
    people: SlackEmulator, database_url: str, model: FakeChatModel
) -> AsyncIterator[Played]:
    """The same, on SQLite and on PostgreSQL."""
    async for each in play(people, database_url, model):
        yield each


def sections_asked(model: FakeChatModel) -> list[ChatRequest]:
    """The requests for the written sections (each is followed by one for verdicts)."""
    return [each for each in model.accepted if each.format_name == "postmortem_sections"]


def _section(draft: str, heading: str) -> str:
    start = draft.index(heading)
    level = heading.split(" ")[0] + " "
    rest = draft[start + len(heading) :]
    ends = [
        m.start()
        for m in re.finditer(rf"^{re.escape(level)}|^#{{1,{len(level) - 1}}} ", rest, re.M)
    ]
    return rest[: min(ends)] if ends else rest


# -- what the model is sent ------------------------------------------------------------------
async def test_the_model_gets_the_record_as_openai_publishes_the_request(played: Played) -> None:
    played.model.reply(good)
    await played.resolve("Rolled back the gateway release")

    request, verdicts = played.model.accepted
    assert verdicts.format_name == "warroom_verdicts"
    assert [r.status for r in played.model.requests] == [200, 200]
    sent = played.model.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["Authorization"] == f"Bearer {KEY}"
    assert request.model == MODEL
    assert request.body["response_format"]["type"] == "json_schema"
    assert request.body["response_format"]["json_schema"]["strict"] is True
    # A line per entry, its reference first, its time in the incident's zone.
    x = request.ref_of("dead end")
    line = f"[{x}] 03:42 UTC (misleading path) Dave Kowalski: Database is healthy, that was a"
    assert f"{line} dead end." in request.lines
    # Nothing but the record's words: no Slack ids, no links.
    text = "\n".join(request.texts)
    assert "U0DAVE" not in text and played.channel.id not in text and "slack.com" not in text


# -- a good answer ---------------------------------------------------------------------------
async def test_a_good_answer_is_suggested_with_its_citations_linked(played: Played) -> None:
    played.model.reply(good)
    played.model.verdicts(TRUTHFUL)
    await played.resolve("Rolled back the gateway release")

    draft = played.canvas()
    summary = _section(draft, "## Issue summary")
    assert "Card payments failed after gateway release gw-2.14.1 broke card validation." in summary
    request = played.model.accepted[0]
    bulb = request.ref_of("gw-2.14.1 at 03:20")
    assert f"([3:50 AM, Carol Tanaka]({played.link(50)}))" in summary
    assert f"Suggested by {MODEL} on March 14, 2025" in summary and "not yet accepted" in summary
    # The times and the 12 minutes are the cited entries' own: kept.
    assert "ruled it out at 3:42, 12 minutes later." in summary
    assert "Not supported by the record" not in draft
    assert "Bob rolled back gw-2.14.1 at 04:10." in _section(draft, "### Resolution")
    assert "Test card validation before a gateway release." in _section(draft, "## Lessons learned")
    # Metrics stay computed by code.
    assert "| Time to resolve |" in draft

    message = played.suggestions_message()
    # Cited as the draft cites, never as [E12].
    assert f"<{played.link(50)}|03:50 UTC, Carol Tanaka>" in json.dumps(message.blocks)
    assert f"[{bulb}]" not in json.dumps(message.blocks)


# -- sentences the record does not support ---------------------------------------------------
async def test_sentences_the_record_does_not_support_are_left_out_with_why(played: Played) -> None:
    played.model.reply(some_unsupported)
    await played.resolve("Rolled back the gateway release")

    draft = played.canvas()
    summary = _section(draft, "## Issue summary")
    text, _, left_out = summary.partition("Not supported by the record, left out of the text:")
    for sentence in (
        "The outage began in the payments service.",
        "The rollback finished at 4:25.",
        "About 40% of payments failed.",
        "Three hundred and 12 card payments failed.",
        "Customers called support.",
        "Alice approved the rollback.",
        "Everyone worked well together.",
    ):
        assert sentence not in text, sentence
        assert f'"{sentence}"' in left_out, sentence
    assert "cites E999999, not in this incident's record" in left_out
    assert "states 4:25, a time none of the entries it cites holds" in left_out
    assert "states 40%, a percentage none of the entries it cites holds" in left_out
    assert "states 300, a number none of the entries it cites holds" in left_out
    assert "states 12, a number none of the entries it cites holds" in left_out
    assert (
        f"no entry it cites shares a word with it ([3:50 AM]({played.link(50)}), Carol Tanaka)"
        in left_out
    )
    assert "names Alice, who is in none of the entries it cites" in left_out
    assert "it cites no entry of the record" in left_out
    # The good sentences stay.
    assert "Card payments failed after gateway release gw-2.14.1" in text


# -- a model that fails ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("mishap", "why"),
    [
        ("500", "answered HTTP 500"),
        ("timeout", "did not answer within 1 second"),
        ("not_json", "answered something that is not JSON"),
        ("not_schema", "answered JSON that is not the sections asked for"),
        ("down", "could not be reached"),
    ],
)
async def test_a_model_that_fails_gives_the_draft_without_suggestions_and_says_why(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel, mishap: str, why: str
) -> None:
    # "down": nothing listens where WARROOM_AI_URL points (the fake stopped).
    settings = ai(model, timeout=1.0)
    async for played in play(people, sqlite_url, model, ai=settings):
        if mishap == "down":
            await model.stop()
        elif mishap == "500":
            model.fail(500)
        elif mishap == "timeout":
            model.stall(5)
        elif mishap == "not_json":
            model.answer_raw("<html>Bad gateway</html>", content_type="text/html")
        else:
            model.reply({"summary": "Card payments failed."})
        await played.resolve("Rolled back the gateway release")
        draft = played.canvas()
    assert f"_{MODEL} was asked for the written sections on March 14, 2025" in draft
    assert f"{why}: this draft has no new suggestions._" in draft
    assert "Suggested by" not in draft and "not yet accepted" not in draft
    assert not any("suggests the written sections" in m.text for m in played.channel.messages)
    posted = next(m for m in played.channel.messages if "Postmortem draft:" in m.text)
    assert f"{MODEL} gave no new suggestions this time: the draft's first lines say why." in (
        posted.text
    )
    # The draft itself is as without a model: posted, with its gaps.
    assert "## Timeline (UTC)" in draft


class Moved(FakeHttpServer):
    """Where WARROOM_AI_URL points: every request answered 307 to the same path at
    ``elsewhere``, which a 307 would make the client send the body to again (RFC 9110, 15.4.8)."""

    def __init__(self, elsewhere: str) -> None:
        super().__init__()
        self.elsewhere = elsewhere
        self.asked = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.asked += 1
        return web.Response(status=307, headers={"Location": self.elsewhere + request.path})


async def test_a_model_address_redirecting_elsewhere_is_refused_and_the_record_stays(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel
) -> None:
    """Issue 59, item 8: the model's address answers 307 to another address (here the fake
    model on another port); the incident's record is not sent there, and the draft says why."""
    model.reply(good)
    async with Moved(model.root) as moved:
        settings = ai(model, url=moved.root + BASE_PATH)
        async for played in play(people, sqlite_url, model, ai=settings):
            await played.resolve("Rolled back the gateway release")
            draft = played.canvas()
    assert moved.asked >= 1
    assert model.requests == []
    assert (
        f"_{MODEL} was asked for the written sections on March 14, 2025, 4:20 AM UTC and "
        f"redirected warroom to another address ({model.root}), which it does not follow (set "
        "`WARROOM_AI_URL` to it if the model is there): this draft has no new suggestions._"
    ) in draft
    assert "Suggested by" not in draft


async def test_earlier_suggestions_stay_when_the_model_fails_later(played: Played) -> None:
    played.model.reply(good)
    played.model.verdicts(TRUTHFUL)
    await played.resolve("Rolled back the gateway release")
    played.model.fail(503)
    await played.at(120)
    await played.run("postmortem")

    draft = played.canvas()
    assert (
        "answered HTTP 503: this draft has no new suggestions (those below are from earlier)._"
        in draft
    )
    summary = _section(draft, "## Issue summary")
    assert "Card payments failed after gateway release gw-2.14.1" in summary
    # Made at the resolution, 80 minutes in: said so.
    assert "Suggested by llama3.1:8b on March 14, 2025, 4:20 AM UTC, not yet accepted" in summary


# -- when the model is asked -------------------------------------------------------------------
async def test_the_model_is_asked_again_only_on_incident_postmortem(played: Played) -> None:
    played.model.reply(good, times=3)
    await played.resolve("Rolled back the gateway release")
    assert len(sections_asked(played.model)) == 1
    await played.run("status investigating")  # reopened
    await played.resolve("Rolled back again")
    assert len(sections_asked(played.model)) == 1
    await played.run("postmortem --lang fr")
    assert len(sections_asked(played.model)) == 2
    # Written in the draft's language, and said in it.
    assert "Write in French." in sections_asked(played.model)[1].texts[0]
    assert f"Suggéré par {MODEL} le 14 mars 2025" in played.canvas()


async def test_a_private_incident_sends_nothing_unless_allowed(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel
) -> None:
    async for played in play(people, sqlite_url, model, private=True):
        model.reply(good)
        await played.resolve("Rolled back the gateway release")
        draft = played.canvas()
    assert model.requests == []
    assert "not sent to llama3.1:8b for the written sections: the incident is private" in draft
    assert "Suggested by" not in draft


async def test_a_private_incident_is_sent_when_warroom_ai_private_is_on(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel
) -> None:
    async for played in play(people, sqlite_url, model, private=True, ai=ai(model, private=True)):
        model.reply(good)
        await played.resolve("Rolled back the gateway release")
        draft = played.canvas()
    assert len(sections_asked(model)) == 1
    assert "Suggested by llama3.1:8b" in draft


# -- accepting -----------------------------------------------------------------------------------
async def test_carol_accepts_the_summary_in_slack_and_a_later_draft_keeps_it(
    played_any_db: Played,
) -> None:
    played = played_any_db
    played.model.reply(good)
    await played.resolve("Rolled back the gateway release")
    message = played.suggestions_message()
    summary_id = _suggestion_id(message, "Summary")
    await played.press(message, SuggestionMessage.ACCEPT, summary_id, CAROL)
    await settle(played.warroom)

    draft = played.canvas()
    summary = _section(draft, "## Issue summary")
    assert "Card payments failed after gateway release gw-2.14.1" in summary
    assert f"_Suggested by {MODEL}, accepted by Carol Tanaka, March 14, 2025" in summary
    assert "not yet accepted" not in summary
    assert f"([3:50 AM, Carol Tanaka]({played.link(50)}))" in summary
    updated = played.suggestions_message()
    assert "Accepted by <@U0CAROL>" in json.dumps(updated.blocks)
    assert f'"block_id": "suggestion.{summary_id}"' not in json.dumps(updated.blocks)
    said = played.slack.ephemeral_for(CAROL)
    assert any("You accepted the suggested summary" in m.text for m in said)

    # Asked again, the model says something else: the accepted summary stays as it was.
    played.model.reply(
        lambda request: {
            "summary": [{"text": "A different summary.", "cites": [request.ref_of("dead end")]}],
            "underlying_issue": [],
            "resolution": [],
            "lessons": [],
        }
    )
    await played.at(200)
    await played.run("postmortem")
    summary = _section(played.canvas(), "## Issue summary")
    assert "Card payments failed after gateway release gw-2.14.1" in summary
    assert "A different summary." not in summary

    # Pressed again on the old message: said, not done twice.
    await played.press(message, SuggestionMessage.ACCEPT, summary_id, BOB)
    await settle(played.warroom)
    assert any(
        "accepted that suggestion already" in m.text for m in played.slack.ephemeral_for(BOB)
    )


async def test_edit_in_slack_opens_the_text_and_accepts_it_as_edited(played: Played) -> None:
    played.model.reply(good)
    await played.resolve("Rolled back the gateway release")
    message = played.suggestions_message()
    fix_id = _suggestion_id(message, "Resolution")
    await played.press(message, SuggestionMessage.EDIT, fix_id, CAROL)
    view_id, view = await played.slack.wait_for(
        lambda: next(
            (
                (i, v)
                for i, v in played.slack.views.items()
                if v["callback_id"] == "edit_suggestion_submit"
            ),
            None,
        )
    )
    fix = played.model.accepted[0].ref_of("Rolling back")
    (field,) = [b for b in view["blocks"] if b.get("block_id") == SuggestionModal.TEXT]
    assert field["element"]["initial_value"] == f"Bob rolled back gw-2.14.1 at 04:10. [{fix}]"

    empty = await played.slack.submit_view(
        view_id,
        {SuggestionModal.TEXT: {SuggestionModal.TEXT: {"type": "plain_text_input", "value": " "}}},
        user=CAROL,
    )
    assert empty.json()["response_action"] == "errors"
    edited = f"Bob rolled back gw-2.14.1 at 04:10, which stopped the errors. [{fix}]"
    await played.slack.submit_view(
        view_id,
        {
            SuggestionModal.TEXT: {
                SuggestionModal.TEXT: {"type": "plain_text_input", "value": edited}
            }
        },
        user=CAROL,
    )
    await settle(played.warroom)

    resolution = _section(played.canvas(), "### Resolution")
    assert "Bob rolled back gw-2.14.1 at 04:10, which stopped the errors." in resolution
    assert f"([4:10 AM, Bob Okafor]({played.link(70)}))" in resolution
    assert f"_Suggested by {MODEL}, accepted by Carol Tanaka" in resolution
    assert "Edited and accepted by <@U0CAROL>" in json.dumps(played.suggestions_message().blocks)


async def test_accept_and_edit_in_the_web_view(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel
) -> None:
    async for played in play(people, sqlite_url, model, **web_settings(people)):
        model.reply(good)
        model.verdicts(TRUTHFUL)
        await played.resolve("Rolled back the gateway release")
        base = f"{played.warroom.url}/incidents/INC-1/postmortem"
        async with browser() as http:
            await sign_in(http, played.warroom, CAROL)
            page = await _get(http, base)
            # One note a suggestion (the draft's own), one primary action beside it.
            place = page.split('id="place-summary"', 1)[1].split('class="section-place', 1)[0]
            assert place.count(f"Suggested by {MODEL}") == 1 and "not yet accepted" in place
            assert place.count('class="primary"') == 1
            csrf = csrf_of(page)
            summary_id = _suggestion_id(played.suggestions_message(), "Summary")
            accept = f"{base}/suggestions/{summary_id}/accept"
            async with http.post(
                accept, data={"csrf": csrf, "section": "summary"}, allow_redirects=False
            ) as answer:
                assert answer.status == 303
                # Back to the section, where its confirmation shows beside its form.
                location = answer.headers["Location"]
                assert location.endswith("/postmortem?accepted=summary#place-summary")
            accepted = await _get(http, f"{played.warroom.url}{location}")
            confirmed = accepted.split('id="place-summary"', 1)[1].split("</details>", 1)[0]
            assert 'role="status">Accepted.' in confirmed
            # Edit: the section's textarea holds the suggestion, and saving accepts it as edited.
            lessons_id = _suggestion_id(played.suggestions_message(), "Lessons learned")
            page = await _get(http, f"{base}?edit={lessons_id}")
            bulb = model.accepted[0].ref_of("gw-2.14.1 at 03:20")
            assert f"Test card validation before a gateway release. [{bulb}]</textarea>" in page
            edited = f"Test card validation, every card type, before a gateway release. [{bulb}]"
            async with http.post(
                f"{base}/sections/lessons",
                data={"csrf": csrf, "body": edited, "suggestion": str(lessons_id)},
                allow_redirects=False,
            ) as answer:
                assert answer.status == 303
            # Accepted once: a second press says so.
            async with http.post(accept, data={"csrf": csrf}, allow_redirects=False) as answer:
                assert answer.status == 409
                assert "Carol Tanaka accepted it already" in await answer.text()
            page = await _get(http, base)
        await settle(played.warroom)
        draft = played.canvas()
    assert "Suggested by llama3.1:8b, accepted by Carol Tanaka" in page
    summary = _section(draft, "## Issue summary")
    assert "Card payments failed after gateway release gw-2.14.1" in summary
    assert "accepted by Carol Tanaka" in summary
    lessons = _section(draft, "## Lessons learned")
    assert "Test card validation, every card type, before a gateway release." in lessons
    assert f"([3:50 AM, Carol Tanaka]({played.link(50)}))" in lessons
    assert "Edited and accepted by" in json.dumps(played.suggestions_message().blocks)


def _suggestion_id(message: Any, heading: str) -> int:
    """The id behind the buttons of the section under ``heading`` in the suggestions message."""
    blocks = message.blocks
    for index, block in enumerate(blocks):
        text = (block.get("text") or {}).get("text", "")
        if block.get("type") == "section" and text.startswith(f"*{heading}*"):
            # Its sentences' evidence (a context block), then its buttons.
            buttons = next(b for b in blocks[index + 1 :] if b["type"] != "context")
            assert buttons["type"] == "actions", buttons
            return int(buttons["elements"][0]["value"])
    raise LookupError(heading)


async def _get(http: aiohttp.ClientSession, url: str) -> str:
    async with http.get(url) as answer:
        assert answer.status == 200, await answer.text()
        return html.unescape(await answer.text())
