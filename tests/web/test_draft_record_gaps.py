"""The draft's last gaps that only Slack could fill, filled on its page (issue 63, item 3):
when the incident was detected (as ``/incident time detected`` sets it), who else was
brought in when warroom escalated to nobody (or that nobody was), a path that led the
investigation astray picked from the channel's messages (as a :x: marks it) or that none
did, and the message that stopped the impact (as a :white_check_mark: marks it). Each goes
through the record Slack uses, is said in the channel, and the draft (its page and the
canvas ``/incident postmortem`` posts, in English and French) says it as the person's, on
the draft's page. Bad input is refused at its field (400, what was typed kept); guests are
refused."""

from __future__ import annotations

from datetime import timedelta

from emulator import SlackEmulator
from tests.conftest import ALICE
from tests.helpers.drafts import (
    checklist,
    draft_page,
    draft_text,
    post_draft_form,
    posted_draft,
    problem_at,
)
from tests.helpers.incidents import open_incident, settle
from tests.helpers.records import section
from tests.helpers.web_view import browser, sign_in, web_warroom


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
