"""The draft's gaps its lines leave, filled on its page: what ruled out a
misleading idea (a message said after it, picked; the person's words, with or without a
time) and who answered an escalation the record has no answer for (or that nobody did). Each
goes through the record Slack's answers use: the idea's question in its thread shows the
answer, the channel is told, and the draft (its page, the canvas ``/incident postmortem``
posts) says it as the person's, never as a channel message. Bad input is refused at its field
(400, what was typed kept), guests and missing CSRF are refused, and an acknowledgement in
the record wins over what a person says."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import aiohttp

from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Warroom
from tests.helpers.drafts import (
    canvas_markdown,
    checklist,
    draft_page,
    draft_text,
    invite_guest,
    post_draft_form,
    problem_at,
)
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.records import section
from tests.helpers.web_view import browser, sign_in, visible_text, web_warroom

DAVE = "U0DAVE"


def _ts(moment: datetime, sequence: int) -> str:
    return f"{int(moment.timestamp())}.{sequence:06d}"


async def _said(
    warroom: Warroom, channel: Channel, at: datetime, user: str, text: str, mark: str = ""
) -> str:
    """``user`` says ``text`` at ``at`` (marked ``mark`` by them); its ts."""
    warroom.clock.now = at
    said = await warroom.slack.post_message(channel.id, text, user=user, ts=_ts(at, 0))
    if mark:
        await warroom.slack.add_reaction(channel.id, said.ts, mark, user=user)
    await settle(warroom)
    return said.ts


@asynccontextmanager
async def _dead_end_on_the_page(
    slack: SlackEmulator, url: str
) -> AsyncIterator[tuple[Warroom, aiohttp.ClientSession, Channel, datetime]]:
    """An incident with a dead end (``_dead_end``), and Alice signed in to its draft."""
    slack.add_user(DAVE, "dave", "Dave Kowalski")
    async with web_warroom(slack, url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        start = await _dead_end(warroom, channel)
        await sign_in(session, warroom, ALICE)
        yield warroom, session, channel, start


async def _dead_end(warroom: Warroom, channel: Channel) -> datetime:
    """An idea marked :x: that nothing marked or replied to ends, then two messages that
    are not marked (one ruled the idea out); the moment the idea was said."""
    start = (warroom.clock.now + timedelta(minutes=1)).replace(second=0)
    await _said(warroom, channel, start, DAVE, "Maybe the CDN? Purging caches.", "x")
    await _said(
        warroom, channel, start + timedelta(minutes=7), BOB, "CDN graphs were flat all along."
    )
    await _said(warroom, channel, start + timedelta(minutes=9), CAROL, "Still looking at logs.")
    warroom.clock.now = start + timedelta(minutes=30)
    return start


async def _canvas(warroom: Warroom, channel: Channel) -> str:
    """The draft's misleading paths as ``/incident postmortem`` posts them (its canvas)."""
    await command(warroom, channel, "postmortem")
    return section(canvas_markdown(warroom, channel), "## Misleading investigation paths")


async def test_a_misleading_path_ended_by_a_message_picked_on_the_page(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with _dead_end_on_the_page(slack, sqlite_url) as (warroom, session, channel, _):
        page, _ = await draft_page(session, warroom)
        # The path is a gap, and the checklist sends it to its form.
        assert 'href="#misleading-form">fill it in below</a>, or in Slack' in checklist(page)
        assert "what ruled it out" in draft_text(page)
        form = page.split('id="path-1-form"', 1)[1].split("</form>", 1)[0]
        assert "The idea of" in visible_text(form) and "Maybe the CDN?" in visible_text(form)
        # Offered: the messages said after the idea, oldest first, the idea not among them.
        offered = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', form)
        assert [html.unescape(label).split(": ", 1)[1] for _, label in offered] == [
            "CDN graphs were flat all along.",
            "Still looking at logs.",
        ]
        assert "Bob Okafor" in offered[0][1]
        status, page = await post_draft_form(
            session,
            warroom,
            "/misleading",
            {"idea": _idea(form), "number": "1", "ruling": offered[0][0]},
        )
        assert status == 200, page
        assert "Recorded as the answer to the idea's question" in visible_text(page)
        await settle(warroom)
        page, _ = await draft_page(session, warroom)
        draft = draft_text(page)
        assert "Maybe the CDN? Purging caches." in draft
        assert "Bob Okafor: “CDN graphs were flat all along.”. 7 minutes." in draft
        assert "Chosen by Alice Moreau, on the draft's page." in draft
        assert "#misleading-form" not in checklist(page)
        assert 'id="path-1-form"' not in page
        # Said in the channel, and the idea's question in its thread shows the answer.
        said = [
            m.text
            for m in channel.messages
            if "said on the postmortem draft's page" in m.text and not m.thread_ts
        ]
        assert len(said) == 1 and "CDN graphs were flat" in said[0]
        idea = slack.find_message(channel, _idea(form))
        (question,) = [reply for reply in idea.replies if reply.bot_id]
        assert "said on the postmortem draft's page" in question.text
        paths = await _canvas(warroom, channel)
        assert "“CDN graphs were flat all along.”. 7 minutes. Chosen by Alice Moreau" in paths


def _idea(form: str) -> str:
    found = re.search(r'name="idea" value="([^"]+)"', form)
    assert found
    return found[1]


async def test_a_misleading_path_ended_in_a_persons_words_without_then_with_a_time(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with _dead_end_on_the_page(slack, sqlite_url) as (warroom, session, channel, start):
        page, _ = await draft_page(session, warroom)
        idea = _idea(page.split('id="path-1-form"', 1)[1])
        words = "The CDN's hit rate never moved <b>at all</b>"
        status, page = await post_draft_form(
            session, warroom, "/misleading", {"idea": idea, "number": "1", "words": words}
        )
        assert status == 200, page
        await settle(warroom)
        page, _ = await draft_page(session, warroom)
        draft = draft_text(page)
        assert "per Alice Moreau, on the draft's page: “The CDN's hit rate never moved" in draft
        assert "<b>at all</b>" not in page.split('id="draft"', 1)[1].split("</article>")[0]
        # Never shown as a message of the channel: no stamp nor author before the words.
        assert "Alice Moreau: “The CDN" not in draft
        # No time given: the path's length is the gap left, and the checklist says so; the
        # form stays, with the words said.
        assert "how long after the idea it was ruled out" in draft
        gap = checklist(page)
        assert "how long after the idea" in gap and 'href="#misleading-form"' in gap
        form = page.split('id="path-1-form"', 1)[1].split("</form>", 1)[0]
        assert "never moved &lt;b&gt;at all&lt;/b&gt;</textarea>" in form
        paths = await _canvas(warroom, channel)
        assert "_To be written: how long after the idea it was ruled out (its time)._" in paths
        when = (start + timedelta(minutes=12)).strftime("%Y-%m-%d %H:%M")
        status, page = await post_draft_form(
            session,
            warroom,
            "/misleading",
            {"idea": idea, "number": "1", "words": words, "when": when},
        )
        assert status == 200, page
        await settle(warroom)
        page, _ = await draft_page(session, warroom)
        draft = draft_text(page)

        assert (
            "ruled out at " in draft
            and "“The CDN's hit rate never moved <b>at all</b>”. 12 minutes." in draft
        )
        assert "how long after the idea" not in draft and "#misleading-form" not in checklist(page)
        paths = await _canvas(warroom, channel)
        assert "per Alice Moreau, on the draft's page: “The CDN" in paths and "12 minutes." in paths
        # In French, the same: the person's words, theirs, where they said them.
        await command(warroom, channel, "postmortem --lang fr")
        french = canvas_markdown(warroom, channel)
        assert (
            f"— écartée à {int(when[11:13])} h {when[14:16]}, selon" in french
            and ", selon Alice Moreau, sur la page du brouillon : « The CDN's hit rate" in french
        )
        assert "never moved &lt;b&gt;at all&lt;/b&gt; ». 12 minutes." in french


async def test_bad_path_ends_are_refused_at_their_field_with_the_form_kept(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with _dead_end_on_the_page(slack, sqlite_url) as (warroom, session, channel, start):
        page, _ = await draft_page(session, warroom)
        idea = _idea(page.split('id="path-1-form"', 1)[1])
        status, page = await post_draft_form(
            session, warroom, "/misleading", {"idea": idea, "number": "1"}
        )
        assert status == 400
        assert "Pick the message that ruled it out" in problem_at(page, "path-1-ruling")
        status, page = await post_draft_form(
            session,
            warroom,
            "/misleading",
            {"idea": idea, "number": "1", "words": "Flat graphs", "when": "25:99"},
        )
        assert status == 400
        assert "25:99" in problem_at(page, "path-1-when")
        assert 'value="25:99"' in page and "Flat graphs</textarea>" in page
        earlier = (start - timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M")
        status, page = await post_draft_form(
            session,
            warroom,
            "/misleading",
            {"idea": idea, "number": "1", "words": "Flat graphs", "when": earlier},
        )
        assert status == 400
        assert "before the idea was said" in problem_at(page, "path-1-when")
        status, page = await post_draft_form(
            session, warroom, "/misleading", {"idea": idea, "number": "1", "ruling": "99999"}
        )
        assert status == 400 and "Choose the message from the list" in problem_at(
            page, "path-1-ruling"
        )
        status, page = await post_draft_form(
            session, warroom, "/misleading", {"idea": idea, "number": "1", "when": "10:00"}
        )
        assert status == 400 and "in your words" in problem_at(page, "path-1-words")
        await settle(warroom)
        assert not [m for m in channel.messages if "draft's page" in m.text]
        page, _ = await draft_page(session, warroom)
        assert "#misleading-form" in checklist(page)  # nothing kept


async def test_an_escalations_answer_said_on_the_page_and_nobody_answered(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        await command(warroom, channel, "escalate @bob the database")
        await command(warroom, channel, "escalate @carol the network")
        start = warroom.clock.now
        warroom.clock.now = start + timedelta(minutes=30)
        await sign_in(session, warroom, ALICE)
        page, _ = await draft_page(session, warroom)
        # Only the page fills it: the checklist does not send it to Slack.
        assert checklist(page).count('href="#escalation-form">fill it in below</a>)') == 2
        assert "who answered, and when" in draft_text(page)
        ids = re.findall(r'name="escalation" value="(\d+)"', page)
        assert len(ids) == 2
        # Refused at its field, what was chosen kept.
        status, page = await post_draft_form(
            session, warroom, "/escalations", {"escalation": ids[0], "answerer": BOB}
        )
        assert status == 400
        assert "Say when they answered" in problem_at(page, f"escalation-{ids[0]}-when")
        assert f'<option value="{BOB}" selected>' in page
        status, page = await post_draft_form(
            session, warroom, "/escalations", {"escalation": ids[0], "answerer": "U0NOBODY"}
        )
        assert status == 400
        assert "Choose who answered" in problem_at(page, f"escalation-{ids[0]}-answerer")
        when = (start + timedelta(minutes=6)).strftime("%Y-%m-%d %H:%M")
        status, page = await post_draft_form(
            session, warroom, "/escalations", {"escalation": ids[0], "answerer": BOB, "when": when}
        )
        assert status == 200, page
        assert "Recorded, and said in the channel" in visible_text(page)
        status, page = await post_draft_form(
            session, warroom, "/escalations", {"escalation": ids[1], "answerer": "nobody"}
        )
        assert status == 200, page
        await settle(warroom)
        page, _ = await draft_page(session, warroom)
        draft = draft_text(page)
        assert re.search(
            r"by Bob Okafor, \d minutes later, per Alice Moreau, on the draft's page", draft
        )
        assert "no answer recorded, per Alice Moreau, on the draft's page" in draft
        assert "who answered, and when" not in draft
        assert "#escalation-form" not in checklist(page)
        said = [m.text for m in channel.messages if "on the postmortem draft's page that" in m.text]
        assert len(said) == 2 and "nobody answered" in said[1]
        await command(warroom, channel, "postmortem")
        table = canvas_markdown(warroom, channel)
        assert "per Alice Moreau, on the draft's page |" in table
        assert "no answer recorded, per Alice Moreau, on the draft's page |" in table
        await command(warroom, channel, "postmortem --lang fr")
        french = canvas_markdown(warroom, channel)
        assert "selon Alice Moreau, sur la page du brouillon |" in french
        assert "aucune réponse au dossier, selon Alice Moreau, sur la page du brouillon |" in french


async def test_an_acknowledgement_in_the_record_wins_over_a_statement(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        await command(warroom, channel, "escalate @bob the database")
        await sign_in(session, warroom, ALICE)
        page, _ = await draft_page(session, warroom)
        (escalation,) = re.findall(r'name="escalation" value="(\d+)"', page)
        await command(warroom, channel, "ack", user=BOB)
        status, page = await post_draft_form(
            session, warroom, "/escalations", {"escalation": escalation, "answerer": "nobody"}
        )
        assert status == 400
        assert "acknowledged meanwhile" in problem_at(page, f"escalation-{escalation}-answerer")
        page, _ = await draft_page(session, warroom)
        draft = draft_text(page)
        assert "acknowledged" in draft and "no answer recorded" not in draft
        assert 'id="escalation-form"' not in page


async def test_guests_and_forms_without_csrf_are_refused(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    guest = slack.add_user("U0GUEST", "gus", "Gus Guest")
    guest.is_restricted = True
    slack.add_user(DAVE, "dave", "Dave Kowalski")
    async with web_warroom(slack, sqlite_url) as warroom:
        channel = await open_incident(warroom)
        await _dead_end(warroom, channel)
        await command(warroom, channel, "escalate @bob the database")
        await invite_guest(slack, channel, "U0GUEST")
        await settle(warroom)
        async with browser() as gus:
            await sign_in(gus, warroom, "U0GUEST")
            page, _ = await draft_page(gus, warroom)
            assert 'id="misleading-form"' not in page and 'id="escalation-form"' not in page
            for path in ("/misleading", "/escalations"):
                status, said = await post_draft_form(gus, warroom, path, {"answerer": "nobody"})
                assert status == 403, path
                assert "Guests of the workspace" in visible_text(said)
        async with browser() as alice:
            await sign_in(alice, warroom, ALICE)
            page, _ = await draft_page(alice, warroom)
            idea = _idea(page.split('id="path-1-form"', 1)[1])
            for path, data in (
                ("/misleading", {"idea": idea, "number": "1", "words": "Flat"}),
                ("/escalations", {"escalation": "1", "answerer": "nobody"}),
            ):
                status, said = await post_draft_form(alice, warroom, path, data, csrf=False)
                assert status == 403, path
                assert "This form has expired" in said
            page, _ = await draft_page(alice, warroom)
            assert "#misleading-form" in checklist(page)
