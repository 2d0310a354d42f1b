"""``propose_timeline_note``, end to end over /mcp with the MCP SDK's own client: a note whose
words the cited entries hold is shown in the channel as "Proposed by <agent>" and becomes an
entry at the proposed time when Carol presses Accept (in Slack, or on the incident's page);
one they do not hold comes back with the draft's reasons; a read token cannot propose; the
incident's status, severity and roles stay as they were."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from bot.basics.slack_ids import ProposedNoteMessage
from bot.config.ai import AISettings
from emulator import Message, SlackEmulator
from emulator.openai_chat import FakeChatModel
from tests.agents.test_mcp_http import agent, call, make_token, refused
from tests.conftest import CAROL
from tests.helpers.incidents import settle
from tests.helpers.web_view import browser, csrf_of, sign_in, visible_text, web_settings
from tests.postmortem.test_suggestions import DAVE, START, Played, play

# A note the rollback entry holds every word of.
ROLLBACK = "Bob started rolling back gw-2.14.1."


@pytest.fixture
async def played(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel
) -> AsyncIterator[Played]:
    async for each in play(people, sqlite_url, model, ai=AISettings()):
        yield each


@pytest.fixture
async def played_with_pages(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel
) -> AsyncIterator[Played]:
    """The same, with the web view signing people in with Slack."""
    async for each in play(people, sqlite_url, model, ai=AISettings(), **web_settings(people)):
        yield each


async def rollback_entry(session: Any) -> dict[str, Any]:
    timeline = await call(session, "get_timeline", reference="INC-1", per_page=200)
    return next(e for e in timeline["entries"] if "Rolling back" in e["text"])


def note_on(
    entry: dict[str, Any], text: str = ROLLBACK, reference: str = "INC-1"
) -> dict[str, Any]:
    """``propose_timeline_note``'s arguments: ``text`` at ``entry``'s time, citing it."""
    return {"reference": reference, "text": text, "at": entry["at"], "cites": [entry["ref"]]}


def proposal(played: Played) -> Message:
    """The channel's one message proposing triage-bot's note."""
    [message] = [m for m in played.channel.messages if "Proposed by triage-bot" in m.text]
    return message


def buttons(message: Message) -> list[dict[str, Any]]:
    """The message's actions blocks (its Accept button's, while it is not accepted)."""
    return [b for b in message.blocks or [] if b.get("type") == "actions"]


async def press(web: aiohttp.ClientSession, url: str, page: str) -> tuple[int, str]:
    """POST the page's form at ``url`` with its CSRF token; the status and the page's words."""
    async with web.post(url, data={"csrf": csrf_of(page)}, allow_redirects=False) as answer:
        return answer.status, visible_text(await answer.text())


async def test_a_note_is_proposed_refused_with_the_draft_s_words_and_accepted_in_slack(
    played: Played,
) -> None:
    token = await make_token(played, "triage-bot")
    async with agent(played.warroom.url, token) as session:
        before = await call(session, "get_incident", reference="INC-1")
        fix = await rollback_entry(session)
        refused_note = await call(
            session, "propose_timeline_note", **note_on(fix, "The rollback finished at 4:25.")
        )
        kept = await call(session, "propose_timeline_note", **note_on(fix))
    # Refused: each reason as data and in the words the draft uses for it.
    assert refused_note["state"] == "refused" and refused_note["note"] is None
    [why] = refused_note["refused"]
    assert why["rule"] == "time"
    assert why["because"] == "it states 4:25, a time none of the entries it cites holds"
    assert refused_note["shown_in_channel"] is False
    # Kept: shown in the channel with its Accept button, at the proposed time.
    assert kept["state"] == "proposed" and kept["refused"] == []
    assert kept["note"]["at"] == fix["at"]
    assert kept["shown_in_channel"] is True
    await settle(played.warroom)
    message = proposal(played)
    assert "a timeline entry for INC-1" in message.text
    assert "4:25" not in " ".join(m.text for m in played.channel.messages)
    [actions] = buttons(message)
    [button] = actions["elements"]
    assert button["action_id"] == ProposedNoteMessage.ACCEPT

    await played.slack.click_button(
        played.channel.id,
        message.ts,
        ProposedNoteMessage.ACCEPT,
        user=CAROL,
        value=button["value"],
        block_id=actions["block_id"],
    )
    await settle(played.warroom)
    shown = played.slack.find_message(played.channel, message.ts)
    assert not buttons(shown)
    assert "Accepted by" in str(shown.blocks)

    async with agent(played.warroom.url, token) as session:
        timeline = await call(session, "get_timeline", reference="INC-1", per_page=200)
        after = await call(session, "get_incident", reference="INC-1")
    [entry] = [e for e in timeline["entries"] if e["text"].startswith("Bob started rolling")]
    assert entry["at"] == fix["at"]
    assert entry["kind"] == "key_event"
    assert entry["text"].endswith("proposed by triage-bot (an agent), accepted by @Carol Tanaka")
    # Nothing else of the incident moved.
    for field in ("status", "severity", "commander"):
        assert after[field] == before[field]


async def test_a_read_token_cannot_propose_a_note_and_bad_arguments_are_named(
    played: Played,
) -> None:
    reader = await make_token(played, "reader", scope="read")
    proposer = await make_token(played, "proposer")
    async with agent(played.warroom.url, reader) as session:
        fix = await rollback_entry(session)
        said = await refused(session, "propose_timeline_note", **note_on(fix))
    assert "scope is read" in said
    # Refused for its scope before anything is looked up: nothing said of whether it exists.
    async with agent(played.warroom.url, reader) as session:
        absent = await refused(session, "propose_timeline_note", **note_on(fix, reference="INC-99"))
    assert absent == said
    async with agent(played.warroom.url, proposer) as session:
        note: dict[str, Any] = {"reference": "INC-1", "text": "Bob rolled back.", "cites": ["E1"]}
        assert "at:" in await refused(session, "propose_timeline_note", **note, at="yesterday")
        assert "offset" in await refused(
            session, "propose_timeline_note", **note, at="2025-03-14T03:20:00"
        )
        assert "future" in await refused(
            session, "propose_timeline_note", **note, at="2099-01-01T00:00:00Z"
        )
        assert "cites" in await refused(
            session, "propose_timeline_note", **{**note, "cites": []}, at=fix["at"]
        )
    await settle(played.warroom)
    assert not any("Proposed by" in m.text for m in played.channel.messages)


async def test_a_proposed_note_is_accepted_with_one_click_on_the_incident_page(
    played_with_pages: Played,
) -> None:
    played = played_with_pages
    token = await make_token(played, "triage-bot")
    async with agent(played.warroom.url, token) as session:
        kept = await call(
            session, "propose_timeline_note", **note_on(await rollback_entry(session))
        )
    assert kept["state"] == "proposed"
    page_url = f"{played.warroom.url}/incidents/INC-1"
    async with browser() as web:
        await sign_in(web, played.warroom, CAROL)
        async with web.get(page_url) as answer:
            page = await answer.text()
        shown = visible_text(page)
        assert "Proposed timeline entries" in shown
        assert f"{ROLLBACK} (proposed by triage-bot, an agent" in shown
        accept = f"/incidents/INC-1/notes/{kept['note']['id']}/accept"
        assert f'action="{accept}"' in page
        status, said = await press(web, played.warroom.url + accept, page)
        assert status == 303, said
        async with web.get(page_url) as answer:
            after = visible_text(await answer.text())
        # Pressed twice (another tab): said who accepted it, nothing added again.
        status, said = await press(web, played.warroom.url + accept, page)
        assert status == 409
        assert "Carol Tanaka accepted it already" in said
    assert "Proposed timeline entries" not in after
    assert after.count(ROLLBACK) == 1
    assert "proposed by triage-bot (an agent), accepted by @Carol Tanaka" in after
    await settle(played.warroom)
    assert not buttons(proposal(played))


# -- a look-alike host in an agent's proposal -------------------------------
@pytest.mark.parametrize(
    ("host", "state"), [("\u0435vil-login.com", "refused"), ("evil-login.com", "proposed")]
)
async def test_a_note_giving_a_look_alike_host_is_refused_its_ascii_spelling_is_not(
    played: Played, host: str, state: str
) -> None:
    """Someone says a host in the channel, an agent proposes a note repeating it and citing
    that message: the ASCII spelling is kept as any address the cited entry holds; the one
    with a Cyrillic е is refused as a look-alike, never shown in the channel."""
    moment = START + timedelta(minutes=75)
    said = await played.slack.post_message(
        played.channel.id,
        f"Support says everyone must re-authenticate at {host} after the rollback.",
        user=DAVE,
        ts=f"{int(moment.timestamp())}.000100",
    )
    await played.slack.add_reaction(played.channel.id, said.ts, "pushpin", user=CAROL)
    await settle(played.warroom)
    token = await make_token(played, "triage-bot")
    async with agent(played.warroom.url, token) as session:
        timeline = await call(session, "get_timeline", reference="INC-1", per_page=200)
        [cited] = [e for e in timeline["entries"] if "re-authenticate at" in e["text"]]
        text = f"Support asked everyone to re-authenticate at {host} after the rollback."
        answer = await call(session, "propose_timeline_note", **note_on(cited, text))
    await settle(played.warroom)
    assert answer["state"] == state, answer["refused"]
    if state == "proposed":
        assert host in proposal(played).text or host in str(proposal(played).blocks)
        return
    [why] = answer["refused"]  # the look-alike alone: the rest of the note is as held
    assert why["rule"] == "lookalike"
    assert "whose host mixes alphabets" in why["because"]
    assert not [m for m in played.channel.messages if "Proposed by triage-bot" in m.text]
