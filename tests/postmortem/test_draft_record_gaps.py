"""The draft's last gaps that only Slack could fill, filled on its page:
when the incident was detected (as ``/incident time detected`` sets it), who else was
brought in when warroom escalated to nobody (or that nobody was), a path that led the
investigation astray picked from the channel's messages (as a :x: marks it) or that none
did, and the message that stopped the impact (as a :white_check_mark: marks it) or, with
none to mark, how it was stopped in the person's words (a mark wins). Each goes
through the record Slack uses, is said in the channel, and the draft (its page and the
canvas ``/incident postmortem`` posts, in English and French) says it as the person's, on
the draft's page. Bad input is refused at its field (400, what was typed kept); guests are
refused."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import aiohttp

from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, Warroom
from tests.helpers.drafts import (
    checklist,
    draft_page,
    draft_text,
    invite_guest,
    post_draft_form,
    posted_draft,
    problem_at,
)
from tests.helpers.incidents import open_incident, settle
from tests.helpers.records import section
from tests.helpers.web_view import browser, sign_in, visible_text, web_warroom

DAVE = "U0DAVE"


async def test_the_detection_time_set_on_the_page(slack: SlackEmulator, sqlite_url: str) -> None:
    async with (
        web_warroom(slack, sqlite_url, incidents__postmortem_style="atlassian") as warroom,
        browser() as session,
    ):
        channel = await open_incident(warroom)
        await sign_in(session, warroom, ALICE)
        page, _ = await draft_page(session, warroom)
        gap = checklist(page).split("when and how the incident was detected", 1)[1]
        assert 'href="#impact-form">fill it in below</a>, or in Slack' in gap.split("</li>")[0]
        status, page = await post_draft_form(session, warroom, "/impact", {"detected": "25:99"})
        assert status == 400
        assert "25:99" in problem_at(page, "impact-detected")
        assert 'value="25:99"' in page
        when = (warroom.clock.now - timedelta(minutes=20)).strftime("%Y-%m-%d %H:%M")
        status, page = await post_draft_form(session, warroom, "/impact", {"detected": when})
        assert status == 200, page
        await settle(warroom)
        page, _ = await draft_page(session, warroom)
        assert "when and how the incident was detected" not in draft_text(page)
        assert "detected" not in checklist(page)
        # As /incident time detected says it in the channel, and the draft's tables say who.
        assert any(f"set *detected* to {when}" in m.text for m in channel.messages)
        posted = await posted_draft(warroom, channel)
        assert "when and how the incident was detected" not in posted
        assert "Detected at " in section(posted, "## Detection")
        assert "_detected_ (time set by Alice Moreau)" in posted  # attributed in the timeline
        french = await posted_draft(warroom, channel, "--lang fr")
        assert "quand et comment l'incident a été détecté" not in french
        assert "Incident détecté le" in french


async def test_who_else_was_brought_in_said_on_the_page(
    slack: SlackEmulator, database_url: str
) -> None:
    async with web_warroom(slack, database_url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        await sign_in(session, warroom, ALICE)
        page, _ = await draft_page(session, warroom)
        assert "who else was brought in" in draft_text(page)
        # Only the page can say it: the checklist does not send it to Slack.
        gap = checklist(page).split("who else was brought in", 1)[1].split("</li>", 1)[0]
        assert 'href="#brought-in-form">fill it in below</a>)' in gap
        # Refused at its field, what was typed kept.
        status, page = await post_draft_form(session, warroom, "/brought-in", {"words": "Dan"})
        assert status == 400
        assert "Say whether anyone else" in problem_at(page, "brought-in-choice")
        assert "Dan</textarea>" in page
        status, page = await post_draft_form(session, warroom, "/brought-in", {"choice": "someone"})
        assert status == 400
        assert "Say who was brought in" in problem_at(page, "brought-in-words")
        typed = {"choice": "someone", "words": "Dan from the DB team", "when": "25:99"}
        status, page = await post_draft_form(session, warroom, "/brought-in", typed)
        assert status == 400 and "25:99" in problem_at(page, "brought-in-when")
        assert 'value="someone" checked' in page
        when = (warroom.clock.now - timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M")
        words = "Dan from the DB team, to check the replicas <b>now</b>"
        status, page = await post_draft_form(
            session, warroom, "/brought-in", {"choice": "someone", "words": words, "when": when}
        )
        assert status == 200, page
        assert "Recorded, and said in the channel" in visible_text(page)
        await settle(warroom)
        page, _ = await draft_page(session, warroom)
        draft = draft_text(page)
        assert "who else was brought in" not in draft and "brought-in" not in checklist(page)
        assert (
            f"Nobody was escalated to through warroom. Brought in at {_clock(when)}, per Alice"
            " Moreau, on the draft's page: “Dan from the DB team, to check the replicas <b>now</b>”"
        ) in draft
        assert 'id="brought-in-form"' not in page
        said = [m.text for m in channel.messages if "said on the postmortem draft's page" in m.text]
        assert len(said) == 1 and "Dan from the DB team" in said[0]
        posted = await posted_draft(warroom, channel)
        assert "per Alice Moreau, on the draft's page: “Dan from the DB team" in posted
        french = await posted_draft(warroom, channel, "--lang fr")
        assert "selon Alice Moreau, sur la page du brouillon : « Dan from the DB team" in french


async def test_nobody_else_brought_in_said_on_the_page(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        await sign_in(session, warroom, ALICE)
        status, page = await post_draft_form(
            session, warroom, "/brought-in", {"choice": "nobody", "words": "Dan"}
        )
        assert status == 400 and "clear the words" in problem_at(page, "brought-in-words")
        status, page = await post_draft_form(session, warroom, "/brought-in", {"choice": "nobody"})
        assert status == 200, page
        await settle(warroom)
        page, _ = await draft_page(session, warroom)
        assert "Nobody else was brought in, per Alice Moreau, on the draft's page." in draft_text(
            page
        )
        posted = await posted_draft(warroom, channel)
        assert "Nobody else was brought in, per Alice Moreau, on the draft's page." in posted
        french = await posted_draft(warroom, channel, "--lang fr")
        assert "Personne d'autre n'a été sollicité, selon Alice Moreau, sur la page" in french


def _clock(typed: str) -> str:
    """A time typed as 2026-11-27 09:08, as the draft says it: 9:08 AM."""
    hours, minutes = (int(part) for part in typed[-5:].split(":"))
    return f"{(hours - 1) % 12 + 1}:{minutes:02d} {'AM' if hours < 12 else 'PM'}"


async def _two_messages(warroom: Warroom, channel: Channel) -> None:
    """Dave's idea and Bob's fix said in the channel, neither marked."""
    for user, text in ((DAVE, "Maybe the CDN? Purging caches."), (BOB, "Rolled back deploy 4812.")):
        warroom.clock.now += timedelta(minutes=5)
        await warroom.slack.post_message(channel.id, text, user=user)
        await settle(warroom)


@asynccontextmanager
async def _said_and_signed_in(
    slack: SlackEmulator, url: str
) -> AsyncIterator[tuple[Warroom, aiohttp.ClientSession, Channel]]:
    """An incident whose channel has Dave's idea and Bob's fix, nothing marked, and Alice
    signed in to its draft."""
    slack.add_user(DAVE, "dave", "Dave Kowalski")
    async with web_warroom(slack, url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        await _two_messages(warroom, channel)
        await sign_in(session, warroom, ALICE)
        yield warroom, session, channel


def _offered(page: str, form: str) -> dict[str, str]:
    """The messages a form offers, by their words: the option's value."""
    chosen = page.split(f'id="{form}-form"', 1)[1].split("</form>", 1)[0]
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', chosen)
    return {html.unescape(label).split(": ", 1)[-1]: value for value, label in options}


async def test_a_misleading_path_marked_on_the_page(slack: SlackEmulator, sqlite_url: str) -> None:
    async with _said_and_signed_in(slack, sqlite_url) as (warroom, session, channel):
        page, _ = await draft_page(session, warroom)
        assert "any path that led the investigation astray" in draft_text(page)
        gap = checklist(page).split("led the investigation astray", 1)[1].split("</li>", 1)[0]
        assert 'href="#misleading-mark-form">fill it in below</a>, or in Slack' in gap
        offered = _offered(page, "misleading-mark")
        assert "Maybe the CDN? Purging caches." in offered and "Choose" in offered
        for bad in ("99999", "", "x"):
            status, refused = await post_draft_form(
                session, warroom, "/marks", {"kind": "misleading", "message": bad}
            )
            assert status == 400, bad
            assert "Choose the message from the list" in problem_at(
                refused, "misleading-mark-message"
            )
        idea = offered["Maybe the CDN? Purging caches."]
        status, page = await post_draft_form(
            session, warroom, "/marks", {"kind": "misleading", "message": idea}
        )
        assert status == 200, page
        assert "Recorded as your mark" in visible_text(page)
        await settle(warroom)
        page, _ = await draft_page(session, warroom)
        draft = draft_text(page)
        assert "led the investigation astray" not in draft
        assert "Maybe the CDN? Purging caches." in draft
        assert re.search(
            r"The message of \d+:\d\d [AP]M was marked misleading by Alice Moreau, on the "
            r"draft's page\.",
            draft,
        )
        # A path like a :x:'s: what ruled it out is the next gap, and its form is offered.
        assert "what ruled it out" in draft and 'id="path-1-form"' in page
        said = [m.text for m in channel.messages if "marked the message of" in m.text]
        assert len(said) == 1 and "astray" in said[0] and said[0].startswith(":x:")
        posted = await posted_draft(warroom, channel)
        assert "was marked misleading by Alice Moreau, on the draft's page." in posted
        assert "led the investigation astray" not in posted
        french = await posted_draft(warroom, channel, "--lang fr")
        assert "signalé comme piste trompeuse par Alice Moreau, sur la page du brouillon" in french


async def test_no_misleading_path_said_on_the_page(slack: SlackEmulator, sqlite_url: str) -> None:
    async with _said_and_signed_in(slack, sqlite_url) as (warroom, session, channel):
        status, page = await post_draft_form(
            session, warroom, "/marks", {"kind": "misleading", "message": "none"}
        )
        assert status == 200, page
        await settle(warroom)
        page, _ = await draft_page(session, warroom)
        assert "None, per Alice Moreau, on the draft's page." in draft_text(page)
        assert "astray" not in checklist(page) and 'id="misleading-mark-form"' not in page
        posted = await posted_draft(warroom, channel)
        assert "None, per Alice Moreau, on the draft's page." in posted
        french = await posted_draft(warroom, channel, "--lang fr")
        assert "Aucune, selon Alice Moreau, sur la page du brouillon." in french


async def test_the_message_that_stopped_the_impact_marked_on_the_page(
    slack: SlackEmulator, database_url: str
) -> None:
    async with _said_and_signed_in(slack, database_url) as (warroom, session, channel):
        page, _ = await draft_page(session, warroom)
        assert "how the impact was stopped" in draft_text(page)
        gap = checklist(page).split("how the impact was stopped", 1)[1].split("</li>", 1)[0]
        assert 'href="#mitigation-mark-form">fill it in below</a>, or in Slack' in gap
        offered = _offered(page, "mitigation-mark")
        assert "None did" not in " ".join(offered)  # only a misleading path can be none
        status, refused = await post_draft_form(
            session, warroom, "/marks", {"kind": "mitigation", "message": "none"}
        )
        assert status == 400
        assert "Choose the message" in problem_at(refused, "mitigation-mark-message")
        fix = offered["Rolled back deploy 4812."]
        status, page = await post_draft_form(
            session, warroom, "/marks", {"kind": "mitigation", "message": fix}
        )
        assert status == 200, page
        await settle(warroom)
        page, _ = await draft_page(session, warroom)
        draft = draft_text(page)
        assert "how the impact was stopped" not in draft
        # The draft's mitigation as a :white_check_mark: makes it, and who marked it where.
        assert re.search(r"Mitigation started at \d+:\d\d [AP]M, Bob Okafor: Rolled back", draft)
        assert re.search(
            r"The message of \d+:\d\d [AP]M was marked as the mitigation by Alice Moreau, on the "
            r"draft's page\.",
            draft,
        )
        said = [m.text for m in channel.messages if "marked the message of" in m.text]
        assert len(said) == 1 and said[0].startswith(":white_check_mark:")
        assert "stopped the impact" in said[0]
        posted = await posted_draft(warroom, channel)
        assert "how the impact was stopped" not in posted
        assert "marked as the mitigation by Alice Moreau, on the draft's page." in posted
        french = await posted_draft(warroom, channel, "--lang fr")
        assert "signalé comme l'atténuation par Alice Moreau, sur la page du brouillon" in french


async def test_how_the_impact_was_stopped_said_in_words_on_the_page(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        channel = await open_incident(warroom)  # no person's message to mark
        await sign_in(session, warroom, ALICE)
        page, _ = await draft_page(session, warroom)
        assert "how the impact was stopped" in draft_text(page)
        gap = checklist(page).split("how the impact was stopped", 1)[1].split("</li>", 1)[0]
        assert 'href="#mitigation-words-form">fill it in below</a>, or in Slack' in gap
        # Refused at its field, what was typed kept.
        status, page = await post_draft_form(
            session, warroom, "/mitigation", {"words": "", "when": "09:40"}
        )
        assert status == 400
        assert "Say how the impact was stopped" in problem_at(page, "mitigation-words-words")
        assert 'value="09:40"' in page
        when = (warroom.clock.now - timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M")
        typed = {"words": "Rolled back deploy 4812.", "when": when}
        status, page = await post_draft_form(session, warroom, "/mitigation", typed)
        assert status == 200, page
        assert "Recorded, and said in the channel" in visible_text(page)
        await settle(warroom)
        page, _ = await draft_page(session, warroom)
        draft = draft_text(page)
        assert "how the impact was stopped" not in draft
        assert "how the impact was stopped" not in checklist(page)
        assert (
            f"Stopped at {_clock(when)}, per Alice Moreau, on the draft's page: “Rolled back"
            " deploy 4812.”"
        ) in draft
        assert "Mitigation started" not in draft  # a statement, not a mitigation line
        said = [m.text for m in channel.messages if "said on the postmortem draft's page" in m.text]
        assert len(said) == 1 and "the impact was stopped at" in said[0]
        assert "Rolled back deploy 4812." in said[0]
        posted = await posted_draft(warroom, channel)
        assert "how the impact was stopped" not in posted
        assert "per Alice Moreau, on the draft's page: “Rolled back deploy 4812.”" in posted
        french = await posted_draft(warroom, channel, "--lang fr")
        assert "comment l'impact a été enrayé" not in french
        assert "Impact enrayé à " in french
        stated = "selon Alice Moreau, sur la page du brouillon : « Rolled back deploy 4812. »"
        assert stated in french
        # A message marked as the mitigation in Slack wins over the words.
        warroom.clock.now += timedelta(minutes=1)
        fix = await warroom.slack.post_message(channel.id, "Rolled back 4812 for real.", user=BOB)
        await warroom.slack.add_reaction(channel.id, fix.ts, "white_check_mark", user=BOB)
        await settle(warroom)
        page, _ = await draft_page(session, warroom)  # in French, as last posted
        assert "Début de l'atténuation à" in draft_text(page)
        assert "Impact enrayé" not in draft_text(page)


async def test_guests_and_forms_without_csrf_are_refused_the_new_forms(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    guest = slack.add_user("U0GUEST", "gus", "Gus Guest")
    guest.is_restricted = True
    slack.add_user(DAVE, "dave", "Dave Kowalski")
    async with web_warroom(slack, sqlite_url) as warroom:
        channel = await open_incident(warroom)
        await _two_messages(warroom, channel)
        await invite_guest(slack, channel, "U0GUEST")
        await settle(warroom)
        async with browser() as gus:
            await sign_in(gus, warroom, "U0GUEST")
            page, _ = await draft_page(gus, warroom)
            for form in ("brought-in", "misleading-mark", "mitigation-mark"):
                assert f'id="{form}-form"' not in page
            for path, data in (
                ("/brought-in", {"choice": "nobody"}),
                ("/marks", {"kind": "misleading", "message": "none"}),
                ("/impact", {"detected": "10:00"}),
            ):
                status, said = await post_draft_form(gus, warroom, path, data)
                assert status == 403, path
                assert "Guests of the workspace" in visible_text(said)
        async with browser() as alice:
            await sign_in(alice, warroom, ALICE)
            page, _ = await draft_page(alice, warroom)
            for path, data in (
                ("/brought-in", {"choice": "nobody"}),
                ("/marks", {"kind": "misleading", "message": "none"}),
            ):
                status, said = await post_draft_form(alice, warroom, path, data, csrf=False)
                assert status == 403 and "This form has expired" in said, path
            page, _ = await draft_page(alice, warroom)
            assert "who else was brought in" in draft_text(page)
            assert "led the investigation astray" in draft_text(page)
