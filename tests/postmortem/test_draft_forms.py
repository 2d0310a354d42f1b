"""The postmortem draft finished on its web page: the record's gaps filled
there (the impact, the cause, the wrap-up's questions, follow-ups with owners and due dates,
filed in the tracker), each by the flow its Slack command uses, bad input refused at its field
(400, what was typed kept), guests refused; the review state (draft → in review → published,
reopened with a reason) kept on the incident, in its timeline and on the incident list; the
draft as a Markdown download."""

from __future__ import annotations

import re

from bot.config import Settings
from emulator import SlackEmulator
from emulator.trackers import FakeGitHub
from tests.conftest import ALICE, BOB, Warroom
from tests.flows.test_rights import _proposals
from tests.helpers.drafts import DRAFT, draft_page, invite_guest, post_draft_form, problem_at
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.web_view import browser, sign_in, visible_text, web_warroom


async def test_the_impact_and_the_wrap_up_answers_filled_on_the_page(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        await command(warroom, channel, "resolve")
        await sign_in(session, warroom, ALICE)
        page, _ = await draft_page(session, warroom)
        assert "who and what was affected" in visible_text(page)
        # The checklist sends each gap the page fills to its form.
        checklist = page.split('<ul class="checklist">', 1)[1].split("</ul>", 1)[0]
        impact = checklist.split('data-gap="', 1)[1].split("</li>", 1)[0]
        assert 'href="#impact-form">fill it in below' in impact
        assert 'href="#follow-up-form">fill it in below' in checklist
        # The mitigation too, with no message to mark: in the person's words.
        assert 'href="#mitigation-words-form">fill it in below</a>, or in Slack' in checklist
        status, page = await post_draft_form(
            session,
            warroom,
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
        await settle(warroom)
        assert status == 200, page
        page, _ = await draft_page(session, warroom)
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
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        await command(warroom, channel, "resolve")
        await sign_in(session, warroom, ALICE)
        before = len(channel.messages)
        status, page = await post_draft_form(
            session,
            warroom,
            "/impact",
            {"what": "Checkout down", "customers": "12.5", "started": "25:99", "money": "-3"},
        )
        assert status == 400
        assert problem_at(page, "impact-customers") == "A whole number, like 1200."
        assert problem_at(page, "impact-money").startswith("A number")
        assert "25:99" in problem_at(page, "impact-started")
        assert 'value="12.5"' in page and "Checkout down</textarea>" in page
        status, page = await post_draft_form(session, warroom, "/impact", {"what": ""})
        assert status == 400
        assert "fill in at least one field" in problem_at(page, "impact-what")
        # Ended before it started: the milestone's own refusal, at its field.
        times = {"started": "2026-01-02 10:00", "ended": "2026-01-01 10:00"}
        status, page = await post_draft_form(session, warroom, "/impact", times)
        assert status == 400 and problem_at(page, "impact-ended")
        await settle(warroom)
        page, _ = await draft_page(session, warroom)
        assert "who and what was affected" in visible_text(page)  # nothing of it kept
        assert len([m for m in channel.messages[before:] if "Checkout down" in m.text]) == 0


async def test_follow_ups_added_owned_dated_and_refused_in_words(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        await command(warroom, channel, "escalate @bob the database")
        await sign_in(session, warroom, ALICE)
        status, page = await post_draft_form(
            session, warroom, "/follow-ups", {"task": "", "owner": BOB, "due": "2099-01-02"}
        )
        assert status == 400
        assert "Say what should be done" in problem_at(page, "follow-up-task")
        assert f'<option value="{BOB}" selected>' in page and 'value="2099-01-02"' in page
        status, page = await post_draft_form(
            session, warroom, "/follow-ups", {"task": "Add an alert", "due": "2001-01-01"}
        )
        assert status == 400 and problem_at(page, "follow-up-due")
        status, page = await post_draft_form(
            session, warroom, "/follow-ups", {"task": "Add an alert", "owner": "U0NOBODY"}
        )
        assert status == 400 and "Choose the owner" in problem_at(page, "follow-up-owner")
        status, page = await post_draft_form(
            session, warroom, "/follow-ups", {"task": "Add an alert", "file": "on"}
        )
        assert status == 400 and "WARROOM_TRACKER" in problem_at(page, "follow-up-file")
        status, page = await post_draft_form(
            session,
            warroom,
            "/follow-ups",
            {"task": "Raise the pool to 50", "owner": BOB, "due": "2099-01-02"},
        )
        assert status == 200, page
        await settle(warroom)
        page, _ = await draft_page(session, warroom)
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
    async with browser() as session:
        await open_incident(warroom)
        await sign_in(session, warroom, ALICE)
        status, page = await post_draft_form(
            session, warroom, "/follow-ups", {"task": "Raise the pool"}
        )
        assert status == 200, page
        page, token = await draft_page(session, warroom)
        filing = re.search(r'action="(/incidents/INC-1/postmortem/follow-ups/\d+/file)"', page)
        assert filing, "no File as issue on the follow-up"
        async with session.post(f"{warroom.url}{filing[1]}", data={"csrf": token}) as answer:
            assert answer.status == 200
        await settle(warroom)
        page, _ = await draft_page(session, warroom)
        assert "Issue: acme/payments#1" in visible_text(page)
        assert "File as issue" not in visible_text(page)


async def test_guests_and_people_outside_the_incident_are_refused(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    guest = slack.add_user("U0GUEST", "gus", "Gus Guest")
    guest.is_restricted = True
    async with web_warroom(slack, sqlite_url) as warroom:
        channel = await open_incident(warroom)
        await invite_guest(slack, channel, "U0GUEST")
        await settle(warroom)
        async with browser() as gus:
            await sign_in(gus, warroom, "U0GUEST")
            page, _ = await draft_page(gus, warroom)
            assert 'id="impact-form"' not in page and 'id="review-form"' not in page
            for path, data in (
                ("/sections/fix", {"body": "x"}),
                ("/impact", {"what": "x"}),
                ("/follow-ups", {"task": "x"}),
                ("/review", {"to": "in_review"}),
            ):
                status, said = await post_draft_form(gus, warroom, path, data)
                assert status == 403, path
                assert "Guests of the workspace" in visible_text(said)


async def test_the_review_moves_with_who_and_when_and_shows_on_the_list(
    slack: SlackEmulator, database_url: str
) -> None:
    async with web_warroom(slack, database_url) as warroom:
        channel = await open_incident(warroom)
        await command(warroom, channel, "escalate @bob the database")
        async with browser() as bob, browser() as alice:
            await sign_in(bob, warroom, BOB)
            await sign_in(alice, warroom, ALICE)
            page, _ = await draft_page(bob, warroom)
            assert ">Draft</span>" in page
            status, page = await post_draft_form(bob, warroom, "/review", {"to": "published"})
            assert status == 400 and "goes to review before" in visible_text(page)
            status, page = await post_draft_form(bob, warroom, "/review", {"to": "in_review"})
            assert status == 200 and ">In review</span>" in page
            assert "by Bob Okafor" in visible_text(page)
            status, page = await post_draft_form(bob, warroom, "/review", {"to": "published"})
            assert status == 400
            assert "Only the incident's commander" in visible_text(page)
            status, page = await post_draft_form(
                alice, warroom, "/review", {"to": "published", "confirm": "1"}
            )
            assert status == 200 and ">Published</span>" in page
            status, page = await post_draft_form(
                alice, warroom, "/review", {"to": "draft", "reason": " "}
            )
            assert status == 400
            assert "Say why it is reopened" in problem_at(page, "review-reason")
            status, page = await post_draft_form(
                alice, warroom, "/review", {"to": "draft", "reason": "The timeline missed a deploy"}
            )
            assert status == 200 and ">Draft</span>" in page
            async with alice.get(f"{warroom.url}/incidents/INC-1") as answer:
                timeline = visible_text(await answer.text())
            assert "Postmortem moved to published (was in review)" in timeline
            assert "Postmortem moved to draft (was published): The timeline missed a deploy" in (
                timeline
            )
            await post_draft_form(alice, warroom, "/review", {"to": "in_review"})
            async with alice.get(f"{warroom.url}/") as answer:
                listed = visible_text(await answer.text())
            assert "Postmortem in review" in listed


async def test_the_draft_as_markdown_and_ready_to_print(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        await open_incident(warroom)
        await sign_in(session, warroom, ALICE)
        async with session.get(f"{warroom.url}{DRAFT}.md") as answer:
            assert answer.status == 200
            assert answer.headers["Content-Disposition"].startswith("attachment;")
            assert (await answer.text()).startswith("# Postmortem: INC-1 Checkout down")
        async with session.get(f"{warroom.url}{DRAFT}") as answer:
            page = await answer.text()
            policy = answer.headers["Content-Security-Policy"]
        assert "@media print" in page and 'id="print-draft"' in page
        nonce = re.search(r"script-src 'nonce-([^']+)'", policy)
        assert nonce and f'<script nonce="{nonce[1]}">' in page


async def test_a_section_too_long_is_refused_at_its_field_with_the_text_kept(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        await open_incident(warroom)
        await sign_in(session, warroom, ALICE)
        long = "Rolled back. " * 2000
        status, page = await post_draft_form(session, warroom, "/sections/fix", {"body": long})
        assert status == 400
        assert "under 20,000 characters" in problem_at(page, "body-fix")
        assert f"{long.strip()}</textarea>" in page or f"{long}</textarea>" in page


async def test_a_form_posted_to_an_address_naming_no_such_item_is_404_with_why(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        await sign_in(session, warroom, ALICE)
        before = len(channel.messages)
        _, token = await draft_page(session, warroom)
        beyond = "99999999999999999999"  # past any database id
        for path, why in (
            ("/incidents/INC-1/notes/x/accept", "This incident has no such proposed note."),
            ("/incidents/INC-1/postmortem/suggestions/0/accept", "no such suggestion."),
            (f"/incidents/INC-1/postmortem/follow-ups/{beyond}/file", "no such follow-up."),
            (f"/incidents/INC-1/follow-ups/{beyond}/done", "No such follow-up"),
        ):
            async with session.post(
                f"{warroom.url}{path}", data={"csrf": token}, allow_redirects=False
            ) as answer:
                assert answer.status == 404, path
                assert why in visible_text(await answer.text()), path
        await settle(warroom)
        assert len(channel.messages) == before


async def test_an_edited_suggestion_sent_empty_is_refused_at_its_field_and_a_reload_sends_nothing(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        _, suggestion = await _proposals(warroom, channel)
        await sign_in(session, warroom, ALICE)
        draft = "/incidents/INC-1/postmortem"
        _, token = await draft_page(session, warroom, f"{draft}?edit={suggestion}")
        sent = {"body": "   ", "suggestion": str(suggestion), "csrf": token}
        async with session.post(f"{warroom.url}{draft}/sections/fix", data=sent) as answer:
            status, page, address = answer.status, await answer.text(), answer.url
        # Back on the draft, the suggestion's form open again, the refusal at its field.
        assert status == 400
        assert (address.path, address.query.get("edit")) == (draft, str(suggestion))
        assert "Write the section's text" in problem_at(page, "body-fix")
        assert f'name="suggestion" value="{suggestion}"' in page
        # A reload reads the page again, clean: nothing is sent twice, nothing was accepted.
        async with session.get(address) as again:
            assert again.status == 200
            reloaded = await again.text()
        assert 'class="field-problem"' not in reloaded
        assert "accepted by" not in visible_text(reloaded)
