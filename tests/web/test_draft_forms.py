"""The postmortem draft finished on its web page (issue 63, item 3): the record's gaps filled
there (the impact, the cause, the wrap-up's questions, follow-ups with owners and due dates,
filed in the tracker), each by the flow its Slack command uses, bad input refused at its field
(400, what was typed kept), guests refused; the review state (draft → in review → published,
reopened with a reason) kept on the incident, in its timeline and on the incident list; the
draft as a Markdown download."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from bot.config import Settings
from emulator import Channel, SlackEmulator
from emulator.trackers import FakeGitHub
from tests.conftest import ALICE, BOB, Warroom
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.web_view import (
    browser,
    csrf_of,
    post_draft_form,
    sign_in,
    visible_text,
    web_warroom,
)

DRAFT = "/incidents/INC-1/postmortem"


@dataclass
class Writer:
    """Someone signed in on INC-1's draft page (a browser keeping their cookies)."""

    warroom: Warroom
    session: aiohttp.ClientSession

    async def page(self) -> tuple[str, str]:
        """The draft's page, and its CSRF token."""
        async with self.session.get(f"{self.warroom.url}{DRAFT}") as answer:
            assert answer.status == 200
            page = await answer.text()
        return page, csrf_of(page)

    async def post(self, path: str, data: dict[str, Any]) -> tuple[int, str]:
        """``data`` posted to the draft's form at ``path`` with the page's token, redirects
        followed: the status and the page."""
        return await post_draft_form(self.session, self.warroom, path, data)


@asynccontextmanager
async def signed_in(warroom: Warroom, user: str) -> AsyncIterator[Writer]:
    """``user`` signed in with Slack, in a browser of their own."""
    async with browser() as session:
        await sign_in(session, warroom, user)
        yield Writer(warroom, session)


@pytest.fixture
async def alice(slack: SlackEmulator, sqlite_url: str) -> AsyncIterator[tuple[Writer, Channel]]:
    """INC-1 declared by Alice, who is signed in on its draft page; and its channel."""
    async with web_warroom(slack, sqlite_url) as warroom:
        channel = await open_incident(warroom)
        async with signed_in(warroom, ALICE) as writer:
            yield writer, channel


def _problem_at(page: str, field_id: str) -> str:
    """The words shown under a field, and that the field says it is invalid."""
    assert re.search(rf'id="{field_id}"[^>]*aria-invalid="true"', page), field_id
    match = re.search(rf'<span class="field-problem" id="{field_id}-problem">(.*?)</span>', page)
    assert match, f"no problem shown at {field_id}"
    return html.unescape(match[1])


async def test_the_impact_and_the_wrap_up_answers_filled_on_the_page(
    alice: tuple[Writer, Channel],
) -> None:
    writer, channel = alice
    await command(writer.warroom, channel, "resolve")
    page, _ = await writer.page()
    assert "who and what was affected" in visible_text(page)
    # The checklist sends each gap the page fills to its form, the others to Slack.
    checklist = page.split('<ul class="checklist">', 1)[1].split("</ul>", 1)[0]
    impact = checklist.split('data-gap="', 1)[1].split("</li>", 1)[0]
    assert 'href="#impact-form">fill it in below' in impact
    assert 'href="#follow-up-form">fill it in below' in checklist
    assert "(from the record: set it in Slack)" in checklist  # the mitigation, say
    status, page = await writer.post(
        "/impact",
        {
            "what": "Checkout failed for EU customers",
            "started": "2026-01-01 00:00",
            "customers": "1200",
            "money": "12000.50",
            "services": "checkout, Payments API, checkout",
            "trigger": "Deploy 4812 of the cart service",
            "cause": "A connection pool of 5",
        },
    )
    await settle(writer.warroom)
    assert status == 200, page
    page, _ = await writer.page()
    shown = visible_text(page)
    assert "Recorded, and said in the channel" not in shown  # a fresh page: no notice
    assert "Checkout failed for EU customers" in shown
    assert "1200 customers" in shown and "12000.50 in money" in shown
    assert "checkout, Payments API" in shown
    assert "Deploy 4812 of the cart service" in shown
    assert "A connection pool of 5" in shown
    assert "who and what was affected" not in shown
    said = " ".join(message.text for message in channel.messages)
    assert "Checkout failed for EU customers" in said  # as /incident impact says it
    assert "Wrap-up" in said  # the wrap-up's answers, said as the form's are


async def test_bad_impact_is_refused_at_its_field_with_the_form_kept(
    alice: tuple[Writer, Channel],
) -> None:
    writer, channel = alice
    await command(writer.warroom, channel, "resolve")
    before = len(channel.messages)
    status, page = await writer.post(
        "/impact", {"what": "Checkout down", "customers": "12.5", "started": "25:99", "money": "-3"}
    )
    assert status == 400
    assert _problem_at(page, "impact-customers") == "A whole number, like 1200."
    assert _problem_at(page, "impact-money").startswith("A number")
    assert "25:99" in _problem_at(page, "impact-started")
    assert 'value="12.5"' in page and "Checkout down</textarea>" in page
    status, page = await writer.post("/impact", {"what": ""})
    assert status == 400
    assert "fill in at least one field" in _problem_at(page, "impact-what")
    # Ended before it started: the milestone's own refusal, at its field.
    times = {"started": "2026-01-02 10:00", "ended": "2026-01-01 10:00"}
    status, page = await writer.post("/impact", times)
    assert status == 400 and _problem_at(page, "impact-ended")
    await settle(writer.warroom)
    page, _ = await writer.page()
    assert "who and what was affected" in visible_text(page)  # nothing of it kept
    assert len([m for m in channel.messages[before:] if "Checkout down" in m.text]) == 0


async def test_follow_ups_added_owned_dated_and_refused_in_words(
    alice: tuple[Writer, Channel],
) -> None:
    writer, channel = alice
    await command(writer.warroom, channel, "escalate @bob the database")
    status, page = await writer.post("/follow-ups", {"task": "", "owner": BOB, "due": "2099-01-02"})
    assert status == 400
    assert "Say what should be done" in _problem_at(page, "follow-up-task")
    assert f'<option value="{BOB}" selected>' in page and 'value="2099-01-02"' in page
    status, page = await writer.post("/follow-ups", {"task": "Add an alert", "due": "2001-01-01"})
    assert status == 400 and _problem_at(page, "follow-up-due")
    status, page = await writer.post("/follow-ups", {"task": "Add an alert", "owner": "U0NOBODY"})
    assert status == 400 and "Choose the owner" in _problem_at(page, "follow-up-owner")
    status, page = await writer.post("/follow-ups", {"task": "Add an alert", "file": "on"})
    assert status == 400 and "WARROOM_TRACKER" in _problem_at(page, "follow-up-file")
    status, page = await writer.post(
        "/follow-ups", {"task": "Raise the pool to 50", "owner": BOB, "due": "2099-01-02"}
    )
    assert status == 200, page
    await settle(writer.warroom)
    page, _ = await writer.page()
    listed = visible_text(page.split('id="follow-up-list"', 1)[1].split("</ul>", 1)[0])
    assert "Raise the pool to 50" in listed and "Bob Okafor" in listed and "2099" in listed
    draft = visible_text(page.split('id="draft"', 1)[1])
    assert "Raise the pool to 50" in draft
    assert any("Raise the pool to 50" in m.text for m in channel.messages)


async def test_a_follow_up_filed_in_the_tracker_from_the_page(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with FakeGitHub(token="ghp_draft", repos={"acme/payments"}) as github:
        env = {
            "WARROOM_TRACKER": "github",
            "WARROOM_GITHUB_API_URL": github.url,
            "WARROOM_GITHUB_TOKEN": "ghp_draft",
            "WARROOM_GITHUB_REPO": "acme/payments",
        }
        trackers = Settings.from_env(env).trackers
        async with web_warroom(slack, sqlite_url, trackers=trackers) as warroom:
            await _filed_from_the_page(warroom)


async def _filed_from_the_page(warroom: Warroom) -> None:
    await open_incident(warroom)
    async with signed_in(warroom, ALICE) as writer:
        status, page = await writer.post("/follow-ups", {"task": "Raise the pool"})
        assert status == 200, page
        page, token = await writer.page()
        filing = re.search(r'action="(/incidents/INC-1/postmortem/follow-ups/\d+/file)"', page)
        assert filing, "no File as issue on the follow-up"
        async with writer.session.post(f"{warroom.url}{filing[1]}", data={"csrf": token}) as answer:
            assert answer.status == 200
        await settle(warroom)
        page, _ = await writer.page()
        assert "Issue: acme/payments#1" in visible_text(page)
        assert "File as issue" not in visible_text(page)


async def test_guests_and_people_outside_the_incident_are_refused(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    guest = slack.add_user("U0GUEST", "gus", "Gus Guest")
    guest.is_restricted = True
    async with web_warroom(slack, sqlite_url) as warroom:
        channel = await open_incident(warroom)
        async with (
            aiohttp.ClientSession() as client,
            client.post(
                f"{slack.base_url}conversations.invite",
                headers={"Authorization": f"Bearer {slack.bot_token}"},
                data={"channel": channel.id, "users": "U0GUEST"},
            ) as answer,
        ):
            assert (await answer.json())["ok"]
        await settle(warroom)
        async with signed_in(warroom, "U0GUEST") as gus:
            page, _ = await gus.page()
            assert 'id="impact-form"' not in page and 'id="review-form"' not in page
            for path, data in (
                ("/sections/fix", {"body": "x"}),
                ("/impact", {"what": "x"}),
                ("/follow-ups", {"task": "x"}),
                ("/review", {"to": "in_review"}),
            ):
                status, said = await gus.post(path, data)
                assert status == 403, path
                assert "Guests of the workspace" in visible_text(said)


async def test_the_review_moves_with_who_and_when_and_shows_on_the_list(
    slack: SlackEmulator, database_url: str
) -> None:
    async with web_warroom(slack, database_url) as warroom:
        channel = await open_incident(warroom)
        await command(warroom, channel, "escalate @bob the database")
        async with signed_in(warroom, BOB) as bob, signed_in(warroom, ALICE) as alice:
            page, _ = await bob.page()
            assert ">Draft</span>" in page
            status, page = await bob.post("/review", {"to": "published"})
            assert status == 400 and "goes to review before" in visible_text(page)
            status, page = await bob.post("/review", {"to": "in_review"})
            assert status == 200 and ">In review</span>" in page
            assert "by Bob Okafor" in visible_text(page)
            status, page = await bob.post("/review", {"to": "published"})
            assert status == 400
            assert "Only the incident's commander" in visible_text(page)
            status, page = await alice.post("/review", {"to": "published"})
            assert status == 200 and ">Published</span>" in page
            status, page = await alice.post("/review", {"to": "draft", "reason": " "})
            assert status == 400
            assert "Say why it is reopened" in _problem_at(page, "review-reason")
            status, page = await alice.post(
                "/review", {"to": "draft", "reason": "The timeline missed a deploy"}
            )
            assert status == 200 and ">Draft</span>" in page
            async with alice.session.get(f"{warroom.url}/incidents/INC-1") as answer:
                timeline = visible_text(await answer.text())
            assert "Postmortem moved to published (was in review)" in timeline
            assert "Postmortem moved to draft (was published): The timeline missed a deploy" in (
                timeline
            )
            await alice.post("/review", {"to": "in_review"})
            async with alice.session.get(f"{warroom.url}/") as answer:
                listed = visible_text(await answer.text())
            assert "Postmortem in review" in listed


async def test_the_draft_as_markdown_and_ready_to_print(alice: tuple[Writer, Channel]) -> None:
    writer, _ = alice
    async with writer.session.get(f"{writer.warroom.url}{DRAFT}.md") as answer:
        assert answer.status == 200
        assert answer.headers["Content-Disposition"].startswith("attachment;")
        assert (await answer.text()).startswith("# Postmortem: INC-1 Checkout down")
    async with writer.session.get(f"{writer.warroom.url}{DRAFT}") as answer:
        page = await answer.text()
        policy = answer.headers["Content-Security-Policy"]
    assert "@media print" in page and 'id="print-draft"' in page
    nonce = re.search(r"script-src 'nonce-([^']+)'", policy)
    assert nonce and f'<script nonce="{nonce[1]}">' in page


async def test_a_section_too_long_is_refused_at_its_field_with_the_text_kept(
    alice: tuple[Writer, Channel],
) -> None:
    writer, _ = alice
    long = "Rolled back. " * 2000
    status, page = await writer.post("/sections/fix", {"body": long})
    assert status == 400
    assert "under 20,000 characters" in _problem_at(page, "body-fix")
    assert f"{long.strip()}</textarea>" in page or f"{long}</textarea>" in page


async def test_a_form_posted_to_an_address_naming_no_such_item_is_404_with_why(
    alice: tuple[Writer, Channel],
) -> None:
    writer, channel = alice
    before = len(channel.messages)
    _, token = await writer.page()
    beyond = "99999999999999999999"  # past any database id
    for path, why in (
        ("/incidents/INC-1/notes/x/accept", "This incident has no such proposed note."),
        ("/incidents/INC-1/postmortem/suggestions/0/accept", "no such suggestion."),
        (f"/incidents/INC-1/postmortem/follow-ups/{beyond}/file", "no such follow-up."),
        (f"/incidents/INC-1/follow-ups/{beyond}/done", "No such follow-up"),
    ):
        async with writer.session.post(
            f"{writer.warroom.url}{path}", data={"csrf": token}, allow_redirects=False
        ) as answer:
            assert answer.status == 404, path
            assert why in visible_text(await answer.text()), path
    await settle(writer.warroom)
    assert len(channel.messages) == before
